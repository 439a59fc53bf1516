"""A failure the server does not expect is a 500 in the contract's error shape: code
`internal_error`, a message that reveals nothing of the server's insides (no SQL, no error
type, no stack), and nothing stored; the server serves on. PostgreSQL stands for the
unexpected here: a constraint the test adds to its table makes it refuse one publisher's rows.

Needs COUCHQUEUE_TEST_POSTGRES (scripts/test starts a throwaway cluster and sets it).
"""
import requests

from support.postgres import Serve, psql_value, serves


def test_an_unexpected_store_error_is_a_500_in_the_error_shape_and_the_server_serves_on(tmp_path, postgres_url):
    server = Serve(postgres_url, tmp_path)
    try:
        base = serves(server)
        assert base, "the server did not start"
        assert requests.put(f"{base}/interest", json={"queue": "q500", "interests": "*"}, timeout=10).status_code == 201
        psql_value(postgres_url, "ALTER TABLE tasks ADD CONSTRAINT refuses_one CHECK (publisher <> 'refused') NOT VALID")
        assert "refuses_one" in psql_value(postgres_url, "SELECT conname FROM pg_constraint WHERE conname = 'refuses_one'")

        answer = requests.put(f"{base}/task", json={"publisher": "refused", "data": {"n": 1}}, timeout=30)

        assert answer.status_code == 500, answer.text
        assert answer.headers["Content-Type"].startswith("application/json")
        body = answer.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        assert body["error"]["code"] == "internal_error"
        message = body["error"]["message"]
        assert message and all(leak not in message.lower() for leak in ("refuses_one", "tasks", "psql", "sql", "error:", ".swift")), message
        assert "Retry-After" not in answer.headers
        assert psql_value(postgres_url, "SELECT count(*) FROM tasks WHERE publisher = 'refused'") == "0"
        assert server.wait_for(server.stderr, "request failed", 10), "the failure was not logged"

        served = requests.put(f"{base}/task", json={"publisher": "accepted", "data": {"n": 2}}, timeout=30)
        assert served.status_code == 201, served.text
        assert requests.get(f"{base}/health", timeout=10).status_code == 200
    finally:
        server.stop()
