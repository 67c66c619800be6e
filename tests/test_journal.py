"""journal.json validates against its published schema; junit.xml parses as JUnit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from harness.client import ClientDefinition
from harness.report import write_reports
from harness.results.checks import Verdict, evaluate
from harness.results.journal import (
    SCHEMA_PATH,
    Versions,
    build_journal,
    read_journal,
    write_journal,
)
from harness.results.junit import write_junit
from harness.results.ledger import Ledger, LedgerRecord, RecordKind
from harness.results.run import LoadGeneration, ProbeResult
from harness.results.schema import render
from harness.results.timeline import SourceRecord
from harness.scenario import load_scenario
from tests.test_checks import KEY, NAIVE, RESILIENT, accepted, run_of

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
START = dt.datetime(2019, 3, 25, 8, 0, tzinfo=dt.UTC)


def journal_for(outcomes: dict[int, tuple[int, int, int]]):  # type: ignore[no-untyped-def]
    loaded = load_scenario(ROOT / "scenarios" / "bpjs-outage.yaml")
    ledger = Ledger(
        records=(LedgerRecord(kind=RecordKind.REGISTRATION, service="erm", id="v1", key=KEY),)
    )
    run = run_of(
        outcomes,
        accepted=(accepted(KEY),),
        ledger=ledger,
        probes=tuple(
            ProbeResult(t=float(i), ok=True, status=200, latency_ms=3.0) for i in range(5)
        ),
    )
    results = evaluate(loaded.scenario.checks, run)
    return build_journal(
        run_id="20190325-080000-bpjs-outage",
        scenario=loaded.scenario,
        scenario_path=loaded.path,
        client=ClientDefinition(name="resilient", port=8080),
        run=run,
        results=results,
        time_scale=loaded.scenario.time_scale,
        started_at=START,
        finished_at=START + dt.timedelta(seconds=104),
        versions=Versions.current(toxiproxy="2.12.0"),
    )


def test_published_schema_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "harness/schemas/journal.schema.json is stale: run python -m harness.results.schema"
    )


def test_journal_validates_against_the_published_schema(tmp_path: Path) -> None:
    journal = journal_for(RESILIENT)
    path = write_journal(journal, tmp_path / "journal.json")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["scenario"]["timeline"]["steps"][0]["at"] == "08:05"
    assert document["checks"][0]["id"] == "served_rate.before"
    assert read_journal(path) == journal


def test_the_schema_rejects_a_journal_with_a_bad_verdict(tmp_path: Path) -> None:
    document = json.loads(journal_for(RESILIENT).to_json())
    document["verdict"] = "maybe"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert any(list(e.path) == ["verdict"] for e in errors)


def test_verdict_and_exit_code_follow_the_checks() -> None:
    good = journal_for(RESILIENT)
    bad = journal_for(NAIVE)
    assert (good.verdict, good.exit_code) == (Verdict.PASS, 0), [c.reason for c in good.checks]
    assert (bad.verdict, bad.exit_code) == (Verdict.FAIL, 1)
    failed = {c.id for c in bad.checks if not c.passed}
    # the naive client also fails for 3 s after the fault: 17 of 20 seconds served, below 95 %
    assert failed == {"served_rate.during", "served_rate.after", "time_to_served"}


def test_junit_has_one_testcase_per_check_with_reasons(tmp_path: Path) -> None:
    journal = journal_for(NAIVE)
    path = write_junit(journal, tmp_path / "junit.xml")
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    assert suite.name == "bpjs-outage"
    cases = {case.name: case for case in suite}
    assert set(cases) == {c.id for c in journal.checks}
    assert suite.tests == len(journal.checks)
    assert suite.failures == 3
    failure = cases["served_rate.during"].result[0]
    assert isinstance(failure, Failure)
    assert "below 90.0%" in (failure.message or "")
    assert cases["nothing_lost"].is_passed


def test_a_journal_of_a_scenario_without_some_checks_reads_back(tmp_path: Path) -> None:
    """Checks left out are written as null; reading the journal back must accept that."""
    journal = journal_for(RESILIENT)
    trimmed = journal.scenario.checks.model_copy(
        update={"nothing_lost": None, "no_duplicates": None}
    )
    journal = journal.model_copy(
        update={"scenario": journal.scenario.model_copy(update={"checks": trimmed})}
    )
    path = write_journal(journal, tmp_path / "journal.json")
    assert json.loads(path.read_text())["scenario"]["checks"]["nothing_lost"] is None
    assert read_journal(path) == journal


def test_the_journal_says_how_the_load_ran_and_what_its_records_miss(tmp_path: Path) -> None:
    base = journal_for({})
    recorded = base.load.recorded if base.load else 0
    assert base.load is not None
    assert (base.load.mode, base.load.problems) == ("local (one locust process)", ())
    sources = (
        SourceRecord(source="worker-0", requests=recorded - 7, complete=True, joined_at=0.4),
        SourceRecord(source="worker-1", requests=7, complete=False, joined_at=0.5, lost_at=12.25),
    )
    run = run_of({})
    run = run.model_copy(
        update={
            "requests": run.requests.model_copy(update={"sources": sources}),
            "load": LoadGeneration(local_workers=2, locust_requests=recorded + 3),
        }
    )
    journal = build_journal(
        run_id="r",
        scenario=load_scenario(ROOT / "scenarios" / "bpjs-outage.yaml").scenario,
        run=run,
        results=[],
        time_scale=1.0,
        started_at=START,
        finished_at=START,
        versions=Versions.current(),
    )
    assert journal.load is not None
    assert journal.load.mode == "2 local worker(s)"
    assert journal.load.problems == (
        f"recorded {recorded} requests but locust counted {recorded + 3}",
        "worker-1 was lost at 12.2s: its requests after its last mark are missing",
    )
    # The reports show it too.
    write_reports(journal, tmp_path)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert f"| requests recorded / counted by locust | {recorded} / {recorded + 3} |" in summary
    assert "| problem | worker-1 was lost at 12.2s" in summary
    assert "worker-1 was lost at 12.2s" in (tmp_path / "report.html").read_text(encoding="utf-8")
