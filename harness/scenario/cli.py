"""`harness validate` and `harness list`: check scenario files, and see what the library holds.

    harness validate scenarios/ [--client examples/clients/naive.yaml] [--allow-host HOST]
    harness list [DIR] [--time-scale 600] [--json]      (no DIR: the built-in library)

Both exit 0 when every file is valid and 2 (with one line per problem: file, line, field, hint)
otherwise; `list` still lists the valid ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from harness import library
from harness.client import load_client
from harness.durations import format_duration
from harness.errors import ExitCode, UsageError
from harness.load.runner import BUILTIN_LOCUSTFILE
from harness.results.journal import SCHEMA_PATH as JOURNAL_SCHEMA_PATH
from harness.scenario.incidents import INCIDENTS
from harness.scenario.loader import ScenarioFile, load_scenario, locustfile_of, validate_paths
from harness.scenario.schedule import build_schedule
from harness.scenario.schema import CLIENT_SCHEMA_PATH, SCENARIO_SCHEMA_PATH
from harness.yamlmodel import FileProblem, InvalidFileError


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = subcommands.add_parser(
        "validate",
        help="check scenario files (and client files) without running anything",
        description="Validate scenario files; directories are searched for *.yaml and *.yml. "
        "Exit 0 if all are valid, 2 otherwise, with one line per problem. A served-rate check "
        "whose phase cannot get the requests its threshold needs (even with none failing) is "
        "a warning: that check can only end inconclusive or failed.",
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    validate.add_argument(
        "--time-scale",
        type=positive_float,
        default=None,
        metavar="X",
        help="estimate the evidence at this time scale instead of each file's own",
    )
    validate.add_argument(
        "--client",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="also validate this client file (repeatable)",
    )
    add_allow_host(validate)
    validate.set_defaults(handler=_validate)

    listing = subcommands.add_parser(
        "list",
        help="list scenarios with their incidents, titles and run times",
        description="List the scenarios in a directory (default: the built-in incident library "
        "and building blocks; run one with `harness run NAME --client FILE`).",
    )
    listing.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=None,
        help="a folder of scenario files (default: the built-in library)",
    )
    listing.add_argument(
        "--time-scale",
        type=positive_float,
        default=None,
        metavar="X",
        help="show run times at this time scale instead of each file's own",
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_allow_host(listing)
    listing.set_defaults(handler=_list)

    schema = subcommands.add_parser(
        "schema",
        help="print or copy the JSON Schemas of scenario, client and journal files (for editors)",
        description="Print one JSON Schema, or copy all three next to your files with --write DIR "
        "(rewritten each time: run it again after upgrading the harness). Then start a scenario "
        "file with `# yaml-language-server: $schema=scenario.schema.json` (a path relative to "
        "the file) for completion and checks in the editor.",
    )
    schema.add_argument(
        "kind", nargs="?", choices=sorted(SCHEMAS), default="scenario", help="which schema to print"
    )
    schema.add_argument(
        "--write", type=Path, metavar="DIR", help="write all three schema files into DIR instead"
    )
    schema.set_defaults(handler=_schema)


def add_allow_host(
    parser: argparse.ArgumentParser,
    *,
    help_text: str = "accept this non-loopback host in client base URLs (never a production host)",
) -> None:
    """`--allow-host HOST`, repeatable: the one way past the loopback-only rule."""
    parser.add_argument("--allow-host", action="append", default=[], metavar="HOST", help=help_text)


def positive_float(text: str) -> float:
    """argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def _validate(args: argparse.Namespace) -> int:
    allowed = tuple(args.allow_host)
    # A built-in scenario or reference client may be named as for `harness run`.
    paths = [p if p.exists() else library.resolve_scenario(str(p)) for p in args.paths]
    args.client = [p if p.exists() else library.resolve_client(str(p)) for p in args.client]
    loaded, problems = validate_paths(paths, allowed_hosts=allowed)
    for item in loaded:
        incident = (
            f"incident {item.scenario.incident}" if item.scenario.incident else "building block"
        )
        print(f"ok  {item.path}  {item.scenario.name} ({incident})")
        for warning in evidence_warnings(item, time_scale=args.time_scale):
            print(f"warning: {item.path}: {warning}")
    for client_path in args.client:
        try:
            client = load_client(client_path, allowed_hosts=allowed)
        except InvalidFileError as exc:
            problems += exc.problems
            continue
        print(f"ok  {client_path}  client {client.name}")
        for item in loaded:  # each scenario with this client: its load.users in the locustfile
            try:
                load_scenario(item.path, client_override=client_path, allowed_hosts=allowed)
            except InvalidFileError as exc:
                problems += exc.problems
    if not loaded and not args.client and not problems:
        raise UsageError(f"no *.yaml or *.yml files under {', '.join(map(str, paths))}")
    _raise_if(problems)
    return int(ExitCode.OK)


def evidence_warnings(item: ScenarioFile, *, time_scale: float | None = None) -> list[str]:
    """The served-rate checks of `item` its load cannot give enough requests to decide."""
    from harness.results.planning import estimate_requests  # results imports scenario

    if item.client is not None and item.client_path is not None:
        locustfile = locustfile_of(item.client, item.client_path.parent)
    else:
        locustfile = BUILTIN_LOCUSTFILE
    try:
        estimates = estimate_requests(item.scenario, locustfile=locustfile, time_scale=time_scale)
    except (OSError, SyntaxError):
        return []  # an unreadable locustfile is reported by the client check
    return [e.warning() for e in estimates if not e.enough]


def _list(args: argparse.Namespace) -> int:
    directory: Path = library.scenarios_dir() if args.directory is None else args.directory
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory; give the folder of scenario files")
    loaded, problems = validate_paths([directory], allowed_hosts=tuple(args.allow_host))
    rows = [_row(item, args.time_scale) for item in loaded]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows)
    _raise_if(problems)
    return int(ExitCode.OK)


def _row(item: ScenarioFile, time_scale: float | None) -> dict[str, str | int | float | None]:
    scenario = item.scenario
    schedule = build_schedule(scenario, time_scale=time_scale)
    return {
        "name": scenario.name,
        "incident": scenario.incident,
        "incident_title": INCIDENTS.get(scenario.incident) if scenario.incident else None,
        "title": scenario.title,
        "path": str(item.path),
        "time_scale": schedule.time_scale,
        "incident_duration_s": scenario.load.incident_duration,
        "run_duration_s": round(schedule.total, 3),
    }


def _print_table(rows: list[dict[str, str | int | float | None]]) -> None:
    header = ("NAME", "INCIDENT", "RUN TIME", "INCIDENT TIME", "SCALE", "TITLE")
    lines = [header]
    for row in rows:
        incident = str(row["incident"]) if row["incident"] is not None else "-"
        run = format_duration(float(row["run_duration_s"] or 0))
        incident_time = format_duration(float(row["incident_duration_s"] or 0))
        lines.append(
            (
                str(row["name"]),
                incident,
                run,
                incident_time,
                f"x{row['time_scale']:g}",
                str(row["title"]),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True)]
        print("  ".join([*cells, line[-1]]))
    if not rows:
        print("(no valid scenarios)", file=sys.stderr)


SCHEMAS = {
    "scenario": SCENARIO_SCHEMA_PATH,
    "client": CLIENT_SCHEMA_PATH,
    "journal": JOURNAL_SCHEMA_PATH,
}


def _schema(args: argparse.Namespace) -> int:
    if args.write is None:
        sys.stdout.write(SCHEMAS[args.kind].read_text(encoding="utf-8"))
        return int(ExitCode.OK)
    target: Path = args.write
    if target.exists() and not target.is_dir():
        raise UsageError(
            f"--write {target}: not a directory; give the folder to put the schemas in"
        )
    target.mkdir(parents=True, exist_ok=True)
    for published in SCHEMAS.values():
        (target / published.name).write_text(published.read_text(encoding="utf-8"), "utf-8")
        print(f"wrote {target / published.name}")
    modeline = os.path.relpath(target / SCENARIO_SCHEMA_PATH.name)
    print(
        f"then start a scenario file with: # yaml-language-server: $schema={modeline} "
        "(the path relative to that file)"
    )
    return int(ExitCode.OK)


def _raise_if(problems: list[FileProblem]) -> None:
    if problems:
        raise InvalidFileError(problems)
