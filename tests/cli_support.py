"""`harness ...` in this process, through the CLI's `main(argv)`, as a test sees a real run of it.

A `harness` process costs about half a CPU-second of Python start-up and imports before it does
anything; tests that call the CLI dozens of times (usage errors, `status`, `inject`) call `main`
instead, with the environment and working directory such a process would get. Each module that
does so keeps real `harness` processes for the exit codes and one-line messages a shell sees.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.cli import main


def harness_in_process(
    *args: str,
    env: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`harness ARGS` with ENV's variables set (None: unset) and in CWD; output captured."""
    out, err = io.StringIO(), io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        for name, value in (env or {}).items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        if cwd is not None:
            patch.chdir(cwd)
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors, as a process would exit
            code = exit_.code if isinstance(exit_.code, int) else 2
    return subprocess.CompletedProcess(["harness", *args], code, out.getvalue(), err.getvalue())


def without_toxiproxy_url() -> dict[str, str | None]:
    """The environment changes that keep a command off a TOXIPROXY_URL the test run was given."""
    return {name: None for name in os.environ if name.startswith("TOXIPROXY")}
