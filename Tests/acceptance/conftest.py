"""Fixtures for the CouchQueue acceptance suite.

The binary is `$COUCHQUEUE_BIN`, else `<repo>/.build/debug/couchqueue`. Every server runs as a
child process on `--port 0` with its own SQLite file in a temporary folder; its output goes to
`server.log` next to that file (the path is printed when a test fails).

- `server` / `client` / `api`: one shared server for the whole session. Tests on it use
  unique queue names and data tags, so they never see each other's tasks.
- `make_server(...)`: a private server for one test (special timeouts, crashes, signals);
  stopped at the end of the test.
- `spawn(...)`: a private server that lives until the end of the session (for module fixtures).
- `postgres_url`: a fresh database on the PostgreSQL cluster that scripts/test starts;
  `relay`: a way to it that a test can close, open again, pause or sever on PostgreSQL's side
  (`relay.store` is its URL).
"""

from __future__ import annotations

import os
import subprocess
import urllib.parse
import uuid

import pytest

from support.client import Client
from support.postgres import Relay
from support.server import Server, binary_problem


@pytest.fixture(scope="session", autouse=True)
def couchqueue_binary():
    problem = binary_problem()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def postgres_url():
    """A fresh database on the cluster that scripts/test starts, dropped after the test."""
    server = os.environ.get("COUCHQUEUE_TEST_POSTGRES")
    assert server, "COUCHQUEUE_TEST_POSTGRES is not set: run scripts/test, which starts PostgreSQL"
    name = "cq_" + uuid.uuid4().hex
    subprocess.run(["psql", server, "-qc", f"CREATE DATABASE {name}"], check=True)
    yield server.replace("/postgres?", f"/{name}?")
    subprocess.run(["psql", server, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=True)


@pytest.fixture
def relay(postgres_url):
    url = urllib.parse.urlsplit(postgres_url)
    relay = Relay((url.hostname, url.port))
    relay.store = urllib.parse.urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{relay.port}"))
    yield relay
    relay.close()


@pytest.fixture(scope="session")
def spawn(tmp_path_factory):
    servers = []

    def spawn_server(name="server", **kwargs):
        srv = Server(tmp_path_factory.mktemp(name), **kwargs)
        servers.append(srv)
        return srv.start()

    yield spawn_server
    for srv in servers:
        srv.stop()


@pytest.fixture(scope="session")
def server(spawn):
    return spawn("default")


@pytest.fixture(scope="session")
def wake_server(spawn):
    """A server whose waiting leases look again only every 60 s (`--lease-recheck`): a
    wake-up that goes missing then shows, instead of being covered by the re-check."""
    return spawn("wakeups", extra_args=["--lease-recheck", "60"])


@pytest.fixture(scope="session")
def client(server):
    c = Client(server)
    yield c
    c.close()


@pytest.fixture
def api(client):
    return client.api


@pytest.fixture
def make_server(tmp_path, request):
    servers = []

    def make(**kwargs):
        srv = Server(tmp_path / f"server{len(servers)}", **kwargs)
        servers.append(srv)
        return srv.start()

    yield make
    for srv in servers:
        srv.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for srv in servers:
            print(f"\nserver log: {srv.log_path}\n{srv.log_tail(30)}")


@pytest.fixture(autouse=True)
def _shared_server_log_on_failure(request):
    yield
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed and "server" in request.fixturenames:
        srv = request.getfixturevalue("server")
        print(f"\nshared server log: {srv.log_path}\n{srv.log_tail(15)}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, "rep_" + rep.when, rep)
    return rep
