"""The live progress line on a terminal: one line redrawn in place, never wider than the terminal.

In process, on a real terminal of a chosen width: a pseudo-terminal (os.openpty) whose size is
set as a terminal emulator sets it, read back and replayed by a small screen model (carriage
return, clear to the end of the line, newline, wrapping at the width) to count the rows a run
leaves. What the line writes to a CI log is tests/test_run_events.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import io
import os
import select
import struct
import termios
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.load.runner import Progress
from harness.runner.events import (
    LoadStopped,
    RunEvent,
    RunPhase,
    RunStarted,
    SecondCounts,
    Tick,
)
from harness.runner.progress import CLEAR_TO_END, ProgressLine

pytestmark = pytest.mark.unit

SYNC = "\x00"  # a NUL: terminals ignore it; here it marks how far the output has arrived
CLEAR_LINE = "\x1b[2K"  # erase the whole line, the cursor where it was
DEADLINE_S = 10.0


class Terminal:
    """A pseudo-terminal `columns` wide: `stream` is what a program writes to, `screen` the rows
    a terminal of that width shows after `sync()`."""

    def __init__(self, columns: int) -> None:
        self._main, side = os.openpty()
        tty.setraw(side)  # the bytes as written, without the "\n" -> "\r\n" of a cooked tty
        self.stream = open(side, "w", encoding="utf-8")  # noqa: SIM115 closed by close()
        self.columns = 0
        if columns:
            self.resize(columns)
        self.screen = [""]
        self._col = 0
        self._wrap_next = False  # the last column was written: the next character wraps

    def resize(self, columns: int) -> None:
        """As a terminal emulator does when its window changes (TIOCSWINSZ)."""
        fcntl.ioctl(self._main, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.columns = columns

    def sync(self) -> None:
        """Read everything written so far and replay it on the screen."""
        self.stream.write(SYNC)
        self.stream.flush()
        received = b""
        deadline = time.monotonic() + DEADLINE_S
        while not received.endswith(SYNC.encode()):
            left = deadline - time.monotonic()
            assert left > 0, f"the terminal's output did not arrive: {received!r}"
            if select.select([self._main], [], [], left)[0]:
                received += os.read(self._main, 65_536)
        self._replay(received.decode())

    def _replay(self, text: str) -> None:
        i = 0
        while i < len(text):
            if text.startswith(CLEAR_TO_END, i):
                self.screen[-1] = self.screen[-1][: self._col]
                i += len(CLEAR_TO_END)
                continue
            if text.startswith(CLEAR_LINE, i):
                self.screen[-1] = ""
                i += len(CLEAR_LINE)
                continue
            char = text[i]
            i += 1
            if char == "\r":
                self._col, self._wrap_next = 0, False
            elif char == "\n":  # a terminal behind a cooked tty: new line, first column
                self.screen.append("")
                self._col, self._wrap_next = 0, False
            elif char != SYNC:
                self._put(char)

    def _put(self, char: str) -> None:
        if self._wrap_next:
            self.screen.append("")
            self._col, self._wrap_next = 0, False
        row = self.screen[-1].ljust(self._col)
        self.screen[-1] = row[: self._col] + char + row[self._col + 1 :]
        if self._col == self.columns - 1:
            self._wrap_next = True
        else:
            self._col += 1

    def close(self) -> None:
        self.stream.close()
        os.close(self._main)


@contextlib.contextmanager
def terminal(columns: int) -> Iterator[Terminal]:
    screen = Terminal(columns)
    try:
        yield screen
    finally:
        screen.close()


STARTED = RunStarted(
    run_id="r1", scenario="s", title="A title", time_scale=1.0, run_dir=Path("r"), total_s=46
)
FAULTS = (
    "bpjs: down (connections refused)",
    "erm: latency 3000ms +- 500ms",
    "patient-app: http 503 on 50% of requests",
)


def tick(second: int, *, faults: tuple[str, ...] = FAULTS) -> Tick:
    return Tick(
        elapsed=float(second),
        total=46.0,
        phase=RunPhase.FAULT,
        active_faults=faults,
        second=SecondCounts(second=second, served=6, degraded=6, failed=1),
        load=Progress(requests_per_s=12.5, error_rate=0.02, degraded_rate=0.5, seconds=second),
    )


def full_text(event: Tick) -> str:
    """What the line says of a tick, uncut (a CI log's line)."""
    stream = io.StringIO()
    ProgressLine(stream=stream)(event)
    return stream.getvalue().rstrip("\n")


def test_a_whole_run_on_an_80_column_terminal_leaves_one_progress_row() -> None:
    """The 46 s run that left 167 rows: its line was wider than the terminal, so each redraw
    went back only to the start of its last row."""
    ticks = [tick(s) for s in range(1, 168)]
    assert len(full_text(ticks[-1])) > 80
    with terminal(80) as screen:
        line = ProgressLine(stream=screen.stream)
        events: list[RunEvent] = [STARTED, *ticks, LoadStopped(duration=46.0, drain=3.0)]
        for event in events:
            line(event)
            screen.sync()
    assert screen.screen == [
        "run r1: A title (time scale 1)",
        full_text(ticks[-1])[:79],  # the last progress stays, cut one column short of the width
        "load stopped after 46s; draining for 3s",
        "",
    ]


def test_the_line_follows_the_terminal_when_its_window_is_resized() -> None:
    with terminal(120) as screen:
        line = ProgressLine(stream=screen.stream)
        line(tick(1))
        screen.sync()
        assert screen.screen == [full_text(tick(1))[:119]]
        screen.resize(40)
        line(tick(2))
        screen.sync()
        assert screen.screen == [full_text(tick(2))[:39]]
        screen.resize(200)
        line(tick(3))
        screen.sync()
        assert screen.screen == [full_text(tick(3))]  # wide enough for all of it
        line(tick(4, faults=()))  # shorter: what the longer line left is cleared
        screen.sync()
        assert screen.screen == [full_text(tick(4, faults=()))]


def test_a_terminal_that_reports_no_size_takes_columns_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "50")  # a pseudo-terminal nobody sized says 0 columns
    with terminal(0) as screen:
        line = ProgressLine(stream=screen.stream)
        line(tick(1))
        screen.sync()
    assert screen.screen == [full_text(tick(1))[:49]]


def test_the_line_is_cleared_before_other_output_and_nothing_is_left_when_none_was_drawn() -> None:
    with terminal(60) as screen:
        line = ProgressLine(stream=screen.stream)
        line.done()  # no progress drawn yet: no empty row
        line.clear()
        line.status("running: bpjs-outage 12s, erm-down 3s\n(and a stray newline)")
        screen.sync()
        assert screen.screen == ["running: bpjs-outage 12s, erm-down 3s (and a stray newline)"]
        line.clear()
        screen.stream.write("pass  bpjs-outage (exit 0)\n")  # a parallel suite's verdict line
        line.status("running: erm-down 5s")
        screen.sync()
    assert screen.screen == ["pass  bpjs-outage (exit 0)", "running: erm-down 5s"]


def test_the_line_writes_to_stderr_as_it_is_when_the_line_is_made() -> None:
    captured = io.StringIO()
    with contextlib.redirect_stderr(captured):
        line = ProgressLine(every=3600)
    line(dataclasses.replace(tick(1), active_faults=()))
    assert captured.getvalue() == full_text(tick(1, faults=())) + "\n"
