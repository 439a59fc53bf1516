"""A `2xx` to a write means it reached the disk, not only the operating system's cache: the
kill -9 crash test cannot tell the two apart (the cache outlives the process), so the server
runs under strace, and every answer to a write must follow a sync of the write-ahead log."""

import shutil
import signal
import subprocess
import time

from support.client import Client

PUBLISHES = 50


def traced_events(trace):
    """The trace as a list of "sync" (a sync of the log returned) and "created" (a 201 was sent)."""
    events, syncing = [], set()
    for line in trace.read_text().splitlines():
        thread, _, call = line.partition(" ")
        call = call.lstrip()
        if call.startswith(("fdatasync(", "fsync(")) and "-wal>" in call:
            if "<unfinished" in call:
                syncing.add(thread)
            elif call.rstrip().endswith("= 0"):
                events.append("sync")
        elif "sync resumed>" in call and thread in syncing:
            syncing.discard(thread)
            if call.rstrip().endswith("= 0"):
                events.append("sync")
        elif '"HTTP/1.1 201' in call:
            events.append("created")
    return events


def traced_server(make_server, tmp_path):
    strace = shutil.which("strace")
    assert strace, "this test needs strace (.ci/run installs it)"
    trace = tmp_path / "server.trace"
    srv = make_server(wrapper=[strace, "-f", "-qq", "-y", "-e", "trace=fdatasync,fsync,write,writev", "-o", trace])
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
    events = traced_events(trace)
    created = [position for position, event in enumerate(events) if event == "created"]
    assert len(created) >= PUBLISHES, f"{len(created)} answers 201 traced"
    unsynced = [n for n, (previous, answer) in enumerate(zip([-1] + created, created))
                if "sync" not in events[previous + 1:answer]]
    assert not unsynced, f"answers {unsynced} of {len(created)} were sent with no sync of the log since the previous one"


def test_an_idle_server_does_not_sync(make_server, tmp_path):
    """Maintenance writes every 250 ms; when they change nothing they need no sync."""
    srv, trace = traced_server(make_server, tmp_path)
    c = Client(srv)
    c.publish_one(c.topic().data())
    c.close()
    time.sleep(2)
    stop(srv)
    events = traced_events(trace)
    last_answer = max(position for position, event in enumerate(events) if event == "created")
    idle_syncs = events[last_answer + 1:].count("sync")
    assert idle_syncs <= 2, f"{idle_syncs} syncs of the log in 2 s with nothing to do (closing may sync twice)"
