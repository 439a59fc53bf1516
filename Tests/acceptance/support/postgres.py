"""Helpers for tests of the server on PostgreSQL: a server process whose output has
deadlines, a TCP relay that stands for a PostgreSQL going away and coming back, and psql for
what the tests ask PostgreSQL directly."""
import contextlib
import queue
import socket
import subprocess
import threading
import time

import requests

from support.server import LISTEN_RE, binary_path


class Serve:
    """`couchqueue serve --store STORE`, its output read into queues by threads, so that every
    wait on it has a deadline."""

    def __init__(self, store, cwd, *options):
        self.proc = subprocess.Popen([str(binary_path()), "serve", "--port", "0", "--store", store, *options], cwd=cwd,
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


def serves(server):
    """The base URL of `server` once it listens and answers `/health` with 200, else None."""
    line = server.wait_for(server.stdout, "listening on", 30)
    assert line, f"the server did not start: {server.proc.poll()=}"
    match = LISTEN_RE.search(line)
    base = f"http://{match.group(1)}:{match.group(2)}"
    return base if requests.get(f"{base}/health", timeout=10).status_code == 200 else None


class Relay:
    """A TCP port that forwards to PostgreSQL once `open()` is called; until then, and after
    `close()`, it refuses connections, and `close()` also cuts those it forwards. Between
    `pause()` and `resume()` nothing is forwarded and nothing is closed, as in a network
    partition; what was held back is then delivered. `sever()` cuts the connections it
    forwards on PostgreSQL's side only: their clients are told nothing, as when a network
    drops a connection without a word."""

    def __init__(self, target):
        self.target = target
        self.listeners = []
        self.pairs = []  # (client, upstream) of each connection forwarded
        self.silenced = []  # clients of severed connections: kept open, told nothing
        self.closed = True
        self.lock = threading.Lock()  # a connection accepted during close() is cut too
        self.flowing = threading.Event()
        self.flowing.set()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()  # nothing listens here until open(): connections are refused

    def open(self):
        listener = socket.create_server(("127.0.0.1", self.port))
        with self.lock:
            self.closed = False
            self.listeners.append(listener)
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self):
        with self.lock:
            self.closed = True
            sockets = self.listeners + [sock for pair in self.pairs for sock in pair] + self.silenced
            self.listeners, self.pairs, self.silenced = [], [], []
        for sock in sockets:
            self._cut(sock)
        self.resume()  # what was held back meets the cut sockets

    def pause(self):
        self.flowing.clear()

    def resume(self):
        self.flowing.set()

    def sever(self):
        with self.lock:
            pairs, self.pairs = self.pairs, []
            self.silenced += [client for client, _ in pairs]
        for _, upstream in pairs:
            self._cut(upstream)

    @staticmethod
    def _cut(sock):
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
            with self.lock:
                cut = self.closed
                if not cut:
                    self.pairs.append((client, upstream))
            if cut:
                for sock in (client, upstream):
                    self._cut(sock)
                return
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        self.flowing.wait()  # a partition delivers no end of stream either
        with self.lock:
            silenced = sink in self.silenced
        if not silenced:
            try:
                sink.shutdown(socket.SHUT_WR)
            except OSError:
                pass


def psql_value(url, sql):
    """The answer to `sql`, one value, as psql prints it unaligned."""
    return subprocess.run(["psql", "-Atc", sql, url], capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def locked_by_psql(url, statement):
    """What `statement` locks, held by a psql session of its own in a transaction until the
    block ends, when the session goes and its transaction with it."""
    locker = subprocess.Popen(["psql", "-q", url], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        locker.stdin.write(f"BEGIN;\n{statement};\n")
        locker.stdin.flush()
        done = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'psql' AND state = 'idle in transaction'")
        wait_for_value(url, done, "1", 10, f"psql did not run {statement!r}")
        yield
    finally:
        locker.stdin.close()
        locker.wait(timeout=10)


def table_locked(url, table):
    """`table` locked `ACCESS EXCLUSIVE` (`locked_by_psql`)."""
    return locked_by_psql(url, f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")


def wait_for_value(url, sql, wanted, seconds, failure):
    """Asks `sql` until it answers `wanted`; asserts `failure` after `seconds`."""
    deadline = time.monotonic() + seconds
    while psql_value(url, sql) != wanted:
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)
