"""Scope `all`: one copy per worker registered on an interested queue (one per worker even on two
such queues), named after the first interested queue in its priority order, counted in the
worker's workerQueue and not in the queue's length, handed out before queue tasks (oldest first),
none for later workers, none without workers (200), dropped with their worker."""

from support.client import assert_error, uid


def setup(client):
    tag = uid()
    qa, qb, qc = f"a-{tag}", f"b-{tag}", f"c-{tag}"
    client.set_interest(qa, {"t": f"^{tag}$"})
    client.set_interest(qb, {"t": f"^{tag}$"})
    client.set_interest(qc, {"t": f"^other-{tag}$"})
    return tag, qa, qb, qc


def test_every_worker_on_an_interested_queue_gets_one_copy(client):
    tag, qa, qb, qc = setup(client)
    w1, w2 = client.register(qa), client.register(qa)
    w3 = client.register(qb, qa)
    w4 = client.register(qa, qb)
    w5 = client.register(qc)
    w6 = client.register(qc, qb)
    r = client.api("PUT", "/task", json={"publisher": "p", "data": {"t": tag}, "scope": "all"})
    assert r.status == 201, r
    copies = {t["workerId"]: t for t in r.body["tasks"]}
    assert set(copies) == {w1, w2, w3, w4, w6}, r
    assert len(r.body["tasks"]) == 5, r
    assert {w: c["queue"] for w, c in copies.items()} == {w1: qa, w2: qa, w3: qb, w4: qa, w6: qb}
    assert all(c["state"] == "queued" and c["duplicate"] is False for c in copies.values()), r
    assert len({c["id"] for c in copies.values()}) == 5
    for w, c in copies.items():
        task = client.get_task(c["id"])
        assert (task["scope"], task["workerId"], task["state"], task["queue"]) == ("all", w, "queued", c["queue"])
        assert task["publicationId"] == r.body["id"]
    # copies count in the workers' queues, not in the queues' length
    assert client.queue_status(qa)["length"] == 0
    assert client.queue_status(qb)["length"] == 0
    for w in (w1, w2, w3, w4, w6):
        assert client.worker_queue_length(w) == 1
    assert client.worker_queue_length(w5) == 0
    assert client.lease(w5) is None
    # each worker gets its own copy
    for w in (w1, w2, w3, w4, w6):
        task = client.lease(w)
        assert task["id"] == copies[w]["id"] and task["workerId"] == w and task["state"] == "started"
        assert client.worker_queue_length(w) == 0
        assert client.lease(w) is None
    for w in (w1, w2):
        client.finish(w, copies[w]["id"])
    assert client.get_task(copies[w3]["id"])["state"] == "started"


def test_later_workers_get_no_copy_of_earlier_publications(client):
    tag, qa, _, _ = setup(client)
    w1 = client.register(qa)
    body = client.publish({"t": tag}, scope="all", expect=201)
    assert len(body["tasks"]) == 1
    late = client.register(qa)
    assert client.worker_queue_length(late) == 0
    assert client.lease(late) is None
    assert client.lease(w1)["id"] == body["tasks"][0]["id"]


def test_no_worker_means_no_copy_and_200(client):
    tag, qa, qb, _ = setup(client)
    r = client.api("PUT", "/task", json={"publisher": "p", "data": {"t": tag}, "scope": "all"})
    assert r.status == 200, r
    assert r.body["tasks"] == []
    assert client.queue_status(qa)["length"] == 0 and client.queue_status(qb)["length"] == 0


def test_own_copies_come_first_oldest_first(client):
    topic = client.topic()
    w = client.register(topic.queue)
    shared = client.publish_one(topic.data(kind="any"))
    own1 = client.publish(topic.data(kind="all", n=1), scope="all", expect=201)["tasks"][0]["id"]
    own2 = client.publish(topic.data(kind="all", n=2), scope="all", expect=201)["tasks"][0]["id"]
    assert client.worker_queue_length(w) == 2
    assert client.queue_status(topic.queue)["length"] == 1
    assert [client.lease(w)["id"] for _ in range(3)] == [own1, own2, shared]


def test_copy_is_not_taken_by_another_worker(client):
    topic = client.topic()
    w1 = client.register(topic.queue)
    copy = client.publish(topic.data(), scope="all", expect=201)["tasks"][0]["id"]
    w2 = client.register(topic.queue)
    assert client.lease(w2) is None
    r = client.api("POST", "/task", json={"workerId": w2, "taskId": copy, "state": "success"})
    assert_error(r, 409, "not_leased")
    assert client.lease(w1)["id"] == copy


def test_deleted_worker_copies_are_dropped(client):
    topic = client.topic()
    w1, w2 = client.register(topic.queue), client.register(topic.queue)
    body = client.publish(topic.data(), scope="all", expect=201)
    assert len(body["tasks"]) == 2
    assert client.api("DELETE", "/worker", params={"workerId": w1}).body["deleted"] == 1
    assert_error(client.api("GET", "/status", params={"workerQueue": w1}), 404, "worker_not_found")
    assert client.worker_queue_length(w2) == 1
    assert client.queue_status(topic.queue)["length"] == 0, "a dropped copy must not land in the queue"
    w3 = client.register(topic.queue)
    assert client.lease(w3) is None
