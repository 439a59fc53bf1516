"""A PostgreSQL that goes away while the server is serving: requests that need it are answered
`503 store_unavailable` (with `Retry-After`): after the store's patience, ten seconds, when no
connection can be had (instead of waiting a minute for the pool's circuit breaker), at once
when a transaction's connection is lost (postgres-nio's own transactions hung on their
`ROLLBACK`), after `--postgres-operation-timeout` when PostgreSQL stops answering without
closing anything (a network partition, which TCP notices only after about 15 minutes), and
the server serves again once PostgreSQL is back. The pool size counts the connections for
requests, besides the one that listens for notifications.

Needs COUCHQUEUE_TEST_POSTGRES (scripts/test starts a throwaway cluster and sets it).
"""
import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from support.postgres import Serve, locked_by_psql, psql_value, serves, table_locked, wait_for_value

PATIENCE = 10


@contextlib.contextmanager
def serving(store, tmp_path, *flags, every_task_to=None):
    """A server on `store`, started with `flags`: its address once it serves, and a queue
    named `every_task_to`, if given, taking every task. Stopped afterwards."""
    server = Serve(store, tmp_path, *flags)
    try:
        base = serves(server)
        assert base, "the server did not start"
        if every_task_to:
            interest = requests.put(f"{base}/interest", params={"queue": every_task_to, "interests": "*"}, timeout=10)
            assert interest.status_code == 201, interest.text
        yield base
    finally:
        server.stop()


def wait_until_it_serves_again(base):
    deadline = time.monotonic() + 30
    while requests.get(f"{base}/health", timeout=PATIENCE + 5).status_code != 200:
        assert time.monotonic() < deadline, "the server did not serve again once PostgreSQL was back"
        time.sleep(0.2)


def test_requests_during_an_outage_are_answered_503_in_time_and_served_once_it_ends(tmp_path, relay):
    relay.open()
    with serving(relay.store, tmp_path, every_task_to="outage") as base:
        relay.close()
        for method, path, params in (("PUT", "/task", {"data": '{"n": 1}', "publisher": "outage-test"}), ("GET", "/health", {})):
            started = time.monotonic()
            answer = requests.request(method, f"{base}{path}", params=params, timeout=PATIENCE + 20)
            waited = time.monotonic() - started
            assert answer.status_code == 503, (path, answer.status_code, answer.text)
            assert answer.json()["error"]["code"] == "store_unavailable" and answer.headers["Retry-After"] == "1"
            assert waited < PATIENCE + 5, f"{path} waited {waited:.1f} s"
        relay.open()
        wait_until_it_serves_again(base)
        published = requests.put(f"{base}/task", params={"data": '{"n": 2}', "publisher": "outage-test"}, timeout=10)
        assert published.status_code == 201 and published.json()["tasks"][0]["queue"] == "outage", published.text


def test_workers_silenced_by_an_outage_are_not_reaped_as_it_ends(tmp_path, relay):
    """During an outage longer than the worker timeout, workers' calls are refused and their
    signs of life not stored: once PostgreSQL is back, they get a worker timeout to call again,
    as after the server's start, before any is reaped with its scope `all` copies. Before, the
    first pass after the outage reaped them, and a worker's next call was a 404."""
    relay.open()
    with serving(relay.store, tmp_path, "--worker-timeout", "3", every_task_to="silenced") as base:
        time.sleep(3.5)  # past the start-up grace
        worker = requests.put(f"{base}/worker", params={"queues": "silenced"}, timeout=10).json()["workerId"]
        copy = requests.put(f"{base}/task", params={"data": '{"n": 1}', "publisher": "outage-test", "scope": "all"}, timeout=10)
        assert copy.status_code == 201, copy.text
        relay.close()
        time.sleep(PATIENCE + 2)  # maintenance's passes fail meanwhile
        relay.open()
        wait_until_it_serves_again(base)
        time.sleep(1)  # several maintenance passes with the store back
        answer = requests.post(f"{base}/worker", params={"workerId": worker}, timeout=10)
        assert answer.status_code == 200, answer.text
        leased = requests.get(f"{base}/task", params={"workerId": worker}, timeout=10).json()["task"]
        assert leased and leased["id"] == copy.json()["tasks"][0]["id"], leased


def test_a_postgresql_that_stops_answering_is_given_up_on_after_the_operation_timeout(tmp_path, relay):
    relay.open()
    with serving(relay.store, tmp_path, "--postgres-operation-timeout", "2", every_task_to="partition") as base:
        # Connections to spare, so that the publish finds one open (a new one could not start
        # while paused: that would be the 10 s wait for a connection instead).
        with ThreadPoolExecutor(4) as pool:
            assert all(r.status_code == 200 for r in pool.map(lambda _: requests.get(f"{base}/health", timeout=10), range(4)))
        relay.pause()
        started = time.monotonic()
        answer = requests.put(f"{base}/task", params={"data": '{"n": 1}', "publisher": "partition-test"}, timeout=30)
        waited = time.monotonic() - started
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "store_unavailable", answer.text
        assert 1 <= waited < 5, f"answered after {waited:.1f} s"  # not the 10 s wait for a connection
        relay.resume()
        deadline = time.monotonic() + 30
        while (published := requests.put(f"{base}/task", params={"data": '{"n": 2}', "publisher": "partition-test"},
                                         timeout=10)).status_code != 201:
            assert published.status_code == 503 and time.monotonic() < deadline, published.text
            time.sleep(0.5)
        assert published.json()["tasks"][0]["queue"] == "partition", published.text


def test_a_listening_connection_dropped_without_a_word_is_replaced(tmp_path, postgres_url, relay):
    """The server hears the others' changes on one connection, which it only listens on. A
    network that drops connections without telling either end leaves it deaf for good, unless
    it is checked: it is asked a `SELECT 1` every 5 s and replaced once the answer takes longer
    than the operation timeout. (What the deafness costs is not measured here: a waiting lease
    also looks again every second, and every 5 s the server wakes all of them.)"""
    relay.open()
    with serving(relay.store, tmp_path, "--postgres-operation-timeout", "2"):
        relay.sever()
        # The server's backends now: those behind the relay's connections opened since.
        listening = ("SELECT client_port FROM pg_stat_activity WHERE backend_type = 'client backend' "
                     "AND query IN ('LISTEN \"couchqueue_changes\";', 'SELECT 1')")
        deadline = time.monotonic() + 30
        while True:
            ports = psql_value(postgres_url, listening).split()
            with relay.lock:
                relayed = {str(upstream.getsockname()[1]) for _, upstream in relay.pairs}
            if relayed & set(ports):
                break
            assert time.monotonic() < deadline, "the server did not listen again after its connection was dropped"
            time.sleep(0.2)


def test_a_connection_lost_in_the_middle_of_a_transaction_is_503(tmp_path, postgres_url, relay):
    """`PUT /interest` is a transaction: held up by a lock, its connection then goes."""
    relay.open()
    with serving(relay.store, tmp_path) as base:
        with table_locked(postgres_url, "queues"):
            interest = HeldUpInterest(base, postgres_url)
            cut = time.monotonic()
            relay.close()
            answer = interest.answer(PATIENCE + 5)
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "store_unavailable", answer.text
        assert time.monotonic() - cut < 5, f"answered {time.monotonic() - cut:.1f} s after the connection was lost"


def test_a_statement_held_up_past_the_operation_timeout_is_cancelled_and_never_commits(tmp_path, postgres_url):
    """A publish is one statement. Held up by a lock past the timeout, it is answered `503`;
    PostgreSQL cancels it then (`statement_timeout`), where it would otherwise go on waiting,
    deaf to its closed connection, and store the task once the lock is released."""
    with serving(postgres_url, tmp_path, "--postgres-operation-timeout", "2", every_task_to="held-up") as base:
        with table_locked(postgres_url, "tasks"):
            answer = requests.put(f"{base}/task", params={"data": '{"n": 1}', "publisher": "lock-test"}, timeout=30)
            assert answer.status_code == 503 and answer.json()["error"]["code"] == "store_unavailable", answer.text
            waiting = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND query LIKE '%INSERT INTO tasks%'")
            wait_for_value(postgres_url, waiting, "0", 5, "the publish's statement still waits for the lock")
        time.sleep(0.5)
        assert psql_value(postgres_url, "SELECT count(*) FROM tasks") == "0"


def test_a_lock_wait_cancelled_in_a_statement_that_answers_rows_is_503(tmp_path, postgres_url):
    """`DELETE /worker` first locks its worker's row with a `SELECT … FOR UPDATE`. Cancelled
    there, waiting for the row (`statement_timeout`), it is answered `503`: postgres-nio hands
    a statement's rows over once they are described, before it has run, so an error that came
    with them was lost when they were not read, and the request failed on the next statement
    of its aborted transaction, with a `500`."""
    with serving(postgres_url, tmp_path, "--postgres-operation-timeout", "2") as base:
        worker = requests.put(f"{base}/worker", params={"queues": "held-up"}, timeout=10).json()["workerId"]
        with locked_by_psql(postgres_url, f"SELECT 1 FROM workers WHERE id = '{worker}' FOR UPDATE"):
            answer = requests.delete(f"{base}/worker", params={"workerId": worker}, timeout=30)
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "store_unavailable", answer.text
        assert requests.delete(f"{base}/worker", params={"workerId": worker}, timeout=10).status_code == 200


def test_a_transaction_cut_off_by_a_partition_does_not_keep_its_locks(tmp_path, postgres_url, relay):
    """`PUT /interest` is a transaction. Cut off by a partition between two of its statements,
    its backend waits for the next one, holding the queue's row, until TCP gives up (hours);
    PostgreSQL ends it after the operation timeout (`idle_in_transaction_session_timeout`)."""
    relay.open()
    with serving(relay.store, tmp_path, "--postgres-operation-timeout", "2") as base:
        with table_locked(postgres_url, "queues"):
            interest = HeldUpInterest(base, postgres_url)
            relay.pause()
        # The lock is gone: the INSERT is done (or cancelled, had it waited past its limit),
        # and its answer held back in the partition.
        idle = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'")
        wait_for_value(postgres_url, idle, "0", 8, "the cut-off transaction is still open")
        answer = interest.answer(10)
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "store_unavailable", answer.text
        relay.resume()


class HeldUpInterest:
    """`PUT /interest` on a thread, seen waiting for the lock on `queues`."""

    def __init__(self, base, postgres_url):
        self.answers = []
        self.thread = threading.Thread(target=self._put, args=(base,))
        self.thread.start()
        blocked = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND query LIKE 'INSERT INTO queues%'")
        deadline = time.monotonic() + 10
        while psql_value(postgres_url, blocked) != "1":
            assert time.monotonic() < deadline and not self.answers, f"the interest was not held up by the lock: {self.answers}"
            time.sleep(0.2)

    def _put(self, base):
        try:
            self.answers.append(requests.put(f"{base}/interest", params={"queue": "held-up", "interests": "*"},
                                             timeout=PATIENCE + 20))
        except Exception as error:  # noqa: BLE001 - reported by `answer`
            self.answers.append(error)

    def answer(self, seconds):
        self.thread.join(timeout=seconds)
        assert self.answers and isinstance(self.answers[0], requests.Response), f"no answer: {self.answers}"
        return self.answers[0]


def test_the_pool_size_counts_connections_for_requests_besides_the_one_that_listens(tmp_path, postgres_url):
    with serving(postgres_url, tmp_path, "--postgres-pool-size", "1") as base:
        for attempt in range(3):
            answer = requests.put(f"{base}/interest", params={"queue": f"one-{attempt}", "interests": "*"}, timeout=PATIENCE)
            assert answer.status_code == 201, answer.text
