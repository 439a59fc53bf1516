"""runAt: a future runAt is `scheduled`, never handed out before it, and shows `queued` once
due; past and null runAt are due now; fractional seconds are kept."""

import threading
import time

from support.client import Client, wait_until

SLACK = 3.0


def test_future_run_at_is_scheduled_and_not_handed_out_early(client, server):
    topic = client.topic()
    run_at = time.time() + 2.0
    body = client.publish(topic.data(), runAt=run_at, expect=201)
    entry = body["tasks"][0]
    assert entry["state"] == "scheduled", body
    task = client.get_task(entry["id"])
    assert task["state"] == "scheduled" and abs(task["runAt"] - run_at) < 1e-3, task
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["scheduled"]) == (0, 1), qs
    w = client.register(topic.queue)
    poller = Client(server)
    deadline = run_at + SLACK
    while True:
        got = poller.lease(w)
        now = time.time()
        if got is not None:
            break
        assert now < deadline, "a due task was not handed out"
        time.sleep(0.05)
    assert got["id"] == entry["id"]
    assert now >= run_at - 0.05, f"handed out {run_at - now:.2f}s before its runAt"
    assert got["state"] == "started" and got["attempts"] == 1


def test_due_task_shows_queued(client):
    topic = client.topic()
    run_at = time.time() + 1.0
    tid = client.publish_one(topic.data(), runAt=run_at)
    assert client.get_task(tid)["state"] == "scheduled"
    wait_until(lambda: time.time() > run_at and client.get_task(tid)["state"] == "queued",
               1.0 + SLACK, interval=0.1, desc="scheduled task to show queued")
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["scheduled"]) == (1, 0), qs


def test_past_and_null_run_at_are_due_now(client):
    topic = client.topic()
    past = client.publish(topic.data(n=1), runAt=time.time() - 3600, expect=201)["tasks"][0]
    null = client.publish(topic.data(n=2), runAt=None, expect=201)["tasks"][0]
    assert past["state"] == "queued" and null["state"] == "queued"
    t = client.get_task(null["id"])
    assert abs(t["runAt"] - time.time()) < 5
    w = client.register(topic.queue)
    assert [client.lease(w)["id"], client.lease(w)["id"]] == [past["id"], null["id"]]


def test_fractional_run_at_is_kept(client):
    topic = client.topic()
    at = float(int(time.time()) + 7200) + 0.375
    tid = client.publish_one(topic.data(), runAt=at)
    assert abs(client.get_task(tid)["runAt"] - at) < 1e-3


def test_scheduled_task_is_not_taken_while_a_due_one_is(client):
    topic = client.topic()
    later = client.publish_one(topic.data(n=1), runAt=time.time() + 3600)
    now = client.publish_one(topic.data(n=2))
    w = client.register(topic.queue)
    assert client.lease(w)["id"] == now
    assert client.lease(w) is None
    assert client.get_task(later)["state"] == "scheduled"


def test_long_poll_is_woken_when_a_scheduled_task_becomes_due(wake_server):
    client = Client(wake_server)
    server = wake_server
    topic = client.topic()
    w = client.register(topic.queue)
    run_at = time.time() + 1.0
    tid = client.publish_one(topic.data(), runAt=run_at)
    result = {}

    def waiter():
        result["resp"] = Client(server, timeout=20).api("GET", "/task", params={"workerId": w, "wait": "8"})
        result["at"] = time.time()

    th = threading.Thread(target=waiter)
    th.start()
    th.join(15)
    r = result["resp"]
    assert r.status == 200 and r.body["task"] is not None and r.body["task"]["id"] == tid, r
    assert run_at - 0.05 <= result["at"] < run_at + 4, "not woken when the task became due"
