"""`couchqueue serve` configuration: environment variables, refused values, connection timeouts."""
import socket
import subprocess
import time

import pytest
import requests

from support.server import binary_path


def test_environment_variables_configure_the_server(make_server):
    srv = make_server(env={"COUCHQUEUE_BODY_LIMIT": "2048"})
    body = '{"publisher": "p", "data": {"pad": "' + "x" * 4096 + '"}}'
    r = requests.put(srv.url("/task"), data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_a_flag_wins_over_its_environment_variable(make_server):
    srv = make_server(env={"COUCHQUEUE_BODY_LIMIT": "2048"}, extra_args=["--body-limit", "1048576"])
    body = '{"publisher": "p", "data": {"pad": "' + "x" * 4096 + '"}}'
    r = requests.put(srv.url("/task"), data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200


def run_serve(cwd, *args):
    return subprocess.run([str(binary_path()), "serve", "--port", "0", *args], capture_output=True, text=True,
                          timeout=30, cwd=cwd)


def test_bad_values_are_refused_with_a_message_and_a_failing_status(tmp_path):
    for args, named in [(["--store", "mysql://x"], "--store"), (["--port", "70000"], "--port"),
                        (["--lease-timeout", "0"], "--lease-timeout"), (["--log-level", "loud"], "--log-level"),
                        (["--idle-timeout", "1e16"], "--idle-timeout"), (["--body-timeout", "0.0004"], "--body-timeout"),
                        (["--lease-recheck", "0"], "--lease-recheck"),
                        (["--store", "postgres://nobody@127.0.0.1:1"], "database"),
                        (["--public-host", "https://queue.example"], "--public-host"),
                        (["--public-host", "queue.example:443"], "--public-host"),
                        (["--postgres-operation-timeout", "0"], "--postgres-operation-timeout"),
                        (["--postgres-operation-timeout", "1.5"], "--postgres-operation-timeout")]:
        done = run_serve(tmp_path, *args)
        assert done.returncode == 64, (args, done.returncode)  # EX_USAGE
        assert named in done.stderr and "Usage: couchqueue serve" in done.stderr, (args, done.stderr)


@pytest.mark.parametrize("store,shown", [("postgres://app:s3cr@t@db", "postgres://app:***@db"),
                                         ("postgres://app:s3cr/t@/q", "postgres://app:***@/q"),
                                         ("mysql://app:s3cret@db/q", "mysql://app:***@db/q"),
                                         ("postgres://app:s3cr?t@db", "postgres://app:***@db")])
def test_a_refused_store_url_is_named_without_its_password(tmp_path, store, shown):
    done = run_serve(tmp_path, "--store", store)
    assert done.returncode == 64, done
    assert "s3cr" not in done.stderr and shown in done.stderr, done.stderr


def test_a_store_file_that_cannot_be_opened_is_named(tmp_path):
    done = run_serve(tmp_path, "--store", "sqlite:/nonexistent/dir/x.sqlite")
    assert done.returncode != 0
    assert "cannot open --store sqlite:/nonexistent/dir/x.sqlite" in done.stderr, done.stderr


@pytest.mark.parametrize("args,message", [(["--worker-timeout", "-5"], "--worker-timeout must be from"),
                                          (["--port", "-1"], "--port must be from")])
def test_a_negative_number_is_refused_for_its_value_not_taken_for_a_flag(tmp_path, args, message):
    done = run_serve(tmp_path, *args)
    assert done.returncode == 64 and message in done.stderr, done.stderr


def test_a_second_server_on_the_same_sqlite_file_is_refused(make_server, tmp_path):
    first = make_server()
    done = run_serve(tmp_path, "--store", f"sqlite:{first.store_path}")
    assert done.returncode != 0
    assert "another CouchQueue server has it open" in done.stderr, done.stderr
    assert requests.get(first.url("/health"), timeout=10).status_code == 200


def test_a_connection_memory_below_twice_the_body_limit_is_refused(tmp_path):
    """Below it, one request within the body limit could be cut off instead of answered."""
    done = run_serve(tmp_path, "--body-limit", "1000", "--connection-memory", "1999")
    assert done.returncode == 64 and "--connection-memory must be at least twice the body limit, 2000 bytes" in done.stderr, done.stderr


def test_help_names_every_flag_and_its_environment_variable():
    done = subprocess.run([str(binary_path()), "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    for flag, variable in [("--host", "COUCHQUEUE_HOST"), ("--port", "COUCHQUEUE_PORT"), ("--store", "COUCHQUEUE_STORE"),
                           ("--worker-timeout", "COUCHQUEUE_WORKER_TIMEOUT"), ("--lease-timeout", "COUCHQUEUE_LEASE_TIMEOUT"),
                           ("--body-limit", "COUCHQUEUE_BODY_LIMIT"), ("--idle-timeout", "COUCHQUEUE_IDLE_TIMEOUT"),
                           ("--body-timeout", "COUCHQUEUE_BODY_TIMEOUT"), ("--public-host", "COUCHQUEUE_PUBLIC_HOSTS"),
                           ("--lease-recheck", "COUCHQUEUE_LEASE_RECHECK"),
                           ("--connection-memory", "COUCHQUEUE_CONNECTION_MEMORY"),
                           ("--postgres-pool-size", "COUCHQUEUE_POSTGRES_POOL_SIZE"),
                           ("--postgres-operation-timeout", "COUCHQUEUE_POSTGRES_OPERATION_TIMEOUT")]:
        assert flag in done.stdout and variable in done.stdout, flag


def closed_within(sock, seconds):
    """True when the server closes `sock` within `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def test_idle_and_half_sent_requests_are_cut_off_after_the_idle_timeout(make_server):
    srv = make_server(extra_args=["--idle-timeout", "1"])
    idle = socket.create_connection((srv.host, srv.port))
    partial = socket.create_connection((srv.host, srv.port))
    partial.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    start = time.monotonic()
    assert closed_within(idle, 5) and closed_within(partial, 5)
    assert time.monotonic() - start >= 0.5, "closed by the timeout, not at once"
    busy = socket.create_connection((srv.host, srv.port))
    busy.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"200" in busy.recv(1024)


def test_a_body_that_stalls_is_cut_off_after_the_body_timeout(make_server):
    srv = make_server(extra_args=["--idle-timeout", "30", "--body-timeout", "1"])
    slow = socket.create_connection((srv.host, srv.port))
    time.sleep(0.3)  # idle first: the body's deadline is earlier than the idle timer's
    slow.sendall(b"PUT /task HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    start = time.monotonic()
    assert closed_within(slow, 10), "a stalled body is cut off by the body timeout, not the 30 s idle timeout"
    assert 0.5 <= time.monotonic() - start < 10
    prompt = socket.create_connection((srv.host, srv.port))
    body = b'{"publisher": "p", "data": {"nobody": "listens"}}'
    prompt.sendall(b"PUT /task HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                   + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
    time.sleep(0.5)
    prompt.sendall(body[10:])
    assert b"HTTP/1.1 200" in prompt.recv(1024), "a body within the timeout is answered"


def serve_alone(tmp_path, *args):
    """Starts `couchqueue serve ARGS` as a user would; returns the process and the first line
    it prints (the address it listens on)."""
    proc = subprocess.Popen([str(binary_path()), "serve", "--store", f"sqlite:{tmp_path / 'q.sqlite'}", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, proc.stdout.readline().strip()


def stopped(proc):
    proc.terminate()
    assert proc.wait(15) == 0


def test_the_default_address_is_the_contracts(tmp_path):
    """API.md fixes `--host 127.0.0.1 --port 7878` as the defaults."""
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", 7878)) != 0, "something else listens on 7878 on this machine"
    proc, line = serve_alone(tmp_path)
    try:
        assert line == "listening on http://127.0.0.1:7878"
        assert requests.get("http://127.0.0.1:7878/health", timeout=5).status_code == 200
    finally:
        stopped(proc)


def test_the_server_listens_on_the_host_it_is_given(tmp_path):
    proc, line = serve_alone(tmp_path, "--host", "127.0.0.2", "--port", "0")
    try:
        assert line.startswith("listening on http://127.0.0.2:"), line
        port = int(line.rsplit(":", 1)[1])
        assert requests.get(f"http://127.0.0.2:{port}/health", timeout=5).status_code == 200
        with socket.socket() as other:
            assert other.connect_ex(("127.0.0.1", port)) != 0, "also reachable on an address it was not given"
    finally:
        stopped(proc)
