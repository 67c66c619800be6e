"""A run's events as JSON lines (`harness run --events`, the console), and the per-second latency
the load's progress gives each Tick."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from harness.console.runs import ConsoleRun
from harness.faults import LatencyToxic
from harness.load.runner import LoadRun, Progress, SecondCounts
from harness.results.checks import Verdict
from harness.results.histogram import LatencyHistogram
from harness.runner.events import FaultApplied, RunFinished, RunPhase, Tick
from harness.runner.events_json import EventsFile, event_record
from harness.scenario.schedule import ScheduledStep
from harness.scenario.types import ServiceName

pytestmark = pytest.mark.unit


def _step() -> ScheduledStep:
    return ScheduledStep(
        index=0,
        target=ServiceName.ERM,
        fault=LatencyToxic(kind="latency", latency=300),
        start=3.0,
        end=7.0,
        incident_start=3.0,
        incident_end=7.0,
    )


def test_every_field_is_kept_with_the_steps_line_for_people(tmp_path: Path) -> None:
    tick = Tick(
        elapsed=5.0,
        total=12.0,
        phase=RunPhase.FAULT,
        active_faults=("erm: latency latency=300 jitter=0 (downstream)",),
        second=SecondCounts(second=4, served=5, degraded=1, failed=0, p50_ms=12.0, p95_ms=310.0),
        load=Progress(requests_per_s=6.0),
    )
    applied = FaultApplied(step=_step(), scheduled=3.0, actual=3.01, instantaneous=False)
    finished = RunFinished(
        verdict=Verdict.PASS, exit_code=0, run_dir=tmp_path, journal_path=tmp_path / "j.json"
    )
    path = tmp_path / "events.jsonl"
    with EventsFile(path) as write:
        for event in (tick, applied, finished):
            write(event)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [event_record(e) for e in (tick, applied, finished)]
    assert lines[0]["event"] == "Tick"
    assert lines[0]["phase"] == "fault"
    assert lines[0]["second"]["p95_ms"] == 310.0
    assert lines[1]["step"]["fault"] == {
        "kind": "latency",
        "latency": 300,
        "jitter": 0,
        "stream": "downstream",
        "toxicity": 1.0,
    }
    assert lines[1]["step"]["describe"] == _step().describe()
    assert lines[2]["run_dir"] == str(tmp_path)
    assert lines[2]["verdict"] == "pass"


def test_a_tick_carries_the_latency_percentiles_of_its_second(tmp_path: Path) -> None:
    fast = LatencyHistogram.of([10.0] * 18)
    slow = LatencyHistogram.of([900.0, 950.0])
    lines: list[dict[str, Any]] = [
        {"record": "bucket", "second": 0, "name": "a", "served": 18,
         "latency_ms": {"served": fast.model_dump()}},
        {"record": "bucket", "second": 0, "name": "b", "failed": 2,
         "latency_ms": {"failed": slow.model_dump()}},
        {"record": "flush", "source": "local", "through": 1.0},
    ]  # fmt: skip
    (tmp_path / "requests-local.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    plan = SimpleNamespace(expected_workers=0)
    load = LoadRun(cast(Any, plan), (), tmp_path)
    second = load.progress().last_second
    assert second is not None
    assert second.served == 18
    assert second.failed == 2
    assert second.p50_ms == pytest.approx(10.0, rel=0.02)
    assert second.p95_ms == pytest.approx(900.0, rel=0.02)  # the 19th of 20


def test_a_console_run_reads_its_events_file_as_it_grows(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    run = ConsoleRun(
        id="followed-1",
        scenario="",
        client="",
        events_path=events,
        process=None,
        started=0.0,
        report_dir=tmp_path,
    )
    assert run.lines() == []  # no file yet
    started = {"event": "RunStarted", "run_dir": str(tmp_path / "r"), "scenario": "s"}
    finished = {"event": "RunFinished", "verdict": "pass", "exit_code": 0, "run_dir": "r"}
    with events.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(started) + "\n" + json.dumps(finished)[:9])  # half a line
        handle.flush()
        assert run.lines() == [started]
        assert run.alive()  # no last event yet
        handle.write(json.dumps(finished)[9:] + "\n")
    assert run.lines(1) == [finished]  # the rest of the line, read from where it stopped
    assert run.lines() == [started, finished]
    assert not run.alive()
    assert run.summary()["verdict"] == "pass"
