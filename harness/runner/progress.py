"""The live progress line: phase, active faults, requests/s, error and degraded rates."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from harness.load.runner import Progress


class ProgressLine:
    """On a terminal, one line redrawn in place; elsewhere (CI logs), a line every `every` s."""

    def __init__(self, *, stream: TextIO = sys.stderr, every: float = 10.0) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every
        self._last = 0.0

    def show(
        self, *, phase: str, elapsed: float, total: float, faults: str, load: Progress
    ) -> None:
        now = time.monotonic()
        if not self.tty and now - self._last < self.every:
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
        if not self.tty and now - self._last < self.every:
            return
        self._last = now
        if self.tty:
            self.stream.write("\r\x1b[2K" + text[:160])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

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
