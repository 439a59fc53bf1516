"""`couchqueue serve` on a PostgreSQL store that is not there yet, or never will be: a refusal
that no retry can cure (no such database, no such role, TLS the server does not offer) stops
the server at once, saying why; a PostgreSQL that is not up yet is waited for, with a warning,
and served once it is; a signal during that wait stops the server cleanly.

Needs COUCHQUEUE_TEST_POSTGRES (scripts/test starts a throwaway cluster and sets it).
"""
import queue
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest
import requests

from support.server import LISTEN_RE, binary_path


class Serve:
    """`couchqueue serve --store STORE`, its output read into queues by threads, so that every
    wait on it has a deadline."""

    def __init__(self, store, cwd):
        self.proc = subprocess.Popen([str(binary_path()), "serve", "--port", "0", "--store", store], cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stdout, self.stderr = queue.Queue(), queue.Queue()
        for pipe, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=lambda p=pipe, q=lines: [q.put(line) for line in p], daemon=True).start()

    def wait_for(self, lines, wanted, seconds):
        """The first line on `lines` with `wanted` in it, or None after `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                return None
            if wanted in line:
                return line
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.mark.parametrize("change,named", [
    (lambda url: url._replace(path="/cq_no_such_database"), 'database "cq_no_such_database" does not exist'),
    (lambda url: url._replace(netloc="cq_no_such_role@" + url.netloc.split("@")[1]), 'role "cq_no_such_role" does not exist'),
    (lambda url: url._replace(query="sslmode=require"), "does not accept TLS"),
], ids=["unknown database", "unknown role", "TLS not offered"])
def test_a_refusal_no_retry_can_cure_stops_the_server_saying_why(tmp_path, postgres_url, change, named):
    server = Serve(urllib.parse.urlunsplit(change(urllib.parse.urlsplit(postgres_url))), tmp_path)
    try:
        assert server.proc.wait(timeout=30) == 1
        assert server.wait_for(server.stderr, named, 5), f"no error naming {named!r}"
        assert server.stdout.empty(), "the server said it was listening"
    finally:
        server.stop()


class Relay:
    """A TCP port that forwards to PostgreSQL once `open()` is called; until then it refuses."""

    def __init__(self, target):
        self.target = target
        self.sockets = []
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens here until open(): connections are refused

    def open(self):
        listener = socket.create_server(("127.0.0.1", self.port))
        self.sockets.append(listener)
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self):
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked on it
            except OSError:
                pass
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def relay(postgres_url):
    url = urllib.parse.urlsplit(postgres_url)
    relay = Relay((url.hostname, url.port))
    relay.store = urllib.parse.urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{relay.port}"))
    yield relay
    relay.close()


def test_a_postgres_not_up_yet_is_waited_for_with_warnings_and_then_served(tmp_path, relay):
    server = Serve(relay.store, tmp_path)
    try:
        assert server.wait_for(server.stderr, "PostgreSQL is not reachable yet", 20), "no warning"
        assert server.wait_for(server.stderr, "PostgreSQL is not reachable yet", 20), "no second attempt"
        assert server.proc.poll() is None, "the server gave up on a PostgreSQL that may still come up"
        relay.open()
        line = server.wait_for(server.stdout, "listening on", 30)
        assert line, "the server did not start once PostgreSQL was reachable"
        match = LISTEN_RE.search(line)
        health = requests.get(f"http://{match.group(1)}:{match.group(2)}/health", timeout=10)
        assert health.status_code == 200, health.text
    finally:
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
