"""`couchqueue bench`: it drives a real server through every phase and reports each one."""
import re
import subprocess

import requests

from support.server import binary_path

LINE = re.compile(r"^couchqueue (publish|drain|mixed) tasks_per_s=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+) n=(\d+) seconds=([\d.]+)$")


def test_bench_runs_every_phase_and_leaves_nothing_behind(make_server):
    srv = make_server()
    done = subprocess.run([str(binary_path()), "bench", "--url", srv.origin, "--tasks", "300", "--connections", "4",
                           "--backlog", "50"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [LINE.match(line) for line in done.stdout.splitlines()]
    assert all(lines), done.stdout
    assert [m.group(1) for m in lines] == ["publish", "drain", "mixed"]
    for m in lines:
        assert int(m.group(5)) == 300 and int(m.group(2)) > 0, m.group(0)
        assert float(m.group(3)) <= float(m.group(4)), m.group(0)
    queues = requests.get(srv.url("/status?queues=true"), timeout=10).json()["queues"]
    assert queues == [], queues
    workers = requests.get(srv.url("/status?workers=true"), timeout=10).json()["workers"]
    assert workers == [], workers


def test_bench_fails_clearly_without_a_server():
    done = subprocess.run([str(binary_path()), "bench", "--url", "http://127.0.0.1:1", "--tasks", "10"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip(), "a failed bench says why"


def test_a_negative_number_is_refused_for_its_value():
    done = subprocess.run([str(binary_path()), "bench", "--tasks", "-5"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 64 and "--tasks must be positive" in done.stderr, done.stderr


def test_phases_that_would_measure_the_wrong_tasks_refuse_to_run(make_server):
    """mixed times each task from its publication: tasks another phase left in the queue
    carry no time and would count at 0 ms. A drain with nothing to drain measures nothing."""
    srv = make_server()
    for phases, message in [("publish,mixed", "mixed needs its queue empty"), ("drain", "drain found no task")]:
        done = subprocess.run([str(binary_path()), "bench", "--url", srv.origin, "--tasks", "20", "--connections", "2",
                               "--phases", phases], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and message in done.stderr, (phases, done.stdout, done.stderr)


def test_parked_workers_wait_through_the_phases_and_are_deleted_after(make_server):
    srv = make_server()
    done = subprocess.run([str(binary_path()), "bench", "--url", srv.origin, "--tasks", "200", "--connections", "4",
                           "--parked", "20", "--phases", "publish,drain"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.endswith(" parked=20") and LINE.match(line.removesuffix(" parked=20")).group(1) for line in lines] == \
        ["publish", "drain"], done.stdout
    workers = requests.get(srv.url("/status?workers=true"), timeout=10).json()["workers"]
    assert workers == [], workers
    queues = requests.get(srv.url("/status?queues=true"), timeout=10).json()["queues"]
    assert queues == [], queues


def test_bench_refuses_a_server_whose_other_queues_would_take_its_tasks(make_server):
    """Tasks go wherever their data interests a queue: the bench's would land in a user's
    queue interested in one of their fields, or in everything. It refuses before publishing;
    a queue left by an earlier run, interested in that run's id only, does not stop it."""
    srv = make_server()
    stale = {"queue": "bench-earlier", "interests": {"run": "^earlier$", "backlog": "^earlier$"}}
    assert requests.put(srv.url("/interest"), json=stale, timeout=10).status_code == 201
    bench = [str(binary_path()), "bench", "--url", srv.origin, "--tasks", "50", "--connections", "2"]
    done = subprocess.run(bench + ["--backlog", "10"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for queue, interests in [("emails", {"email": "@"}), ("audit", "*")]:
        assert requests.put(srv.url("/interest"), json={"queue": queue, "interests": interests}, timeout=10).status_code == 201
        done = subprocess.run(bench + ["--backlog", "10"], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and f"the interests of {queue} would take copies" in done.stderr, done.stderr
        assert requests.delete(srv.url(f"/queue?queue={queue}"), timeout=10).status_code == 200
    queues = requests.get(srv.url("/status?queues=true"), timeout=10).json()["queues"]
    assert [(q["name"], q["length"]) for q in queues] == [("bench-earlier", 0)], queues
