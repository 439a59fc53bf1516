"""The bound on memory that all connections together hold (`--connection-memory`): request
bodies that have not arrived in full, and answers their clients do not read. Past it, the
connections holding the most are closed and the server goes on serving the others."""

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


def test_bodies_stalled_on_many_connections_are_bounded(make_server):
    """200 connections each send all but 1 KiB of a 1 MiB body and stall: each alone is within
    the body limit, and each would hold its body until the body timeout. Without the bound
    they grew the server by about 200 MiB; with 16 MiB, the ones holding the most are closed."""
    srv = make_server(extra_args=["--connection-memory", str(16 * MIB)])
    still_serves(srv)
    before = srv.resident_kib()
    body = b'{"data": {"pad": "' + b"a" * (MIB - 1024)
    head = request_head("PUT", "/task", srv, {"Content-Type": "application/json", "Content-Length": str(MIB)})
    socks = []
    try:
        for _ in range(200):
            sock = socket.create_connection((srv.host, srv.port), timeout=10)
            send_tolerant(sock, head + body)
            socks.append(sock)
        time.sleep(1)
        grown_mib = (srv.resident_kib() - before) / 1024
        closed = sum(closed_by_server(sock) for sock in socks)
        assert closed >= 150, f"only {closed} of 200 connections holding 1 MiB each were closed under a 16 MiB bound"
        assert grown_mib < 100, f"the server grew by {grown_mib:.0f} MiB"
        still_serves(srv)
    finally:
        for sock in socks:
            sock.close()


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
