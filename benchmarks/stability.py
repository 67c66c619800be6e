"""Verdict stability: the incidents' CI forms, again and again, against both reference clients.

    .venv/bin/python benchmarks/stability.py                 # 3 suites per client, then with a hog
    .venv/bin/python benchmarks/stability.py --runs 1 --modes quiet

Each suite is `harness run --suite ci --parallel 3 --client C` (the five incidents at their CI
time scales), as a subprocess on its own report directory. Mode `quiet` runs on the machine as it
is; mode `hog` keeps a busy loop (`python -c 'while True: pass'`, pinned to the last CPU where
taskset exists) running throughout. The right verdicts are PASS for the resilient build and FAIL
for the naive one; a wrong verdict is the other of the two, and INCONCLUSIVE is counted apart
with every inconclusive check and its evidence printed.

Target (issue 14): per mode, 0 wrong verdicts and at most 1 inconclusive in the 30 runs (5
incidents x 3 suites x 2 clients). Exit 0 when met, 1 when not, 3 when a suite could not run.
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

CLIENTS: Final = {"resilient": "pass", "naive": "fail"}  # client -> the right verdict
SUITE_TIMEOUT_S: Final = 1800.0
VERDICT_EXITS: Final = (0, 1, 4)


@dataclass(frozen=True)
class Verdicts:
    """One suite: each scenario's verdict and its inconclusive checks (with their evidence)."""

    label: str
    client: str
    wall_s: float
    verdicts: dict[str, str]
    inconclusive: dict[str, list[str]]


def run_suite(label: str, *, client: str, parallel: int, work: Path) -> Verdicts:
    reports = work / label
    argv = [sys.executable, "-m", "harness.cli", "run", "--suite", "ci"]
    argv += ["--client", str(REPO / "examples" / "clients" / f"{client}.yaml")]
    argv += ["--report-dir", str(reports), "--parallel", str(parallel)]
    began = time.monotonic()
    done = subprocess.run(
        argv, cwd=REPO, capture_output=True, text=True, timeout=SUITE_TIMEOUT_S, check=False
    )
    wall = time.monotonic() - began
    if done.returncode not in VERDICT_EXITS:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BenchmarkError(f"{label}: harness run --suite exited {done.returncode}:\n{tail}")
    (suite_dir,) = list(reports.iterdir())
    suite: dict[str, Any] = json.loads((suite_dir / "suite.json").read_text(encoding="utf-8"))
    verdicts: dict[str, str] = {}
    inconclusive: dict[str, list[str]] = {}
    for entry in suite["runs"]:
        journal = json.loads((suite_dir / entry["journal"]).read_text(encoding="utf-8"))
        verdicts[entry["scenario"]] = journal["verdict"]
        unsure = [c for c in journal["checks"] if c.get("status") == "inconclusive"]
        if unsure:
            inconclusive[entry["scenario"]] = [f"{c['id']}: {c['reason']}" for c in unsure]
    return Verdicts(label, client, wall, verdicts, inconclusive)


def describe(run: Verdicts) -> str:
    right = CLIENTS[run.client]
    wrong = [s for s, v in sorted(run.verdicts.items()) if v not in (right, "inconclusive")]
    unsure = [s for s, v in sorted(run.verdicts.items()) if v == "inconclusive"]
    one, five, _ = os.getloadavg()
    return (
        f"{run.label}: {run.wall_s:5.0f} s, {len(run.verdicts)} runs, "
        f"wrong: {', '.join(wrong) or 'none'}, inconclusive: {', '.join(unsure) or 'none'}; "
        f"load average {one:.1f} {five:.1f}"
    )


def measure_mode(mode: str, *, runs: int, parallel: int, work: Path) -> tuple[int, int, int]:
    """(runs, wrong verdicts, inconclusive verdicts) of one mode; prints as it goes."""
    total = wrong = unsure = 0
    print(f"\n## mode {mode}: --suite ci --parallel {parallel}, {runs} suites per client")
    rows: list[str] = []
    for index in range(1, runs + 1):
        for client, right in CLIENTS.items():
            run = run_suite(f"{mode}-{client}-{index}", client=client, parallel=parallel, work=work)
            print(describe(run), flush=True)
            for scenario, verdict in sorted(run.verdicts.items()):
                total += 1
                if verdict == "inconclusive":
                    unsure += 1
                elif verdict != right:
                    wrong += 1
                rows.append(f"| {mode} | {index} | {client} | {scenario} | {verdict.upper()} |")
            for scenario, checks in sorted(run.inconclusive.items()):
                for check in checks:
                    print(f"  inconclusive check, {scenario} ({client}): {check}")
    print("\n| mode | suite | client | scenario | verdict |")
    print("| --- | ---: | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\n{mode}: {total} runs, {wrong} wrong verdicts, {unsure} inconclusive")
    return total, wrong, unsure


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="suites per client and mode (3)")
    parser.add_argument("--parallel", type=int, default=3, help="scenarios at a time (3)")
    parser.add_argument(
        "--modes",
        default="quiet,hog",
        help="comma list of quiet (the machine as it is) and hog (a CPU hog on one core)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in ("quiet", "hog") for m in modes):
        print(f"stability: --modes {args.modes!r}: give quiet, hog or both", file=sys.stderr)
        return 2
    met = True
    try:
        with tempfile.TemporaryDirectory(prefix="bench-stability-") as tmp:
            for mode in modes:
                with Supervisor(log_dir=Path(tmp) / f"logs-{mode}") as sup:
                    if mode == "hog":
                        cpu = max(os.sched_getaffinity(0)) if shutil.which("taskset") else None
                        hog = [sys.executable, "-c", "while True: pass"]
                        sup.start(ProcessSpec(name="cpu-hog", argv=pinned(hog, cpu)), wait=False)
                    total, wrong, unsure = measure_mode(
                        mode, runs=args.runs, parallel=args.parallel, work=Path(tmp)
                    )
                limit = max(1, total // 30)
                ok = wrong == 0 and unsure <= limit
                print(
                    f"target (0 wrong, at most {limit} inconclusive in {total}): "
                    + ("met" if ok else "MISSED")
                )
                met = met and ok
    except (BenchmarkError, subprocess.TimeoutExpired) as exc:
        print(f"stability: {exc}", file=sys.stderr)
        return EXIT_INFRASTRUCTURE
    return 0 if met else EXIT_TARGET_MISSED


if __name__ == "__main__":
    sys.exit(main())
