"""The bound on memory that all connections together hold (`--connection-memory`): requests
that have not arrived in full or wait to be served, and answers their clients do not read.
Past it, the connections holding the most for the longest are closed, clients that send and
read promptly last, and the server goes on serving the others."""

import socket
import time

from support.client import Client
from support.rawhttp import read_response, request_head, send_tolerant

MIB = 1024 * 1024


def closed_by_server(sock):
    """Whether the server has closed the connection (after what it had sent), without waiting."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(MIB)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def still_serves(srv):
    c = Client(srv)
    topic = c.topic()
    c.publish_one(topic.data(n=1))
    assert c.queue_status(topic.queue)["length"] == 1
    c.close()


def held_on_many_connections(srv, count, payload, **send):
    """Opens `count` connections that each send `payload` (as far as the server reads it)
    and then stall; answers how many the server closed, and how many MiB it grew by. Checks
    that it still serves, and closes the rest."""
    before = srv.resident_kib()
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection((srv.host, srv.port), timeout=10)
            send_tolerant(sock, payload, **send)
            socks.append(sock)
        time.sleep(1)
        grown_mib = (srv.resident_kib() - before) / 1024
        closed = sum(closed_by_server(sock) for sock in socks)
        still_serves(srv)
        return closed, grown_mib
    finally:
        for sock in socks:
            sock.close()


def test_bodies_stalled_on_many_connections_are_bounded(make_server):
    """200 connections each send all but 1 KiB of a 1 MiB body and stall: each alone is within
    the body limit, and each would hold its body until the body timeout. Without the bound
    they grew the server by about 200 MiB; with 16 MiB, the ones holding the most are closed."""
    srv = make_server(extra_args=["--connection-memory", str(16 * MIB)])
    still_serves(srv)
    head = request_head("PUT", "/task", srv, {"Content-Type": "application/json", "Content-Length": str(MIB)})
    closed, grown_mib = held_on_many_connections(srv, 200, head + b'{"data": {"pad": "' + b"a" * (MIB - 1024))
    assert closed >= 150, f"only {closed} of 200 connections holding 1 MiB each were closed under a 16 MiB bound"
    assert grown_mib < 100, f"the server grew by {grown_mib:.0f} MiB"


def test_answers_left_unread_on_many_connections_are_bounded(make_server):
    """40 connections each ask for the status of a task of 6 MiB and read nothing (a 4 KiB
    receive buffer): what the kernel does not take of each answer waits in the server. Past a
    bound of 32 MiB, the connections holding the most are closed: their clients get the start
    of the answer and then the close. The others' answers arrive in full."""
    srv = make_server(extra_args=["--body-limit", str(8 * MIB), "--connection-memory", str(32 * MIB)])
    c = Client(srv)
    topic = c.topic()
    task = c.publish_one(topic.data(blob="x" * (6 * MIB)))
    c.close()
    socks = []
    try:
        for _ in range(40):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((srv.host, srv.port))
            sock.sendall(f"GET /status?task={task} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            socks.append(sock)
        time.sleep(2)
        still_serves(srv)
        complete = cut = 0
        for sock in socks:
            try:
                answer = read_response(sock, timeout=10)
            except AssertionError:  # closed before the answer's head had been sent
                cut += 1
                continue
            if answer.status == 200 and len(answer.body_bytes) > 6 * MIB:
                complete += 1
            else:
                cut += 1
        assert cut >= 20, f"{cut} of 40 unread answers of 6 MiB were cut under a 32 MiB bound"
        assert complete >= 1, "every connection was closed, not only the ones past the bound"
    finally:
        for sock in socks:
            sock.close()


def test_clients_that_send_and_read_promptly_are_not_closed_for_stalled_ones(make_server):
    """Ten uploads of 350 KB stall under a bound of 4 MiB; a publish of 900 KB, then a status
    that answers it, both prompt, pass the bound. The stalled uploads are closed, not they:
    counting the whole answer as it was written, before the kernel took any of it, and
    closing the connection holding the most, closed the prompt ones on every try."""
    srv = make_server(extra_args=["--connection-memory", str(4 * MIB)])
    c = Client(srv)
    topic = c.topic()
    head = request_head("PUT", "/task", srv, {"Content-Type": "application/json", "Content-Length": str(400_000)})
    stalled = []
    try:
        for _ in range(10):
            sock = socket.create_connection((srv.host, srv.port), timeout=10)
            send_tolerant(sock, head + b'{"data": {"pad": "' + b"a" * 350_000)
            stalled.append(sock)
        time.sleep(1)
        task = c.publish_one(topic.data(blob="x" * 900_000))
        assert len(c.api("GET", "/status", params={"task": task}).body["task"]["data"]["blob"]) == 900_000
        assert sum(closed_by_server(sock) for sock in stalled) >= 1
    finally:
        for sock in stalled:
            sock.close()
        c.close()


def test_heads_still_arriving_are_counted(make_server):
    """300 connections each send 70 KB of a head's fields and stall (within the 80 KiB head
    limit, until the idle timeout). Uncounted, they grew the server by about 40 MiB."""
    srv = make_server(extra_args=["--connection-memory", str(4 * MIB)])
    still_serves(srv)
    closed, grown_mib = held_on_many_connections(srv, 300, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 70_000)
    assert closed >= 200, f"only {closed} of 300 connections holding 70 KB each were closed under a 4 MiB bound"
    assert grown_mib < 20, f"the server grew by {grown_mib:.0f} MiB"


def test_heads_pipelined_behind_a_long_poll_are_counted(make_server):
    """20 connections each send a long poll and then 100 requests with 70 KB heads behind it:
    each connection stops reading past a body limit's worth of them, and together they pass
    the bound. Uncounted, 40 such connections grew the server by about 400 MiB."""
    srv = make_server(extra_args=["--connection-memory", str(4 * MIB)])
    c = Client(srv)
    worker = c.register(c.topic().queue)
    c.close()
    long_poll = f"GET /task?workerId={worker}&wait=20 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    padded = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 70_000 + b"\r\n\r\n"
    closed, grown_mib = held_on_many_connections(srv, 20, long_poll + padded * 100, response_check=False, timeout=0.5)
    assert closed >= 10, f"only {closed} of 20 connections were closed under a 4 MiB bound"
    assert grown_mib < 40, f"the server grew by {grown_mib:.0f} MiB"


def test_a_client_reading_a_large_answer_steadily_is_not_closed_for_stalled_ones(make_server):
    """A client reads a 6 MiB answer at about 0.8 MB/s while stalled uploads of 800 KB pass
    a bound of 16 MiB, one every 0.5 s. NIO tells nothing of a write taken in part: counted
    as it stood after the flush, with no progress, the reader was taken for the worst stall
    and closed after 5.4 MB, three times out of three."""
    srv = make_server(extra_args=["--body-limit", str(8 * MIB), "--connection-memory", str(16 * MIB)])
    c = Client(srv)
    task = c.publish_one(c.topic().data(blob="x" * (6 * MIB)))
    c.close()
    head = request_head("PUT", "/task", srv, {"Content-Type": "application/json", "Content-Length": str(MIB)})

    def stalled_upload():
        sock = socket.create_connection((srv.host, srv.port), timeout=10)
        send_tolerant(sock, head + b'{"data": {"pad": "' + b"a" * 800_000)
        return sock

    stalled = [stalled_upload() for _ in range(14)]
    reader = socket.socket()
    try:
        time.sleep(0.5)
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        reader.connect((srv.host, srv.port))
        reader.settimeout(10)
        reader.sendall(f"GET /status?task={task} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received, next_upload = 0, time.monotonic() + 0.5
        while received < 6 * MIB:
            if len(stalled) < 22 and time.monotonic() > next_upload:
                stalled.append(stalled_upload())
                next_upload += 0.5
            data = reader.recv(32768)
            assert data, f"closed after {received} bytes of the answer"
            received += len(data)
            time.sleep(0.04)
        assert sum(closed_by_server(sock) for sock in stalled) >= 1
    finally:
        reader.close()
        for sock in stalled:
            sock.close()
