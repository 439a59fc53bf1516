"""`couchqueue serve` on a PostgreSQL store that is not there yet, or never will be: a refusal
that no retry can cure (no such database, no such role, TLS the server does not offer) stops
the server at once, saying why; a PostgreSQL that is not up yet is waited for, with a warning,
and served once it is.

Needs COUCHQUEUE_TEST_POSTGRES (scripts/test starts a throwaway cluster and sets it).
"""
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest
import requests

from support.server import LISTEN_RE, binary_path


def serve(store, cwd):
    return subprocess.Popen([str(binary_path()), "serve", "--port", "0", "--store", store], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("change,named", [
    (lambda url: url._replace(path="/cq_no_such_database"), 'database "cq_no_such_database" does not exist'),
    (lambda url: url._replace(netloc="cq_no_such_role@" + url.netloc.split("@")[1]), 'role "cq_no_such_role" does not exist'),
    (lambda url: url._replace(query="sslmode=require"), "does not accept TLS"),
], ids=["unknown database", "unknown role", "TLS not offered"])
def test_a_refusal_no_retry_can_cure_stops_the_server_saying_why(tmp_path, postgres_url, change, named):
    store = urllib.parse.urlunsplit(change(urllib.parse.urlsplit(postgres_url)))
    proc = serve(store, tmp_path)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the server was still waiting after 30 s: {err[-2000:]}")
    assert proc.returncode == 1, (proc.returncode, err)
    assert named in err and "refused the connection" in err, err
    assert "listening" not in out


class Relay:
    """A TCP port that forwards to PostgreSQL once `open()` is called; until then it refuses."""

    def __init__(self, target):
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens here until open(): connections are refused

    def open(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()


def test_a_postgres_not_up_yet_is_waited_for_with_a_warning_and_then_served(tmp_path, postgres_url):
    url = urllib.parse.urlsplit(postgres_url)
    relay = Relay((url.hostname, url.port))
    store = urllib.parse.urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{relay.port}"))
    proc = serve(store, tmp_path)
    try:
        warned = False
        deadline = time.monotonic() + 20
        while not warned and time.monotonic() < deadline:
            line = proc.stderr.readline()
            warned = "PostgreSQL is not reachable yet" in line and "warning" in line
        assert warned, "no warning that PostgreSQL is not reachable"
        assert proc.poll() is None, "the server gave up on a PostgreSQL that may still come up"
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
        relay.open()
        match = LISTEN_RE.search(proc.stdout.readline())  # blocks until the server listens
        assert match, "the server did not start once PostgreSQL was reachable"
        health = requests.get(f"http://{match.group(1)}:{match.group(2)}/health", timeout=10)
        assert health.status_code == 200, health.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
