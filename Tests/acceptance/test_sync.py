"""A `2xx` to a publish means the task reached the disk, not only the operating system's cache:
the kill -9 crash test cannot tell the two apart (the cache survives the process), so the
server runs under strace and its disk syncs are counted."""

import shutil
import signal
import subprocess

from support.client import Client

PUBLISHES = 50


def test_every_acknowledged_publish_was_synced_to_disk(make_server, tmp_path):
    strace = shutil.which("strace")
    assert strace, "this test needs strace (.ci/run installs it)"
    trace = tmp_path / "syncs.trace"
    srv = make_server(wrapper=[strace, "-f", "-qq", "-e", "trace=fdatasync,fsync", "-o", trace])
    c = Client(srv)
    topic = c.topic()
    for i in range(PUBLISHES):  # one at a time: each is its own commit
        c.publish_one(topic.data(n=i))
    c.close()
    # The server, not strace, is told to stop: strace then ends with it and writes its last lines.
    subprocess.run(["pkill", f"-{signal.SIGTERM.value}", "-P", str(srv.proc.pid)], check=True)
    srv.proc.wait(20)
    syncs = [line for line in trace.read_text().splitlines() if "sync(" in line]
    # Start-up and background checkpoints sync a few times too, far fewer than PUBLISHES.
    assert len(syncs) >= PUBLISHES, f"{len(syncs)} syncs for {PUBLISHES} acknowledged publishes"
