"""Exploration figures (issue 16): trials per minute, and where shrinking's time goes.

    .venv/bin/python benchmarks/explore.py                       # the acceptance pair, 25 min
    .venv/bin/python benchmarks/explore.py --only naive --budget-naive 5m
    .venv/bin/python benchmarks/explore.py --journal reports/<id>/explore.json   # summarize one

Runs `harness explore --seed S` against the naive client (budget 15m) and then the resilient one
(10m), one after the other on the default base, and prints a Markdown table per exploration:
trials run, trials per minute of trial runs and over the whole exploration, runs and seconds per
phase with their shares, and the minimal scenarios with their step counts.

Targets (issue 16): against the naive client a failure is found and shrunk to at most two fault
steps within 15 minutes; against the resilient client nothing is found in 10 minutes. Exit 0
when both hold, 1 when one does not, 3 when an exploration could not run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make `harness` importable
    sys.path.insert(0, str(REPO))

from harness.explore.journal import ExploreJournal, read_explore  # noqa: E402
from harness.explore.report import trials_per_minute  # noqa: E402

MAX_MINIMAL_STEPS = 2


def summarize(journal: ExploreJournal, title: str) -> str:
    ran = sum(t.verdict is not None for t in journal.trials)
    minutes = journal.elapsed_s / 60
    stopped = journal.stopped.value if journal.stopped else "?"
    lines = [
        f"### {title}",
        "",
        f"seed {journal.seed}, budget {journal.budget_s / 60:g} min, trial length "
        f"{journal.trial_length_s:g} s, stopped by: {stopped}"
        f", {minutes:.1f} min in all",
        "",
        f"- trials: {ran} ({sum(t.verdict == 'fail' for t in journal.trials)} failed, "
        f"{sum(t.verdict == 'inconclusive' for t in journal.trials)} inconclusive); "
        f"{trials_per_minute(journal):.2f} trials per minute of trial runs, "
        f"{ran / max(minutes, 1e-9):.2f} over the whole exploration",
        f"- runs: {len(journal.runs)}",
    ]
    for minimal in journal.minimal:
        lines.append(
            f"- minimal: {minimal.file}, {len(minimal.timeline)} step(s) (from "
            f"{len(journal.trials[minimal.trial - 1].timeline)}): {minimal.steps}; its run "
            f"failed {', '.join(minimal.failed)}"
        )
    total = sum(journal.phase_seconds.values()) or 1.0
    shrink = sum(s for p, s in journal.phase_seconds.items() if p.startswith("shrink"))
    lines += ["", "| phase | runs | seconds | share of run time |", "|---|---:|---:|---:|"]
    for phase, seconds in journal.phase_seconds.items():
        runs = sum(r.phase == phase for r in journal.runs)
        lines.append(f"| {phase} | {runs} | {seconds:.0f} | {seconds / total:.0%} |")
    if shrink:
        lines += ["", "shrinking's time by pass:"]
        for phase, seconds in journal.phase_seconds.items():
            if phase.startswith("shrink"):
                lines.append(f"- {phase.removeprefix('shrink: ')}: {seconds / shrink:.0%}")
    return "\n".join(lines) + "\n"


def _explore(client: str, budget: str, seed: int, report_dir: Path) -> ExploreJournal:
    argv = [
        sys.executable, "-m", "harness.cli", "explore", "--client", client, "--budget", budget,
        "--seed", str(seed), "--report-dir", str(report_dir),
    ]  # fmt: skip
    print("$ harness " + " ".join(argv[3:]), flush=True)
    done = subprocess.run(argv, cwd=REPO, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(3)
    (folder,) = report_dir.iterdir()
    return read_explore(folder / "explore.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journal", type=Path, help="summarize this explore.json and exit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget-naive", default="15m")
    parser.add_argument("--budget-resilient", default="10m")
    parser.add_argument("--only", choices=["naive", "resilient"])
    args = parser.parse_args()
    if args.journal is not None:
        print(summarize(read_explore(args.journal), str(args.journal)))
        return 0
    met = True
    with tempfile.TemporaryDirectory(prefix="explore-bench-") as tmp:
        if args.only in (None, "naive"):
            journal = _explore("naive", args.budget_naive, args.seed, Path(tmp, "naive"))
            print(summarize(journal, f"naive, {args.budget_naive}"))
            found = [m for m in journal.minimal if len(m.timeline) <= MAX_MINIMAL_STEPS]
            met &= bool(found)
        if args.only in (None, "resilient"):
            journal = _explore("resilient", args.budget_resilient, args.seed, Path(tmp, "resil"))
            print(summarize(journal, f"resilient, {args.budget_resilient}"))
            met &= not journal.minimal
    print("targets met" if met else "targets NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
