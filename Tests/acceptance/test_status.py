"""GET /status: the default sections, one key per section asked, the shape of each section
(queue, queues, workerQueue, interests, workers, failedQueue, task), and 404s of unknown parts
(one unknown part makes the whole answer that part's 404)."""

import time

from support.client import assert_error, assert_json_content_type, assert_task_shape, is_number, uid

SECTIONS = {"queue", "queues", "workerQueue", "interests", "workers", "failedQueue", "task"}


def test_no_parameter_returns_every_section_but_the_targeted_ones(client):
    client.topic()
    r = client.api("GET", "/status")
    assert r.status == 200, r
    assert_json_content_type(r)
    assert {"queues", "interests", "workers", "failedQueue"} <= set(r.body), r.body.keys()
    assert not ({"queue", "workerQueue", "task"} & set(r.body)), r.body.keys()
    assert isinstance(r.body["queues"], list)
    assert isinstance(r.body["interests"], dict)
    assert isinstance(r.body["workers"], list)
    assert isinstance(r.body["failedQueue"]["length"], int)
    assert isinstance(r.body["failedQueue"]["tasks"], list)


def test_only_the_asked_sections_are_returned(client):
    topic = client.topic()
    for params, keys in [
        ({"queue": topic.queue}, {"queue"}),
        ({"queues": "true"}, {"queues"}),
        ({"interests": "true"}, {"interests"}),
        ({"workers": "true"}, {"workers"}),
        ({"failedQueue": "true"}, {"failedQueue"}),
        ({"queue": topic.queue, "interests": "true"}, {"queue", "interests"}),
    ]:
        r = client.api("GET", "/status", params=params)
        assert r.status == 200, (params, r)
        assert set(r.body) & SECTIONS == keys, (params, r.body.keys())


def test_a_section_named_without_a_value_is_asked(client):
    """As the contract writes it: `GET /status?queues`."""
    for query, keys in [("queues", {"queues"}), ("interests&workers", {"interests", "workers"}),
                        ("failedQueue", {"failedQueue"})]:
        r = client.request("GET", f"/status?{query}")
        assert r.status_code == 200 and set(r.json()) & SECTIONS == keys, (query, r.text)


def test_a_section_that_names_nothing_is_400(client):
    for name in ("queue", "task", "workerQueue"):
        assert_error(client.api("GET", "/status", params={name: ""}), 400, "bad_request", name)


def test_queues_section(client):
    topic = client.topic()
    client.publish_one(topic.data(i=1))
    client.publish_one(topic.data(i=2))
    client.publish_one(topic.data(i=3))
    client.publish_one(topic.data(i=4), runAt=time.time() + 3600)
    w1 = client.register(topic.queue)
    client.register(topic.queue, f"other-{topic.tag}")
    client.lease(w1)
    failing = client.lease(w1)
    client.finish(w1, failing["id"], state="fail", failReason="x")
    entries = {q["name"]: q for q in client.status(queues=True)["queues"]}
    entry = entries[topic.queue]
    got = {k: entry.get(k) for k in ("name", "length", "scheduled", "started", "failed", "workers")}
    assert got == {"name": topic.queue, "length": 1, "scheduled": 1, "started": 1, "failed": 1, "workers": 2}, entry


def test_interests_section(client):
    tag = uid()
    client.set_interest(f"a-{tag}", {f"email{tag}": "^.*", "t": f"^{tag}$"})
    interests = client.status(interests=True)["interests"]
    assert interests[f"a-{tag}"] == {f"email{tag}": "^.*", "t": f"^{tag}$"}


def test_worker_queue_section(client):
    topic = client.topic()
    w = client.register(topic.queue)
    r = client.api("GET", "/status", params={"workerQueue": w})
    assert r.status == 200, r
    assert r.body["workerQueue"]["workerId"] == w and r.body["workerQueue"]["length"] == 0, r
    client.publish(topic.data(), scope="all", expect=201)
    assert client.worker_queue_length(w) == 1


def test_task_section(client):
    topic = client.topic()
    tid = client.publish_one(topic.data(k="v"))
    r = client.api("GET", "/status", params={"task": tid})
    assert r.status == 200, r
    assert_task_shape(r.body["task"])
    assert r.body["task"]["id"] == tid and r.body["task"]["data"] == topic.data(k="v")


def test_failed_queue_section_shape(client):
    r = client.api("GET", "/status", params={"failedQueue": "true", "limit": "1"})
    assert r.status == 200, r
    fq = r.body["failedQueue"]
    assert isinstance(fq["length"], int) and isinstance(fq["tasks"], list)
    assert len(fq["tasks"]) <= 1
    for t in fq["tasks"]:
        assert_task_shape(t)
        assert t["state"] == "failed"


def test_workers_section_entries(client):
    topic = client.topic()
    w = client.register(topic.queue)
    entry = client.workers()[w]
    assert entry["queues"] == [topic.queue]
    assert entry["status"] == "idle" and entry["tasks"] == []
    assert is_number(entry["registeredAt"]) and is_number(entry["lastSeenAt"])


def test_unknown_parts_are_404(client):
    assert_error(client.api("GET", "/status", params={"queue": f"nope-{uid()}"}), 404, "queue_not_found")
    assert_error(client.api("GET", "/status", params={"task": f"t_{uid()}{uid()}"}), 404, "task_not_found")
    assert_error(client.api("GET", "/status", params={"workerQueue": f"w_{uid()}{uid()}"}), 404,
                 "worker_not_found")


def test_one_unknown_part_makes_the_whole_answer_404(client):
    topic = client.topic()
    w = client.register(topic.queue)
    r = client.api("GET", "/status", params={"queue": topic.queue, "task": f"t_{uid()}{uid()}",
                                             "interests": "true"})
    assert_error(r, 404, "task_not_found")
    r = client.api("GET", "/status", params={"queue": f"nope-{uid()}", "workerQueue": w})
    assert_error(r, 404, "queue_not_found")
    r = client.api("GET", "/status", params={"queue": topic.queue, "workerQueue": f"w_{uid()}{uid()}"})
    assert_error(r, 404, "worker_not_found")


def test_status_reads_change_nothing(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    for _ in range(3):
        client.status()
        client.get_task(tid)
        client.worker_queue_length(w)
    t = client.get_task(tid)
    assert (t["state"], t["attempts"], t["workerId"]) == ("queued", 0, None)
    assert client.queue_status(topic.queue)["length"] == 1
