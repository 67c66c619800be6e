"""The live progress line: phase, active faults, requests/s, error and degraded rates.

A subscriber to a run's events: `harness.run(scenario, client=..., on_event=ProgressLine())`.
"""

from __future__ import annotations

import shlex
import sys
import time
from typing import TextIO

from harness.load.runner import Progress
from harness.runner.events import (
    LeftoverStopped,
    LoadStopped,
    RunEvent,
    RunStarted,
    StackReady,
    Tick,
    WaitingForWorkers,
)


class ProgressLine:
    """On a terminal, one line redrawn in place; elsewhere (CI logs), a line every `every` s."""

    def __init__(self, *, stream: TextIO = sys.stderr, every: float = 10.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every
        self._last: float | None = None  # when a line was last written; None: never

    def __call__(self, event: RunEvent) -> None:
        """Show a run's events: its start, the stack, a line each tick, the load's end."""
        match event:
            case LeftoverStopped():
                self.say(f"stopped {event.name}, left running by an earlier run that was killed")
            case RunStarted():
                self._last = None  # each run of a suite shows its first line at once
                self.say(f"run {event.run_id}: {event.title} (time scale {event.time_scale:g})")
            case StackReady():
                self.say(f"stack and client up; client at {event.client_url}")
            case WaitingForWorkers():
                self.say(
                    f"waiting for {event.count} remote worker(s); on each: "
                    f"{shlex.join(event.command)}"
                )
            case Tick():
                self.show(
                    phase=event.phase.value,
                    elapsed=event.elapsed,
                    total=event.total,
                    faults=", ".join(event.active_faults),
                    load=event.load,
                )
            case LoadStopped():
                self.done()
                self.say(f"load stopped after {event.duration:.0f}s; draining for {event.drain:g}s")

    def show(
        self, *, phase: str, elapsed: float, total: float, faults: str, load: Progress
    ) -> None:
        now = time.monotonic()
        if self._too_soon(now):
            return
        self._last = now
        text = (
            f"[{phase:>10}] {elapsed:5.0f}s/{total:.0f}s  {load.line()}  faults: {faults or 'none'}"
        )
        if self.tty:
            self.stream.write("\r\x1b[2K" + text[:160])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def status(self, text: str) -> None:
        """A free-form status line (a parallel suite's running scenarios), drawn like `show`."""
        now = time.monotonic()
        if self._too_soon(now):
            return
        self._last = now
        if self.tty:
            self.stream.write("\r\x1b[2K" + text[:160])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _too_soon(self, now: float) -> bool:
        return not self.tty and self._last is not None and now - self._last < self.every

    def clear(self) -> None:
        """Wipe a redrawn line before other output shares the terminal."""
        if self.tty:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def say(self, message: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
        self.stream.write(message + "\n")
        self.stream.flush()
