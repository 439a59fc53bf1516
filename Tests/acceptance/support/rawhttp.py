"""Raw-socket HTTP/1.1 for the tests that must control exactly what is sent (oversized and
chunked bodies, slow clients): write bytes, then read one response tolerating early closes."""

from __future__ import annotations

import json
import select
import socket
import time


class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case names
        self.body_bytes = body

    @property
    def body(self):
        try:
            return json.loads(self.body_bytes.decode("utf-8"))
        except ValueError:
            return self.body_bytes.decode("utf-8", "replace")

    @property
    def text(self):
        return self.body_bytes.decode("utf-8", "replace")

    def __repr__(self):
        return f"<raw HTTP {self.status} {self.headers} {self.body_bytes[:400]!r}>"


def connect(server, timeout=10.0):
    s = socket.create_connection((server.host, server.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send_tolerant(sock, data, response_check=True, timeout=10.0):
    """Send data piece by piece; stop early (returning False) when the server has already
    answered or closed/reset the connection. Returns True when everything was sent."""
    view = memoryview(data)
    deadline = time.monotonic() + timeout
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, writable, _ = select.select([sock] if response_check else [], [sock], [], remaining)
        if readable:
            return False  # the server answered (or closed) before reading everything
        if not writable:
            continue
        try:
            n = sock.send(view[:65536])
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            return False
        view = view[n:]
    return True


def read_response(sock, timeout=10.0) -> RawResponse:
    """Read one HTTP response. Data that arrived before a reset or close is still used."""
    sock.settimeout(timeout)
    buf = b""
    closed = False

    def more():
        nonlocal buf, closed
        if closed:
            return False
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            closed = True
            return False
        except socket.timeout:
            raise AssertionError(f"no complete HTTP response within {timeout}s; got {buf[:300]!r}")
        if not chunk:
            closed = True
            return False
        buf += chunk
        return True

    while b"\r\n\r\n" not in buf:
        if not more():
            raise AssertionError(f"connection closed before a complete response head; got {buf[:300]!r}")
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    assert parts[0].startswith("HTTP/1."), f"not an HTTP response: {lines[0]!r}"
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    buf = rest
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n and more():
            pass
        body = buf[:n]
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in buf:
                if not more():
                    return RawResponse(status, reason, headers, body)
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                break
            while len(buf) < size + 2 and more():
                pass
            body += buf[:size]
            buf = buf[size + 2:]
    else:
        while more():
            pass
        body = buf
    return RawResponse(status, reason, headers, body)


def request_head(method, path, server, headers):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {server.host}:{server.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def unread_large_lease(server, size):
    """A connection that has asked for a task whose data is `size` bytes and reads nothing
    yet (a 4 KiB receive buffer): over the kernel's largest send buffer (4 MiB), the rest of
    the answer waits in the server. Its server needs a body limit over `size`. Answers the
    socket and the topic of the task's queue."""
    from support.client import Client

    c = Client(server)
    topic = c.topic("unread")
    worker = c.register(topic.queue)
    c.publish_one(topic.data(blob="x" * size))
    c.close()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((server.host, server.port))
    sock.sendall(f"GET /task?workerId={worker} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(1)
    return sock, topic
