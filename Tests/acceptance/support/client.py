"""A thin HTTP client for the CouchQueue wire contract, plus assertion helpers."""

from __future__ import annotations

import json as jsonlib
import math
import time
import uuid
from dataclasses import dataclass

import requests

STATES = {"scheduled", "queued", "started", "succeeded", "failed"}
TASK_KEYS = {"id", "publicationId", "queue", "workerId", "publisher", "data", "scope",
             "singularlyEnqueue", "singularlyRun", "state", "attempts", "runAt", "createdAt",
             "startedAt", "finishedAt", "failReason"}
PUBLISHED_KEYS = {"id", "queue", "workerId", "state", "duplicate"}

_UNSET = object()


def uid() -> str:
    """A unique tag for one test's queues and data."""
    return uuid.uuid4().hex[:16]


def wait_until(fn, timeout, interval=0.1, desc="condition"):
    """Poll fn() until it returns something truthy; returns that value or fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {desc}; last value: {value!r}")
        time.sleep(interval)


class Resp(tuple):
    """(status, body) that also carries .headers, .text, .status and .body."""

    def __new__(cls, status, body, headers, text):
        obj = super().__new__(cls, (status, body))
        obj.status = status
        obj.body = body
        obj.headers = headers
        obj.text = text
        return obj

    def __repr__(self):
        return f"<HTTP {self.status} {self.text[:600]!r}>"


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def assert_json_content_type(resp):
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == "application/json", \
        f"Content-Type should be application/json, got {ctype!r} for {resp!r}"


def assert_error(resp, status, code, mentions=None):
    """The contract's error shape: {"error": {"code": ..., "message": ...}} with a JSON content type."""
    assert resp.status == status, f"expected {status} {code}, got {resp!r}"
    body = resp.body
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), \
        f"error body must be {{\"error\": {{\"code\", \"message\"}}}}, got {resp!r}"
    assert body["error"].get("code") == code, f"expected error code {code!r}, got {resp!r}"
    message = body["error"].get("message")
    assert isinstance(message, str) and message.strip(), f"error message must be a non-empty string: {resp!r}"
    if mentions is not None:
        names = [mentions] if isinstance(mentions, str) else list(mentions)
        assert any(n in message for n in names), \
            f"error message should name {' or '.join(map(repr, names))}: {message!r}"
    assert_json_content_type(resp)


def assert_task_shape(task):
    assert isinstance(task, dict), f"task must be an object: {task!r}"
    missing = TASK_KEYS - set(task)
    assert not missing, f"task object lacks keys {sorted(missing)}: {task!r}"
    assert isinstance(task["id"], str) and task["id"]
    assert isinstance(task["publicationId"], str) and task["publicationId"]
    assert isinstance(task["queue"], str) and task["queue"]
    assert task["workerId"] is None or isinstance(task["workerId"], str)
    assert isinstance(task["publisher"], str) and task["publisher"]
    assert isinstance(task["data"], dict)
    assert task["scope"] in ("any", "all"), task
    assert isinstance(task["singularlyEnqueue"], bool), task
    assert isinstance(task["singularlyRun"], bool), task
    assert task["state"] in STATES, task
    assert isinstance(task["attempts"], int) and not isinstance(task["attempts"], bool), task
    assert is_number(task["runAt"]) and is_number(task["createdAt"]), task
    for k in ("startedAt", "finishedAt"):
        assert task[k] is None or is_number(task[k]), task
    assert task["failReason"] is None or isinstance(task["failReason"], str), task
    return task


@dataclass
class Topic:
    """A queue whose interest matches only data carrying this topic's unique tag in field `t`."""
    queue: str
    tag: str

    def data(self, **extra):
        return {"t": self.tag, **extra}


class Client:
    def __init__(self, server, timeout=10.0):
        self.server = server
        self.timeout = timeout
        self.session = requests.Session()

    def close(self):
        self.session.close()

    # ---------------------------------------------------------------------------- raw calls
    def request(self, method, path, params=None, json=_UNSET, form=None, headers=None,
                data=None, timeout=None):
        kwargs = {"params": params, "headers": headers, "timeout": timeout or self.timeout}
        if json is not _UNSET:
            kwargs["json"] = json
        if form is not None:
            kwargs["data"] = form
        elif data is not None:
            kwargs["data"] = data
        return self.session.request(method, self.server.url(path), **kwargs)

    def api(self, method, path, params=None, json=_UNSET, form=None, headers=None, data=None,
            timeout=None) -> Resp:
        r = self.request(method, path, params=params, json=json, form=form, headers=headers,
                         data=data, timeout=timeout)
        try:
            body = r.json()
        except ValueError:
            body = r.text
        return Resp(r.status_code, body, r.headers, r.text)

    # ------------------------------------------------------------------------- conveniences
    def set_interest(self, queue, interests):
        r = self.api("PUT", "/interest", json={"queue": queue, "interests": interests})
        assert r.status == 201, f"PUT /interest {queue} {interests!r}: {r!r}"
        return r.body

    def topic(self, prefix="q"):
        tag = uid()
        q = f"{prefix}-{tag}"
        self.set_interest(q, {"t": f"^{tag}$"})
        return Topic(q, tag)

    def register(self, *queues):
        r = self.api("PUT", "/worker", json={"queues": list(queues)})
        assert r.status == 201, f"PUT /worker {queues}: {r!r}"
        assert isinstance(r.body.get("workerId"), str) and r.body["workerId"], r
        return r.body["workerId"]

    def publish(self, data, publisher="acceptance", expect=(200, 201), **params):
        body = {"publisher": publisher, "data": data, **params}
        r = self.api("PUT", "/task", json=body)
        if expect is not None:
            expected = (expect,) if isinstance(expect, int) else tuple(expect)
            assert r.status in expected, f"PUT /task {body!r}: {r!r}"
        return r.body

    def publish_one(self, data, **params):
        """Publish data that exactly one queue is interested in; returns the task id."""
        body = self.publish(data, expect=201, **params)
        assert len(body["tasks"]) == 1, f"expected one task: {body!r}"
        return body["tasks"][0]["id"]

    def lease(self, worker_id, **params):
        r = self.api("GET", "/task", params={"workerId": worker_id, **params})
        assert r.status == 200, f"GET /task {worker_id}: {r!r}"
        assert "task" in r.body, r
        if r.body["task"] is not None:
            assert_task_shape(r.body["task"])
        return r.body["task"]

    def finish(self, worker_id, task_id, state="success", expect=200, **params):
        r = self.api("POST", "/task", json={"workerId": worker_id, "taskId": task_id,
                                             "state": state, **params})
        assert r.status == expect, f"POST /task {task_id} {state} {params}: {r!r}"
        if expect == 200:
            assert_task_shape(r.body["task"])
            return r.body["task"]
        return r

    def heartbeat(self, worker_id, tasks=None):
        body = {"workerId": worker_id}
        if tasks is not None:
            body["tasks"] = tasks
        r = self.api("POST", "/worker", json=body)
        assert r.status == 200, f"POST /worker {body!r}: {r!r}"
        assert r.body.get("workerId") == worker_id, r
        assert isinstance(r.body.get("tasks"), list), r
        return r.body["tasks"]

    def get_task(self, task_id):
        r = self.api("GET", "/status", params={"task": task_id})
        assert r.status == 200, f"GET /status?task={task_id}: {r!r}"
        return assert_task_shape(r.body["task"])

    def queue_status(self, queue):
        r = self.api("GET", "/status", params={"queue": queue})
        assert r.status == 200, f"GET /status?queue={queue}: {r!r}"
        return r.body["queue"]

    def worker_queue_length(self, worker_id):
        r = self.api("GET", "/status", params={"workerQueue": worker_id})
        assert r.status == 200, f"GET /status?workerQueue={worker_id}: {r!r}"
        assert r.body["workerQueue"]["workerId"] == worker_id, r
        return r.body["workerQueue"]["length"]

    def status(self, **params):
        r = self.api("GET", "/status", params={k: str(v).lower() if isinstance(v, bool) else v
                                                for k, v in params.items()})
        assert r.status == 200, f"GET /status {params}: {r!r}"
        return r.body

    def workers(self):
        return {w["workerId"]: w for w in self.status(workers=True)["workers"]}


def canonical(obj):
    return jsonlib.dumps(obj, sort_keys=True, separators=(",", ":"))
