"""The `harness` command: a thin argparse front; each area registers its own subcommands.

An area's module exposes `register(subcommands)`, adding its parsers with
`parser.set_defaults(handler=...)`; a handler takes the parsed arguments and returns an exit code.
`main` maps every HarnessError to its exit code with a one-line message on stderr (no traceback),
and Ctrl-C to 130. Exit codes: 0 ok, 1 a check failed, 2 usage or invalid input, 3 infrastructure
or a bug, 4 inconclusive, 130 interrupted.

Nothing a command meets ends it with a traceback:
- a reader that stops reading (`harness list --json | head -1`) is not an error: the command's
  output goes to /dev/null from then on and it exits with its own code (harness.streams);
- any other exception is a bug: exit 3, its traceback in a log file and one line on stderr that
  says so and names the file (harness.crash).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from harness.console import cli as console_cli
from harness.crash import bug_line, save_traceback
from harness.errors import ExitCode, HarnessError
from harness.explore import cli as explore_cli
from harness.report import cli as report_cli
from harness.runner import cli as runner_cli
from harness.scaffold import cli as scaffold_cli
from harness.scenario import cli as scenario_cli
from harness.stack import cli as stack_cli
from harness.streams import reader_gone, reader_may_leave, silence
from harness.toxiproxy import cli as toxiproxy_cli
from harness.toxiproxy.install import PINNED_VERSION
from harness.version import installed_version

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# One line per area; add yours here.
REGISTRARS: tuple[Register, ...] = (
    toxiproxy_cli.register,
    scenario_cli.register,
    stack_cli.register,
    runner_cli.register,
    explore_cli.register,
    console_cli.register,
    report_cli.register,
    scaffold_cli.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Chaos and resilience harness for health APIs (loopback only).",
        epilog="exit codes: 0 ok, 1 a check failed, 2 usage or invalid input, 3 infrastructure "
        "(or a bug in the harness: the message says so), 4 inconclusive, 130 interrupted",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {installed_version()} (toxiproxy {PINNED_VERSION})",
        help="print the harness's version and the toxiproxy version it pins, and exit",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in REGISTRARS:
        register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    with reader_may_leave():
        return _main(sys.argv[1:] if argv is None else list(argv))


def _main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)  # usage errors exit 2 here, argparse's convention
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError as exc:
        gone = [fd for fd in (1, 2) if reader_gone(fd)]
        if not gone:  # not our reader leaving: a pipe to something else broke
            return _bug(exc, argv)
        for fd in gone:  # a write that went around sys.stdout; the command stopped there
            silence(fd)
        return int(ExitCode.OK)
    except Exception as exc:
        return _bug(exc, argv)


def _bug(exc: Exception, argv: list[str]) -> int:
    print(bug_line(exc, save_traceback(exc, argv=argv)), file=sys.stderr)
    return int(ExitCode.INFRASTRUCTURE)  # 3: nothing was judged; never 1, "a check failed"


if __name__ == "__main__":
    sys.exit(main())
