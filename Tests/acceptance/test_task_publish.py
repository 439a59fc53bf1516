"""PUT /task (taskCreate): the publish answer, the stored task object, copies per interested
queue, discarding, fastPost, validation, and that bad input stores nothing."""

import time

import pytest

from support.client import (PUBLISHED_KEYS, Client, assert_error, assert_json_content_type,
                            assert_task_shape, uid, wait_until)


def test_publish_answer_is_201_with_one_task_per_interested_queue(client):
    topic = client.topic()
    r = client.api("PUT", "/task", json={"publisher": "web-1:4242", "data": topic.data(email="e@x.org")})
    assert r.status == 201, r
    assert_json_content_type(r)
    assert isinstance(r.body["id"], str) and r.body["id"]
    assert len(r.body["tasks"]) == 1, r
    entry = r.body["tasks"][0]
    assert PUBLISHED_KEYS <= set(entry), r
    assert entry["queue"] == topic.queue
    assert entry["workerId"] is None
    assert entry["state"] == "queued"
    assert entry["duplicate"] is False
    assert isinstance(entry["id"], str) and entry["id"] and entry["id"] != r.body["id"]


def test_stored_task_object_has_every_field(client):
    topic = client.topic()
    data = topic.data(email="evan@example.com", n=3, nested={"a": [1, 2.5, None, True]}, uni="é✓")
    before = time.time()
    body = client.publish(data, publisher="web-1:4242", expect=201)
    after = time.time()
    task = client.get_task(body["tasks"][0]["id"])
    assert_task_shape(task)
    assert task["id"] == body["tasks"][0]["id"]
    assert task["publicationId"] == body["id"]
    assert task["queue"] == topic.queue
    assert task["workerId"] is None
    assert task["publisher"] == "web-1:4242"
    assert task["data"] == data
    assert task["scope"] == "any"
    assert task["singularlyEnqueue"] is False
    assert task["singularlyRun"] is False
    assert task["state"] == "queued"
    assert task["attempts"] == 0
    assert before - 2 <= task["createdAt"] <= after + 2, task
    assert before - 2 <= task["runAt"] <= after + 2, task
    assert task["startedAt"] is None and task["finishedAt"] is None and task["failReason"] is None


def test_flags_are_stored_on_the_task(client):
    topic = client.topic()
    tid = client.publish_one(topic.data(), singularlyEnqueue=True, singularlyRun=True)
    task = client.get_task(tid)
    assert task["singularlyEnqueue"] is True and task["singularlyRun"] is True


def test_each_interested_queue_gets_its_own_copy(client):
    tag = uid()
    qa, qb, qc = f"a-{tag}", f"b-{tag}", f"c-{tag}"
    client.set_interest(qa, {"t": f"^{tag}$"})
    client.set_interest(qb, {"t": f"{tag}"})
    client.set_interest(qc, {"t": f"^nomatch-{tag}$"})
    body = client.publish({"t": tag}, expect=201)
    queues = sorted(t["queue"] for t in body["tasks"])
    assert queues == sorted([qa, qb]), body
    ids = [t["id"] for t in body["tasks"]]
    assert len(set(ids)) == 2
    for tid in ids:
        assert client.get_task(tid)["publicationId"] == body["id"]
    assert client.queue_status(qa)["length"] == 1
    assert client.queue_status(qb)["length"] == 1
    assert client.queue_status(qc)["length"] == 0


def test_publish_nobody_is_interested_in_is_discarded_with_200(client):
    r = client.api("PUT", "/task", json={"publisher": "p", "data": {"t": f"nobody-{uid()}"}})
    assert r.status == 200, r
    assert isinstance(r.body["id"], str) and r.body["id"]
    assert r.body["tasks"] == []


def test_fast_post_answers_202_and_stores_later(client):
    topic = client.topic()
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data(k=1), "fastPost": True})
    assert r.status == 202, r
    assert r.body["accepted"] is True
    assert isinstance(r.body["id"], str) and r.body["id"]
    assert_json_content_type(r)
    wait_until(lambda: client.queue_status(topic.queue)["length"] == 1, 5, desc="fastPost task stored")
    w = client.register(topic.queue)
    task = client.lease(w)
    assert task["publicationId"] == r.body["id"]
    assert task["data"] == topic.data(k=1)


def test_fast_post_answers_before_matching(make_server):
    """A publication slow to match (a long field against a large pattern) keeps its publisher
    waiting without fastPost; with it, the 202 comes at once and the matching follows."""
    c = Client(make_server())
    c.set_interest(f"slow-{uid()}", {"s": "[ab]{300}c"})
    body = {"publisher": "p", "data": {"s": "a" * 20_000}}
    start = time.monotonic()
    assert c.api("PUT", "/task", json=body, timeout=60).status == 200
    matched = time.monotonic() - start
    start = time.monotonic()
    r = c.api("PUT", "/task", json={**body, "fastPost": True}, timeout=60)
    answered = time.monotonic() - start
    assert r.status == 202, r
    assert answered < matched / 3 and answered < 0.5, f"fastPost answered in {answered:.3f} s, matching took {matched:.3f} s"


@pytest.mark.parametrize("path", ["/task?fastPost", "/task?fastPost="])
def test_fast_post_without_a_value_is_off(client, path):
    """Only an explicit true gives up waiting for durability."""
    topic = client.topic()
    r = client.api("PUT", path, json={"publisher": "p", "data": topic.data(k=2)})
    assert r.status == 201 and client.queue_status(topic.queue)["length"] == 1, r


def test_fast_post_with_no_interested_queue_is_still_202(client):
    r = client.api("PUT", "/task", json={"publisher": "p", "data": {"t": f"nobody-{uid()}"},
                                         "fastPost": True})
    assert r.status == 202, r
    assert r.body["accepted"] is True


@pytest.mark.parametrize("body,param", [
    ({"data": {}}, "publisher"),
    ({"publisher": "", "data": {}}, "publisher"),
    ({"publisher": "p"}, "data"),
    ({"publisher": "p", "data": [1, 2]}, "data"),
    ({"publisher": 5, "data": {}}, "publisher"),
    ({"publisher": "p", "data": {}, "runAt": "tomorrow"}, "runAt"),
])
def test_fast_post_still_validates(client, body, param):
    r = client.api("PUT", "/task", json={**body, "fastPost": True})
    assert_error(r, 400, "bad_request", param)


@pytest.mark.parametrize("make_body,param", [
    (lambda d: {"data": d}, "publisher"),
    (lambda d: {"publisher": "", "data": d}, "publisher"),
    (lambda d: {"publisher": None, "data": d}, "publisher"),
    (lambda d: {"publisher": "p"}, "data"),
    (lambda d: {"publisher": "p", "data": None}, "data"),
    (lambda d: {"publisher": "p", "data": [d]}, "data"),
    (lambda d: {"publisher": "p", "data": 5}, "data"),
    (lambda d: {"publisher": "p", "data": d, "scope": "sometimes"}, "scope"),
    (lambda d: {"publisher": "p", "data": d, "scope": 1}, "scope"),
    (lambda d: {"publisher": "p", "data": d, "runAt": True}, "runAt"),
    (lambda d: {"publisher": "p", "data": d, "runAt": "1700000000"}, "runAt"),
    (lambda d: {"publisher": "p", "data": d, "singularlyEnqueue": "maybe"}, "singularlyEnqueue"),
    (lambda d: {"publisher": "p", "data": d, "singularlyRun": [True]}, "singularlyRun"),
    (lambda d: {"publisher": "p", "data": d, "fastPost": {}}, "fastPost"),
])
def test_malformed_publish_is_400_and_stores_nothing(client, make_body, param):
    topic = client.topic()
    r = client.api("PUT", "/task", json=make_body(topic.data()))
    assert_error(r, 400, "bad_request", param)
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["scheduled"], qs["started"]) == (0, 0, 0), qs


def test_publisher_is_kept_as_given(client):
    topic = client.topic()
    publisher = "billing-service@host-7:4242/x"
    tid = client.publish_one(topic.data(), publisher=publisher)
    assert client.get_task(tid)["publisher"] == publisher


def test_copies_are_independent_tasks(client):
    tag = uid()
    qa, qb = f"a-{tag}", f"b-{tag}"
    client.set_interest(qa, {"t": f"^{tag}$"})
    client.set_interest(qb, {"t": f"^{tag}$"})
    body = client.publish({"t": tag}, expect=201)
    by_queue = {t["queue"]: t["id"] for t in body["tasks"]}
    wa = client.register(qa)
    task = client.lease(wa)
    assert task["id"] == by_queue[qa]
    client.finish(wa, task["id"])
    assert client.get_task(by_queue[qb])["state"] == "queued"
    assert client.queue_status(qb)["length"] == 1


def test_publications_get_distinct_ids(client):
    topic = client.topic()
    ids = set()
    for i in range(5):
        body = client.publish(topic.data(i=i), expect=201)
        ids.add(body["id"])
        ids.add(body["tasks"][0]["id"])
    assert len(ids) == 10


def test_publish_with_many_fields_round_trips(server):
    c = Client(server)
    topic = c.topic()
    data = topic.data(**{f"f{i}": i for i in range(200)}, deep={"a": {"b": {"c": ["x", {"y": None}]}}},
                      big=2**53, huge=2**64 - 1, negHuge=-(2**64) - 1, neg=-1.25,
                      s="line\nbreak \"quoted\" \\ back")
    tid = c.publish_one(data)
    assert c.get_task(tid)["data"] == data


def test_fast_posts_are_counted_in_status(make_server):
    """The contract: errors found after a fastPost's 202 are logged and counted (the engine
    tests count a failed one). Data too costly to match is refused before the answer, with
    or without fastPost, and is not counted."""
    c = Client(make_server())
    try:
        assert c.status()["fastPost"] == {"accepted": 0, "stored": 0, "failed": 0}
        topic = c.topic()
        c.set_interest(f"costly-{topic.tag}", {"s": "[ab]{300}$"})
        costly = {"s": "a" * 1_000_000}
        for fast_post in (False, True):
            body = {"publisher": "p", "data": costly, "fastPost": fast_post}
            assert_error(c.api("PUT", "/task", json=body), 400, "bad_request")
        assert c.api("PUT", "/task", json={"publisher": "p", "data": topic.data(), "fastPost": True}).status == 202
        counts = {}
        wait_until(lambda: counts.update(c.status(fastPost=True)["fastPost"]) or counts["stored"] == 1,
                   timeout=10, desc="the fast post stored")
        assert counts == {"accepted": 1, "stored": 1, "failed": 0}
        assert c.queue_status(topic.queue)["length"] == 1
    finally:
        c.close()
