"""DELETE /queue (queueDelete): waiting tasks removed and counted, started tasks stay started
and can be finished, interests gone, unknown queue 404; and the per-queue counters of
GET /status?queue= (length, scheduled, started)."""

import time

from support.client import assert_error, assert_json_content_type, uid


def test_queue_counters(client):
    topic = client.topic()
    client.publish_one(topic.data(i=1))
    client.publish_one(topic.data(i=2))
    client.publish_one(topic.data(i=3))
    client.publish_one(topic.data(i=4), runAt=time.time() + 3600)
    w = client.register(topic.queue)
    client.lease(w)
    r = client.api("GET", "/status", params={"queue": topic.queue})
    assert r.status == 200, r
    assert_json_content_type(r)
    got = {k: r.body["queue"].get(k) for k in ("name", "length", "scheduled", "started")}
    assert got == {"name": topic.queue, "length": 2, "scheduled": 1, "started": 1}, r


def test_delete_queue_removes_waiting_tasks_and_leaves_started_ones(client):
    topic = client.topic()
    started = client.publish_one(topic.data(i=0))
    w = client.register(topic.queue)
    assert client.lease(w)["id"] == started
    client.publish_one(topic.data(i=1))
    client.publish_one(topic.data(i=2))
    client.publish_one(topic.data(i=3), runAt=time.time() + 3600)
    r = client.api("DELETE", "/queue", params={"queue": topic.queue})
    assert r.status == 200, r
    assert_json_content_type(r)
    assert r.body["queue"] == topic.queue
    assert r.body["deleted"] is True
    assert r.body["tasksDeleted"] == 3
    assert_error(client.api("GET", "/status", params={"queue": topic.queue}), 404, "queue_not_found")
    assert topic.queue not in client.status(interests=True)["interests"]
    assert topic.queue not in {q["name"] for q in client.status(queues=True)["queues"]}
    # the started task stays started and its worker can still finish it
    t = client.get_task(started)
    assert (t["state"], t["workerId"]) == ("started", w)
    assert client.heartbeat(w) == [started]
    done = client.finish(w, started)
    assert done["state"] == "succeeded"
    # nothing waits any more, and new publications are not routed there
    assert client.lease(w) is None
    assert client.publish(topic.data(i=4))["tasks"] == []


def test_failed_started_task_of_deleted_queue_is_not_reenqueued(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    client.lease(w)
    assert client.api("DELETE", "/queue", json={"queue": topic.queue}).body["tasksDeleted"] == 0
    done = client.finish(w, tid, state="fail", failReason="gone")
    assert done["state"] == "failed"
    assert client.lease(w) is None


def test_a_started_task_of_a_deleted_queue_is_not_reenqueued_by_its_report(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    client.lease(w)
    client.api("DELETE", "/queue", json={"queue": topic.queue})
    assert client.finish(w, tid, reEnqueue=True)["state"] == "succeeded"
    assert client.lease(w) is None


def test_a_started_task_of_a_deleted_queue_stays_out_of_a_new_queue_of_the_same_name(client):
    topic = client.topic()
    reported, failed = client.publish_one(topic.data(i=1)), client.publish_one(topic.data(i=2))
    w = client.register(topic.queue)
    assert {client.lease(w)["id"], client.lease(w)["id"]} == {reported, failed}
    client.api("DELETE", "/queue", json={"queue": topic.queue})
    client.set_interest(topic.queue, {"t": f"^{topic.tag}$"})
    assert client.finish(w, reported, reEnqueue=True)["state"] == "succeeded"
    assert client.finish(w, failed, state="fail", failReason="x", reEnqueue=True)["state"] == "failed"
    assert client.queue_status(topic.queue)["length"] == 0
    assert client.lease(w) is None


def test_delete_unknown_queue_is_404(client):
    assert_error(client.api("DELETE", "/queue", params={"queue": f"nope-{uid()}"}), 404, "queue_not_found")


def test_delete_queue_missing_param_is_400(client):
    assert_error(client.api("DELETE", "/queue"), 400, "bad_request", "queue")


def test_delete_queue_twice_is_404_the_second_time(client):
    topic = client.topic()
    assert client.api("DELETE", "/queue", params={"queue": topic.queue}).status == 200
    assert_error(client.api("DELETE", "/queue", params={"queue": topic.queue}), 404, "queue_not_found")


def test_queue_can_be_recreated_after_delete(client):
    topic = client.topic()
    client.publish_one(topic.data())
    client.api("DELETE", "/queue", params={"queue": topic.queue})
    client.set_interest(topic.queue, {"t": f"^{topic.tag}$"})
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["scheduled"], qs["started"]) == (0, 0, 0)
    client.publish_one(topic.data())
    assert client.queue_status(topic.queue)["length"] == 1


def test_unknown_queue_status_is_404(client):
    assert_error(client.api("GET", "/status", params={"queue": f"nope-{uid()}"}), 404, "queue_not_found")


def test_a_publish_racing_the_queues_deletion_leaves_nothing_in_the_deleted_queue(server):
    """Publishes routed before DELETE /queue and stored after it would wait, unseen, in a queue
    that no longer exists: they are routed again instead, and go nowhere."""
    import threading

    from support.client import Client

    clients = [Client(server) for _ in range(9)]
    try:
        for trial in range(10):
            topic = clients[0].topic()
            worker = clients[0].register(topic.queue)
            barrier = threading.Barrier(len(clients))
            published, deleted = [], []  # checked here: an assert in a thread only warns

            def publish(c):
                barrier.wait()
                for _ in range(3):
                    published.append(c.api("PUT", "/task", json={"publisher": "acceptance", "data": topic.data()}))

            def delete(c):
                barrier.wait()
                deleted.append(c.api("DELETE", "/queue", params={"queue": topic.queue}))

            threads = [threading.Thread(target=publish, args=(c,)) for c in clients[1:]]
            threads.append(threading.Thread(target=delete, args=(clients[0],)))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [r.status for r in deleted] == [200], f"trial {trial}: {deleted}"
            assert len(published) == 3 * len(clients[1:]), f"trial {trial}: a publish got no answer"
            for r in published:
                # stored before the deletion, or routed again after it: never refused with a 503
                got = (r.status, [t["queue"] for t in r.body.get("tasks", [])])
                assert got in [(201, [topic.queue]), (200, [])], f"trial {trial}: {r!r}"
            assert clients[0].lease(worker) is None, f"trial {trial}: a task waits in the deleted queue"
    finally:
        for c in clients:
            c.close()
