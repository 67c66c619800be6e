"""The `harness` command: a thin argparse front; each area registers its own subcommands.

An area's module exposes `register(subcommands)`, adding its parsers with
`parser.set_defaults(handler=...)`; a handler takes the parsed arguments and returns an exit code.
`main` maps every HarnessError to its exit code with a one-line message on stderr (no traceback),
and Ctrl-C to 130. Exit codes: 0 ok, 1 a check failed, 2 usage or invalid input, 3 infrastructure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from harness.errors import ExitCode, HarnessError
from harness.report import cli as report_cli
from harness.runner import cli as runner_cli
from harness.scaffold import cli as scaffold_cli
from harness.scenario import cli as scenario_cli
from harness.stack import cli as stack_cli
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
    report_cli.register,
    scaffold_cli.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Chaos and resilience harness for health APIs (loopback only).",
        epilog="exit codes: 0 ok, 1 a check failed, 2 usage or invalid input, 3 infrastructure",
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
    args = build_parser().parse_args(argv)  # usage errors exit 2 here, argparse's convention
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("harness: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
