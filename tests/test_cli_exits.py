"""A real `harness` process whose reader leaves, or that hits a bug: the exit code and stderr a
shell sees (harness.cli, harness.streams, harness.crash).

The reader leaving is real: `head -1` on the other end of a real pipe, or a pipe whose read end
is closed before the first write. The bugs are real exceptions in a real process: a small script
adds commands that misbehave through the CLI's own extension point (`harness.cli.REGISTRARS`, as
an area registers its subcommands) and calls `harness.cli.main`, so no product code changes
for the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from harness.crash import MESSAGE_CHARS, bug_line
from harness.errors import ExitCode

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
HARNESS = (sys.executable, "-m", "harness.cli")
DEADLINE_S = 60
FLOOD_LINES = 100_000  # ~1.5 MB: far more than a pipe holds, so `head -1` leaves mid-way

PLANTED = f'''
"""`harness` with three more commands that misbehave, for tests/test_cli_exits.py."""

import sys

from harness import cli


def explode(args):
    raise RuntimeError("a bug planted by the test\\nover two lines")


def broken_pipe(args):
    raise BrokenPipeError(32, "a pipe to a child process broke")


def flood(args):
    stream = sys.stderr if args.stderr else sys.stdout
    for i in range({FLOOD_LINES}):
        print(f"line {{i}}", file=stream)
    print("flood finished")
    return args.exit


def register(subcommands):
    subcommands.add_parser("explode").set_defaults(handler=explode)
    subcommands.add_parser("broken-pipe").set_defaults(handler=broken_pipe)
    parser = subcommands.add_parser("flood")
    parser.add_argument("--stderr", action="store_true")
    parser.add_argument("--exit", type=int, default=0)
    parser.set_defaults(handler=flood)


cli.REGISTRARS = (*cli.REGISTRARS, register)
sys.exit(cli.main())
'''


@pytest.fixture
def planted(tmp_path: Path) -> tuple[str, ...]:
    """The argv prefix of `harness` with the planted commands."""
    script = tmp_path / "planted_harness.py"
    script.write_text(PLANTED, encoding="utf-8")
    return (sys.executable, str(script))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The test's environment with its own per-user cache (where crash logs go)."""
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}


def through_head(
    argv: Sequence[str], *, env: Mapping[str, str], tmp_path: Path, stream: str = "stdout"
) -> tuple[int, str, str]:
    """`argv | head -1` with `stream` (stdout or stderr) into the pipe and the other to a file:
    harness's exit code, head's output, the other stream's text."""
    other_file = tmp_path / "other-stream"
    with other_file.open("wb") as other:
        out, err = (subprocess.PIPE, other) if stream == "stdout" else (other, subprocess.PIPE)
        harness = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=ROOT)
        pipe = harness.stdout if stream == "stdout" else harness.stderr
        assert pipe is not None
        head = subprocess.Popen(["head", "-1"], stdin=pipe, stdout=subprocess.PIPE)
        pipe.close()  # head is the only reader: when it has its line, the reader is gone
        first, _ = head.communicate(timeout=DEADLINE_S)
        code = harness.wait(timeout=DEADLINE_S)
    return code, first.decode(), other_file.read_text(encoding="utf-8")


def to_a_pipe_without_reader(argv: Sequence[str], *, env: Mapping[str, str]) -> tuple[int, str]:
    """`argv` with its stdout on a pipe whose reader left before the first write: exit code and
    stderr. Every write to stdout meets the broken pipe, however fast the process is."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            argv,
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            timeout=DEADLINE_S,
            check=False,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr.decode()


def test_list_json_into_head_exits_0_without_a_word(tmp_path: Path, env: dict[str, str]) -> None:
    code, first, stderr = through_head([*HARNESS, "list", "--json"], env=env, tmp_path=tmp_path)
    assert first == "[\n"
    assert (code, stderr) == (0, "")


@pytest.mark.parametrize("args", [("list", "--json"), ("list",), ("run", "--help")])
def test_a_reader_gone_before_the_first_write_is_not_an_error(
    args: tuple[str, ...], env: dict[str, str]
) -> None:
    code, stderr = to_a_pipe_without_reader([*HARNESS, *args], env=env)
    assert (code, stderr) == (0, "")


def test_a_command_whose_reader_leaves_still_exits_with_its_own_code(
    tmp_path: Path, env: dict[str, str], planted: tuple[str, ...]
) -> None:
    """As `harness run --suite ci | head -1` must still run every scenario and exit with the
    verdict: the reader leaving neither stops the command nor turns a failure into a pass."""
    code, first, stderr = through_head(
        [*planted, "flood", "--exit", "1"], env=env, tmp_path=tmp_path
    )
    assert first == "line 0\n"
    assert (code, stderr) == (1, "")


def test_stderr_whose_reader_leaves_is_not_an_error_either(
    tmp_path: Path, env: dict[str, str], planted: tuple[str, ...]
) -> None:
    code, first, stdout = through_head(
        [*planted, "flood", "--stderr", "--exit", "4"], env=env, tmp_path=tmp_path, stream="stderr"
    )
    assert first == "line 0\n"
    assert (code, stdout) == (4, "flood finished\n")


def _crash_log(stderr: str) -> Path:
    found = re.search(r"its traceback is in (\S+); please report it with that file$", stderr)
    assert found, stderr
    return Path(found.group(1))


def test_an_unexpected_exception_is_exit_3_one_line_and_a_log_with_the_traceback(
    tmp_path: Path, env: dict[str, str], planted: tuple[str, ...]
) -> None:
    done = subprocess.run(
        [*planted, "explode"], env=env, capture_output=True, text=True, timeout=DEADLINE_S
    )
    assert done.returncode == ExitCode.INFRASTRUCTURE == 3
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(
        "harness: bug in the harness (not a verdict on the client): "
        "RuntimeError: a bug planted by the test over two lines; its traceback is in "
    )
    assert "Traceback" not in done.stderr
    log = _crash_log(done.stderr.rstrip("\n"))
    assert log.parent == tmp_path / "cache" / "health-resilience-harness" / "crashes"
    text = log.read_text(encoding="utf-8")
    assert text.startswith("command: harness explode\n")
    assert "Traceback (most recent call last):" in text
    assert 'raise RuntimeError("a bug planted by the test\\nover two lines")' in text
    assert text.endswith("RuntimeError: a bug planted by the test\nover two lines\n")


def test_the_traceback_goes_to_the_temporary_folder_when_the_cache_refuses_it(
    tmp_path: Path, env: dict[str, str], planted: tuple[str, ...]
) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("", encoding="utf-8")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**env, "XDG_CACHE_HOME": str(not_a_folder / "cache"), "TMPDIR": str(temporary)}
    done = subprocess.run(
        [*planted, "explode"], env=env, capture_output=True, text=True, timeout=DEADLINE_S
    )
    assert done.returncode == 3
    assert len(done.stderr.splitlines()) == 1, done.stderr
    log = _crash_log(done.stderr.rstrip("\n"))
    assert log.parent == temporary.resolve()
    assert "RuntimeError: a bug planted by the test" in log.read_text(encoding="utf-8")


def test_a_broken_pipe_that_is_not_the_reader_leaving_is_a_bug(
    env: dict[str, str], planted: tuple[str, ...]
) -> None:
    """Exit 0 is for a reader of stdout or stderr who has seen enough; a pipe to something else
    breaking must not pass a CI job."""
    done = subprocess.run(
        [*planted, "broken-pipe"], env=env, capture_output=True, text=True, timeout=DEADLINE_S
    )
    assert done.returncode == 3
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "bug in the harness" in done.stderr
    assert "BrokenPipeError: [Errno 32] a pipe to a child process broke" in done.stderr


@pytest.mark.unit
def test_the_bug_line_is_one_line_however_long_the_message() -> None:
    line = bug_line(ValueError("x" * 1000 + "\n" + "y"), Path("/tmp/harness-1.log"))
    assert "\n" not in line
    assert f"ValueError: {'x' * (MESSAGE_CHARS - 3)}...; its traceback is in " in line
    assert line.endswith("/tmp/harness-1.log; please report it with that file")
    assert "could not be saved" in bug_line(KeyError("k"), None)
