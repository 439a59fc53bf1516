"""The failed queue (GET /status?failedQueue): failed tasks newest first with failReason and
attempts, offset/limit paging with a default limit of 50, per-queue `failed` counts; and
reEnqueue, which sends a task back to its queue (same id, `queued`) after a success or a
failure without entering the failed queue; pages bounded by size, and by the memory all of
them hold at once. Runs on a private server so counts are exact."""

import socket
import time

import pytest
import requests

from support.client import Client, assert_task_shape


@pytest.fixture(scope="module")
def fc(spawn):
    c = Client(spawn("failed"))
    yield c
    c.close()


def failed_queue(c, **params):
    body = c.status(failedQueue=True, **params)
    fq = body["failedQueue"]
    for t in fq["tasks"]:
        assert_task_shape(t)
        assert t["state"] == "failed", t
    return fq


def fail_n(c, n, reason="boom"):
    topic = c.topic()
    ids = [c.publish_one(topic.data(i=i)) for i in range(n)]
    w = c.register(topic.queue)
    for i, tid in enumerate(ids):
        assert c.lease(w)["id"] == tid
        c.finish(w, tid, state="fail", failReason=f"{reason} {i}")
    return topic, ids


def test_failed_tasks_are_listed_newest_first_with_reason(fc):
    before = failed_queue(fc)["length"]
    topic, ids = fail_n(fc, 3, reason="smtp")
    fq = failed_queue(fc)
    assert fq["length"] == before + 3
    top = fq["tasks"][:3]
    assert [t["id"] for t in top] == list(reversed(ids))
    for t, i in zip(top, (2, 1, 0)):
        assert t["failReason"] == f"smtp {i}"
        assert t["attempts"] == 1
        assert t["queue"] == topic.queue
        assert t["finishedAt"] is not None
    entry = {q["name"]: q for q in fc.status(queues=True)["queues"]}[topic.queue]
    assert entry["failed"] == 3 and entry["length"] == 0 and entry["started"] == 0


def test_paging_with_offset_and_limit_and_default_limit_50(fc):
    topic, ids = fail_n(fc, 60, reason="page")
    newest_first = list(reversed(ids))
    fq = failed_queue(fc)
    total = fq["length"]
    assert total >= 60
    assert len(fq["tasks"]) == 50, "the default limit is 50"
    assert [t["id"] for t in fq["tasks"]] == newest_first[:50]
    page = failed_queue(fc, offset=5, limit=3)
    assert page["length"] == total
    assert [t["id"] for t in page["tasks"]] == newest_first[5:8]
    page = failed_queue(fc, offset=50, limit=10)
    assert [t["id"] for t in page["tasks"]] == newest_first[50:60]
    page = failed_queue(fc, offset=0, limit=100)
    assert [t["id"] for t in page["tasks"][:60]] == newest_first
    page = failed_queue(fc, offset=total, limit=10)
    assert page["tasks"] == [] and page["length"] == total
    assert "nextOffset" not in fq, "a page within the size bound does not name a next one"


def test_bad_paging_values_are_400(fc):
    for params in ({"limit": "many"}, {"offset": "-x"}):
        r = fc.api("GET", "/status", params={"failedQueue": "true", **params})
        assert r.status == 400 and r.body["error"]["code"] == "bad_request", r
        assert list(params)[0] in r.body["error"]["message"], r


def test_reenqueue_after_success_goes_back_queued_same_id(fc):
    before = failed_queue(fc)["length"]
    topic = fc.topic()
    tid = fc.publish_one(topic.data())
    w = fc.register(topic.queue)
    fc.lease(w)
    done = fc.finish(w, tid, state="success", reEnqueue=True)
    assert done["id"] == tid and done["state"] == "queued" and done["workerId"] is None, done
    assert fc.queue_status(topic.queue)["length"] == 1
    again = fc.lease(w)
    assert again["id"] == tid and again["attempts"] == 2
    assert fc.finish(w, tid)["state"] == "succeeded"
    assert failed_queue(fc)["length"] == before


def test_reenqueue_after_fail_goes_back_queued_not_into_failed_queue(fc):
    before = failed_queue(fc)
    topic = fc.topic()
    tid = fc.publish_one(topic.data())
    w = fc.register(topic.queue)
    fc.lease(w)
    done = fc.finish(w, tid, state="fail", failReason="try later", reEnqueue=True)
    assert done["id"] == tid and done["state"] == "queued", done
    after = failed_queue(fc)
    assert after["length"] == before["length"]
    assert tid not in [t["id"] for t in after["tasks"]]
    entry = {q["name"]: q for q in fc.status(queues=True)["queues"]}[topic.queue]
    assert entry["failed"] == 0 and entry["length"] == 1
    again = fc.lease(w)
    assert again["id"] == tid and again["attempts"] == 2 and again["state"] == "started"
    final = fc.finish(w, tid, state="fail", failReason="final")
    assert final["state"] == "failed" and final["failReason"] == "final" and final["attempts"] == 2
    top = failed_queue(fc, limit=1)["tasks"][0]
    assert top["id"] == tid and top["failReason"] == "final"


def test_reenqueue_false_spelled_in_form(fc):
    topic = fc.topic()
    tid = fc.publish_one(topic.data())
    w = fc.register(topic.queue)
    fc.lease(w)
    r = fc.api("POST", "/task", form={"workerId": w, "taskId": tid, "state": "fail", "reEnqueue": "no"})
    assert r.status == 200 and r.body["task"]["state"] == "failed", r
    assert failed_queue(fc, limit=1)["tasks"][0]["id"] == tid


MIB = 1 << 20


@pytest.fixture(scope="module")
def large_failures(spawn):
    """A server whose status pages hold 16 MiB of failed tasks' data and fail reasons at
    most, and whose failed queue holds three tasks of 6 MiB of data each: a page holds two."""
    args = ["--body-limit", str(8 * MIB), "--status-page-bytes", str(16 * MIB)]
    c = Client(spawn("large-failures", extra_args=args), timeout=60)
    topic = c.topic()
    worker = c.register(topic.queue)
    ids = []
    for n in range(3):
        ids.append(c.publish_one(topic.data(n=n, pad="x" * (6 * MIB))))
        task = c.lease(worker)
        c.finish(worker, task["id"], state="fail", attempt=task["attempts"])
    yield c, list(reversed(ids))
    c.close()


def test_a_page_ends_before_its_size_bound_and_names_the_next(large_failures):
    c, newest_first = large_failures
    first = failed_queue(c)
    assert first["length"] == 3 and [t["id"] for t in first["tasks"]] == newest_first[:2]
    assert first["nextOffset"] == 2
    rest = failed_queue(c, offset=first["nextOffset"])
    assert [t["id"] for t in rest["tasks"]] == newest_first[2:] and "nextOffset" not in rest
    alone = failed_queue(c, offset=1, limit=1)
    assert [t["id"] for t in alone["tasks"]] == newest_first[1:2] and "nextOffset" not in alone


def largest_send_buffer():
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        return int(f.read().split()[2])


def test_unread_pages_of_failed_tasks_hold_back_more_until_they_are_taken(large_failures):
    """Each status below is 12 MiB that its client does not read, more than the kernel's
    buffers take (4 MiB by default). Past the memory that pages of failed tasks may hold at
    once (four full pages, 64 MiB), further ones wait until answers are taken, while other
    requests, statuses without failed tasks included, are answered at once. Without the
    bound, the waiting status was answered."""
    if largest_send_buffer() > 8 * MIB:
        pytest.skip("the kernel's send buffers take an unread answer whole")
    c, newest_first = large_failures
    unread = []
    for _ in range(6):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((c.server.host, c.server.port))
        sock.sendall(b"GET /status?failedQueue=true HTTP/1.1\r\nHost: x\r\n\r\n")
        unread.append(sock)
    time.sleep(2)
    other = Client(c.server, timeout=30)
    assert other.api("GET", "/health").status == 200
    assert other.status(queues=True)["queues"], "a status without failed tasks is answered at once"
    waiting = Client(c.server, timeout=1.5)
    with pytest.raises(requests.exceptions.Timeout):
        waiting.status(failedQueue=True, limit=1)
    waiting.close()
    for sock in unread:
        sock.close()
    start = time.monotonic()
    page = other.status(failedQueue=True, limit=1)["failedQueue"]
    assert [t["id"] for t in page["tasks"]] == newest_first[:1]
    assert time.monotonic() - start < 10
    other.close()
