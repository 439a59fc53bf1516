"""Three servers on one PostgreSQL database: any node serves any request, and losing one
loses nothing.

Publishers and workers are spread over the nodes; one node is SIGKILLed mid-run and another
restarted. In the end: every publish that got a 2xx was delivered and finished, no finish was
accepted twice for one task (fencing held across nodes), `singularlyRun` twins never ran at
once, and each scope `all` copy reached each registered worker exactly once.

Needs COUCHQUEUE_TEST_POSTGRES (scripts/test starts a throwaway cluster and sets it).
"""
import threading
import time
import uuid

import requests

from support.server import Server

PUBLICATIONS = 600
SINGULAR = 12
SCOPE_ALL = 10


class Cluster:
    """The nodes, and calls that go to whichever live node is asked, or the next one."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.lock = threading.Lock()

    def call(self, method, path, node=0, **kwargs):
        for attempt in range(len(self.nodes) * 20):
            server = self.nodes[(node + attempt) % len(self.nodes)]
            if not server.running():
                continue
            try:
                return requests.request(method, server.url(path), timeout=15, **kwargs)
            except requests.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"no node answered {method} {path}")


def test_three_nodes_share_one_store_and_survive_losing_one(tmp_path, postgres_url):
    nodes = [Server(tmp_path / f"node{i}", lease_timeout=2, store_url=postgres_url).start() for i in range(3)]
    cluster = Cluster(nodes)
    tag, all_tag = uuid.uuid4().hex, uuid.uuid4().hex
    try:
        # Interests registered on node 0 apply to the very next publish on node 1.
        r = cluster.call("PUT", "/interest", 0, json={"queue": "mn", "interests": {"t": f"^{tag}$"}})
        assert r.status_code == 201, r.text
        r = cluster.call("PUT", "/interest", 0, json={"queue": "mn-all", "interests": {"a": f"^{all_tag}$"}})
        assert r.status_code == 201, r.text
        r = cluster.call("PUT", "/task", 1, json={"publisher": "mn", "data": {"t": tag, "i": -1}})
        assert r.status_code == 201 and r.json()["tasks"][0]["queue"] == "mn", r.text

        all_workers = [cluster.call("PUT", "/worker", n, json={"queues": ["mn-all"]}).json()["workerId"] for n in (0, 2)]
        acked = {r.json()["tasks"][0]["id"]}
        singular_ids = set()
        finished = {}          # task id -> attempt of the accepted finish
        double_finishes = []
        singular_spans = []    # (leased at, finish sent at) for singularlyRun tasks
        copies = {}            # (worker, publication) -> count
        failures = []          # what the threads raised: an assert in a thread only warns
        stop = threading.Event()

        def checked(body):
            def run(*args):
                try:
                    body(*args)
                except Exception as e:  # noqa: BLE001
                    with cluster.lock:
                        failures.append(f"{body.__name__}{args}: {e!r}")
            return run

        def publisher(index):
            for i in range(index, PUBLICATIONS, 3):
                data = {"t": tag, "i": i}
                singular = i < SINGULAR
                if singular:
                    data = {"t": tag, "twin": True}
                r = cluster.call("PUT", "/task", i % 3, json={"publisher": "mn", "data": data, "singularlyRun": singular})
                # A lost node shows as refused connections, which `call` takes to the next node:
                # no publish may be refused or routed nowhere.
                assert r.status_code == 201 and [t["queue"] for t in r.json()["tasks"]] == ["mn"], r.text
                with cluster.lock:
                    acked.update(t["id"] for t in r.json()["tasks"])
                    if singular:
                        singular_ids.update(t["id"] for t in r.json()["tasks"])

        def worker(index, worker_id, queue_kind):
            node = index
            while not stop.is_set():
                r = cluster.call("GET", f"/task?workerId={worker_id}&wait=0.5", node)
                node += 1  # spread a worker's calls over the nodes
                assert r.status_code == 200, r.text
                task = r.json()["task"]
                if task is None:
                    continue
                leased_at = time.monotonic()
                if task["data"].get("twin"):
                    time.sleep(0.02)  # long enough that an overlapping twin would show
                sent_at = time.monotonic()
                r = cluster.call("POST", "/task", node, json={
                    "workerId": worker_id, "taskId": task["id"], "state": "success", "attempt": task["attempts"]})
                with cluster.lock:
                    if queue_kind == "all":
                        key = (worker_id, task["publicationId"])
                        copies[key] = copies.get(key, 0) + 1
                    if r.status_code == 200:
                        if task["id"] in finished:
                            double_finishes.append(task["id"])
                        finished[task["id"]] = task["attempts"]
                        if task["data"].get("twin"):
                            singular_spans.append((leased_at, sent_at))
                    else:
                        # A finish whose node died after committing is retried elsewhere and refused:
                        # the task must then be finished at this very attempt.
                        assert r.status_code == 409, r.text
                if r.status_code == 409:
                    stored = cluster.call("GET", f"/status?task={task['id']}").json()["task"]
                    if stored["state"] == "succeeded" and stored["attempts"] == task["attempts"]:
                        with cluster.lock:
                            if task["id"] not in finished and task["data"].get("twin"):
                                singular_spans.append((leased_at, sent_at))  # this run's finish did commit
                            finished.setdefault(task["id"], task["attempts"])

        workers = [cluster.call("PUT", "/worker", n, json={"queues": ["mn"]}).json()["workerId"] for n in range(3)]
        threads = [threading.Thread(target=checked(worker), args=(i, w, "any")) for i, w in enumerate(workers)]
        threads += [threading.Thread(target=checked(worker), args=(i, w, "all")) for i, w in enumerate(all_workers)]
        for t in threads:
            t.start()
        publishers = [threading.Thread(target=checked(publisher), args=(i,)) for i in range(3)]
        for t in publishers:
            t.start()
        for _ in range(SCOPE_ALL):
            r = cluster.call("PUT", "/task", 1, json={"publisher": "mn", "data": {"a": all_tag}, "scope": "all"})
            assert r.status_code == 201 and len(r.json()["tasks"]) == 2, r.text

        time.sleep(0.5)
        nodes[2].kill9()                   # lose a node mid-run
        time.sleep(0.5)
        assert nodes[1].terminate() == 0   # and restart another
        nodes[1].start()
        for t in publishers:
            t.join()
        nodes[2].start()

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with cluster.lock:
                if acked <= set(finished) or failures:
                    break
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()

        assert not failures, "\n".join(failures)
        assert len(acked) == PUBLICATIONS + 1 and len(singular_ids) == SINGULAR
        assert acked - set(finished) == set(), "acknowledged publishes never delivered"
        assert double_finishes == [], "a finish was accepted twice for one task"
        spans = sorted(singular_spans)
        assert len(spans) == len(singular_ids)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "singularlyRun twins overlapped"
        publications = {p for _, p in copies}
        assert len(publications) == SCOPE_ALL
        assert copies == {(w, p): 1 for w in all_workers for p in publications}, "scope all copies"
        for task_id in list(acked)[:20]:
            state = cluster.call("GET", f"/status?task={task_id}").json()["task"]["state"]
            assert state == "succeeded"
    finally:
        for node in nodes:
            node.stop()
