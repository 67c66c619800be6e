"""The Python API end to end: the README's scenario, built in Python, run with `harness.run`.

Real toxiproxy, mocks, the resilient reference client and locust; its events are collected and
held against the journal, and the same scenario written as YAML is run by `harness run`, which
must judge it the same. About a minute.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from examples.python_api import scenario
from harness.runner.events import (
    CheckEvaluated,
    FaultApplied,
    FaultRemoved,
    LeftoverStopped,
    PhaseChanged,
    RunEvent,
    RunFinished,
    RunPhase,
    RunStarted,
    StackReady,
    Tick,
)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
RESILIENT = ROOT / "examples" / "clients" / "resilient.yaml"

# examples/python_api.py's scenario, as a file.
AS_YAML = """\
name: bpjs-blip
title: BPJS down for 6 seconds while the front desk registers patients
load: {users: {FrontDeskStaff: 10, AppPatient: 4}, spawn_rate: 14, duration: 14s}
timeline:
  - {at: 4s, until: 10s, target: bpjs, fault: {kind: down}}
checks: {served_rate: {during: 0.9}, nothing_lost: true}
steady_state: {after: {duration: 14s, min_served_rate: 0.95}}
drain: 3s
"""


def test_a_scenario_built_in_python_runs_with_its_events_as_from_yaml(tmp_path: Path) -> None:
    events: list[RunEvent] = []
    result = harness.run(
        scenario, client=str(RESILIENT), report_dir=tmp_path / "python", on_event=events.append
    )
    journal = result.journal
    failed = [f"{c.id}: {c.reason}" for c in journal.checks if not c.passed]
    assert result.verdict is harness.Verdict.PASS, failed
    assert result.exit_code == 0
    assert result.subscriber_errors == ()
    assert result.report_path.is_file()

    run_events = [e for e in events if not isinstance(e, LeftoverStopped)]
    assert isinstance(run_events[0], RunStarted)
    assert run_events[0].run_id == journal.run_id
    assert isinstance(run_events[1], StackReady)
    finished = run_events[-1]
    assert isinstance(finished, RunFinished)
    assert (finished.verdict, finished.journal_path) == (journal.verdict, result.journal_path)

    # The fault events are the journal's fault windows (its fault timing is their subscriber).
    (window,) = journal.faults
    applied = [e for e in events if isinstance(e, FaultApplied)]
    removed = [e for e in events if isinstance(e, FaultRemoved)]
    assert [(e.step.index, e.scheduled, e.actual) for e in applied] == [
        (window.step, window.scheduled_start, window.actual_start)
    ]
    assert [(e.step.index, e.scheduled, e.actual) for e in removed] == [
        (window.step, window.scheduled_end, window.actual_end)
    ]
    assert window.scheduled_start == 5 + 4  # after the steady state before (5 s)
    assert applied[0].late_ms < 1000

    phases = [e.phase for e in events if isinstance(e, PhaseChanged)]
    assert phases == [
        RunPhase.STEADY,
        RunPhase.TIMELINE,
        RunPhase.FAULT,
        RunPhase.TIMELINE,
        RunPhase.RECOVERY,
    ]
    ticks = [e for e in events if isinstance(e, Tick)]
    assert len(ticks) >= int(journal.duration_s) // 2  # one a second while the load runs
    assert [int(t.elapsed) for t in ticks] == sorted({int(t.elapsed) for t in ticks})
    counted = [t.second for t in ticks if t.second is not None]
    assert counted, "no tick carried a complete second's counts"
    assert sum(s.served + s.degraded for s in counted) > 0
    assert any("bpjs: down" in fault for t in ticks for fault in t.active_faults)
    checks = [e.result for e in events if isinstance(e, CheckEvaluated)]
    assert tuple(checks) == journal.checks

    # The same scenario from YAML: the same model, and `harness run` judges it the same.
    yaml_file = tmp_path / "bpjs-blip.yaml"
    yaml_file.write_text(AS_YAML, encoding="utf-8")
    assert harness.load_scenario(yaml_file) == scenario
    argv = [sys.executable, "-m", "harness.cli", "run", str(yaml_file), "--client", str(RESILIENT)]
    done = subprocess.run(
        [*argv, "--report-dir", str(tmp_path / "yaml")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == result.exit_code, done.stdout + done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("journal:"))
    from_yaml = json.loads(Path(line.split(":", 1)[1].strip()).read_text(encoding="utf-8"))
    assert from_yaml["verdict"] == journal.verdict.value
    assert [(c["id"], c["passed"]) for c in from_yaml["checks"]] == [
        (c.id, c.passed) for c in journal.checks
    ]
    assert from_yaml["scenario"] == json.loads(journal.scenario.model_dump_json(by_alias=True))
    assert [(w["step"], w["scheduled_start"], w["scheduled_end"]) for w in from_yaml["faults"]] == [
        (window.step, window.scheduled_start, window.scheduled_end)
    ]
