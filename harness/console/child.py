"""`harness console` as a process of another command: `harness up --ui`, `harness run --ui`.

    url, process = start_console(supervisor, "--follow", str(events_file))

The console stops with the supervisor that started it (and its runs with it); its URL, with the
token, is read from its first line.
"""

from __future__ import annotations

import secrets
import sys

from harness.errors import ProcessStartError
from harness.process import ManagedProcess, ProcessSpec, Supervisor, wait_until

CONSOLE_STOP_S = 90.0  # the runs it started stop through their own teardown
URL_PREFIX = "console: "


def start_console(supervisor: Supervisor, *args: str) -> tuple[str, ManagedProcess]:
    """Start `harness console ARGS` under `supervisor`: its URL (with its token), its process."""
    console = supervisor.start(
        ProcessSpec(
            name=f"console-{secrets.token_hex(3)}",  # a log of its own: no earlier console's URL
            argv=[sys.executable, "-m", "harness.cli", "console", *args],
            env={"PYTHONUNBUFFERED": "1"},
            stop_timeout=CONSOLE_STOP_S,
        ),
        wait=False,
    )
    found: list[str] = []

    def printed() -> bool:
        if not console.alive():
            raise ProcessStartError(f"the console exited: {console.output_tail()}")
        text = console.log_path.read_text(encoding="utf-8", errors="replace")
        found[:] = [line for line in text.splitlines() if line.startswith(URL_PREFIX)]
        return bool(found)

    wait_until(printed, timeout=60, what="the console's URL")
    return found[0].removeprefix(URL_PREFIX), console


__all__ = ["start_console"]
