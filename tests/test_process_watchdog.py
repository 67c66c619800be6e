"""The Supervisor's watchdog on trivial children: an owner killed by SIGKILL leaves nothing running.

The owner is a small script with a Supervisor, in a process of its own; the test kills it as
`kill -9` would and watches its children (and theirs) from outside, through /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.process import ORPHAN_GRACE_S, ProcessSpec, Supervisor, wait_until
from tests.process_support import (
    descendants,
    recorded_pids,
    running,
    seconds_until_gone,
    watchdogs_of,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]

# A harness process with four children: one plain, one with a child of its own in its process
# group, one deaf to SIGTERM, and one started from a thread that has ended since.
OWNER = """
import os, signal, sys, threading
from pathlib import Path
from harness.process import ProcessSpec, Supervisor
from tests.process_support import kill_watchdogs_of

work, variant = Path(sys.argv[1]), sys.argv[2]
with Supervisor(log_dir=work / "logs", state_file=work / "owner.pids.json") as sup:
    sup.start(ProcessSpec(name="plain", argv=["sleep", "120"]))
    if variant == "watchdog-killed":
        kill_watchdogs_of(os.getpid())  # the next start must start another, told about "plain"
    sup.start(ProcessSpec(name="with-a-child", argv=["sh", "-c", "sleep 120 & wait"]))
    sup.start(ProcessSpec(name="deaf", argv=["sh", "-c", "trap '' TERM; sleep 120 & wait"]))
    started = ProcessSpec(name="from-a-thread", argv=["sleep", "120"])
    thread = threading.Thread(target=sup.start, args=(started,))
    thread.start()
    thread.join()
    # A copy of the owner (a worker forked without exec) keeps the watchdog's pipe open.
    copy = os.fork() if variant == "forked-copy" else None
    if copy == 0:
        signal.pause()
    (work / "ready").write_text(str(copy or ""))
    signal.pause()
"""


@dataclass
class Owner:
    popen: subprocess.Popen[bytes]
    pids: list[int]  # what it started, which the test kills if the watchdog did not


@pytest.fixture
def start_owner(tmp_path: Path) -> Iterator[Callable[[str], Owner]]:
    started: list[Owner] = []

    def start(variant: str) -> Owner:
        popen = subprocess.Popen(
            [sys.executable, "-c", OWNER, str(tmp_path), variant],
            cwd=ROOT,
            start_new_session=True,  # its own process group, which the test may kill whole
        )
        started.append(owner := Owner(popen, []))
        ready = tmp_path / "ready"
        wait_until(ready.exists, timeout=30, what="the owner to start its children")
        owner.pids += [int(ready.read_text())] if ready.read_text() else []
        owner.pids += recorded_pids(tmp_path, "owner.pids.json")
        owner.pids += [pid for child in owner.pids for pid in descendants(child)]
        owner.pids += watchdogs_of(popen.pid)
        return owner

    yield start
    for owner in started:
        for pid in [owner.popen.pid, *owner.pids]:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        owner.popen.wait()


@pytest.mark.parametrize(
    ("variant", "kill"),
    [
        ("plain", "pid"),  # kill -9 PID
        ("plain", "group"),  # kill -9 -PGID: the watchdog has a session of its own
        ("watchdog-killed", "pid"),  # a watchdog that died is replaced at the next start
        ("forked-copy", "pid"),  # the pipe stays open: the watchdog sees its parent change
    ],
)
def test_the_children_of_a_killed_owner_stop_within_5_seconds(
    tmp_path: Path, start_owner: Callable[[str], Owner], variant: str, kill: str
) -> None:
    owner = start_owner(variant)
    recorded = recorded_pids(tmp_path, "owner.pids.json")
    assert len(recorded) == 4
    grandchildren = [pid for child in recorded for pid in descendants(child)]
    [dog] = watchdogs_of(owner.popen.pid)
    everything = [*recorded, *grandchildren, dog]
    assert all(map(running, everything))  # "from-a-thread" too, though its thread has ended

    killed_at = time.monotonic()
    if kill == "group":
        os.killpg(owner.popen.pid, signal.SIGKILL)
    else:
        owner.popen.kill()
    elapsed = seconds_until_gone(everything, since=killed_at, timeout=5)

    assert elapsed >= ORPHAN_GRACE_S  # "deaf" ignores SIGTERM: SIGKILL after the grace
    log = (tmp_path / "logs" / "watchdog.log").read_text()
    assert f"the owner (pid {owner.popen.pid}) died; SIGTERM to plain (pid {recorded[0]})" in log
    assert f"SIGKILL after {ORPHAN_GRACE_S:g}s to deaf (pid {recorded[2]})" in log
    assert "with-a-child" not in log.partition("SIGKILL")[2]  # SIGTERM was enough for it


def test_an_owner_that_ends_normally_leaves_no_watchdog(tmp_path: Path) -> None:
    before = set(watchdogs_of(os.getpid()))  # a session fixture's Supervisor may have its own
    with Supervisor(log_dir=tmp_path / "logs") as sup:
        proc = sup.start(ProcessSpec(name="plain", argv=["sleep", "120"]))
        [dog] = set(watchdogs_of(os.getpid())) - before
        restarted = sup.restart(proc)
        assert running(dog)  # one watchdog for the Supervisor's whole life
    assert not running(restarted.pid)
    wait_until(lambda: not running(dog), timeout=5, what="the watchdog to exit")
    assert not (tmp_path / "logs" / "watchdog.log").exists()  # it had nothing to stop
