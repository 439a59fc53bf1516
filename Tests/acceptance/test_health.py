"""GET /health: 200 {"status": "ok"} with a JSON content type while the store is reachable,
also under concurrent load and while long-polls are waiting; other methods are 405."""

import threading
import time

from support.client import Client, assert_error, assert_json_content_type


def test_health_is_ok(client):
    r = client.api("GET", "/health")
    assert r.status == 200, r
    assert r.body["status"] == "ok"
    assert_json_content_type(r)


def test_health_via_fresh_connections(server):
    import requests
    for _ in range(5):
        r = requests.get(server.url("/health"), timeout=5, headers={"Connection": "close"})
        assert r.status_code == 200 and r.json()["status"] == "ok"


def test_health_answers_while_long_polls_wait(client, server):
    topic = client.topic()
    workers = [client.register(topic.queue) for _ in range(8)]
    done = []

    def waiter(w):
        r = Client(server, timeout=20).api("GET", "/task", params={"workerId": w, "wait": "6"})
        done.append(r.status)

    threads = [threading.Thread(target=waiter, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    time.sleep(0.3)
    for call in range(5):
        start = time.monotonic()
        r = client.api("GET", "/health", timeout=5)
        assert r.status == 200, r
        assert time.monotonic() - start < 3, "health was held up by waiting long-polls"
        if call == 0:
            assert done == [], "the long polls ended before health answered: nothing was tested"
    for t in threads:
        t.join(15)
    assert done == [200] * 8


def test_health_under_concurrent_requests(server):
    results = []

    def hammer():
        c = Client(server)
        for _ in range(20):
            results.append(c.api("GET", "/health").status)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [200] * 120


def test_health_other_methods_are_405(client):
    assert_error(client.api("POST", "/health"), 405, "method_not_allowed")
    assert_error(client.api("DELETE", "/health"), 405, "method_not_allowed")
