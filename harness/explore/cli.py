"""`harness explore --client FILE [--from SCENARIO] [--services LIST] [--budget 20m] ...`.

Exit 0 when no trial failed within the budget, 1 when at least one failure was found (its
minimal scenario written), 2 for invalid input, 3 for the environment, 130 interrupted (the
report written with what was found first).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from harness.api import load_scenario
from harness.durations import parse_duration
from harness.errors import UsageError
from harness.explore.explorer import ExploreOptions, explore
from harness.explore.report import HTML_FILE, MARKDOWN_FILE, headline
from harness.explore.scenario_file import TRIAL_LENGTH_S
from harness.library import resolve_client, resolve_scenario
from harness.scenario.cli import add_allow_host
from harness.scenario.types import ServiceName


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "explore",
        help="search random fault timelines for one that breaks a client; shrink it",
        description="Run trials, each a random timeline of one to four faults from the "
        "catalogue under the load and checks of --from (default: front-desk and patient load "
        "with the library's standard checks), each on its own stack. A failing trial is "
        "confirmed by a second run, then shrunk while it keeps failing the same check, and "
        "written as minimal-<check>.yaml with the command that replays it. Exit codes: 0 no "
        "failure found within the budget, 1 a failure found (minimal scenarios written), 2 "
        "invalid input, 3 environment or infrastructure failure, 130 interrupted (the report "
        "is written first).",
    )
    parser.add_argument(
        "--client",
        required=True,
        metavar="FILE",
        help="the client under test: a client file, or a built-in one (resilient, naive, lenient)",
    )
    parser.add_argument(
        "--from",
        dest="base",
        metavar="SCENARIO",
        help="take stack, load and checks from this scenario (a file or a built-in name); "
        "its timeline is replaced by the drawn ones",
    )
    parser.add_argument(
        "--services",
        metavar="LIST",
        help="comma-separated services to fault (default: every service of the stack); the "
        "client's own process is faulted too when its file has a command (see "
        "--no-client-faults)",
    )
    parser.add_argument(
        "--no-client-faults",
        action="store_true",
        help="never kill, restart or pause the client's process",
    )
    parser.add_argument(
        "--budget", default="20m", help="wall time for everything, shrinking included (20m)"
    )
    parser.add_argument(
        "--trials", type=int, metavar="N", help="stop after N trials (default: the budget decides)"
    )
    parser.add_argument(
        "--trial-length",
        default=f"{TRIAL_LENGTH_S:g}s",
        help="each trial's load, in which its faults are placed (45s; 10s at least)",
    )
    parser.add_argument(
        "--seed", type=int, help="the same seed, client and options draw the same trials"
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=1,
        metavar="N",
        help="run up to N trials at a time, each on its own stack (shrinking runs one at a time)",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports"))
    add_allow_host(parser)
    parser.set_defaults(handler=_explore)


def _seconds(flag: str, raw: str) -> float:
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise UsageError(f"{flag} {raw!r}: {exc}") from None


def _services(raw: str | None) -> tuple[ServiceName, ...] | None:
    if raw is None:
        return None
    names = [part.strip() for part in raw.split(",") if part.strip()]
    known = [s.value for s in ServiceName]
    for name in names:
        if name not in known:
            raise UsageError(
                f"--services {raw}: {name!r} is not a service; name some of {', '.join(known)}"
            )
    if not names:
        raise UsageError(f"--services {raw!r}: name at least one of {', '.join(known)}")
    return tuple(ServiceName(n) for n in names)


def _explore(args: argparse.Namespace) -> int:
    client = resolve_client(args.client).resolve()
    base_path = None if args.base is None else resolve_scenario(args.base).resolve()
    options = ExploreOptions(
        client=client,
        base_path=base_path,
        services=_services(args.services),
        faults_client=False if args.no_client_faults else None,
        budget_s=_seconds("--budget", args.budget),
        trials=args.trials,
        trial_length_s=_seconds("--trial-length", args.trial_length),
        seed=args.seed,
        parallel=args.parallel,
        report_dir=args.report_dir,
        allowed_hosts=tuple(args.allow_host),
    )
    if base_path is not None:
        base = load_scenario(base_path, allowed_hosts=options.allowed_hosts)
        options = dataclasses.replace(options, base=base)

    def say(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    result = explore(options, say=say)
    out = sys.stdout
    out.write(f"result:  {headline(result.journal)}\n")
    for path in result.minimal:
        out.write(f"minimal: {path}\n")
    out.write(f"report:  {result.explore_dir / HTML_FILE}\n")
    out.write(f"summary: {result.explore_dir / MARKDOWN_FILE}\n")
    return result.exit_code
