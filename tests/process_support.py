"""Processes seen from outside, through /proc (Linux): who runs, whose children, which ports.

For the tests of what a killed harness leaves behind: the pids a Supervisor recorded in its state
file, their descendants, the Supervisor's watchdog (harness/watchdog.py) and the ports they
listened on.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path

from harness import watchdog
from harness.process import wait_until

PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name: state, ppid, pgrp, ..."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def running(pid: int) -> bool:
    """Alive and not a zombie: a zombie is dead and holds no port, only its exit status."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def children(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


def cmdline(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def watchdogs_of(pid: int) -> list[int]:
    """The watchdogs (one per Supervisor with processes) of the harness process `pid`."""
    return [child for child in children(pid) if watchdog.__file__ in cmdline(child)]


def kill_watchdogs_of(pid: int) -> None:
    """SIGKILL `pid`'s watchdogs and wait until they are gone: the first line of defence fails,
    so a test can see the second (the state file reaped by the next run)."""
    dogs = watchdogs_of(pid)
    assert dogs, f"pid {pid} has no watchdog"
    for dog in dogs:
        os.kill(dog, signal.SIGKILL)
    wait_until(lambda: not any(map(running, dogs)), timeout=10, what="the watchdogs to die")


def recorded_pids(state_dir: Path, pattern: str) -> list[int]:
    """The pids in the Supervisor state files `pattern` (e.g. "run-*.pids.json") in `state_dir`."""
    return [
        int(record["pid"])
        for path in sorted(state_dir.glob(pattern))
        for record in json.loads(path.read_text())
    ]


def listening_ports(pids: Iterable[int]) -> set[int]:
    """The TCP ports the processes `pids` listen on."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            fds = list((PROC / str(pid) / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        lines = (PROC / "net" / table).read_text().splitlines()[1:]
        for fields in (line.split() for line in lines):
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def seconds_until_gone(pids: Iterable[int], *, since: float, timeout: float) -> float:
    """Wait until none of `pids` runs; the seconds from `since` (time.monotonic()) until then."""
    pids = set(pids)
    remaining = since + timeout - time.monotonic()
    try:
        wait_until(lambda: not any(map(running, pids)), timeout=remaining, interval=0.01)
    except TimeoutError:
        left = {pid: cmdline(pid) for pid in pids if running(pid)}
        raise AssertionError(f"still running {timeout:g}s after the kill: {left}") from None
    return time.monotonic() - since
