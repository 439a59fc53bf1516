"""Leases and reaping on servers with short timeouts: an expired lease puts the task back
(`queued`, attempts counting), heartbeats renew all or only the listed leases and answer every
held task, GET /task renews nothing, the `attempt` fence refuses a stale finish with 409
not_leased, and only idle unseen workers are reaped."""

import threading
import time

import pytest

from support.client import Client, assert_error, uid, wait_until

LEASE = 1.5
SLACK = 3.0  # maintenance runs at least every 250 ms; this is the margin for a slow machine


@pytest.fixture(scope="module")
def lc(spawn):
    """Client of a server with a short lease timeout (workers are not reaped during the tests)."""
    c = Client(spawn("lease", lease_timeout=LEASE, worker_timeout=600))
    yield c
    c.close()


def leased(c):
    topic = c.topic()
    tid = c.publish_one(topic.data())
    w = c.register(topic.queue)
    task = c.lease(w)
    assert task["id"] == tid and task["attempts"] == 1
    return topic, w, task


def test_expired_lease_returns_task_to_its_queue(lc):
    topic, w1, task = leased(lc)
    t0 = time.monotonic()
    back = wait_until(lambda: (t := lc.get_task(task["id"]))["state"] == "queued" and t,
                      LEASE + SLACK, interval=0.05, desc="lease expiry")
    elapsed = time.monotonic() - t0
    assert elapsed >= LEASE * 0.8, f"lease ran out after {elapsed:.2f}s, before the {LEASE}s timeout"
    assert back["attempts"] == 1 and back["workerId"] is None, back
    assert lc.queue_status(topic.queue)["length"] == 1
    assert task["id"] not in lc.heartbeat(w1)
    w2 = lc.register(topic.queue)
    again = lc.lease(w2)
    assert again["id"] == task["id"] and again["attempts"] == 2 and again["workerId"] == w2


def test_heartbeat_renews_every_lease_and_answers_held_tasks(lc):
    topic = lc.topic()
    ids = {lc.publish_one(topic.data(i=i)) for i in range(2)}
    w = lc.register(topic.queue)
    assert {lc.lease(w)["id"] for _ in range(2)} == ids
    end = time.monotonic() + LEASE * 2.5
    while time.monotonic() < end:
        assert set(lc.heartbeat(w)) == ids
        time.sleep(LEASE * 0.3)
    for tid in ids:
        t = lc.get_task(tid)
        assert (t["state"], t["workerId"], t["attempts"]) == ("started", w, 1), t


def test_heartbeat_with_tasks_renews_only_those(lc):
    topic = lc.topic()
    t1 = lc.publish_one(topic.data(i=1))
    t2 = lc.publish_one(topic.data(i=2))
    w = lc.register(topic.queue)
    lc.lease(w)
    lc.lease(w)
    assert sorted(lc.heartbeat(w, tasks=[t1])) == sorted([t1, t2]), "the answer lists every held task"
    deadline = time.monotonic() + LEASE + SLACK
    while lc.get_task(t2)["state"] != "queued":
        assert time.monotonic() < deadline, "t2 was not returned although only t1 was renewed"
        assert lc.heartbeat(w, tasks=[t1]) is not None
        time.sleep(0.2)
    end = time.monotonic() + LEASE * 1.5
    while time.monotonic() < end:
        assert lc.heartbeat(w, tasks=[t1]) == [t1]
        time.sleep(0.2)
    t = lc.get_task(t1)
    assert (t["state"], t["workerId"], t["attempts"]) == ("started", w, 1), t


def test_heartbeat_tasks_as_comma_string_and_unknown_ids_ignored(lc):
    topic = lc.topic()
    t1 = lc.publish_one(topic.data())
    w = lc.register(topic.queue)
    lc.lease(w)
    end = time.monotonic() + LEASE * 2
    while time.monotonic() < end:
        r = lc.api("POST", "/worker", form={"workerId": w, "tasks": f"t_unknown{uid()},{t1}"})
        assert r.status == 200 and r.body["tasks"] == [t1], r
        time.sleep(LEASE * 0.3)
    assert lc.get_task(t1)["state"] == "started"


@pytest.mark.parametrize("where", ["form", "json"])
def test_heartbeat_with_empty_tasks_renews_every_lease(lc, where):
    """An empty value counts as absent, as for every parameter: a script sending `tasks=$IDS`
    with nothing in IDS keeps its leases."""
    topic, w, task = leased(lc)
    end = time.monotonic() + LEASE * 2.5
    while time.monotonic() < end:
        r = lc.api("POST", "/worker", **{where: {"workerId": w, "tasks": ""}})
        assert r.status == 200 and r.body["tasks"] == [task["id"]], r
        time.sleep(LEASE * 0.3)
    t = lc.get_task(task["id"])
    assert (t["state"], t["workerId"], t["attempts"]) == ("started", w, 1), t


def test_get_task_is_a_sign_of_life_but_renews_no_lease(lc):
    topic, w, task = leased(lc)
    t0 = time.monotonic()
    deadline = t0 + LEASE + SLACK
    while True:
        got = lc.lease(w)
        if got is not None:
            break
        assert time.monotonic() < deadline, "polling GET /task kept the lease alive"
        time.sleep(0.1)
    elapsed = time.monotonic() - t0
    assert got["id"] == task["id"], got
    assert got["attempts"] == 2, "its next lease counts a new attempt"
    assert elapsed >= LEASE * 0.8, elapsed
    r = lc.api("POST", "/task", json={"workerId": w, "taskId": task["id"], "state": "success", "attempt": 1})
    assert_error(r, 409, "not_leased")
    assert lc.finish(w, task["id"], attempt=2)["state"] == "succeeded"


def test_attempt_fence_refuses_the_old_holder(lc):
    topic, w1, task = leased(lc)
    wait_until(lambda: lc.get_task(task["id"])["state"] == "queued", LEASE + SLACK, interval=0.05)
    w2 = lc.register(topic.queue)
    again = lc.lease(w2)
    assert again["id"] == task["id"] and again["attempts"] == 2
    for body in ({"attempt": 1}, {}):
        r = lc.api("POST", "/task", json={"workerId": w1, "taskId": task["id"], "state": "success", **body})
        assert_error(r, 409, "not_leased")
    r = lc.api("POST", "/task", json={"workerId": w1, "taskId": task["id"], "state": "fail", "attempt": 1})
    assert_error(r, 409, "not_leased")
    t = lc.get_task(task["id"])
    assert (t["state"], t["workerId"], t["attempts"]) == ("started", w2, 2)
    assert lc.heartbeat(w1) == []
    assert lc.heartbeat(w2) == [task["id"]]
    done = lc.finish(w2, task["id"], attempt=2)
    assert done["state"] == "succeeded"


def test_finish_after_own_lease_expired_without_release_is_refused(lc):
    topic, w, task = leased(lc)
    wait_until(lambda: lc.get_task(task["id"])["state"] == "queued", LEASE + SLACK, interval=0.05)
    r = lc.api("POST", "/task", json={"workerId": w, "taskId": task["id"], "state": "success"})
    assert_error(r, 409, "not_leased")
    assert lc.get_task(task["id"])["state"] == "queued"


def test_lease_expiry_counts_attempts_across_several_rounds(lc):
    topic, w, task = leased(lc)
    for expected in (2, 3):
        got = wait_until(lambda: lc.lease(w), LEASE + SLACK, interval=0.1, desc="re-lease")
        assert got["id"] == task["id"] and got["attempts"] == expected
    failed = lc.finish(w, task["id"], state="fail", attempt=3)
    assert failed["attempts"] == 3


# ------------------------------------------------------------------------------- reaping

WORKER_TIMEOUT = 1.5


def reaping_server(make_server):
    """A server that reaps workers silent for WORKER_TIMEOUT; leases last 30 s."""
    return make_server(lease_timeout=30, worker_timeout=WORKER_TIMEOUT)


def test_idle_unseen_workers_are_reaped_others_are_kept(make_server):
    worker_timeout = WORKER_TIMEOUT
    srv = reaping_server(make_server)
    c = Client(srv)
    topic = c.topic()
    tid = c.publish_one(topic.data())
    w_idle = c.register(topic.queue)
    w_busy = c.register(topic.queue)
    assert c.lease(w_busy)["id"] == tid
    w_active = c.register(f"other-{topic.tag}")
    stop = threading.Event()
    errors = []

    def keep_polling():
        pc = Client(srv)
        while not stop.is_set():
            try:
                r = pc.api("GET", "/task", params={"workerId": w_active})
                if r.status != 200:
                    errors.append(r)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            stop.wait(0.2)

    th = threading.Thread(target=keep_polling, daemon=True)
    th.start()
    try:
        t0 = time.monotonic()
        wait_until(lambda: w_idle not in c.workers(), worker_timeout + SLACK + 1, interval=0.1,
                   desc="idle worker reaped")
        assert time.monotonic() - t0 >= worker_timeout * 0.8
        time.sleep(0.8)
        workers = c.workers()
        assert w_busy in workers, "a worker that holds a task must not be reaped"
        assert w_active in workers, "a worker that keeps calling GET /task must not be reaped"
        assert not errors, errors
    finally:
        stop.set()
        th.join(5)
    assert_error(c.api("POST", "/worker", json={"workerId": w_idle}), 404, "worker_not_found")
    assert_error(c.api("GET", "/task", params={"workerId": w_idle}), 404, "worker_not_found")
    t = c.get_task(tid)
    assert (t["state"], t["workerId"]) == ("started", w_busy)
    assert c.heartbeat(w_busy) == [tid]


def test_a_restart_after_a_long_pause_reaps_no_worker_at_once(make_server):
    """Workers cannot reach a server that is down: none counts as silent before the server
    has been up for a whole worker timeout, so they keep their scope `all` copies."""
    srv = reaping_server(make_server)
    c = Client(srv)
    topic = c.topic()
    w = c.register(topic.queue)
    tid = c.publish(topic.data(), scope="all", expect=201)["tasks"][0]["id"]
    c.close()
    srv.terminate()
    time.sleep(WORKER_TIMEOUT + 1)
    srv.start()
    time.sleep(0.75)  # three maintenance passes
    c = Client(srv)
    assert w in c.workers()
    assert c.lease(w)["id"] == tid
    c.close()


def test_a_report_is_a_sign_of_life(make_server):
    """A worker that has just reported is not silent: reaped right after it finished its
    task, it could not take the next one."""
    c = Client(reaping_server(make_server))
    topic = c.topic()
    tid = c.publish_one(topic.data())
    w = c.register(topic.queue)
    assert c.lease(w)["id"] == tid
    time.sleep(WORKER_TIMEOUT + 0.5)  # busy: kept while it holds the task
    c.finish(w, tid)
    time.sleep(0.75)  # three maintenance passes
    assert w in c.workers()
    r = c.api("GET", "/task", params={"workerId": w})
    assert r.status == 200, r
    c.close()


def test_lease_whose_answer_never_arrived_comes_back(lc):
    """A GET /task whose connection breaks before the answer is read: if the lease was committed,
    the worker sees the task in its heartbeat answer, and the task comes back by itself."""
    from support.rawhttp import connect, request_head
    topic = lc.topic()
    tid = lc.publish_one(topic.data())
    w = lc.register(topic.queue)
    sock = connect(lc.server)
    sock.sendall(request_head("GET", f"/task?workerId={w}", lc.server, {}))
    time.sleep(0.3)
    sock.close()
    t = lc.get_task(tid)
    if t["state"] == "started":
        assert t["workerId"] == w and lc.heartbeat(w, tasks=[]) == [tid]
        wait_until(lambda: lc.get_task(tid)["state"] == "queued", LEASE + SLACK, interval=0.05)
    else:
        assert t["state"] == "queued", t
    w2 = lc.register(topic.queue)
    assert lc.lease(w2)["id"] == tid
