"""A Supervisor's watchdog: stops its processes when the process that owns them dies.

harness.process starts one per Supervisor, as a script (standard library only, never importing
harness, so it starts in tens of milliseconds), in a session of its own so that a kill of the
owner's process group does not reach it:

    python -I -S watchdog.py OWNER_PID GRACE_S LOG_FILE

The owner writes a line to its stdin for every process group it starts:

    watch <pgid> <name>

When stdin ends (the owner died: kill -9, the OOM killer, a crash; whichever of its threads
started the processes), or the owner is no longer its parent (a copy the owner forked still holds
the pipe open), every watched group that is still there gets SIGTERM, and SIGKILL after GRACE_S
seconds; what was stopped is appended to LOG_FILE. A group is forgotten as soon as it is empty,
so a pgid the system hands out again later is never signalled. An owner that stopped its
processes itself kills its watchdog.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
import traceback
from pathlib import Path

TICK_S = 0.25  # how often the parent and the groups are looked at while nothing is written
POLL_S = 0.05  # during the grace, how often the groups are looked at


def main(argv: list[str]) -> int:
    owner, grace, log = int(argv[1]), float(argv[2]), Path(argv[3])
    try:
        groups = _watch(owner)
        if groups:
            _stop(groups, grace=grace, log=log, owner=owner)
    except Exception:
        _append(log, traceback.format_exc())
        return 1
    return 0


def _watch(owner: int) -> dict[int, str]:
    """Until the owner is gone: then the groups still there."""
    groups: dict[int, str] = {}
    pending = b""
    stdin = sys.stdin.fileno()
    while True:
        gone = os.getppid() != owner
        # Once the owner is gone, only what it wrote before it died is left to read.
        readable, _, _ = select.select([stdin], [], [], 0 if gone else TICK_S)
        chunk = os.read(stdin, 4096) if readable else b""
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            word, _, rest = line.decode(errors="replace").partition(" ")
            if word == "watch":
                pgid, _, name = rest.partition(" ")
                groups[int(pgid)] = name
        groups = {pgid: name for pgid, name in groups.items() if _exists(pgid)}
        end_of_file = bool(readable) and not chunk  # the owner's end is closed: it died
        if end_of_file or (gone and not chunk):
            return groups


def _stop(groups: dict[int, str], *, grace: float, log: Path, owner: int) -> None:
    termed = {pgid: name for pgid, name in groups.items() if _signal(pgid, signal.SIGTERM)}
    deadline = time.monotonic() + grace
    left = termed
    while left and time.monotonic() < deadline:
        time.sleep(POLL_S)
        running = _running(set(left))
        left = {pgid: name for pgid, name in left.items() if pgid in running}
    killed = {pgid: name for pgid, name in left.items() if _signal(pgid, signal.SIGKILL)}
    if termed:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        line = f"{stamp} watchdog: the owner (pid {owner}) died; SIGTERM to {_names(termed)}"
        if killed:
            line += f"; SIGKILL after {grace:g}s to {_names(killed)}"
        _append(log, line + "\n")


def _names(groups: dict[int, str]) -> str:
    return ", ".join(f"{name} (pid {pgid})" for pgid, name in groups.items())


def _signal(pgid: int, sig: int) -> bool:
    """Signal the group; False if it is gone (or no longer ours to signal)."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _exists(pgid: int) -> bool:
    return _signal(pgid, 0)


def _running(pgids: set[int]) -> set[int]:
    """The groups with a process still running. A zombie is not: our owner was its parent, and
    whoever adopted it may be slow to reap it (some container inits are)."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").is_file():  # not Linux: a zombie counts as running
        return {pgid for pgid in pgids if _exists(pgid)}
    found = set()
    for stat in proc.glob("[0-9]*/stat"):
        try:
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue  # it has just gone
        if int(pgrp) in pgids and state not in ("Z", "X"):
            found.add(int(pgrp))
    return found


def _append(log: Path, text: str) -> None:
    with contextlib.suppress(OSError), log.open("a") as out:  # OSError: the log dir is gone
        out.write(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
