"""Crash safety: SIGKILL the server while publishers (non-fastPost) and workers run, restart it
on the same SQLite file, and check that every acknowledged publish is stored and eventually
delivered, no task is lost, acknowledged finishes stay finished, and a worker that lost its
lease across the crash cannot finish the task (409 not_leased) while the new holder can."""

import threading
import time

import requests

from support.client import Client, assert_error, uid, wait_until

LEASE = 1.0
SLACK = 3.0
PUBLISHERS = 4
WORKERS = 3


class Load:
    def __init__(self, srv, queue, tag):
        self.srv, self.queue, self.tag = srv, queue, tag
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}          # task id -> data, publish answered 201
        self.attempted = set()   # (p, n) of every publish sent
        self.delivered = set()   # task ids handed out by GET /task before the crash
        self.finished = set()    # task ids whose finish was answered 200 before the crash
        self.unexpected = []     # answers that are neither success nor a broken connection
        self.threads = [threading.Thread(target=self.publisher, args=(p,), daemon=True)
                        for p in range(PUBLISHERS)]
        self.threads += [threading.Thread(target=self.worker, daemon=True) for _ in range(WORKERS)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)
        assert not any(t.is_alive() for t in self.threads), "load threads did not stop"

    def publisher(self, p):
        c = Client(self.srv, timeout=5)
        n = 0
        while not self.stop.is_set():
            data = {"t": self.tag, "p": p, "n": n}
            self.attempted.add((p, n))
            try:
                r = c.api("PUT", "/task", json={"publisher": f"crash-{p}", "data": data})
            except requests.RequestException:
                return  # the server is gone
            with self.lock:
                if r.status == 201 and len(r.body.get("tasks", [])) == 1:
                    self.acked[r.body["tasks"][0]["id"]] = data
                else:
                    self.unexpected.append(("publish", r))
            n += 1

    def worker(self):
        c = Client(self.srv, timeout=5)
        try:
            wid = c.register(self.queue)
        except requests.RequestException:
            return
        while not self.stop.is_set():
            try:
                r = c.api("GET", "/task", params={"workerId": wid})
            except requests.RequestException:
                return
            if r.status != 200:
                self.unexpected.append(("lease", r))
                continue
            task = r.body["task"]
            if task is None:
                time.sleep(0.01)
                continue
            with self.lock:
                self.delivered.add(task["id"])
            try:
                f = c.api("POST", "/task", json={"workerId": wid, "taskId": task["id"], "state": "success",
                                                 "attempt": task["attempts"]})
            except requests.RequestException:
                return
            with self.lock:
                if f.status == 200:
                    self.finished.add(task["id"])
                elif f.status == 409 and f.body["error"]["code"] == "not_leased":
                    pass  # the 1 s lease ran out on a slow machine; the task comes back by itself
                else:
                    self.unexpected.append(("finish", f))


def test_kill9_under_load_loses_nothing_and_fences_old_holders(make_server):
    srv = make_server(lease_timeout=LEASE, worker_timeout=600)
    c = Client(srv)
    tag, fence_tag = uid(), uid()
    q, qf = f"crash-{tag}", f"fence-{fence_tag}"
    c.set_interest(q, {"t": f"^{tag}$"})
    c.set_interest(qf, {"t": f"^{fence_tag}$"})

    # a task that a worker leases before the crash and never finishes
    w_old = c.register(qf)
    fence_id = c.publish_one({"t": fence_tag})
    fence = c.lease(w_old)
    assert fence["id"] == fence_id and fence["attempts"] == 1

    load = Load(srv, q, tag)
    load.start()
    began = time.monotonic()
    wait_until(lambda: time.monotonic() - began >= 1.0 and len(load.acked) >= 30 and len(load.finished) >= 5,
               20, interval=0.05, desc="enough load before the crash")
    srv.kill9()
    load.join()
    assert not load.unexpected, f"unexpected answers before the crash: {load.unexpected[:5]}"

    srv.restart()
    c = Client(srv)

    # 1. every acknowledged publish is stored, with its data and a legal state
    for tid, data in load.acked.items():
        r = c.api("GET", "/status", params={"task": tid})
        assert r.status == 200, f"acknowledged task {tid} lost after the crash: {r!r}"
        assert r.body["task"]["data"] == data
        assert r.body["task"]["state"] in ("queued", "started", "succeeded"), r.body["task"]
    # acknowledged finishes stay finished
    for tid in load.finished:
        assert c.get_task(tid)["state"] == "succeeded", f"acknowledged finish of {tid} lost"

    # 2. the pre-crash lease runs out and another worker gets the task; the old one is fenced
    w_new = c.register(qf)
    got = wait_until(lambda: c.lease(w_new), LEASE + SLACK, interval=0.1, desc="fence task re-leased")
    assert got["id"] == fence_id and got["attempts"] == 2 and got["workerId"] == w_new, got
    r = c.api("POST", "/task", json={"workerId": w_old, "taskId": fence_id, "state": "success", "attempt": 1})
    assert_error(r, 409, "not_leased")
    r = c.api("POST", "/task", json={"workerId": w_old, "taskId": fence_id, "state": "fail"})
    assert_error(r, 409, "not_leased")
    t = c.get_task(fence_id)
    assert (t["state"], t["workerId"], t["attempts"]) == ("started", w_new, 2)
    assert c.finish(w_new, fence_id, attempt=2)["state"] == "succeeded"

    # 3. drain with fresh workers until the queue is empty (expired leases come back)
    drainers = [c.register(q) for _ in range(2)]
    drained = {}
    deadline = time.monotonic() + 30
    while True:
        progressed = False
        for w in drainers:
            task = c.lease(w)
            if task is not None:
                progressed = True
                drained[task["id"]] = task["data"]
                c.finish(w, task["id"], attempt=task["attempts"])
        if not progressed:
            qs = c.queue_status(q)
            if (qs["length"], qs["scheduled"], qs["started"]) == (0, 0, 0):
                break
            time.sleep(0.1)
        assert time.monotonic() < deadline, f"queue did not drain: {c.queue_status(q)}"

    # 4. nothing lost, nothing acknowledged undone, nothing invented
    for tid in load.acked:
        assert c.get_task(tid)["state"] == "succeeded", tid
    never = [tid for tid in load.acked if tid not in load.delivered and tid not in drained]
    assert not never, f"{len(never)} acknowledged tasks were never delivered: {never[:5]}"
    assert not (set(drained) & load.finished), "a task whose finish was acknowledged was delivered again"
    extra = set(drained) - set(load.acked)
    assert len(extra) <= PUBLISHERS, f"{len(extra)} unacknowledged tasks, more than publishes in flight"
    for tid in extra:
        data = drained[tid]
        assert data["t"] == tag and (data["p"], data["n"]) in load.attempted, data
    print(f"crash test: {len(load.acked)} acked publishes, {len(load.finished)} acked finishes, "
          f"{len(drained)} drained after restart ({len(extra)} from in-flight publishes)")
