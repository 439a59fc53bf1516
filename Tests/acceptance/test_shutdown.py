"""Clean shutdown: SIGTERM and SIGINT make the server exit with status 0; an in-flight
long-poll still gets its answer; acknowledged work survives a clean stop and restart."""

import http.client
import json
import os
import signal
import threading
import time

import pytest
import requests

from support.client import Client, uid


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_with_status_zero(make_server, sig):
    srv = make_server()
    c = Client(srv)
    assert c.api("GET", "/health").status == 200
    c.topic()
    srv.send_signal(sig)
    assert srv.wait(15) == 0, srv.log_tail()
    with pytest.raises(requests.ConnectionError):
        requests.get(srv.url("/health"), timeout=2)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_in_flight_long_poll_is_answered(make_server, sig):
    srv = make_server()
    c = Client(srv)
    topic = c.topic()
    w = c.register(topic.queue)
    result = {}

    def waiter():
        try:
            result["resp"] = Client(srv, timeout=20).api("GET", "/task", params={"workerId": w, "wait": "5"})
        except Exception as e:  # noqa: BLE001
            result["error"] = e

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.5)
    assert th.is_alive(), f"the long-poll answered before any signal: {result}"
    srv.send_signal(sig)
    th.join(15)
    rc = srv.wait(15)
    assert "error" not in result, f"the in-flight request was cut off: {result['error']!r}"
    r = result["resp"]
    assert r.status == 200 and "task" in r.body and r.body["task"] is None, r
    assert rc == 0, srv.log_tail()


def start_costly_publishes(srv, seconds):
    """Requests that shutdown waits for: publishes whose matching is costly (matched off the
    event loops, on a lane per usable CPU but one), enough to keep every lane busy for about
    `seconds` whatever the build and the machine. Two are timed alone first, and the faster
    counts: one slowed by a busy moment made too few, done before the test looked."""
    c = Client(srv, timeout=60)
    c.set_interest(f"costly-{time.monotonic_ns()}", {"s": "[ab]{300}$"})
    body = {"publisher": "p", "data": {"s": "a" * 20_000 + "b"}}

    def timed():
        start = time.monotonic()
        assert c.api("PUT", "/task", json=body).status == 201
        return time.monotonic() - start

    each = min(timed(), timed())
    lanes = max(1, len(os.sched_getaffinity(0)) - 1)  # the server runs unpinned, as the tests do
    count = lanes * min(int(seconds / each) + 1, 100)  # 100: well within a lane's queued-work bound

    def publish():
        try:
            Client(srv, timeout=120).api("PUT", "/task", json=body)
        except requests.RequestException:
            pass  # cut off by an exit

    for _ in range(count):
        threading.Thread(target=publish, daemon=True).start()
    time.sleep(0.5)


def test_a_second_signal_during_shutdown_exits_at_once(make_server):
    srv = make_server()
    start_costly_publishes(srv, 4)
    srv.send_signal(signal.SIGTERM)
    time.sleep(1)  # past the window in which a repeat is taken for the same signal
    assert srv.running(), "the server did not wait for its publishes"
    start = time.monotonic()
    srv.send_signal(signal.SIGINT)
    assert srv.wait(15) == 128 + signal.SIGINT, srv.log_tail()
    assert time.monotonic() - start < 2, "the second signal waited for the shutdown"


def test_one_signal_delivered_twice_still_shuts_down_gracefully(make_server):
    """A Ctrl-C reaches a server from the terminal and from a wrapper that forwards it."""
    srv = make_server()
    start_costly_publishes(srv, 1.5)
    srv.send_signal(signal.SIGINT)
    time.sleep(0.05)  # delivered apart, not merged into one by the kernel
    srv.send_signal(signal.SIGINT)
    assert srv.wait(60) == 0, srv.log_tail()


def test_a_publish_being_served_at_sigterm_is_answered_and_stored(make_server):
    """A publication slow to match (a long field against a large pattern) is surely being
    served when the signal comes: it is answered 201, and the task is there after a restart."""
    srv = make_server()
    c = Client(srv)
    c.set_interest(f"slow-{uid()}", {"s": "[ab]{300}c"})
    keep = f"keep-{uid()}"
    c.set_interest(keep, {"s": "^a"})
    data = {"s": "a" * 20_000}
    start = time.monotonic()
    c.publish_one({**data, "n": 0})
    serving = time.monotonic() - start
    answer = []
    th = threading.Thread(target=lambda: answer.append(Client(srv, timeout=60).api(
        "PUT", "/task", json={"publisher": "p", "data": {**data, "n": 1}})))
    th.start()
    time.sleep(serving / 3)
    srv.send_signal(signal.SIGTERM)
    assert srv.wait(60) == 0, srv.log_tail()
    th.join(60)
    assert answer and answer[0].status == 201, answer
    tid = answer[0].body["tasks"][0]["id"]
    srv.restart()
    assert Client(srv).get_task(tid)["queue"] == keep


def test_in_flight_publishes_are_answered_and_acknowledged_ones_survive(make_server):
    """Every answer to publishes racing SIGTERM is a 201 (shutdown refuses no publish with a
    503), and every one answered survives. A request the server had not yet read when the
    signal came may find its connection closed instead: it was not served."""
    srv = make_server()
    c = Client(srv)
    topic = c.topic()
    answers = []  # checked here, after the threads: an assert in a thread only warns
    stop = threading.Event()

    def publisher(n):
        conn = http.client.HTTPConnection(srv.host, srv.port, timeout=10)
        i = 0
        while not stop.is_set():
            body = json.dumps({"publisher": f"p{n}", "data": topic.data(p=n, i=i)})
            try:
                conn.request("PUT", "/task", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                answers.append((r.status, r.read()))
            except (OSError, http.client.HTTPException):
                return  # the connection was closed: the server is stopping
            i += 1
        conn.close()

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.8)
    srv.send_signal(signal.SIGTERM)
    rc = srv.wait(15)
    stop.set()
    for t in threads:
        t.join(15)
    assert rc == 0, srv.log_tail()
    assert [(status, body) for status, body in answers if status != 201] == []
    acked = [json.loads(body)["tasks"][0]["id"] for _, body in answers]
    assert len(acked) > 0
    srv.restart()
    c = Client(srv)
    for tid in acked:
        t = c.get_task(tid)
        assert t["state"] == "queued" and t["queue"] == topic.queue
    assert c.queue_status(topic.queue)["length"] >= len(acked)


def test_state_survives_a_clean_restart(make_server):
    srv = make_server()
    c = Client(srv)
    topic = c.topic()
    tid = c.publish_one(topic.data(x=1))
    w = c.register(topic.queue)
    waiting = c.publish_one(topic.data(x=2))
    assert c.lease(w)["id"] == tid
    assert srv.terminate() == 0
    srv.restart()
    c = Client(srv)
    assert c.status(interests=True)["interests"][topic.queue] == {"t": f"^{topic.tag}$"}
    t = c.get_task(tid)
    assert (t["state"], t["workerId"], t["attempts"]) == ("started", w, 1)
    assert c.get_task(waiting)["state"] == "queued"
    assert w in c.workers()
    assert c.finish(w, tid)["state"] == "succeeded"
    assert c.lease(w)["id"] == waiting


def test_default_store_is_couchqueue_sqlite_in_the_current_folder(make_server):
    srv = make_server(default_store=True, extra_args=["--host", "127.0.0.1"])
    c = Client(srv)
    topic = c.topic()
    tid = c.publish_one(topic.data())
    assert srv.store_path.exists(), f"no {srv.store_path.name} in the server's current folder"
    assert srv.terminate() == 0
    srv.restart()
    assert Client(srv).get_task(tid)["state"] == "queued"


def test_fast_posts_accepted_before_sigterm_are_stored(make_server):
    srv = make_server()
    c = Client(srv)
    topic = c.topic()
    for i in range(300):
        r = c.api("PUT", "/task", json={"publisher": "p", "data": topic.data(i=i), "fastPost": True})
        assert r.status == 202, r
    assert srv.terminate() == 0  # at once: accepted publications may still be in flight
    srv.restart()
    c = Client(srv)
    assert c.status(queue=topic.queue)["queue"]["length"] == 300


def test_a_client_pipelining_without_end_does_not_hold_shutdown_up(make_server):
    """After SIGTERM the request being answered gets its answer (with Connection: close);
    what is pipelined behind it is not served."""
    import socket

    srv = make_server()
    sock = socket.create_connection((srv.host, srv.port), timeout=5)
    stop = threading.Event()

    def pipeline():
        try:
            while not stop.is_set():
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
                while sock.recv(65536):
                    if stop.is_set():
                        return
                    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
                return
        except OSError:
            return

    sender = threading.Thread(target=pipeline)
    sender.start()
    time.sleep(0.5)
    srv.proc.send_signal(signal.SIGTERM)
    try:
        assert srv.proc.wait(timeout=15) == 0
    finally:
        stop.set()
        sock.close()
        sender.join()


def test_a_request_whose_body_stalls_does_not_hold_shutdown_up(make_server):
    """A request not yet received in full is not in flight: on SIGTERM its connection closes."""
    import socket

    srv = make_server()
    sock = socket.create_connection((srv.host, srv.port), timeout=5)
    sock.sendall(b"PUT /task HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
    time.sleep(0.3)
    srv.proc.send_signal(signal.SIGTERM)
    try:
        assert srv.proc.wait(timeout=10) == 0  # the body timeout is 30 s
    finally:
        sock.close()


def test_an_answer_still_being_sent_is_sent_in_full_on_shutdown(make_server):
    """SIGTERM closes an idle connection only behind the answer it was written and has not yet
    sent (here one larger than the kernel's largest send buffer, to a client slow to read it).
    A request sent meanwhile is not served: the connection closes after that answer."""
    from support.rawhttp import read_response, unread_large_lease

    srv = make_server(extra_args=["--body-limit", str(8 * 1024 * 1024)])
    sock, topic = unread_large_lease(srv, 6 * 1024 * 1024)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    body = json.dumps({"publisher": "acceptance", "data": topic.data(n=2)}).encode()
    sock.sendall(b"PUT /task HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    leased = read_response(sock, timeout=20)
    assert leased.status == 200, leased
    assert len(leased.body_bytes) == int(leased.headers["content-length"]), "the answer was cut off"
    assert leased.body["task"]["data"]["blob"] == "x" * (6 * 1024 * 1024)
    sock.settimeout(10)
    assert sock.recv(65536) == b"", "a request sent after SIGTERM was answered"
    sock.close()
    assert srv.proc.wait(timeout=15) == 0
    srv.restart()
    assert Client(srv).queue_status(topic.queue)["length"] == 0, "a request sent after SIGTERM was served"
