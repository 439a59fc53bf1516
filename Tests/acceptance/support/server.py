"""Start, stop, crash and restart a `couchqueue serve` child process on a private SQLite store."""

from __future__ import annotations

import os
import pathlib
import queue
import re
import signal
import subprocess
import threading
import time

LISTEN_RE = re.compile(r"listening on http://([0-9.]+):(\d+)")
START_TIMEOUT = 20.0

# Timeouts used when a test does not ask for special ones: long enough that nothing expires or
# gets reaped by accident during an ordinary test.
DEFAULT_LEASE_TIMEOUT = 30
DEFAULT_WORKER_TIMEOUT = 600


def repo_root() -> pathlib.Path:
    # support/ -> acceptance/ -> Tests/ -> repository
    return pathlib.Path(__file__).resolve().parents[3]


def binary_path() -> pathlib.Path:
    env = os.environ.get("COUCHQUEUE_BIN")
    if env:
        return pathlib.Path(env)
    return repo_root() / ".build" / "debug" / "couchqueue"


def binary_problem() -> str | None:
    """A human-readable reason why the binary cannot be used, or None."""
    path = binary_path()
    if not path.exists():
        how = "COUCHQUEUE_BIN" if os.environ.get("COUCHQUEUE_BIN") else "the default location"
        return (f"couchqueue binary not found at {path} ({how}). Build it with `swift build` "
                f"in {repo_root()} or point COUCHQUEUE_BIN at an existing binary.")
    if not path.is_file() or not os.access(path, os.X_OK):
        return f"{path} exists but is not an executable file"
    return None


class ServerError(RuntimeError):
    pass


class Server:
    """One `couchqueue serve --port 0 --store sqlite:<dir>/cq.sqlite [flags]` child process.

    stdout and stderr are drained into `<dir>/server.log` by background threads for the
    whole life of the process, so the pipes never fill up.
    """

    def __init__(self, workdir, lease_timeout=DEFAULT_LEASE_TIMEOUT,
                 worker_timeout=DEFAULT_WORKER_TIMEOUT, extra_args=(), store_path=None,
                 default_store=False, store_url=None, env=None, wrapper=()):
        self.workdir = pathlib.Path(workdir)
        # wrapper: a command the server runs under (strace, to watch its system calls)
        self.wrapper = [str(a) for a in wrapper]
        # store_url: a shared store (postgres://…) instead of a private SQLite file
        self.store_url = store_url
        # env: COUCHQUEUE_* variables to hand the server (tests of configuration by environment)
        self.extra_env = dict(env or {})
        self.workdir.mkdir(parents=True, exist_ok=True)
        # default_store: pass no --store flag; the server should use ./couchqueue.sqlite (its cwd is workdir)
        self.default_store = default_store
        if default_store:
            self.store_path = self.workdir / "couchqueue.sqlite"
        else:
            self.store_path = pathlib.Path(store_path) if store_path else self.workdir / "cq.sqlite"
        self.args = []
        if lease_timeout is not None:
            self.args += ["--lease-timeout", str(lease_timeout)]
        if worker_timeout is not None:
            self.args += ["--worker-timeout", str(worker_timeout)]
        self.args += [str(a) for a in extra_args]
        self.log_path = self.workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.starts = 0
        self._log_lock = threading.Lock()
        self._log = None
        self._threads: list[threading.Thread] = []

    # ----------------------------------------------------------------------------- lifecycle
    def command(self):
        if self.store_url:
            store = ["--store", self.store_url]
        else:
            store = [] if self.default_store else ["--store", f"sqlite:{self.store_path}"]
        return [*self.wrapper, str(binary_path()), "serve", "--port", "0", *store, *self.args]

    def start(self, timeout=START_TIMEOUT):
        if self.running():
            raise ServerError("server already running")
        problem = binary_problem()
        if problem:
            raise ServerError(problem)
        self.starts += 1
        self._log = open(self.log_path, "a", buffering=1, encoding="utf-8", errors="replace")
        cmd = self.command()
        self._write_log("test", f"==== start #{self.starts}: {' '.join(cmd)}")
        # configuration comes from the command line only, never from a COUCHQUEUE_* variable
        env = {k: v for k, v in os.environ.items() if not k.startswith("COUCHQUEUE_")}
        env.update(self.extra_env)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, cwd=self.workdir, env=env)
        lines: queue.Queue = queue.Queue()
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, "out", lines), daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr, "err", None), daemon=True),
        ]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abort()
                raise ServerError(f"no 'listening on http://127.0.0.1:PORT' line on stdout within "
                                  f"{timeout}s; stdout so far: {seen!r}\n{self.log_tail()}")
            try:
                line = lines.get(timeout=min(0.2, remaining))
            except queue.Empty:
                if self.proc.poll() is not None:
                    time.sleep(0.2)  # let the drain threads catch the last output
                    raise ServerError(f"couchqueue serve exited with status {self.proc.returncode} "
                                      f"before listening\n{self.log_tail()}")
                continue
            if line is None:  # stdout closed
                self.proc.wait(5)
                raise ServerError(f"couchqueue serve closed stdout (exit {self.proc.returncode}) "
                                  f"before printing its address\n{self.log_tail()}")
            seen.append(line)
            m = LISTEN_RE.search(line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                return self

    def _drain(self, stream, name, lines):
        found = False
        try:
            for raw in iter(stream.readline, b""):
                text = raw.decode("utf-8", "replace").rstrip("\n")
                self._write_log(name, text)
                if lines is not None and not found:
                    lines.put(text)
                    if LISTEN_RE.search(text):
                        found = True
        except (ValueError, OSError):
            pass
        finally:
            if lines is not None and not found:
                lines.put(None)

    def _write_log(self, name, text):
        with self._log_lock:
            if self._log and not self._log.closed:
                self._log.write(f"{time.strftime('%H:%M:%S')} [{name}] {text}\n")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid if self.proc else None

    def resident_kib(self):
        """The process's resident memory (VmRSS), in KiB."""
        with open(f"/proc/{self.proc.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

    def url(self, path="/"):
        if self.port is None:
            raise ServerError("server not started")
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{self.host}:{self.port}{path}"

    @property
    def origin(self):
        return f"http://{self.host}:{self.port}"

    def _finish(self):
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []
        with self._log_lock:
            if self._log:
                self._log.close()
                self._log = None

    def _abort(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._finish()

    def kill9(self):
        """SIGKILL the process (a crash) and wait for it to be gone."""
        assert self.running(), "server is not running"
        self._write_log("test", "==== SIGKILL")
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._finish()
        return self.proc.returncode

    def send_signal(self, sig):
        assert self.running(), "server is not running"
        self._write_log("test", f"==== signal {sig}")
        self.proc.send_signal(sig)

    def wait(self, timeout=15):
        """Wait for exit; returns the exit status (negative: killed by that signal)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            self._finish()
            raise AssertionError(f"server did not exit within {timeout}s\n{self.log_tail()}")
        self._finish()
        return rc

    def terminate(self, timeout=15):
        """SIGTERM, wait for exit, return the exit status."""
        self.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def interrupt(self, timeout=15):
        """SIGINT, wait for exit, return the exit status."""
        self.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def restart(self, timeout=START_TIMEOUT):
        """Start again on the same store file (stops a running process with SIGTERM first)."""
        if self.running():
            self.terminate()
        return self.start(timeout)

    def stop(self):
        """Teardown: SIGTERM, then SIGKILL if it does not go away."""
        if self.running():
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._finish()

    def log_tail(self, n=40):
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return f"--- last {min(n, len(lines))} lines of {self.log_path} ---\n" + "\n".join(lines[-n:])
