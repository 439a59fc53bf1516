"""Additions for workers that take work in batches: `GET /task?count=N` leases up to N tasks in
one call, and `POST /tasks` reports on several at once, each answered on its own."""

from support.client import assert_error, assert_task_shape


def publish_many(client, topic, n):
    return [client.publish_one(topic.data(n=i)) for i in range(n)]


def test_count_leases_up_to_that_many_in_hand_out_order(client):
    topic = client.topic()
    ids = publish_many(client, topic, 5)
    w = client.register(topic.queue)
    r = client.api("GET", "/task", params={"workerId": w, "count": 3})
    assert r.status == 200, r
    assert [t["id"] for t in r.body["tasks"]] == ids[:3]
    assert r.body["task"]["id"] == ids[0], "task is the first of tasks, as a single lease answers"
    for task in r.body["tasks"]:
        assert_task_shape(task)
        assert (task["state"], task["workerId"], task["attempts"]) == ("started", w, 1)
    r = client.api("GET", "/task", params={"workerId": w, "count": 10})
    assert [t["id"] for t in r.body["tasks"]] == ids[3:]
    r = client.api("GET", "/task", params={"workerId": w, "count": 10})
    assert r.status == 200 and r.body == {"task": None, "tasks": []}, r
    assert client.queue_status(topic.queue)["started"] == 5


def test_count_is_checked(client):
    topic = client.topic()
    w = client.register(topic.queue)
    for bad in (0, 101, "many", 2.5):
        r = client.api("GET", "/task", params={"workerId": w, "count": bad})
        assert_error(r, 400, "bad_request", mentions="count")
    r = client.api("GET", "/task", params={"workerId": "w_nobody", "count": 2})
    assert_error(r, 404, "worker_not_found")


def test_a_waiting_batch_lease_returns_what_arrives(client):
    import threading
    import time
    topic = client.topic()
    w = client.register(topic.queue)
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(
        client.api("GET", "/task", params={"workerId": w, "count": 5, "wait": 10})))
    waiter.start()
    time.sleep(0.3)
    tid = client.publish_one(topic.data())
    waiter.join(15)
    assert answers and [t["id"] for t in answers[0].body["tasks"]] == [tid], answers


def test_post_tasks_answers_each_report_on_its_own(client):
    topic = client.topic()
    ids = publish_many(client, topic, 3)
    w = client.register(topic.queue)
    leased = client.api("GET", "/task", params={"workerId": w, "count": 3}).body["tasks"]
    r = client.api("POST", "/tasks", json={"workerId": w, "results": [
        {"taskId": ids[0], "state": "success", "attempt": 1},
        {"taskId": ids[1], "state": "fail", "failReason": "broken"},
        {"taskId": "t_unknown", "state": "success"},
        {"taskId": ids[2], "state": "success", "attempt": 2},
        {"taskId": ids[0], "state": "success"},
    ]})
    assert r.status == 200, r
    results = r.body["results"]
    assert len(results) == 5
    assert results[0]["task"]["state"] == "succeeded" and "error" not in results[0]
    assert results[1]["task"]["state"] == "failed" and results[1]["task"]["failReason"] == "broken"
    assert results[2]["error"]["code"] == "task_not_found" and "task" not in results[2]
    assert results[3]["error"]["code"] == "not_leased"
    assert results[4]["error"]["code"] == "not_leased", "a task is finished once"
    assert client.get_task(ids[2])["state"] == "started", [t["id"] for t in leased]
    for name in ("/api/tasksUpdate",):
        r = client.api("POST", name, json={"workerId": w, "results": [{"taskId": ids[2], "state": "success"}]})
        assert r.status == 200 and r.body["results"][0]["task"]["state"] == "succeeded", r


def test_post_tasks_refuses_bad_input_whole_and_changes_nothing(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    client.lease(w)
    good = {"taskId": tid, "state": "success"}
    for results in (None, [], "x", [good, "not an object"], [good, {"taskId": tid}], [good, {"state": "success"}],
                    [good, {"taskId": tid, "state": "maybe"}], [good] * 101,
                    [good, {"taskId": tid, "state": "fail", "failReason": "x" * 70000}]):
        body = {"workerId": w} if results is None else {"workerId": w, "results": results}
        r = client.api("POST", "/tasks", json=body)
        assert r.status == 400, (results if not isinstance(results, list) else len(results), r)
        assert r.body["error"]["code"] == "bad_request"
        assert client.get_task(tid)["state"] == "started"
    r = client.api("POST", "/tasks", json={"workerId": "w_nobody", "results": [good]})
    assert_error(r, 404, "worker_not_found")
    assert client.get_task(tid)["state"] == "started"
    r = client.api("POST", "/tasks", json={"workerId": w, "results": [good]}, headers={"Sec-Fetch-Site": "cross-site"})
    assert_error(r, 403, "forbidden")
    assert client.get_task(tid)["state"] == "started"
