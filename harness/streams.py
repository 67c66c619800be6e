"""Standard output and error whose reader may leave: `harness list --json | head -1`.

    with reader_may_leave():     # around a whole command, in harness.cli.main
        ...                      # writes to sys.stdout / sys.stderr never raise BrokenPipeError

When the reader of a pipe stops reading (`head` has its line), the next write to the pipe fails
with EPIPE, which Python raises as BrokenPipeError: left alone it ends the command with a
traceback and exit 1, which means "a check failed", and a second one at interpreter shutdown when
the stream's buffer is flushed. The reader leaving is not an error. Inside `reader_may_leave`, the
first write that finds its reader gone points that file descriptor at /dev/null (os.dup2, the
recipe of Python's documentation on SIGPIPE, which also spares the flush at shutdown), and the
command carries on to its own exit code: `harness run --suite ci | head -1` still runs every
scenario and exits with the suite's verdict, rather than stopping at the second scenario's line
with a code that says nothing about the client.

`reader_gone(fd)` tells whether a BrokenPipeError that escaped anyway (a write that went around
sys.stdout) was the reader of stdout or stderr leaving, or something else breaking: a pipe to a
child process is a bug, not a reader who has seen enough.
"""

from __future__ import annotations

import contextlib
import io
import os
import select
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


def silence(fd: int) -> None:
    """Point `fd` at /dev/null: every later write to it, from any object, succeeds unread."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def reader_gone(fd: int) -> bool:
    """Whether the pipe or socket on `fd` has no reader any more (poll's POLLERR or POLLHUP)."""
    poller = select.poll()
    poller.register(fd, 0)  # no events asked: only the error conditions are reported
    try:
        ready = poller.poll(0)
    except OSError:
        return False
    return any(flags & (select.POLLERR | select.POLLHUP) for _, flags in ready)


class _QuietWhenReaderGone(io.FileIO):
    """A file descriptor, written as is, that becomes /dev/null once its reader has left."""

    def write(self, data: ReadableBuffer, /) -> int:
        try:
            written = super().write(data)
        except BrokenPipeError:
            silence(self.fileno())
            return memoryview(data).nbytes
        return len(memoryview(data)) if written is None else written


def _rewrap(stream: TextIO) -> TextIO:
    """A text stream like `stream`, on the same file descriptor, whose reader may leave."""
    stream.flush()
    raw = _QuietWhenReaderGone(stream.fileno(), "w", closefd=False)
    return io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=bool(stream.line_buffering),
        write_through=getattr(stream, "write_through", False),
    )


def _own_fd(stream: TextIO | None, original: TextIO | None) -> bool:
    """Whether `stream` is the process's own stream on a real file descriptor (a test that
    captures sys.stdout in a StringIO keeps its capture)."""
    if stream is None or stream is not original:
        return False
    try:
        stream.fileno()
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def reader_may_leave() -> Iterator[None]:
    """Inside, sys.stdout and sys.stderr stop writing, without an error, when their reader leaves;
    both are put back (flushed) on the way out."""
    saved = sys.stdout, sys.stderr
    if _own_fd(sys.stdout, sys.__stdout__):
        sys.stdout = _rewrap(sys.stdout)
    if _own_fd(sys.stderr, sys.__stderr__):
        sys.stderr = _rewrap(sys.stderr)
    try:
        yield
    finally:
        for current, original in zip((sys.stdout, sys.stderr), saved, strict=True):
            if current is not original:
                with contextlib.suppress(OSError, ValueError):
                    current.flush()
        sys.stdout, sys.stderr = saved
