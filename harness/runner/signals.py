"""SIGTERM (and SIGHUP) become KeyboardInterrupt, so every `with` block unwinds as on Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(KeyboardInterrupt):
    """The run was asked to stop by a signal other than SIGINT."""


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"stopped by {signal.Signals(signum).name}")


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP raise Terminated in the main thread; restored after.

    In any other thread (`harness.run` called from a thread of its own) it changes nothing: only
    the main thread may set signal handlers, and the process's owner decides what SIGTERM does.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
