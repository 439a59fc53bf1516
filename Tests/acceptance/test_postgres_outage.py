"""A PostgreSQL that goes away while the server is serving: requests that need it are answered
`503 store_unavailable` (with `Retry-After`) within the store's patience, ten seconds, instead
of waiting for a connection for a minute, and the server serves again once PostgreSQL is back.

Needs COUCHQUEUE_TEST_POSTGRES (scripts/test starts a throwaway cluster and sets it).
"""
import time

import requests

from support.postgres import Serve, serves

PATIENCE = 10


def test_requests_during_an_outage_are_answered_503_in_time_and_served_once_it_ends(tmp_path, relay):
    relay.open()
    server = Serve(relay.store, tmp_path)
    try:
        base = serves(server)
        assert base, "the server did not start"
        assert requests.put(f"{base}/interest", params={"queue": "outage", "interests": "*"}, timeout=10).status_code == 201
        relay.close()
        for method, path, params in (("PUT", "/task", {"data": '{"n": 1}', "publisher": "outage-test"}), ("GET", "/health", {})):
            started = time.monotonic()
            answer = requests.request(method, f"{base}{path}", params=params, timeout=PATIENCE + 20)
            waited = time.monotonic() - started
            assert answer.status_code == 503, (path, answer.status_code, answer.text)
            assert answer.json()["error"]["code"] == "store_unavailable" and answer.headers["Retry-After"] == "1"
            assert waited < PATIENCE + 5, f"{path} waited {waited:.1f} s"
        relay.open()
        deadline = time.monotonic() + 30
        while requests.get(f"{base}/health", timeout=PATIENCE + 5).status_code != 200:
            assert time.monotonic() < deadline, "the server did not serve again once PostgreSQL was back"
            time.sleep(0.5)
        published = requests.put(f"{base}/task", params={"data": '{"n": 2}', "publisher": "outage-test"}, timeout=10)
        assert published.status_code == 201 and published.json()["tasks"][0]["queue"] == "outage", published.text
    finally:
        server.stop()
