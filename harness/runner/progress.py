"""The live progress line: phase, active faults, requests/s, error and degraded rates.

A subscriber to a run's events: `harness.run(scenario, client=..., on_event=ProgressLine())`.

On a terminal it is one line redrawn in place: a carriage return, the text, then "clear to the
end of the line". The text is cut to the terminal's width less one column, measured at each
draw (a resized window is followed): a line that wraps cannot be redrawn, since the carriage
return goes back only to the start of its last row, so each redraw would leave rows behind (one
46 s run left 167 lines on an 80-column terminal), and writing the last column makes some
terminals wrap at once. Elsewhere (a CI log, a file) it writes plain lines: every event's line,
and the progress at most every `every` seconds (10 by default).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from typing import Final, TextIO

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

RETURN: Final = "\r"
CLEAR_TO_END: Final = "\x1b[K"  # ANSI "erase in line", from the cursor to the end


def terminal_columns(stream: TextIO) -> int:
    """The width of the terminal `stream` writes to: its own (stderr may be a terminal while
    stdout is piped), else shutil's answer (COLUMNS, stdout's terminal, else 80)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns if columns > 0 else shutil.get_terminal_size().columns


class ProgressLine:
    """On a terminal, one line redrawn in place within its width; elsewhere (CI logs), a line
    every `every` s. `stream` is sys.stderr (as it is when the line is made) unless given."""

    def __init__(self, *, stream: TextIO | None = None, every: float = 10.0) -> None:
        self.stream: TextIO = sys.stderr if stream is None else stream
        self.tty = self.stream.isatty()
        self.every = every
        self._last: float | None = None  # when a line was last written; None: never
        self._drawn = False  # a redrawn line is on the terminal, not ended by a newline

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
        self.status(
            f"[{phase:>10}] {elapsed:5.0f}s/{total:.0f}s  {load.line()}  faults: {faults or 'none'}"
        )

    def status(self, text: str) -> None:
        """A free-form status line (a parallel suite's running scenarios), drawn like `show`."""
        now = time.monotonic()
        if self._too_soon(now):
            return
        self._last = now
        if self.tty:
            width = max(terminal_columns(self.stream) - 1, 1)
            one_line = text.replace("\r", " ").replace("\n", " ")
            self.stream.write(RETURN + one_line[:width] + CLEAR_TO_END)
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _too_soon(self, now: float) -> bool:
        return not self.tty and self._last is not None and now - self._last < self.every

    def clear(self) -> None:
        """Wipe a redrawn line before other output shares the terminal."""
        if self._drawn:
            self.stream.write(RETURN + CLEAR_TO_END)
            self.stream.flush()
            self._drawn = False

    def done(self) -> None:
        """End a redrawn line where it stands: it stays on the terminal, as the last progress."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def say(self, message: str) -> None:
        """A line of its own (it may wrap: it is never redrawn), over any redrawn line."""
        if self._drawn:
            self.stream.write(RETURN + CLEAR_TO_END)
            self._drawn = False
        self.stream.write(message + "\n")
        self.stream.flush()
