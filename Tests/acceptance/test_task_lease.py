"""GET /task (taskGet): what a lease answers, hand-out order (queue priority, runAt, publication
order), several tasks per worker, errors, and the server's `wait` long-poll addition."""

import threading
import time

from support.client import Client, assert_error, assert_json_content_type, uid


def test_lease_marks_task_started_by_worker(client):
    topic = client.topic()
    tid = client.publish_one(topic.data(x=1))
    w = client.register(topic.queue)
    before = time.time()
    r = client.api("GET", "/task", params={"workerId": w})
    assert r.status == 200, r
    assert_json_content_type(r)
    task = r.body["task"]
    assert task["id"] == tid
    assert task["state"] == "started"
    assert task["workerId"] == w
    assert task["attempts"] == 1
    assert task["data"] == topic.data(x=1)
    assert before - 2 <= task["startedAt"] <= time.time() + 2
    stored = client.get_task(tid)
    assert (stored["state"], stored["workerId"], stored["attempts"]) == ("started", w, 1)
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["started"]) == (0, 1), qs


def test_nothing_to_do_answers_task_null(client):
    topic = client.topic()
    w = client.register(topic.queue)
    r = client.api("GET", "/task", params={"workerId": w})
    assert r.status == 200, r
    assert "task" in r.body and r.body["task"] is None, r


def test_task_is_handed_out_once(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w1, w2 = client.register(topic.queue), client.register(topic.queue)
    assert client.lease(w1)["id"] == tid
    assert client.lease(w2) is None
    assert client.lease(w1) is None


def test_unknown_worker_is_404(client):
    r = client.api("GET", "/task", params={"workerId": f"w_{uid()}{uid()}"})
    assert_error(r, 404, "worker_not_found")


def test_missing_worker_id_is_400(client):
    r = client.api("GET", "/task")
    assert_error(r, 400, "bad_request", "workerId")


def test_worker_only_gets_tasks_of_its_queues(client):
    a, b = client.topic(), client.topic()
    client.publish_one(b.data())
    w = client.register(a.queue)
    assert client.lease(w) is None
    assert client.queue_status(b.queue)["length"] == 1


def test_queues_are_served_in_registration_priority_order(client):
    high, low = client.topic("high"), client.topic("low")
    t_low = client.publish_one(low.data())
    t_high = client.publish_one(high.data())
    w = client.register(high.queue, low.queue)
    assert client.lease(w)["id"] == t_high
    assert client.lease(w)["id"] == t_low
    w2 = client.register(low.queue, high.queue)
    t_low2 = client.publish_one(low.data(n=2))
    t_high2 = client.publish_one(high.data(n=2))
    assert client.lease(w2)["id"] == t_low2
    assert client.lease(w2)["id"] == t_high2


def test_oldest_due_task_first_by_run_at_then_publication_order(client):
    topic = client.topic()
    now = time.time()
    t_a = client.publish_one(topic.data(n="a"), runAt=now - 10)
    t_b = client.publish_one(topic.data(n="b"), runAt=now - 100)
    t_c = client.publish_one(topic.data(n="c"))
    same = now - 50
    t_d = client.publish_one(topic.data(n="d"), runAt=same)
    t_e = client.publish_one(topic.data(n="e"), runAt=same)
    w = client.register(topic.queue)
    got = [client.lease(w)["id"] for _ in range(5)]
    assert got == [t_b, t_d, t_e, t_a, t_c]
    assert client.lease(w) is None


def test_publication_order_among_tasks_published_now(client):
    topic = client.topic()
    ids = [client.publish_one(topic.data(i=i)) for i in range(8)]
    w = client.register(topic.queue)
    assert [client.lease(w)["id"] for _ in range(8)] == ids


def test_worker_may_hold_several_started_tasks(client):
    topic = client.topic()
    ids = {client.publish_one(topic.data(i=i)) for i in range(3)}
    w = client.register(topic.queue)
    got = {client.lease(w)["id"] for _ in range(3)}
    assert got == ids
    for tid in ids:
        t = client.get_task(tid)
        assert (t["state"], t["workerId"]) == ("started", w)
    assert set(client.heartbeat(w)) == ids
    assert client.queue_status(topic.queue)["started"] == 3


# --------------------------------------------------------------------- wait (long-poll)

def test_without_wait_the_answer_is_immediate(client):
    topic = client.topic()
    w = client.register(topic.queue)
    start = time.monotonic()
    assert client.lease(w) is None
    assert time.monotonic() - start < 3, "without `wait` an empty GET /task must answer at once"


def test_wait_elapses_with_task_null(client):
    topic = client.topic()
    w = client.register(topic.queue)
    start = time.monotonic()
    r = client.api("GET", "/task", params={"workerId": w, "wait": "0.8"}, timeout=10)
    elapsed = time.monotonic() - start
    assert r.status == 200, r
    assert r.body["task"] is None
    assert 0.6 <= elapsed < 4, elapsed


def test_idle_long_polls_write_nothing(make_server):
    """A parked GET /task looks again every second for a wake-up it may have missed. With
    nothing due, looking is a read: idle workers do not make the server write or sync."""
    srv = make_server()
    c = Client(srv)
    topic = c.topic()
    workers = [c.register(topic.queue) for _ in range(3)]
    answers = []

    def poll(w):
        answers.append(Client(srv, timeout=15).api("GET", "/task", params={"workerId": w, "wait": "5"}))

    threads = [threading.Thread(target=poll, args=(w,)) for w in workers]
    for th in threads:
        th.start()
    time.sleep(1.2)  # each has leased once, found nothing and parked
    files = [srv.store_path, srv.store_path.with_name(srv.store_path.name + "-wal")]

    def written():
        return [(f.stat().st_size, f.stat().st_mtime_ns) for f in files]

    before = written()
    time.sleep(2.5)  # two re-checks or more each
    assert written() == before, "idle long polls wrote to the store"
    for th in threads:
        th.join(15)
    assert [(r.status, r.body["task"]) for r in answers] == [(200, None)] * 3, answers


def test_wait_returns_at_once_when_a_task_is_ready(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    start = time.monotonic()
    r = client.api("GET", "/task", params={"workerId": w, "wait": "10"}, timeout=15)
    assert r.status == 200 and r.body["task"]["id"] == tid, r
    assert time.monotonic() - start < 3


def test_publish_during_wait_wakes_the_waiting_worker_promptly(wake_server):
    client = Client(wake_server)
    server = wake_server
    topic = client.topic()
    w = client.register(topic.queue)
    result = {}

    def waiter():
        c = Client(server, timeout=20)
        start = time.monotonic()
        result["resp"] = c.api("GET", "/task", params={"workerId": w, "wait": "10"})
        result["done"] = time.monotonic()
        result["start"] = start

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.7)
    assert "resp" not in result, f"GET /task?wait=10 answered before any task existed: {result}"
    published = time.monotonic()
    tid = client.publish_one(topic.data())
    th.join(15)
    assert not th.is_alive()
    r = result["resp"]
    assert r.status == 200 and r.body["task"] is not None, r
    assert r.body["task"]["id"] == tid
    assert r.body["task"]["workerId"] == w and r.body["task"]["state"] == "started"
    assert result["done"] - published < 5, "the waiting GET /task was not woken by the publish"


def test_wait_is_woken_by_a_fast_post_too(wake_server):
    client = Client(wake_server)
    server = wake_server
    topic = client.topic()
    w = client.register(topic.queue)
    result = {}

    def waiter():
        result["resp"] = Client(server, timeout=20).api("GET", "/task", params={"workerId": w, "wait": "10"})
        result["done"] = time.monotonic()

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.5)
    published = time.monotonic()
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data(), "fastPost": True})
    assert r.status == 202, r
    th.join(15)
    resp = result["resp"]
    assert resp.status == 200 and resp.body["task"] is not None, resp
    assert resp.body["task"]["publicationId"] == r.body["id"]
    assert result["done"] - published < 5, "the waiting GET /task was not woken by the fastPost"


def test_wait_with_bad_value_is_400(client):
    topic = client.topic()
    w = client.register(topic.queue)
    r = client.api("GET", "/task", params={"workerId": w, "wait": "soon"})
    assert_error(r, 400, "bad_request", "wait")


def test_a_wait_whose_client_has_gone_takes_no_task(client, server):
    """A worker's HTTP client gave up on its long poll: the task published next is not leased
    for nobody (it would stay started until its lease ran out), it waits for the next lease."""
    import socket

    topic = client.topic()
    w = client.register(topic.queue)
    sock = socket.create_connection((server.host, server.port), timeout=5)
    sock.sendall(f"GET /task?workerId={w}&wait=20 HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode())
    time.sleep(0.3)
    sock.close()
    time.sleep(0.3)
    tid = client.publish_one(topic.data())
    time.sleep(0.3)
    assert client.queue_status(topic.queue)["started"] == 0
    assert client.lease(w)["id"] == tid
