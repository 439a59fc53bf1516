"""Cross-site protection: a state-changing request that a browser sends from another site
(`Sec-Fetch-Site: cross-site`, or an `Origin` that is not the server's own) is a 403 forbidden
and changes nothing; same-origin requests and clients without those headers work; reads
(GET /status, GET /health) are not refused, unless a browser reached the server under another
site's name (DNS rebinding)."""

import json

import pytest

from support.client import Client, assert_error, uid

FOREIGN = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Origin": "http://evil.example"},
    {"Origin": "https://evil.example:8443"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:1"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
]
FOREIGN_IDS = ["sec-fetch-site", "origin", "origin-https", "origin-null", "origin-other-port", "both"]


@pytest.mark.parametrize("headers", FOREIGN, ids=FOREIGN_IDS)
def test_cross_site_publish_is_refused_and_stores_nothing(client, headers):
    topic = client.topic()
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}, headers=headers)
    assert_error(r, 403, "forbidden")
    qs = client.queue_status(topic.queue)
    assert (qs["length"], qs["scheduled"], qs["started"]) == (0, 0, 0)


@pytest.mark.parametrize("headers", FOREIGN[:2], ids=FOREIGN_IDS[:2])
def test_cross_site_form_post_is_refused(client, headers):
    topic = client.topic()
    r = client.api("POST", "/api/taskCreate", form={"publisher": "p", "data": json.dumps(topic.data())},
                   headers=headers)
    assert_error(r, 403, "forbidden")
    assert client.queue_status(topic.queue)["length"] == 0


@pytest.mark.parametrize("headers", FOREIGN[:2], ids=FOREIGN_IDS[:2])
def test_cross_site_interest_changes_are_refused(client, headers):
    topic = client.topic()
    new_q = f"new-{uid()}"
    assert_error(client.api("PUT", "/interest", json={"queue": new_q, "interests": {"t": "x"}}, headers=headers),
                 403, "forbidden")
    assert_error(client.api("GET", "/status", params={"queue": new_q}), 404, "queue_not_found")
    assert_error(client.api("PUT", "/interest", json={"queue": topic.queue, "interests": {"t": f"^other-{topic.tag}$"}},
                            headers=headers),
                 403, "forbidden")
    assert_error(client.api("DELETE", "/interest", params={"queue": topic.queue}, headers=headers),
                 403, "forbidden")
    assert client.status(interests=True)["interests"][topic.queue] == {"t": f"^{topic.tag}$"}


@pytest.mark.parametrize("headers", FOREIGN[:2], ids=FOREIGN_IDS[:2])
def test_cross_site_queue_delete_is_refused(client, headers):
    topic = client.topic()
    client.publish_one(topic.data())
    assert_error(client.api("DELETE", "/queue", params={"queue": topic.queue}, headers=headers), 403, "forbidden")
    assert client.queue_status(topic.queue)["length"] == 1


@pytest.mark.parametrize("headers", FOREIGN[:2], ids=FOREIGN_IDS[:2])
def test_cross_site_worker_calls_are_refused(client, headers):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    assert_error(client.api("PUT", "/worker", json={"queues": [topic.queue]}, headers=headers), 403, "forbidden")
    assert not [w for w in client.workers().values() if topic.queue in w["queues"]]

    w = client.register(topic.queue)
    # GET /task changes state (it leases a task): refused too
    assert_error(client.api("GET", "/task", params={"workerId": w}, headers=headers), 403, "forbidden")
    assert client.get_task(tid)["state"] == "queued"

    assert client.lease(w)["id"] == tid
    assert_error(client.api("POST", "/worker", json={"workerId": w}, headers=headers), 403, "forbidden")
    assert_error(client.api("POST", "/task", json={"workerId": w, "taskId": tid, "state": "success"},
                            headers=headers), 403, "forbidden")
    assert client.get_task(tid)["state"] == "started"
    assert_error(client.api("DELETE", "/worker", params={"workerId": w}, headers=headers), 403, "forbidden")
    assert w in client.workers()
    assert client.heartbeat(w) == [tid]


def test_cross_site_action_routes_are_refused(client):
    topic = client.topic()
    r = client.api("POST", "/api?action=taskCreate", json={"publisher": "p", "data": topic.data()},
                   headers={"Origin": "http://evil.example"})
    assert_error(r, 403, "forbidden")
    r = client.api("PUT", "/api/taskCreate", json={"publisher": "p", "data": topic.data()},
                   headers={"Sec-Fetch-Site": "cross-site"})
    assert_error(r, 403, "forbidden")
    assert client.queue_status(topic.queue)["length"] == 0


def test_same_origin_requests_are_allowed(client, server):
    own = {"Origin": server.origin, "Sec-Fetch-Site": "same-origin"}
    topic = client.topic()
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}, headers=own)
    assert r.status == 201, r
    tid = r.body["tasks"][0]["id"]
    r = client.api("PUT", "/worker", json={"queues": [topic.queue]}, headers={"Origin": server.origin})
    assert r.status == 201, r
    w = r.body["workerId"]
    r = client.api("GET", "/task", params={"workerId": w}, headers=own)
    assert r.status == 200 and r.body["task"]["id"] == tid, r
    r = client.api("POST", "/task", json={"workerId": w, "taskId": tid, "state": "success"},
                   headers={"Origin": server.origin})
    assert r.status == 200 and r.body["task"]["state"] == "succeeded", r
    r = client.api("PUT", "/interest", json={"queue": topic.queue, "interests": {"t": "^x$"}},
                   headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status == 201, r
    r = client.api("DELETE", "/queue", params={"queue": topic.queue}, headers=own)
    assert r.status == 200, r


@pytest.mark.parametrize("host, origin, status", [
    ("127.0.0.1:80", "http://127.0.0.1", 201),
    ("localhost:443", "https://localhost", 201),
    ("127.0.0.1:80", "https://127.0.0.1", 403),
    ("127.0.0.1:443", "http://127.0.0.1", 403),
])
def test_a_host_naming_its_schemes_default_port_is_the_same_origin(client, host, origin, status):
    """A browser leaves the default port out of `Origin`; a `Host` forwarded by a proxy may name it."""
    topic = client.topic()
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}, headers={"Host": host, "Origin": origin})
    assert r.status == status, r


def test_a_browser_that_reached_the_server_under_another_sites_name_is_refused(client, server):
    """DNS rebinding: another site points its own name at this server's address; its page's
    requests then carry that name as both Origin and Host, and look same-origin."""
    topic = client.topic()
    rebound = f"evil.example:{server.port}"
    for headers in ({"Host": rebound, "Origin": f"http://{rebound}"},
                    {"Host": rebound, "Origin": f"http://{rebound}", "Sec-Fetch-Site": "same-origin"},
                    {"Host": rebound, "Sec-Fetch-Site": "same-origin"}):
        r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}, headers=headers)
        assert_error(r, 403, "forbidden", "--public-host")
    assert client.queue_status(topic.queue)["length"] == 0
    w = client.register(topic.queue)
    r = client.api("GET", "/task", params={"workerId": w}, headers={"Host": rebound, "Sec-Fetch-Site": "same-origin"})
    assert_error(r, 403, "forbidden")
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}, headers={"Host": rebound})
    assert r.status == 201, "a client that is not a browser may use any name"


def test_a_browser_that_reached_the_server_under_another_sites_name_reads_nothing(client, server):
    """Under a rebound name the other site's page could read the answers: the status, with the
    failed tasks' data, and a task's own."""
    tid = client.publish_one(client.topic().data())
    rebound = f"evil.example:{server.port}"
    for headers in ({"Host": rebound, "Origin": f"http://{rebound}"}, {"Host": rebound, "Sec-Fetch-Site": "same-origin"},
                    {"Host": rebound, "Sec-Fetch-Site": "none"}):
        for path, params in (("/status", {}), ("/status", {"task": tid}), ("/api/status", {}), ("/health", {})):
            assert_error(client.api("GET", path, params=params, headers=headers), 403, "forbidden", "--public-host")
    r = client.api("GET", "/status", params={"task": tid}, headers={"Host": rebound})
    assert r.status == 200 and r.body["task"]["id"] == tid, "a client that is not a browser may use any name"


@pytest.mark.parametrize("host", ["localhost", "localhost.", "127.0.0.1", "[::1]"])
def test_a_browser_on_an_address_or_localhost_may_change_state(client, server, host):
    topic = client.topic()
    own = f"{host}:{server.port}"
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data()},
                   headers={"Host": own, "Origin": f"http://{own}", "Sec-Fetch-Site": "same-origin"})
    assert r.status == 201, r


@pytest.mark.parametrize("given", [{"extra_args": ["--public-host", "Queue.Example"]},
                                   {"env": {"COUCHQUEUE_PUBLIC_HOSTS": "a.example, Queue.Example"}}], ids=["flag", "env"])
def test_a_name_given_with_public_host_may_change_state(make_server, given):
    srv = make_server(**given)
    c = Client(srv)
    topic = c.topic()
    own = f"queue.example:{srv.port}"
    r = c.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}, headers={"Host": own, "Origin": f"http://{own}"})
    assert r.status == 201, r
    other = f"other.example:{srv.port}"
    r = c.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}, headers={"Host": other, "Origin": f"http://{other}"})
    assert_error(r, 403, "forbidden")


@pytest.mark.parametrize("headers", FOREIGN, ids=FOREIGN_IDS)
def test_reads_are_not_refused(client, headers):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    r = client.api("GET", "/status", headers=headers)
    assert r.status == 200 and "queues" in r.body, r
    r = client.api("GET", "/status", params={"task": tid}, headers=headers)
    assert r.status == 200 and r.body["task"]["id"] == tid, r
    r = client.api("GET", "/api/status", params={"queue": topic.queue}, headers=headers)
    assert r.status == 200 and r.body["queue"]["length"] == 1, r
    r = client.api("GET", "/health", headers=headers)
    assert r.status == 200 and r.body["status"] == "ok", r
