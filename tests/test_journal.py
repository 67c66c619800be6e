"""journal.json validates against its published schema; junit.xml parses as JUnit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from harness.client import ClientDefinition
from harness.report import write_reports
from harness.results.checks import (
    CheckResult,
    CheckStatus,
    Comparison,
    Evidence,
    InconclusivePolicy,
    Unit,
    Verdict,
    evaluate,
)
from harness.results.evidence import CONFIDENCE, wilson_interval
from harness.results.journal import (
    SCHEMA_PATH,
    Versions,
    build_journal,
    read_journal,
    write_journal,
)
from harness.results.junit import check_properties, write_junit
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


UNSURE_REASON = (
    "31 of 31 requests served during (100.0%, 95% CI 89.0%-100.0%), inconclusive against 90.0% "
    "(deciding it takes at least 35 requests)"
)


def inconclusive_check(check_id: str = "served_rate.during") -> CheckResult:
    """31 of 31 served against >= 90 %: the Wilson interval (0.890, 1.0) straddles 0.9."""
    low, high = wilson_interval(31, 31)
    return CheckResult.model_validate(
        {
            "check": "served_rate",
            "phase": check_id.split(".")[1],
            "status": CheckStatus.INCONCLUSIVE,
            "measured": 1.0,
            "threshold": 0.9,
            "comparison": Comparison.AT_LEAST,
            "unit": Unit.RATIO,
            "reason": UNSURE_REASON,
            "evidence": Evidence(
                method="wilson", n=31, good=31, low=low, high=high, confidence=CONFIDENCE
            ),
        }
    )


def inconclusive_journal(  # type: ignore[no-untyped-def]
    policy: InconclusivePolicy = InconclusivePolicy.ERROR, *, check_id: str = "served_rate.during"
):
    """The resilient run with one rate check that had too few requests to decide."""
    journal = journal_for(RESILIENT)
    checks = tuple(inconclusive_check(check_id) if c.id == check_id else c for c in journal.checks)
    verdict = Verdict.of(checks)
    assert verdict is Verdict.INCONCLUSIVE
    return journal.model_copy(
        update={
            "checks": checks,
            "verdict": verdict,
            "inconclusive": policy,
            "exit_code": int(verdict.exit_code_under(policy)),
        }
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


def _case_properties(case: object) -> dict[str, str]:
    element = case._elem  # type: ignore[attr-defined]
    return {p.get("name"): p.get("value") for p in element.iterfind("properties/property")}


def test_junit_gives_every_check_its_status_and_evidence_as_properties(tmp_path: Path) -> None:
    journal = journal_for(NAIVE)
    xml = JUnitXml.fromfile(str(write_junit(journal, tmp_path / "junit.xml")))
    cases = {case.name: case for suite in xml for case in suite}
    during = next(c for c in journal.checks if c.id == "served_rate.during")
    assert during.evidence is not None
    assert during.evidence.low is not None
    assert during.evidence.high is not None
    props = _case_properties(cases["served_rate.during"])
    assert props == {
        "status": "fail",
        "measured": f"{during.measured:g}",
        "threshold": "0.9",
        "comparison": ">=",
        "unit": "ratio",
        "method": "wilson",
        "n": str(during.evidence.n),
        "good": str(during.evidence.good),
        "ci_low": f"{during.evidence.low:g}",
        "ci_high": f"{during.evidence.high:g}",
        "confidence": "0.95",
    }
    latency = next(c for c in journal.checks if c.id.startswith("latency."))
    latency_props = _case_properties(cases[latency.id])
    assert latency_props["method"] == "order_statistics"
    assert "good" not in latency_props
    assert {"ci_low", "ci_high", "confidence"} <= set(latency_props)
    timed = _case_properties(cases["time_to_served"])
    assert (timed["method"], timed["n"]) == ("episodes", "1")
    assert "ci_low" not in timed  # a time is exact over its episodes
    count = _case_properties(cases["nothing_lost"])
    assert count["status"] == "pass"
    assert "n" not in count  # counts are exact: no evidence to show
    assert cases["nothing_lost"].is_passed  # properties are not mistaken for a result


def test_an_unbounded_interval_is_written_as_inf() -> None:
    check = inconclusive_check().model_copy(
        update={
            "unit": Unit.SECONDS,
            "comparison": Comparison.AT_MOST,
            "evidence": Evidence(
                method="order_statistics", n=3, low=0.2, high=None, confidence=CONFIDENCE
            ),
        }
    )
    props = dict(check_properties(check))
    assert (props["ci_low"], props["ci_high"]) == ("0.2", "inf")


@pytest.mark.parametrize(
    ("policy", "kind", "counts"),
    [
        (InconclusivePolicy.ERROR, Error, (0, 1, 0)),
        (InconclusivePolicy.FAIL, Failure, (1, 0, 0)),
        (InconclusivePolicy.PASS, Skipped, (0, 0, 1)),
    ],
)
def test_an_inconclusive_check_is_written_as_its_policy_made_it(
    tmp_path: Path, policy: InconclusivePolicy, kind: type, counts: tuple[int, int, int]
) -> None:
    journal = inconclusive_journal(policy)
    xml = JUnitXml.fromfile(str(write_junit(journal, tmp_path / "junit.xml")))
    (suite,) = list(xml)
    assert (suite.failures, suite.errors, suite.skipped) == counts
    assert (xml.failures, xml.errors) == counts[:2]
    cases = {case.name: case for case in suite}
    (result,) = cases["served_rate.during"].result
    assert isinstance(result, kind)
    assert result.type == "inconclusive"
    assert result.message == f"inconclusive: {UNSURE_REASON}"
    assert "95% CI 89.0%-100.0%" in (result.text or "")
    assert _case_properties(cases["served_rate.during"])["status"] == "inconclusive"
    props = {p.name: p.value for p in suite.properties()}
    assert props["verdict"] == "inconclusive"
    assert props["inconclusive"] == policy.value
    assert props["exit_code"] == str(journal.exit_code)
    others = [case for name, case in cases.items() if name != "served_rate.during"]
    assert all(case.is_passed for case in others)


def test_an_inconclusive_journal_validates_and_reads_back(tmp_path: Path) -> None:
    journal = inconclusive_journal(InconclusivePolicy.FAIL)
    path = write_journal(journal, tmp_path / "journal.json")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert (document["verdict"], document["inconclusive"], document["exit_code"]) == (
        "inconclusive",
        "fail",
        1,
    )
    during = next(c for c in document["checks"] if c["id"] == "served_rate.during")
    assert (during["status"], during["passed"]) == ("inconclusive", False)
    assert during["evidence"]["n"] == 31
    assert read_journal(path) == journal


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
