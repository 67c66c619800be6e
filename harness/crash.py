"""A bug in the harness: its traceback to a log file, one line on stderr, exit 3.

    log = save_traceback(exc, argv=["list", "--json"])    # the new file, or None
    print(bug_line(exc, log), file=sys.stderr)

An exception that is neither a HarnessError (a failure the harness expects, with its own one-line
message) nor Ctrl-C is a bug. `harness.cli.main` turns it into exit 3, as for any failure that
left the client unjudged: exit 1 would say a check failed, and Python's default (a traceback and
exit 1) would bury the one line that matters in a CI log and read like a finding about the
client. The line says it is a bug and where its traceback is.

Where: `harness.paths.crash_dir()`, $XDG_CACHE_HOME/health-resilience-harness/crashes
(~/.cache/... without XDG_CACHE_HOME). It is the per-user folder the harness already writes
outside a checkout (toxiproxy's binaries), writable wherever the harness runs, the same whatever
the current directory, and it never litters the project under test, a `harness up` stack's
`.state/` or the `reports/` a CI job uploads. When it cannot be written (a read-only home), the
system's temporary folder takes the file.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from harness.paths import crash_dir
from harness.version import installed_version

MESSAGE_CHARS: Final = 200  # of the exception's message on the one line; the log has it all


def save_traceback(exc: BaseException, *, argv: Sequence[str]) -> Path | None:
    """Write `exc`'s traceback, with the command and the versions, to a new file in crash_dir()
    (else the temporary folder); its path, or None when neither folder takes it."""
    now = dt.datetime.now(dt.UTC)
    text = "".join(
        [
            f"command: {shlex.join(['harness', *argv])}\n",
            f"harness: {installed_version()}\n",
            f"python:  {platform.python_version()} ({platform.platform()})\n",
            f"time:    {now.isoformat(timespec='seconds')}\n",
            f"cwd:     {Path.cwd()}\n\n",
            *traceback.format_exception(exc),
        ]
    )
    name = f"harness-{now:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path.resolve()
    return None


def bug_line(exc: BaseException, log: Path | None) -> str:
    """The one line for stderr: what was raised, that it is a bug, where the traceback is."""
    message = " ".join(str(exc).split())
    if len(message) > MESSAGE_CHARS:
        message = message[: MESSAGE_CHARS - 3] + "..."
    raised = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    where = (
        f"its traceback is in {log}; please report it with that file"
        if log is not None
        else f"its traceback could not be saved ({crash_dir()} and {tempfile.gettempdir()} "
        "refused the file); please report it with this line"
    )
    return f"harness: bug in the harness (not a verdict on the client): {raised}; {where}"
