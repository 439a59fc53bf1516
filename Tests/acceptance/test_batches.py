"""Additions for busy workers: `GET /task?count=N` leases up to N tasks in one call, `POST /tasks`
reports on several at once, each answered on its own, and `next=N` on either report leases the
worker's next tasks in the same call."""

import threading
import time

from support.client import Client, assert_error, assert_task_shape


def publish_many(client, topic, n):
    return [client.publish_one(topic.data(n=i)) for i in range(n)]


def in_background(call):
    """Starts `call` (a request that waits for work) and, after it had time to park, returns
    a function that waits for its answer's body."""
    answers = []
    waiter = threading.Thread(target=lambda: answers.append(call()))
    waiter.start()
    time.sleep(0.3)

    def answer(within=15):
        waiter.join(within)
        assert answers, f"no answer within {within} s"
        return answers[0].body
    return answer


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


def test_a_waiting_batch_lease_returns_what_arrives(wake_server):
    client = Client(wake_server)
    topic = client.topic()
    w = client.register(topic.queue)
    answer = in_background(lambda: client.api("GET", "/task", params={"workerId": w, "count": 5, "wait": 10}))
    tid = client.publish_one(topic.data())
    assert [t["id"] for t in answer(within=5)["tasks"]] == [tid], "woken by the publish"


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


def test_a_report_with_next_takes_the_next_tasks_in_the_same_call(client):
    topic = client.topic()
    ids = publish_many(client, topic, 4)
    w = client.register(topic.queue)
    first = client.lease(w)
    r = client.api("POST", "/task", json={"workerId": w, "taskId": first["id"], "state": "success", "next": 1})
    assert r.status == 200, r
    assert r.body["task"]["state"] == "succeeded"
    assert [t["id"] for t in r.body["next"]] == [ids[1]]
    assert_task_shape(r.body["next"][0])
    assert (r.body["next"][0]["state"], r.body["next"][0]["workerId"]) == ("started", w)
    r = client.api("POST", "/task", form={"workerId": w, "taskId": ids[1], "state": "fail", "next": "5"})
    assert r.body["task"]["state"] == "failed" and [t["id"] for t in r.body["next"]] == ids[2:], r
    r = client.api("POST", "/task", json={"workerId": w, "taskId": ids[2], "state": "success", "next": 1})
    assert r.status == 200 and r.body["next"] == [], r
    r = client.api("POST", "/task", json={"workerId": w, "taskId": ids[3], "state": "success"})
    assert "next" not in r.body, "without next the answer is as before"


def test_a_refused_report_with_next_leases_nothing(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    holder = client.register(topic.queue)
    client.lease(holder)
    waiting = client.publish_one(topic.data(n=2))
    other = client.register(topic.queue)
    r = client.api("POST", "/task", json={"workerId": other, "taskId": tid, "state": "success", "next": 1})
    assert_error(r, 409, "not_leased")
    assert client.get_task(waiting)["state"] == "queued"
    for bad in (0, 101, "one", 1.5):
        r = client.api("POST", "/task", json={"workerId": holder, "taskId": tid, "state": "success", "next": bad})
        assert_error(r, 400, "bad_request", mentions="next")
        r = client.api("POST", "/tasks", json={"workerId": holder, "results": [{"taskId": tid, "state": "success"}],
                                               "next": bad})
        assert_error(r, 400, "bad_request", mentions="next")
    assert client.get_task(tid)["state"] == "started"
    assert client.get_task(waiting)["state"] == "queued"


def test_a_report_with_next_and_wait_returns_what_arrives(wake_server):
    client = Client(wake_server)
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    client.lease(w)
    answer = in_background(lambda: client.api(
        "POST", "/task", json={"workerId": w, "taskId": tid, "state": "success", "next": 1, "wait": 10}))
    assert client.get_task(tid)["state"] == "succeeded", "the report is recorded before the wait"
    later = client.publish_one(topic.data(n=2))
    assert [t["id"] for t in answer(within=5)["next"]] == [later], "woken by the publish"


def test_post_tasks_with_next_leases_after_the_reports(client):
    topic = client.topic()
    ids = publish_many(client, topic, 5)
    w = client.register(topic.queue)
    client.api("GET", "/task", params={"workerId": w, "count": 2})
    r = client.api("POST", "/tasks", json={"workerId": w, "next": 2, "results": [
        {"taskId": ids[0], "state": "success"}, {"taskId": "t_unknown", "state": "success"}]})
    assert r.status == 200, r
    assert r.body["results"][0]["task"]["state"] == "succeeded"
    assert r.body["results"][1]["error"]["code"] == "task_not_found"
    assert [t["id"] for t in r.body["next"]] == ids[2:4]
    r = client.api("POST", "/tasks", json={"workerId": w, "results": [{"taskId": ids[1], "state": "success"}]})
    assert "next" not in r.body, r
