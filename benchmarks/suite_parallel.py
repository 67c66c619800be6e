"""Suite wall time with `--parallel N`, and how far check values move when scenarios share the CPU.

    .venv/bin/python benchmarks/suite_parallel.py                        # resilient, 3 runs
    .venv/bin/python benchmarks/suite_parallel.py --client examples/clients/naive.yaml
    .venv/bin/python benchmarks/suite_parallel.py --hog --runs 1         # a CPU hog on one core

For one client: `harness run --suite ci` once serially (the reference) and `--runs` times with
`--parallel N` (3), each as a subprocess on its own report directory. With --hog, a busy loop
(`python -c 'while True: pass'`, pinned to the last CPU where taskset exists) runs throughout and
is stopped by its pid at the end. Printed: each suite's wall time, verdict and failed checks; then,
per scenario and check, the values measured serially and their range over the parallel runs
(--skip-serial: the parallel runs only).

Targets (issue 11): the parallel suite at most 180 s of wall time; every parallel run gives the
serial run's verdict and failed checks (a flip is a defect). Exit 0 when met, 1 when not, 3 when
a suite could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import EXIT_INFRASTRUCTURE, EXIT_TARGET_MISSED, REPO, BenchmarkError, pinned

from harness.process import ProcessSpec, Supervisor

WALL_TARGET_S: Final = 180.0
SUITE_TIMEOUT_S: Final = 1800.0


@dataclass(frozen=True)
class SuiteRun:
    label: str
    wall_s: float
    verdict: str
    failed: dict[str, list[str]]  # scenario -> failed check ids
    values: dict[tuple[str, str], float | None]  # (scenario, check) -> measured
    load_s: dict[str, float]  # scenario -> seconds of load (the journal's duration_s)


def run_suite(label: str, *, client: Path, selector: str, parallel: int, work: Path) -> SuiteRun:
    reports = work / label
    argv = [sys.executable, "-m", "harness.cli", "run", "--suite", selector]
    argv += ["--client", str(client), "--report-dir", str(reports), "--parallel", str(parallel)]
    began = time.monotonic()
    done = subprocess.run(
        argv, cwd=REPO, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S, check=False
    )
    wall = time.monotonic() - began
    if done.returncode not in (0, 1, 4):  # pass, fail, inconclusive: all verdicts
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BenchmarkError(f"{label}: harness run --suite exited {done.returncode}:\n{tail}")
    (suite_dir,) = list(reports.iterdir())
    suite: dict[str, Any] = json.loads((suite_dir / "suite.json").read_text(encoding="utf-8"))
    failed: dict[str, list[str]] = {}
    values: dict[tuple[str, str], float | None] = {}
    load_s: dict[str, float] = {}
    for entry in suite["runs"]:
        journal = json.loads((suite_dir / entry["journal"]).read_text(encoding="utf-8"))
        failed[entry["scenario"]] = sorted(c["id"] for c in journal["checks"] if not c["passed"])
        load_s[entry["scenario"]] = float(journal["duration_s"])
        for check in journal["checks"]:
            values[(entry["scenario"], check["id"])] = check["measured"]
    return SuiteRun(label, wall, suite["verdict"], failed, values, load_s)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def describe(run: SuiteRun) -> str:
    failing = "; ".join(f"{s}: {', '.join(c)}" for s, c in sorted(run.failed.items()) if c)
    loads = ", ".join(f"{s} {t:.0f}" for s, t in sorted(run.load_s.items()))
    return (
        f"{run.label}: {run.wall_s:6.1f} s wall, verdict {run.verdict.upper()}, "
        f"failed checks: {failing or 'none'}; seconds of load per run: {loads}; "
        f"load average {load_average()}"
    )


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def measure(args: argparse.Namespace, work: Path) -> bool:
    mode = f"--parallel {args.parallel}" + (", CPU hog on one core" if args.hog else "")
    print(f"## harness run --suite {args.selector} --client {args.client} ({mode})")
    serial = None
    if not args.skip_serial:
        serial = run_suite(
            "serial", client=args.client, selector=args.selector, parallel=1, work=work
        )
        print(describe(serial), flush=True)
    runs: list[SuiteRun] = []
    for index in range(1, args.runs + 1):
        run = run_suite(
            f"parallel-{index}",
            client=args.client,
            selector=args.selector,
            parallel=args.parallel,
            work=work,
        )
        runs.append(run)
        print(describe(run), flush=True)
    slow = [r.label for r in runs if r.wall_s > WALL_TARGET_S]
    flips: list[str] = []
    if serial is not None:
        print("\n| scenario | check | serial | parallel (min..max) |")
        print("| --- | --- | ---: | ---: |")
        for key, value in sorted(serial.values.items()):
            numbers = [v for r in runs if (v := r.values.get(key)) is not None]
            spread = f"{fmt(min(numbers))}..{fmt(max(numbers))}" if numbers else "n/a"
            print(f"| {key[0]} | {key[1]} | {fmt(value)} | {spread} |")
        same = (serial.verdict, serial.failed)
        flips = [r.label for r in runs if (r.verdict, r.failed) != same]
        print(
            "\nverdicts and failed checks as serial: "
            + ("all runs" if not flips else "NOT in " + ", ".join(flips))
            + f"; serial {serial.wall_s:.0f} s"
        )
    print(
        f"wall time at most {WALL_TARGET_S:g} s: "
        + ("met" if not slow else "missed in " + ", ".join(slow))
    )
    return not flips and not slow


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--client", type=Path, default=REPO / "examples/clients/resilient.yaml")
    parser.add_argument("--selector", default="ci", help="the suite: a tag or a folder (ci)")
    parser.add_argument("--parallel", type=int, default=3, help="scenarios at a time (3)")
    parser.add_argument("--runs", type=int, default=3, help="parallel suite runs (3)")
    parser.add_argument("--hog", action="store_true", help="a CPU hog on one core throughout")
    parser.add_argument("--skip-serial", action="store_true", help="no serial reference run")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp,
            Supervisor(log_dir=Path(tmp) / "logs") as sup,
        ):
            if args.hog:
                cpu = max(os.sched_getaffinity(0)) if shutil.which("taskset") else None
                hog = [sys.executable, "-c", "while True: pass"]
                sup.start(ProcessSpec(name="cpu-hog", argv=pinned(hog, cpu)), wait=False)
            met = measure(args, Path(tmp))
    except (BenchmarkError, subprocess.TimeoutExpired) as exc:
        print(f"suite_parallel: {exc}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    return 0 if met else EXIT_TARGET_MISSED


if __name__ == "__main__":
    sys.exit(main())
