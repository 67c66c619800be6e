"""`make demo`: replay incident 5 (BPJS down through morning registration) against both builds.

Runs scenarios/bpjs-outage.yaml on the built-in mocks behind the real toxiproxy, first against
the naive reference client, then against the resilient one, and prints both verdicts with their
report paths. The demo succeeds (exit 0) when the harness tells them apart: the naive client
fails the checks incident 5 is about and the resilient client passes them all.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.errors import HarnessError
from harness.report.terminal import summary_lines
from harness.runner.engine import RunResult, run_scenario
from harness.runner.options import RunOptions
from harness.runner.progress import ProgressLine

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "bpjs-outage.yaml"
CLIENTS = {
    "naive": ROOT / "examples" / "clients" / "naive.yaml",
    "resilient": ROOT / "examples" / "clients" / "resilient.yaml",
}


def main() -> int:
    results: dict[str, RunResult] = {}
    try:
        for name, client in CLIENTS.items():
            print(f"\n=== {SCENARIO.name} against the {name} client ===", flush=True)
            results[name] = run_scenario(
                SCENARIO,
                client=client,
                options=RunOptions(report_dir=ROOT / "reports"),
                on_event=ProgressLine(),
            )
    except HarnessError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130
    print("\n=== verdicts ===")
    for name, result in results.items():
        journal = result.journal
        print(f"{name:>9}: {journal.verdict.value.upper()} (exit {result.exit_code})")
        for line in summary_lines(journal.checks):
            print(line)
        print(f"           journal {result.journal_path}\n           junit   {result.junit_path}")
        print(f"           report  {result.run_dir / 'report.html'}")
    told_apart = results["naive"].exit_code == 1 and results["resilient"].exit_code == 0
    print(
        "\nThe harness told them apart: the naive client fails incident 5, the resilient one holds."
        if told_apart
        else "\nUnexpected: the verdicts did not separate the two builds."
    )
    return 0 if told_apart else 1


if __name__ == "__main__":
    sys.exit(main())
