"""Action-style routes: every route also answers as `/api/ACTION` and `/api?action=ACTION`,
with its own method or POST, the same parameters and the same answers; GET only for taskGet
and status; other methods 405; unknown actions 404 unknown_action."""

import pytest

from support.client import assert_error, assert_task_shape, uid

ACTIONS = {
    "taskCreate": "PUT", "taskGet": "GET", "taskUpdate": "POST",
    "workerRegister": "PUT", "workerHeartbeat": "POST", "workerDelete": "DELETE",
    "interestCreate": "PUT", "interestDelete": "DELETE", "queueDelete": "DELETE", "status": "GET",
}


class ActionCaller:
    def __init__(self, client, style, mode):
        self.client, self.style, self.mode = client, style, mode

    def __call__(self, action, params):
        method = ACTIONS[action] if self.mode == "own" else "POST"
        if self.style == "path":
            path, query = f"/api/{action}", {}
        else:
            path, query = "/api", {"action": action}
        if method in ("GET", "DELETE"):
            text = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
            return self.client.api(method, path, params={**query, **text})
        return self.client.api(method, path, params=query or None, json=params)


@pytest.mark.parametrize("mode", ["own", "post"])
@pytest.mark.parametrize("style", ["path", "query"])
def test_full_flow_through_action_names(client, style, mode):
    call = ActionCaller(client, style, mode)
    tag = uid()
    q = f"act-{tag}"

    r = call("interestCreate", {"queue": q, "interests": {"t": f"^{tag}$"}})
    assert r.status == 201 and r.body["queue"] == q and r.body["interests"] == {"t": f"^{tag}$"}, r

    r = call("workerRegister", {"queues": [q]})
    assert r.status == 201 and r.body["queues"] == [q], r
    w = r.body["workerId"]

    r = call("taskCreate", {"publisher": "actions", "data": {"t": tag, "n": 1}})
    assert r.status == 201 and len(r.body["tasks"]) == 1 and r.body["tasks"][0]["queue"] == q, r
    tid = r.body["tasks"][0]["id"]

    r = call("taskGet", {"workerId": w})
    assert r.status == 200 and r.body["task"]["id"] == tid and r.body["task"]["state"] == "started", r
    assert_task_shape(r.body["task"])

    r = call("workerHeartbeat", {"workerId": w})
    assert r.status == 200 and r.body["workerId"] == w and r.body["tasks"] == [tid], r

    r = call("status", {"task": tid})
    assert r.status == 200 and r.body["task"]["state"] == "started", r

    r = call("taskUpdate", {"workerId": w, "taskId": tid, "state": "success"})
    assert r.status == 200 and r.body["task"]["state"] == "succeeded", r

    r = call("taskCreate", {"publisher": "actions", "data": {"t": tag, "n": 2}})
    assert r.status == 201, r

    r = call("status", {"queue": q})
    assert r.status == 200 and r.body["queue"]["length"] == 1, r

    r = call("interestDelete", {"queue": q})
    assert r.status == 200 and r.body["queue"] == q and r.body["deleted"] is True, r

    r = call("queueDelete", {"queue": q})
    assert r.status == 200 and r.body["deleted"] is True and r.body["tasksDeleted"] == 1, r

    r = call("workerDelete", {"workerId": w})
    assert r.status == 200 and r.body["deleted"] == 1, r

    r = call("taskGet", {"workerId": w})
    assert_error(r, 404, "worker_not_found")


@pytest.mark.parametrize("style", ["path", "query"])
def test_same_errors_as_the_routes(client, style):
    call = ActionCaller(client, style, "post")
    assert_error(call("taskCreate", {"data": {}}), 400, "bad_request", "publisher")
    assert_error(call("taskGet", {"workerId": f"w_{uid()}{uid()}"}), 404, "worker_not_found")
    assert_error(call("status", {"queue": f"nope-{uid()}"}), 404, "queue_not_found")
    assert_error(call("queueDelete", {"queue": f"nope-{uid()}"}), 404, "queue_not_found")
    assert_error(call("workerRegister", {"queues": "*"}), 400, "invalid_queues")
    assert_error(call("interestCreate", {"queue": f"i-{uid()}", "interests": {"f": r"(a)\1"}}),
                 400, "invalid_interest", "f")


@pytest.mark.parametrize("style", ["path", "query"])
def test_status_with_get_and_post(client, style):
    topic = client.topic()
    for mode in ("own", "post"):
        r = ActionCaller(client, style, mode)("status", {"queue": topic.queue, "interests": True})
        assert r.status == 200, r
        assert r.body["queue"]["name"] == topic.queue
        assert r.body["interests"][topic.queue] == {"t": f"^{topic.tag}$"}


def test_form_body_on_action_route(client):
    topic = client.topic()
    r = client.api("POST", "/api/taskCreate", form={"publisher": "form", "data": f'{{"t": "{topic.tag}"}}'})
    assert r.status == 201 and r.body["tasks"][0]["queue"] == topic.queue, r


@pytest.mark.parametrize("style", ["path", "query"])
@pytest.mark.parametrize("action", [a for a, m in ACTIONS.items() if m != "GET"])
def test_get_is_refused_for_state_changing_actions(client, style, action):
    path, params = (f"/api/{action}", {}) if style == "path" else ("/api", {"action": action})
    r = client.api("GET", path, params=params)
    assert_error(r, 405, "method_not_allowed")


@pytest.mark.parametrize("method,action", [
    ("PUT", "taskGet"), ("DELETE", "taskGet"), ("PUT", "status"), ("DELETE", "status"),
    ("DELETE", "taskCreate"), ("PUT", "taskUpdate"), ("GET", "workerDelete"), ("PUT", "queueDelete"),
])
def test_other_methods_are_405(client, method, action):
    assert_error(client.api(method, f"/api/{action}", json={}), 405, "method_not_allowed")
    assert_error(client.api(method, "/api", params={"action": action}, json={}), 405, "method_not_allowed")


def test_get_does_not_create_anything(client):
    topic = client.topic()
    r = client.api("GET", "/api/taskCreate", params={"publisher": "p", "data": f'{{"t": "{topic.tag}"}}'})
    assert r.status == 405, r
    assert client.queue_status(topic.queue)["length"] == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_action_is_404(client, method):
    assert_error(client.api(method, "/api/noSuchAction", json={} if method == "POST" else None),
                 404, "unknown_action")
    assert_error(client.api(method, "/api", params={"action": "noSuchAction"},
                            json={} if method == "POST" else None), 404, "unknown_action")
