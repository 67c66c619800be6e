"""`harness run <scenario> [--client FILE] [--report-dir DIR] [--time-scale X] [--workers N]`.

`harness run --suite <dir or tag> [same options] [--scenario-dir DIR]` runs several scenarios with
one verdict (harness.runner.suite). `--summary-to FILE` appends the run's or the suite's
summary.md to a file such as $GITHUB_STEP_SUMMARY (harness.report.summary_file).
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import threading
from pathlib import Path

from harness.console.child import start_console
from harness.errors import UsageError
from harness.library import resolve_client, resolve_scenario
from harness.net import LOOPBACK_HOST, require_loopback
from harness.process import Supervisor
from harness.report import REPORT_FILE
from harness.report.files import SUMMARY_FILE
from harness.report.summary_file import append_summary, check_summary_target, summary_target
from harness.report.terminal import summary_lines
from harness.report.values import load_line
from harness.results.checks import InconclusivePolicy
from harness.runner.engine import run_scenario
from harness.runner.events import Subscriber
from harness.runner.events_json import EventsFile
from harness.runner.options import RunOptions
from harness.runner.progress import ProgressLine
from harness.runner.signals import interruptible
from harness.runner.suite_cli import run_suite_command
from harness.scenario.cli import add_allow_host, positive_float
from harness.scenario.loader import load_scenario


def register(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subcommands.add_parser(
        "run",
        help="run a scenario against a client; the exit code is the verdict",
        description="Run one scenario end to end: stack, client, load, faults, checks, report. "
        "Exit codes: 0 all checks passed, 1 a check failed, 2 invalid scenario or usage, "
        "3 environment or infrastructure failure (or a bug in the harness, which says so), "
        "4 inconclusive (no check failed, one had too little evidence to pass; see "
        "--inconclusive), 130 interrupted.",
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        help="a scenario file, or a built-in scenario by name (incident-5, bpjs-outage, "
        "schedule-lies: see `harness list`); or use --suite",
    )
    parser.add_argument(
        "--suite",
        metavar="DIR_OR_TAG",
        help="run every scenario under a directory, or every scenario of the built-in library "
        "(and of --scenario-dir) with this tag, such as ci, one after the other: exit 0 if all "
        "pass, 1 if any check failed, 4 if none failed but one was inconclusive",
    )
    parser.add_argument(
        "--scenario-dir",
        type=Path,
        metavar="DIR",
        help="your own folder of scenarios (default: ./scenarios, if there is one): --suite TAG "
        "also runs those of them with the tag",
    )
    parser.add_argument(
        "--client",
        metavar="FILE",
        help="client file (`harness init` writes one), or a built-in reference client by name "
        "(resilient, naive, lenient); overrides the scenario's",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports"))
    parser.add_argument(
        "--summary-to",
        type=summary_target,
        metavar="FILE",
        help="also append summary.md (the run's, or the suite's) to FILE, e.g. "
        '"$GITHUB_STEP_SUMMARY"; written even when a suite stops on an error',
    )
    parser.add_argument(
        "--events",
        type=Path,
        metavar="FILE",
        help="also append each event of the run to FILE as a JSON line (phase, faults, a tick "
        "per second with its counts and latency, checks, verdict), flushed as it happens",
    )
    parser.add_argument(
        "--ui",
        action="store_true",
        help="also serve the console (`harness console`) with this run live on it, and print "
        "its URL; at a terminal, it keeps serving the result until Ctrl-C",
    )
    parser.add_argument(
        "--time-scale",
        type=positive_float,
        help="incident seconds per wall second (overrides file)",
    )
    parser.add_argument(
        "--parallel",
        default="1",
        metavar="N",
        help="with --suite: run up to N scenarios at a time, each on its own stack (default 1)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="local locust workers (0: one process)"
    )
    parser.add_argument(
        "--remote-workers",
        type=int,
        default=0,
        metavar="N",
        help="also wait for N locust workers started on other machines (prints their command)",
    )
    parser.add_argument(
        "--master-bind",
        default=LOOPBACK_HOST,
        metavar="ADDRESS",
        help="address the locust master listens on for remote workers (allow it with --allow-host)",
    )
    parser.add_argument(
        "--master-port",
        type=int,
        metavar="PORT",
        help="port the locust master listens on for workers (default: a free one; fix it to open "
        "it in a firewall)",
    )
    parser.add_argument(
        "--inconclusive",
        choices=[p.value for p in InconclusivePolicy],
        default=InconclusivePolicy.ERROR.value,
        help="exit code of an INCONCLUSIVE verdict (a check without enough evidence to pass or "
        "fail): error = 4 (default), fail = 1, pass = 0",
    )
    add_allow_host(
        parser,
        help_text="accept this non-loopback host for the client or the locust master "
        "(never a production host)",
    )
    parser.set_defaults(handler=_run)


def _serve_until_interrupted(url: str) -> None:
    print(f"harness: the console shows the result at {url}; Ctrl-C to exit", file=sys.stderr)
    try:
        with interruptible():
            threading.Event().wait()
    except KeyboardInterrupt:
        pass


def _run(args: argparse.Namespace) -> int:
    if args.workers < 0 or args.remote_workers < 0:
        raise UsageError("--workers and --remote-workers must be 0 or more")
    if args.master_port is not None and not 1 <= args.master_port <= 65_535:
        raise UsageError(f"--master-port {args.master_port}: give a TCP port from 1 to 65535")
    require_loopback(args.master_bind, allowed_hosts=tuple(args.allow_host))
    if args.summary_to is not None:
        check_summary_target(args.summary_to)
    if args.parallel != "1" and args.suite is None:
        raise UsageError("--parallel only applies to --suite; drop it or add --suite DIR_OR_TAG")
    if (args.events is not None or args.ui) and args.suite is not None:
        raise UsageError("--events and --ui apply to one run; drop them or --suite")
    if args.scenario_dir is not None and args.suite is None:
        raise UsageError("--scenario-dir only applies to --suite TAG; drop it or add --suite")
    if args.client is not None:  # a file, or a built-in reference client's name
        args.client = resolve_client(args.client)
    options = RunOptions(
        report_dir=args.report_dir,
        time_scale=args.time_scale,
        workers=args.workers,
        remote_workers=args.remote_workers,
        master_bind=args.master_bind,
        master_port=args.master_port,
        allowed_hosts=tuple(args.allow_host),
        inconclusive=InconclusivePolicy(args.inconclusive),
    )
    if args.suite is not None:
        if args.scenario is not None:
            raise UsageError("give a scenario file or --suite, not both")
        return run_suite_command(args, options)
    if args.scenario is None:
        raise UsageError(
            "name a scenario (a file, or a built-in name such as incident-5: see `harness list`) "
            "or a suite with --suite DIR_OR_TAG"
        )
    scenario = resolve_scenario(args.scenario)
    with contextlib.ExitStack() as stack:
        subscribers: list[Subscriber] = [ProgressLine()]
        if args.ui:
            # checked first: an invalid file is one line, with no console started for nothing
            load_scenario(
                scenario, client_override=args.client, allowed_hosts=options.allowed_hosts
            )
            followed = args.report_dir / ".console" / f"{secrets.token_hex(4)}.jsonl"
            followed.parent.mkdir(parents=True, exist_ok=True)
            followed.touch()  # a fresh file: the console follows this run's events only
            supervisor = stack.enter_context(Supervisor(log_dir=followed.parent / "logs"))
            url, _ = start_console(
                supervisor,
                "--follow",
                str(followed.resolve()),
                "--report-dir",
                str(args.report_dir),
            )
            print(f"console: {url}", file=sys.stderr, flush=True)
            subscribers.append(stack.enter_context(EventsFile(followed)))
        if args.events is not None:
            subscribers.append(stack.enter_context(EventsFile(args.events)))
        result = run_scenario(scenario, client=args.client, options=options, on_event=subscribers)
        journal = result.journal
        out = sys.stdout
        out.write(f"verdict: {journal.verdict.value.upper()} (exit {result.exit_code})\n")
        for line in summary_lines(journal.checks):
            out.write(line + "\n")
        answers = journal.wrong_answers
        if answers.count:
            first = answers.examples[0] if answers.examples else None
            example = f"; first: {first.name} said '{first.said}' ({first.reason})" if first else ""
            out.write(f"wrong:   {answers.count} answers contradicted the truth{example}\n")
        if journal.load is not None:
            out.write(f"load:    {load_line(journal.load)}\n")
            for problem in journal.load.problems:
                out.write(f"warning: {problem}\n")
        out.write(f"journal: {result.journal_path}\njunit:   {result.junit_path}\n")
        out.write(f"report:  {result.run_dir / REPORT_FILE}\n")
        if args.summary_to is not None:
            append_summary(
                args.summary_to, (result.run_dir / SUMMARY_FILE).read_text(encoding="utf-8")
            )
            out.write(f"summary appended to {args.summary_to}\n")
        out.flush()
        if args.ui and sys.stdin.isatty():
            _serve_until_interrupted(url)
    return result.exit_code
