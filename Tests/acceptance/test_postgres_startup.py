"""`couchqueue serve` on a PostgreSQL store that is not there yet, or never will be: a refusal
that no retry can cure (no such database, no such role, TLS the server does not offer or a
certificate that does not verify) stops the server at once, saying why; a PostgreSQL that is
not up yet is waited for, with a warning, and served once it is; a signal during that wait
stops the server cleanly. A PgBouncer that refuses the startup parameters stops it too, saying
what to change. `sslmode` means what it means to libpq: a server with a certificate
from an authority of its own is served over TLS, its certificate checked only when asked
(`sslrootcert`, the `verify-` modes).

Needs COUCHQUEUE_TEST_POSTGRES (scripts/test starts a throwaway cluster and sets it); the TLS
tests start a cluster of their own that accepts TLS, with scripts/postgres-test-cluster.
"""
import contextlib
import pathlib
import signal
import socket
import subprocess
import tempfile
import threading
import urllib.parse

import pytest

from support.postgres import Serve, locked_by_psql, psql_value, serves, wait_for_value


@pytest.mark.parametrize("change,named", [
    (lambda url: url._replace(path="/cq_no_such_database"), 'database "cq_no_such_database" does not exist'),
    (lambda url: url._replace(netloc="cq_no_such_role@" + url.netloc.split("@")[1]), 'role "cq_no_such_role" does not exist'),
    (lambda url: url._replace(query="sslmode=require"), "does not accept TLS"),
], ids=["unknown database", "unknown role", "TLS not offered"])
def test_a_refusal_no_retry_can_cure_stops_the_server_saying_why(tmp_path, postgres_url, change, named):
    assert_refused(urllib.parse.urlunsplit(change(urllib.parse.urlsplit(postgres_url))), named, tmp_path)


def assert_refused(store, named, cwd):
    server = Serve(store, cwd)
    try:
        assert server.proc.wait(timeout=30) == 1
        assert server.wait_for(server.stderr, named, 5), f"no error naming {named!r}"
        assert server.stdout.empty(), "the server said it was listening"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_cluster():
    """A cluster that accepts TLS with a certificate for localhost (not for 127.0.0.1) from an
    authority of its own: its URL, that authority's file, and another authority's."""
    folder = tempfile.mkdtemp(prefix="couchqueue-test-pg-tls.")
    script = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "postgres-test-cluster"
    try:
        started = subprocess.run([script, "start", folder, "--tls"], capture_output=True, text=True)
        assert started.returncode == 0, f"the TLS cluster did not start: {started.stderr}"
        other_ca = f"{folder}/other-ca.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=another",
                        "-keyout", f"{folder}/other-ca.key", "-out", other_ca], check=True, capture_output=True)
        yield started.stdout.strip(), f"{folder}/ca.pem", other_ca
    finally:
        subprocess.run([script, "stop", folder], check=True)


@pytest.fixture
def tls_store(tls_cluster):
    """`tls_store(host, query)`: the URL of the TLS cluster through `host`, with `query`, in
    which {ca} is the authority of the cluster's certificate and {other_ca} another."""
    url, ca, other_ca = tls_cluster
    url = urllib.parse.urlsplit(url)

    def store(host, query):
        netloc = f"{url.username}@{host}:{url.port}"
        return urllib.parse.urlunsplit(url._replace(netloc=netloc, query=query.format(ca=ca, other_ca=other_ca)))
    return store


def test_the_default_sslmode_serves_a_postgres_without_tls(tmp_path, postgres_url):
    server = Serve(urllib.parse.urlunsplit(urllib.parse.urlsplit(postgres_url)._replace(query="")), tmp_path)
    try:
        assert serves(server)
    finally:
        server.stop()


@pytest.mark.parametrize("host,query,checked", [
    ("127.0.0.1", "", False),
    ("127.0.0.1", "sslmode=allow", False),
    ("127.0.0.1", "sslmode=require", False),
    ("localhost", "sslmode=verify-full&sslrootcert={ca}", True),
    ("127.0.0.1", "sslmode=verify-ca&sslrootcert={ca}", True),
    ("127.0.0.1", "sslmode=require&sslrootcert={ca}", True),
    ("127.0.0.1", "sslrootcert={ca}", True),
], ids=["default prefer", "allow", "require", "verify-full", "verify-ca without the host", "require with an authority",
        "prefer with an authority"])
def test_a_postgres_with_a_certificate_of_its_own_is_served_over_tls(tmp_path, tls_cluster, tls_store, host, query, checked):
    server = Serve(tls_store(host, query), tmp_path)
    try:
        assert serves(server)
        answer = subprocess.run(["psql", tls_cluster[0], "-Atc", """
            SELECT count(*), count(*) FILTER (WHERE ssl) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"""],
                                check=True, capture_output=True, text=True)
        connections, over_tls = map(int, answer.stdout.strip().split("|"))
        assert connections > 0 and over_tls == connections, answer.stdout
        logged = list(server.stderr.queue)
        assert any("certificate is not checked" in line for line in logged) != checked, logged
    finally:
        server.stop()


@pytest.mark.parametrize("host,query,named", [
    ("localhost", "sslmode=verify-full", "chains to an authority the system trusts and names localhost"),
    ("127.0.0.1", "sslmode=verify-full&sslrootcert={ca}", "and names 127.0.0.1"),
    ("localhost", "sslmode=require&sslrootcert={other_ca}", "sslmode=require checks that the server's certificate chains to"),
    ("localhost", "sslrootcert={other_ca}", "sslmode=prefer checks that the server's certificate chains to"),
    ("localhost", "sslmode=verify-ca&sslrootcert=/no/such/file.pem", "sslrootcert /no/such/file.pem is not a readable"),
], ids=["untrusted authority", "host name not in the certificate", "require with another authority",
        "prefer with another authority", "no such file"])
def test_a_certificate_that_does_not_verify_stops_the_server_saying_why(tmp_path, tls_store, host, query, named):
    assert_refused(tls_store(host, query), named, tmp_path)


def test_a_postgres_not_up_yet_is_waited_for_with_warnings_and_then_served(tmp_path, relay):
    server = Serve(relay.store, tmp_path)
    try:
        assert server.wait_for(server.stderr, "PostgreSQL is not reachable yet", 20), "no warning"
        assert server.wait_for(server.stderr, "PostgreSQL is not reachable yet", 20), "no second attempt"
        assert server.proc.poll() is None, "the server gave up on a PostgreSQL that may still come up"
        relay.open()
        assert serves(server), "the server did not serve once PostgreSQL was reachable"
    finally:
        server.stop()


def test_a_connection_closed_during_the_tls_handshake_is_waited_out(tmp_path):
    """What a server restarting, or a proxy with no server behind it yet, does: it agrees to
    TLS (`S`), then closes."""
    def agree_to_tls(client):
        client.recv(8)  # the SSLRequest
        client.sendall(b"S")
    with fake_postgres(agree_to_tls) as port:
        assert_waited_out(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=require", tmp_path, "a closed connection")


def test_startup_parameters_refused_by_pgbouncer_stop_the_server_saying_what_to_do(tmp_path):
    """PgBouncer refuses startup parameters it does not know, such as the `statement_timeout`
    each connection starts with, with a FATAL 08P01."""
    with fake_postgres(refusing_as_pgbouncer("unsupported startup parameter: statement_timeout")) as port:
        assert_refused(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable",
                       "list statement_timeout, idle_in_transaction_session_timeout, default_transaction_isolation in its ignore_startup_parameters",
                       tmp_path)


def test_a_passing_refusal_from_pgbouncer_is_waited_out(tmp_path):
    """PgBouncer answers 08P01 to refusals that pass too, such as a PostgreSQL still starting."""
    refusal = "server login has been failing, cached error: the database system is starting up"
    with fake_postgres(refusing_as_pgbouncer(refusal)) as port:
        assert_waited_out(f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable", tmp_path, "a passing refusal")


def assert_waited_out(store, cwd, mistaken_for):
    server = Serve(store, cwd)
    try:
        assert server.wait_for(server.stderr, "PostgreSQL is not reachable yet", 20), "no warning"
        assert server.wait_for(server.stderr, "PostgreSQL is not reachable yet", 20), "no second attempt"
        assert server.proc.poll() is None, f"the server took {mistaken_for} for a lasting refusal"
    finally:
        server.stop()


@contextlib.contextmanager
def fake_postgres(answer):
    """The port of a socket that hands each connection to `answer`, then closes it."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            answer(client)
            client.close()
    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def refusing_as_pgbouncer(message):
    """Reads a startup packet and answers as PgBouncer refuses one: a FATAL 08P01 with `message`."""
    def refuse(client):
        packet = b""  # read in full, so that closing sends no reset
        while (len(packet) < 4 or len(packet) < int.from_bytes(packet[:4], "big")) and (chunk := client.recv(4096)):
            packet += chunk
        fields = b"SFATAL\0C08P01\0M" + message.encode() + b"\0\0"
        client.sendall(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
    return refuse


@contextlib.contextmanager
def migration_5_waiting_for_a_busy_table(postgres_url, tmp_path):
    """Starts a server whose migration 5 (it alters `tasks`) waits for the table, which a psql
    transaction holds until the block ends; yields the server, which the caller stops."""
    first = Serve(postgres_url, tmp_path)
    try:
        assert serves(first), "the server did not start"
    finally:
        first.stop()
    psql_value(postgres_url, "ALTER TABLE tasks DROP COLUMN queue_deleted")
    psql_value(postgres_url, "DELETE FROM couchqueue_migrations WHERE version = 5")
    with locked_by_psql(postgres_url, "SELECT count(*) FROM tasks"):
        server = Serve(postgres_url, tmp_path)
        queued = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                  "WHERE c.relname = 'tasks' AND l.mode = 'AccessExclusiveLock' AND NOT l.granted")
        try:
            wait_for_value(postgres_url, queued, "1", 15, "the migration did not wait for the table")
        except BaseException:
            server.stop()
            raise
        yield server


def test_a_migration_waits_for_a_busy_table_without_holding_up_its_users(tmp_path, postgres_url):
    """Migration 5 alters `tasks`. While a transaction holds the table, the `ALTER` waits for
    it, and every statement on the table queues behind the `ALTER`: the migration gives up
    after 5 s, lets them through and tries again, and applies once the table is free."""
    server = None
    try:
        with migration_5_waiting_for_a_busy_table(postgres_url, tmp_path) as server:
            read = subprocess.run(["psql", "-qAtc", "SET statement_timeout = '8s'; SELECT count(*) FROM tasks", postgres_url],
                                  capture_output=True, text=True)
            assert read.returncode == 0 and read.stdout.strip() == "0", f"a read of tasks was held up: {read.stderr}"
            assert server.wait_for(server.stderr, "a migration waits for a table", 15), "no warning"
        assert serves(server), "the server did not start once the table was free"
        assert psql_value(postgres_url, "SELECT count(*) FROM couchqueue_migrations WHERE version = 5") == "1"
    finally:
        if server:
            server.stop()


def test_a_signal_while_a_migration_waits_stops_the_server_cleanly(tmp_path, postgres_url):
    server = None
    try:
        with migration_5_waiting_for_a_busy_table(postgres_url, tmp_path) as server:
            server.proc.send_signal(signal.SIGTERM)
            assert server.proc.wait(timeout=10) == 0
            assert server.wait_for(server.stderr, "stopped", 5), "no 'stopped' in the log"
        assert psql_value(postgres_url, "SELECT count(*) FROM couchqueue_migrations WHERE version = 5") == "0"
    finally:
        if server:
            server.stop()


def test_a_signal_while_waiting_for_postgres_stops_the_server_cleanly(tmp_path, relay):
    server = Serve(relay.store, tmp_path)
    try:
        assert server.wait_for(server.stderr, "PostgreSQL is not reachable yet", 20), "no warning"
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=10) == 0
        assert server.wait_for(server.stderr, "stopped", 5), "no 'stopped' in the log"
    finally:
        server.stop()
