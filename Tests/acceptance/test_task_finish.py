"""POST /task (taskUpdate): success and fail, who may finish a task (409 not_leased), the
`attempt` fence on a live lease, unknown tasks and malformed updates."""

import time

import pytest

from support.client import assert_error, assert_json_content_type, uid


def leased(client, **publish_params):
    topic = client.topic()
    tid = client.publish_one(topic.data(), **publish_params)
    w = client.register(topic.queue)
    task = client.lease(w)
    assert task["id"] == tid
    return topic, w, task


def test_success_marks_task_succeeded_and_keeps_it_readable(client):
    topic, w, task = leased(client)
    r = client.api("POST", "/task", json={"workerId": w, "taskId": task["id"], "state": "success"})
    assert r.status == 200, r
    assert_json_content_type(r)
    done = r.body["task"]
    assert done["id"] == task["id"]
    assert done["state"] == "succeeded"
    assert done["attempts"] == 1
    assert done["finishedAt"] is not None and abs(done["finishedAt"] - time.time()) < 5
    stored = client.get_task(task["id"])
    assert stored["state"] == "succeeded"
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["started"]) == (0, 0), qs
    assert client.lease(w) is None, "a succeeded task must not be handed out again"
    assert task["id"] not in client.heartbeat(w)


def test_fail_marks_task_failed_with_reason(client):
    topic, w, task = leased(client)
    r = client.api("POST", "/task", json={"workerId": w, "taskId": task["id"], "state": "fail",
                                          "failReason": "SMTP 550: mailbox unavailable"})
    assert r.status == 200, r
    done = r.body["task"]
    assert done["state"] == "failed"
    assert done["failReason"] == "SMTP 550: mailbox unavailable"
    assert done["attempts"] == 1
    assert done["finishedAt"] is not None
    assert client.get_task(task["id"])["state"] == "failed"
    assert client.lease(w) is None
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["started"]) == (0, 0), qs


def test_fail_without_reason(client):
    _, w, task = leased(client)
    done = client.finish(w, task["id"], state="fail")
    assert done["state"] == "failed"
    assert done["failReason"] in (None, "")


def test_unknown_task_is_404(client):
    topic = client.topic()
    w = client.register(topic.queue)
    r = client.api("POST", "/task", json={"workerId": w, "taskId": f"t_{uid()}{uid()}", "state": "success"})
    assert_error(r, 404, "task_not_found")


def test_task_held_by_another_worker_is_409_and_unchanged(client):
    topic, w1, task = leased(client)
    w2 = client.register(topic.queue)
    r = client.api("POST", "/task", json={"workerId": w2, "taskId": task["id"], "state": "success"})
    assert_error(r, 409, "not_leased")
    stored = client.get_task(task["id"])
    assert (stored["state"], stored["workerId"], stored["attempts"]) == ("started", w1, 1)
    assert client.finish(w1, task["id"])["state"] == "succeeded"


def test_queued_task_cannot_be_finished(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    r = client.api("POST", "/task", json={"workerId": w, "taskId": tid, "state": "success"})
    assert_error(r, 409, "not_leased")
    assert client.get_task(tid)["state"] == "queued"


def test_finished_task_cannot_be_finished_again(client):
    _, w, task = leased(client)
    client.finish(w, task["id"])
    for state in ("success", "fail"):
        r = client.api("POST", "/task", json={"workerId": w, "taskId": task["id"], "state": state})
        assert_error(r, 409, "not_leased")
    assert client.get_task(task["id"])["state"] == "succeeded"


def test_current_attempt_is_accepted(client):
    _, w, task = leased(client)
    done = client.finish(w, task["id"], attempt=task["attempts"])
    assert done["state"] == "succeeded"


def test_stale_attempt_is_409(client):
    _, w, task = leased(client)
    r = client.api("POST", "/task", json={"workerId": w, "taskId": task["id"], "state": "success",
                                          "attempt": task["attempts"] + 5})
    assert_error(r, 409, "not_leased")
    assert client.get_task(task["id"])["state"] == "started"


@pytest.mark.parametrize("make_body,param", [
    (lambda w, t: {"taskId": t, "state": "success"}, "workerId"),
    (lambda w, t: {"workerId": w, "state": "success"}, "taskId"),
    (lambda w, t: {"workerId": w, "taskId": t}, "state"),
    (lambda w, t: {"workerId": w, "taskId": t, "state": "done"}, "state"),
    (lambda w, t: {"workerId": w, "taskId": t, "state": True}, "state"),
    (lambda w, t: {"workerId": 7, "taskId": t, "state": "success"}, "workerId"),
    (lambda w, t: {"workerId": w, "taskId": ["x"], "state": "success"}, "taskId"),
    (lambda w, t: {"workerId": w, "taskId": t, "state": "fail", "failReason": 5}, "failReason"),
    (lambda w, t: {"workerId": w, "taskId": t, "state": "success", "reEnqueue": "perhaps"}, "reEnqueue"),
    (lambda w, t: {"workerId": w, "taskId": t, "state": "success", "attempt": "one"}, "attempt"),
    (lambda w, t: {"workerId": w, "taskId": t, "state": "success", "attempt": "1"}, "attempt"),
])
def test_malformed_update_is_400_and_changes_nothing(client, make_body, param):
    _, w, task = leased(client)
    r = client.api("POST", "/task", json=make_body(w, task["id"]))
    assert_error(r, 400, "bad_request", param)
    stored = client.get_task(task["id"])
    assert (stored["state"], stored["workerId"], stored["attempts"]) == ("started", w, 1)


def test_update_params_from_form(client):
    _, w, task = leased(client)
    r = client.api("POST", "/task", form={"workerId": w, "taskId": task["id"], "state": "fail",
                                          "failReason": "from a form", "attempt": "1"})
    assert r.status == 200, r
    assert r.body["task"]["state"] == "failed"
    assert r.body["task"]["failReason"] == "from a form"
