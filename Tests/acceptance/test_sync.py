"""A `2xx` to a publish means it reached the disk, not only the operating system's cache: the
kill -9 crash test cannot tell the two apart (the cache outlives the process), so the server
runs under strace, and every answer to a publish must follow a sync of the write-ahead log.
Leases and reports, whose loss only delivers a task again, are answered once they are in the
log, and the log is synced soon after."""

import re
import shutil
import signal
import subprocess
import time

from support.client import Client

PUBLISHES = 50
ANSWERS = {'"HTTP/1.1 201': "created", '"HTTP/1.1 200': "ok", '"HTTP/1.1 404': "not found"}


WAL_CALL = re.compile(r"(fdatasync|fsync|pwrite64)\((\d+)<[^>]*-wal>")


SYNCER_OPEN = re.compile(r'openat\(.*-wal", O_RDONLY\|O_CLOEXEC\) = (\d+)<')


def log_timeline(trace, syncer_only=True):
    """The trace as a list of "commit" (SQLite wrote to the log), "sync" (a sync of the log
    began), "synced" (it returned with success) and the answers sent: "created" (201), "ok"
    (200), "not found" (404). With `syncer_only`, only the server's own syncer's syncs count:
    it is told apart from SQLite, which also syncs the log before each checkpoint, by its
    descriptor, the one log descriptor opened read-only (SQLite opens the log read-write)."""
    calls = traced_calls(trace)
    syncer = {match[1] for _, call in calls if (match := SYNCER_OPEN.match(call))}
    if syncer_only:
        assert len(syncer) == 1, f"the syncer's descriptors of the log: {syncer}"
    events, syncing = [], set()
    for thread, call in calls:
        match = WAL_CALL.match(call)
        if match and match[1] == "pwrite64":
            events.append("commit")
        elif match and (not syncer_only or match[2] in syncer):
            events.append("sync")
            if "<unfinished" in call:
                syncing.add(thread)
            elif call.rstrip().endswith("= 0"):
                events.append("synced")
        elif "sync resumed>" in call and thread in syncing:
            syncing.discard(thread)
            if call.rstrip().endswith("= 0"):
                events.append("synced")
        elif not match:
            events += answers_in(call)
    return events


def synced_since_last_commit(events, position):
    """Whether a sync of the log began after the last commit before `position` and returned
    before it: everything committed by then is on disk."""
    since = events[max(p for p in range(position) if events[p] == "commit") + 1:position]
    return "sync" in since and "synced" in since[since.index("sync"):]


def traced_calls(trace):
    """(thread, call) for each line of the trace."""
    return [(thread, call.lstrip()) for thread, _, call in (line.partition(" ") for line in trace.read_text().splitlines())]


def answers_in(call):
    return [event for status, event in ANSWERS.items() if status in call]


def traced_server(make_server, tmp_path):
    strace = shutil.which("strace")
    assert strace, "this test needs strace (.ci/run installs it)"
    trace = tmp_path / "server.trace"
    srv = make_server(wrapper=[strace, "-f", "-qq", "-y", "-e", "trace=openat,fdatasync,fsync,write,writev,pwrite64", "-o", trace])
    return srv, trace


def stop(srv):
    """The server, not strace, is told to stop: strace then ends with it and writes its last lines."""
    subprocess.run(["pkill", f"-{signal.SIGTERM.value}", "-P", str(srv.proc.pid)], check=True)
    srv.proc.wait(20)


def test_every_acknowledged_publish_follows_a_sync_of_the_log(make_server, tmp_path):
    srv, trace = traced_server(make_server, tmp_path)
    c = Client(srv)
    topic = c.topic()
    for i in range(PUBLISHES):  # one at a time: each answer must wait for its own sync
        c.publish_one(topic.data(n=i))
    c.close()
    stop(srv)
    events = log_timeline(trace)
    created = [position for position, event in enumerate(events) if event == "created"]
    assert len(created) >= PUBLISHES, f"{len(created)} answers 201 traced"

    unsynced = [n for n, answer in enumerate(created) if not synced_since_last_commit(events, answer)]
    assert not unsynced, f"answers {unsynced} of {len(created)} were sent before a sync of the log begun after their commit returned"


def test_an_idle_server_does_not_sync(make_server, tmp_path):
    """Maintenance writes every 250 ms; when they change nothing they need no sync."""
    srv, trace = traced_server(make_server, tmp_path)
    c = Client(srv)
    c.publish_one(c.topic().data())
    c.close()
    time.sleep(2)
    stop(srv)
    events = log_timeline(trace, syncer_only=False)
    last_answer = max(position for position, event in enumerate(events) if event == "created")
    idle_syncs = events[last_answer + 1:].count("synced")
    assert idle_syncs <= 2, f"{idle_syncs} syncs of the log in 2 s with nothing to do (closing may sync twice)"


def test_leases_and_reports_are_answered_from_the_log_and_synced_soon_after(make_server, tmp_path):
    srv, trace = traced_server(make_server, tmp_path)
    c = Client(srv)
    topic = c.topic()
    worker = c.register(topic.queue)
    for i in range(PUBLISHES):
        c.publish_one(topic.data(n=i))
    time.sleep(0.5)  # the publications' syncs are over
    for _ in range(PUBLISHES):
        c.finish(worker, c.lease(worker)["id"])
    time.sleep(1)
    # A read answered 404 marks the end: the log must be synced by then, not only on closing.
    assert c.api("GET", "/status", params={"queue": f"none-{topic.tag}"}).status == 404
    c.close()
    stop(srv)
    events = log_timeline(trace)
    last_publish = max(position for position, event in enumerate(events) if event == "created")
    answers = [position for position, event in enumerate(events) if event == "ok" and position > last_publish]
    assert len(answers) == 2 * PUBLISHES, f"{len(answers)} answers 200 traced"
    # An answer that waited for the disk follows a sync begun after the last commit before it.
    waited = {answer for answer in answers
              if "sync" in events[max(p for p in range(answer) if events[p] == "commit") + 1:answer]}
    for kind, theirs in (("leases", answers[0::2]), ("reports", answers[1::2])):
        assert len(waited & set(theirs)) <= len(theirs) // 4, \
            f"{len(waited & set(theirs))} of {len(theirs)} {kind} were answered after a sync begun after their commit"
    # The syncer may begin the last report's sync before the report is answered.
    marker = events.index("not found", answers[-1])
    assert synced_since_last_commit(events, marker), "the log was not synced within a second of the last report"
