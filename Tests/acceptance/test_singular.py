"""singularlyEnqueue (a waiting twin with the same queue and canonical data is answered as a
duplicate instead of a new task) and singularlyRun (while a twin is started, its twins wait;
other tasks are handed out)."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

from support.client import Client, uid


def test_singularly_enqueue_answers_the_waiting_twin_as_duplicate(client):
    topic = client.topic()
    first = client.publish(topic.data(email="a@b.c"), singularlyEnqueue=True, expect=201)
    assert first["tasks"][0]["duplicate"] is False
    tid = first["tasks"][0]["id"]
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data(email="a@b.c"),
                                         "singularlyEnqueue": True})
    assert r.status == 201, r
    assert len(r.body["tasks"]) == 1, r
    dup = r.body["tasks"][0]
    assert dup["id"] == tid and dup["duplicate"] is True and dup["queue"] == topic.queue
    assert dup["state"] == "queued"
    assert client.queue_status(topic.queue)["length"] == 1


def test_data_is_compared_as_canonical_json(client):
    topic = client.topic()
    raw1 = '{"publisher": "p", "singularlyEnqueue": true, "data": {"t": "%s", "a": 1, "b": {"x": [1, 2], "y": "z"}}}' % topic.tag
    raw2 = '{"data":{"b":{"y":"z","x":[1,2]},"a":1,"t":"%s"},"singularlyEnqueue":true,"publisher":"q"}' % topic.tag
    h = {"Content-Type": "application/json"}
    r1 = client.api("PUT", "/task", data=raw1.encode(), headers=h)
    r2 = client.api("PUT", "/task", data=raw2.encode(), headers=h)
    assert r1.status == 201 and r2.status == 201, (r1, r2)
    assert r2.body["tasks"][0]["duplicate"] is True, r2
    assert r2.body["tasks"][0]["id"] == r1.body["tasks"][0]["id"]
    assert client.queue_status(topic.queue)["length"] == 1


def test_different_data_is_not_a_duplicate(client):
    topic = client.topic()
    client.publish(topic.data(n=1), singularlyEnqueue=True, expect=201)
    body = client.publish(topic.data(n=2), singularlyEnqueue=True, expect=201)
    assert body["tasks"][0]["duplicate"] is False
    body = client.publish(topic.data(n="1"), singularlyEnqueue=True, expect=201)
    assert body["tasks"][0]["duplicate"] is False, "1 and \"1\" are different JSON"
    assert client.queue_status(topic.queue)["length"] == 3


def test_without_the_flag_a_new_task_is_added(client):
    topic = client.topic()
    client.publish(topic.data(), singularlyEnqueue=True, expect=201)
    body = client.publish(topic.data(), expect=201)
    assert body["tasks"][0]["duplicate"] is False
    assert client.queue_status(topic.queue)["length"] == 2


def test_a_twin_published_without_the_flag_counts(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    body = client.publish(topic.data(), singularlyEnqueue=True, expect=201)
    assert body["tasks"][0]["id"] == tid and body["tasks"][0]["duplicate"] is True


def test_a_scheduled_twin_counts(client):
    topic = client.topic()
    tid = client.publish_one(topic.data(), runAt=time.time() + 3600)
    body = client.publish(topic.data(), singularlyEnqueue=True, expect=201)
    entry = body["tasks"][0]
    assert entry["id"] == tid and entry["duplicate"] is True, body
    assert client.get_task(tid)["state"] == "scheduled"
    assert entry["state"] == "scheduled", f"the duplicate entry must report the existing task's state: {body}"


def test_a_started_or_finished_twin_does_not_count(client):
    topic = client.topic()
    tid = client.publish_one(topic.data(), singularlyEnqueue=True)
    w = client.register(topic.queue)
    assert client.lease(w)["id"] == tid
    body = client.publish(topic.data(), singularlyEnqueue=True, expect=201)
    second = body["tasks"][0]
    assert second["duplicate"] is False and second["id"] != tid
    client.finish(w, tid)
    assert client.lease(w)["id"] == second["id"]
    client.finish(w, second["id"])
    third = client.publish(topic.data(), singularlyEnqueue=True, expect=201)["tasks"][0]
    assert third["duplicate"] is False and third["id"] not in (tid, second["id"])


def test_duplicates_are_per_queue(client):
    tag = uid()
    qa, qb = f"a-{tag}", f"b-{tag}"
    client.set_interest(qa, {"t": f"^{tag}$"})
    first = client.publish_one({"t": tag})
    client.set_interest(qb, {"t": f"^{tag}$"})
    body = client.publish({"t": tag}, singularlyEnqueue=True, expect=201)
    by_queue = {t["queue"]: t for t in body["tasks"]}
    assert set(by_queue) == {qa, qb}
    assert by_queue[qa]["id"] == first and by_queue[qa]["duplicate"] is True
    assert by_queue[qb]["duplicate"] is False
    assert client.queue_status(qa)["length"] == 1 and client.queue_status(qb)["length"] == 1


def test_singularly_enqueue_from_form_spelling(client):
    topic = client.topic()
    form = {"publisher": "p", "data": json.dumps(topic.data()), "singularlyEnqueue": "yes"}
    r1 = client.api("PUT", "/task", form=form)
    r2 = client.api("PUT", "/task", form=form)
    assert r1.status == 201 and r2.status == 201, (r1, r2)
    assert r2.body["tasks"][0]["duplicate"] is True
    assert r2.body["tasks"][0]["id"] == r1.body["tasks"][0]["id"]


# ---------------------------------------------------------------------------- singularlyRun

def test_singularly_run_holds_back_only_twins(client):
    topic = client.topic()
    t1 = client.publish_one(topic.data(job="X"), singularlyRun=True)
    t2 = client.publish_one(topic.data(job="X"), singularlyRun=True)
    t3 = client.publish_one(topic.data(job="Y"), singularlyRun=True)
    t4 = client.publish_one(topic.data(job="Z"))
    w1, w2 = client.register(topic.queue), client.register(topic.queue)
    assert client.lease(w1)["id"] == t1
    assert client.lease(w2)["id"] == t3, "the twin t2 must wait, the task behind it must not"
    assert client.lease(w2)["id"] == t4
    assert client.lease(w1) is None
    assert client.lease(w2) is None
    assert client.get_task(t2)["state"] == "queued"
    assert client.queue_status(topic.queue)["length"] == 1
    client.finish(w1, t1)
    nxt = client.lease(w2)
    assert nxt["id"] == t2 and nxt["attempts"] == 1


def test_a_lease_passes_over_many_held_back_twins_at_once(server):
    """Twins held back by a started one are passed over together, not each looked up again.
    Behind a started twin published last, each waiting twin's look-up read the rows of all
    its twins: 2,000 of them cost a lease about 10 s of the store's one writer (a release
    build), and no publish anywhere was stored meanwhile; now 13 ms."""
    client = Client(server, timeout=120)
    topic = client.topic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: Client(server).publish_one(topic.data(job="X"), singularlyRun=True), range(2000)))
    plain = client.publish_one(topic.data(job="X"), runAt=1)  # a twin without the flag, due first
    worker = client.register(topic.queue)
    assert client.lease(worker)["id"] == plain
    start = time.monotonic()
    assert client.lease(worker) is None
    assert time.monotonic() - start < 5, "a lease over 2,000 held-back twins"
    assert client.queue_status(topic.queue)["length"] == 2000


def test_singularly_run_twin_released_when_the_running_one_fails(client):
    topic = client.topic()
    t1 = client.publish_one(topic.data(job="X"), singularlyRun=True)
    t2 = client.publish_one(topic.data(job="X"), singularlyRun=True)
    w = client.register(topic.queue)
    assert client.lease(w)["id"] == t1
    assert client.lease(w) is None
    client.finish(w, t1, state="fail")
    assert client.lease(w)["id"] == t2


def test_singularly_run_released_when_the_holder_is_deleted(client):
    topic = client.topic()
    t1 = client.publish_one(topic.data(job="X"), singularlyRun=True)
    t2 = client.publish_one(topic.data(job="X"), singularlyRun=True)
    w1 = client.register(topic.queue)
    assert client.lease(w1)["id"] == t1
    client.api("DELETE", "/worker", params={"workerId": w1})
    w2 = client.register(topic.queue)
    got = [client.lease(w2)["id"], client.lease(w2)]
    assert got[0] == t1, "t1 went back to the queue and is older"
    assert got[1] is None, "t2 waits while its twin t1 is started again"
    client.finish(w2, t1)
    assert client.lease(w2)["id"] == t2


def test_without_singularly_run_twins_run_together(client):
    topic = client.topic()
    t1 = client.publish_one(topic.data(job="X"))
    t2 = client.publish_one(topic.data(job="X"))
    w = client.register(topic.queue)
    assert [client.lease(w)["id"], client.lease(w)["id"]] == [t1, t2]
