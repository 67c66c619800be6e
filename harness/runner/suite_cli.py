"""The output of `harness run --suite`: one verdict line per scenario, then the suite's."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import UsageError
from harness.runner.options import RunOptions
from harness.runner.progress import ProgressLine
from harness.runner.suite import INDEX_FILE, SuiteEntry, SuiteOptions, SuiteVerdict, run_suite


def parse_parallel(text: str) -> int:
    """--parallel N: a whole number of scenarios at a time, 1 or more; exit 2 otherwise."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1 or str(value) != text.strip():
        raise UsageError(
            f"--parallel {text}: give how many scenarios run at a time, a whole number 1 or more"
        )
    return value


def _line(entry: SuiteEntry, suite_dir: Path) -> str:
    journal = str(suite_dir / entry.journal) if entry.journal else entry.error or ""
    return (
        f"{entry.verdict.value.upper():<5} {entry.scenario:<36} (exit {entry.exit_code})  {journal}"
    )


def run_suite_command(args: argparse.Namespace, options: RunOptions) -> int:
    """`harness run --suite ...`; exit 2/3 errors propagate as HarnessError to harness.cli."""
    out = sys.stdout
    progress = ProgressLine()

    def report(entry: SuiteEntry, suite_dir: Path) -> None:
        progress.clear()
        out.write(_line(entry, suite_dir) + "\n")
        out.flush()

    result = run_suite(
        SuiteOptions(
            selector=args.suite,
            client_path=args.client,
            run=options,
            scenario_dir=args.scenario_dir,
            summary_to=args.summary_to,
            parallel=parse_parallel(args.parallel),
        ),
        on_run=report,
        on_status=progress.status,
        on_event=progress,
    )
    progress.clear()
    summary = result.summary
    passed = sum(run.verdict is SuiteVerdict.PASS for run in summary.runs)
    inconclusive = sum(run.verdict is SuiteVerdict.INCONCLUSIVE for run in summary.runs)
    out.write(
        f"suite verdict: {summary.verdict.value.upper()} (exit {summary.exit_code}): "
        f"{passed} of {len(summary.runs)} scenarios passed"
        + (f", {inconclusive} inconclusive" if inconclusive else "")
        + "\n"
        f"suite: {result.summary_path}\n"
    )
    index = result.summary_path.with_name(INDEX_FILE)
    if index.is_file():
        out.write(f"index: {index}\n")
    out.write(f"summary: {result.markdown_path}\njunit: {result.junit_path}\n")
    if args.summary_to is not None:
        out.write(f"summary appended to {args.summary_to}\n")
    return result.exit_code
