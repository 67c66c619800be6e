"""Wrong answers: recorded, reconciled against the ledgers, checked, journalled and shown."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from harness.errors import UsageError
from harness.report.chart import render_chart
from harness.report.compare import compare_runs, render_comparison
from harness.report.html import render_html
from harness.report.markdown import render_summary
from harness.results.answers import REFERENCE_REASON, reconcile
from harness.results.checks import CheckStatus, Unit, evaluate, no_wrong_answers, served_rate
from harness.results.journal import SCHEMA_PATH, Journal, Versions, build_journal, read_journal
from harness.results.junit import junit_tree
from harness.results.ledger import Ledger, LedgerRecord, RecordKind, parse_ledger
from harness.results.run import RunData
from harness.results.timeline import (
    MAX_EXAMPLES_PER_NAME,
    Accepted,
    RequestLog,
    RequestRecorder,
    WrongExample,
    read_request_log,
)
from harness.results.vocabulary import Outcome, Phase
from harness.scenario import load_scenario
from harness.scenario.checks import Checks, NoWrongAnswersCheck, ServedRateCheck
from tests.test_checks import KEY, run_of

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
START = dt.datetime(2019, 3, 25, 8, 0, tzinfo=dt.UTC)
NAME = "register"


def with_wrong(run: RunData, wrong_at: dict[int, int], *, name: str = NAME) -> RunData:
    """`run` with `wrong_at[second]` of that second's served requests answered wrong."""
    buckets = tuple(
        b.model_copy(update={"served": b.served - wrong_at[b.second], "wrong": wrong_at[b.second]})
        if b.second in wrong_at and b.name == name
        else b
        for b in run.requests.buckets
    )
    examples = tuple(
        WrongExample(
            t=s + 0.5, name=name, reason="no slots offered", said="[]", truth="2 practice slots"
        )
        for s in sorted(wrong_at)
    )
    log = run.requests.model_copy(update={"buckets": buckets, "wrong": examples})
    return run.model_copy(update={"requests": log})


# --- recording and reading -----------------------------------------------------------------------


def test_the_recorder_counts_wrong_answers_and_writes_bounded_examples(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    with RequestRecorder(path, t0=1000.0) as recorder:
        for i in range(MAX_EXAMPLES_PER_NAME + 3):
            recorder.request("GET /schedules", Outcome.WRONG, latency_ms=20.0, started=1001.2)
            recorder.wrong(
                "GET /schedules", at=1001.3 + i, reason="no slots", said="x" * 500, truth="2 slots"
            )
        recorder.request("GET /schedules", Outcome.SERVED, latency_ms=20.0, started=1001.2)
        recorder.wrong("GET /other", at=1002.0, reason="bad signature")
        recorder.accepted(
            RecordKind.BOOKING,
            {},
            at=1003.0,
            idempotency_key="k",
            reference="L-1",
            provisional=True,
        )
        assert recorder.wrong_unwritten == {"GET /schedules": 3}
    log = read_request_log([path])
    (bucket,) = log.buckets
    assert (bucket.served, bucket.wrong, bucket.total) == (1, MAX_EXAMPLES_PER_NAME + 3, 9)
    assert Outcome.WRONG in bucket.latency_ms
    assert [w.name for w in log.wrong].count("GET /schedules") == MAX_EXAMPLES_PER_NAME
    first = log.wrong[0]
    assert (first.t, first.reason, first.truth) == (pytest.approx(1.3), "no slots", "2 slots")
    assert len(first.said) == 200
    assert first.said.endswith("…")
    assert log.accepted[0].provisional is True
    assert log.per_second()[1].wrong == MAX_EXAMPLES_PER_NAME + 3


def test_a_log_written_before_wrong_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    lines = [
        {"record": "header", "format": "harness-requests/1", "t0": 5.0, "source": ""},
        {"record": "bucket", "second": 0, "name": "a", "served": 2, "failed": 1, "latency_ms": {}},
        {"record": "accepted", "t": 0.5, "kind": "registration", "key": KEY, "reference": "X-1"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    log = read_request_log([path])
    assert (log.buckets[0].wrong, log.buckets[0].total, log.wrong) == (0, 3, ())
    assert log.accepted[0].provisional is False


def test_a_malformed_wrong_line_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"record": "header", "format": "harness-requests/1", "t0": 0}\n'
        '{"record": "wrong", "t": 1, "name": "a"}\n',
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match=r"bad.jsonl:2: .*reason"):
        read_request_log([path])


# --- counting ------------------------------------------------------------------------------------


def test_served_rate_counts_a_wrong_answer_as_not_served() -> None:
    run = with_wrong(run_of(), {s: 5 for s in range(10, 40)})
    (during,) = served_rate(ServedRateCheck(during=0.9), run)
    assert during.evidence is not None
    assert (during.evidence.good, during.evidence.n) == (150, 300)
    assert during.status is CheckStatus.FAIL


def test_wrong_answers_are_counted_per_phase() -> None:
    run = with_wrong(run_of(), {2: 1, 20: 3, 50: 2})
    config = NoWrongAnswersCheck(
        before={"max_count": 1}, during={"max_count": 2}, after={"max_count": 2}
    )
    results = {r.id: r for r in no_wrong_answers(config, run)}
    assert set(results) == {f"no_wrong_answers.{p}" for p in Phase}
    assert results["no_wrong_answers.before"].measured == 1
    assert results["no_wrong_answers.before"].status is CheckStatus.PASS
    during = results["no_wrong_answers.during"]
    assert (during.measured, during.status) == (3, CheckStatus.FAIL)
    assert during.reason.startswith("3 wrong answers of 300 requests during: register said '[]'")
    assert "2 practice slots" in during.reason
    assert results["no_wrong_answers.after"].status is CheckStatus.PASS


def test_no_wrong_answers_true_allows_none_over_the_whole_run() -> None:
    checks = Checks.model_validate({"no_wrong_answers": True})
    assert checks.no_wrong_answers == NoWrongAnswersCheck(max_count=0)
    (clean,) = evaluate(checks, run_of())
    assert (clean.id, clean.status, clean.unit) == (
        "no_wrong_answers",
        CheckStatus.PASS,
        Unit.COUNT,
    )
    (dirty,) = evaluate(checks, with_wrong(run_of(), {30: 1}))
    assert dirty.status is CheckStatus.FAIL
    assert dirty.details == (
        "register said '[]' but the truth is '2 practice slots' (no slots offered; at 30.5s)",
    )


def test_max_rate_is_decided_on_its_wilson_interval() -> None:
    config = NoWrongAnswersCheck(max_rate=0.05)
    (passed,) = no_wrong_answers(config, run_of())  # 0 of 600: upper end 0.6 %
    assert passed.status is CheckStatus.PASS
    (failed,) = no_wrong_answers(config, with_wrong(run_of(), {s: 2 for s in range(60)}))
    assert failed.status is CheckStatus.FAIL  # 120 of 600: 20 %
    few = run_of(default=(1, 0, 0))  # 60 requests: 1 wrong is 1.7 %, interval up to ~9 %
    (unsure,) = no_wrong_answers(config, with_wrong(few, {5: 1}))
    assert unsure.status is CheckStatus.INCONCLUSIVE
    assert unsure.evidence is not None
    assert unsure.evidence.high is not None
    assert unsure.evidence.low is not None
    assert unsure.evidence.low <= 0.05 < unsure.evidence.high
    (exact,) = no_wrong_answers(NoWrongAnswersCheck(max_rate=0), run_of())
    assert exact.status is CheckStatus.PASS


def test_both_limits_give_two_results_and_no_requests_fail() -> None:
    config = NoWrongAnswersCheck(during={"max_count": 0, "max_rate": 0.01})
    ids = [r.id for r in no_wrong_answers(config, run_of())]
    assert ids == ["no_wrong_answers.during", "no_wrong_answers.during.rate"]
    empty = run_of(default=(0, 0, 0))
    assert all(r.status is CheckStatus.FAIL for r in no_wrong_answers(config, empty))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"during": {}}, "give max_count, max_rate or both"),
        ({"max_count": -1}, "greater than or equal to 0"),
        ({"max_rate": 2}, "less than or equal to 1"),
        ("yes", "write true, false, or a mapping"),
        ({"whenever": 1}, "Extra inputs are not permitted"),
    ],
)
def test_bad_no_wrong_answers_values_are_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Checks.model_validate({"no_wrong_answers": value})


def test_a_scenario_file_with_a_bad_value_is_a_one_line_usage_error(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "bpjs-outage.yaml").read_text(encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(
        text.replace("checks:\n", "checks:\n  no_wrong_answers: {during: {}}\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match=r"no_wrong_answers\.during") as caught:
        load_scenario(path)
    assert "give max_count, max_rate or both" in str(caught.value)


# --- reconciliation against the ledgers ----------------------------------------------------------


def visit(reference: str | None, ident: str = "v1") -> LedgerRecord:
    return LedgerRecord(
        kind=RecordKind.REGISTRATION, service="erm", id=ident, key=KEY, reference=reference
    )


def told(reference: str | None, *, t: float = 20.4, provisional: bool = False) -> Accepted:
    return Accepted(
        t=t,
        kind=RecordKind.REGISTRATION,
        name=NAME,
        key=KEY,
        reference=reference,
        provisional=provisional,
    )


def test_a_reference_the_backend_does_not_know_is_a_wrong_answer() -> None:
    run = run_of(accepted=(told("INT-005"),), ledger=Ledger(records=(visit("INT-003"),)))
    found = run.reconciled
    (example,) = found.mismatches
    assert (example.reason, example.said, example.truth) == (REFERENCE_REASON, "INT-005", "INT-003")
    assert found.unplaced == ()
    second = run.seconds()[20]
    assert (second.served, second.wrong, second.total) == (9, 1, 10)
    (result,) = evaluate(Checks(no_wrong_answers=NoWrongAnswersCheck(during={"max_count": 0})), run)
    assert result.status is CheckStatus.FAIL
    assert "INT-005" in result.reason


def test_provisional_matching_and_missing_references_are_not_wrong() -> None:
    ledger = Ledger(records=(visit("INT-003"), visit("INT-007", "v2")))
    for accepted in (
        told("LOCAL-1", provisional=True),  # the patient was told it may change
        told("INT-007"),  # one of two duplicates: a real reference
        told(None),
        told(""),
    ):
        assert reconcile(RequestLog(t0=0.0, accepted=(accepted,)), ledger).mismatches == ()
    assert reconcile(RequestLog(t0=0.0, accepted=(told("X"),)), Ledger()).mismatches == ()


def test_a_record_missing_from_the_ledger_is_lost_not_wrong() -> None:
    checks = Checks.model_validate({"nothing_lost": True, "no_wrong_answers": True})
    other = LedgerRecord(
        kind=RecordKind.REGISTRATION, service="erm", id="v9", key={**KEY, "nik": "9"}, reference="Z"
    )
    results = {
        r.id: r
        for r in evaluate(checks, run_of(accepted=(told("A"),), ledger=Ledger(records=(other,))))
    }
    assert results["nothing_lost"].status is CheckStatus.FAIL
    assert results["no_wrong_answers"].status is CheckStatus.PASS


def test_a_mismatch_moves_the_nearest_earlier_answered_request_or_only_counts() -> None:
    empty_then_degraded = run_of({18: (0, 2, 0), 19: (0, 0, 3), 20: (0, 0, 3)})
    run = empty_then_degraded.model_copy(
        update={
            "requests": empty_then_degraded.requests.model_copy(
                update={"accepted": (told("B", t=20.9),)}
            ),
            "ledger": Ledger(records=(visit("A"),)),
        }
    )
    assert (run.seconds()[18].degraded, run.seconds()[18].wrong) == (1, 1)
    nameless = run_of(
        accepted=(told("B").model_copy(update={"name": ""}),), ledger=Ledger(records=(visit("A"),))
    )
    assert len(nameless.reconciled.unplaced) == 1
    assert sum(s.wrong for s in nameless.seconds()) == 0
    (result,) = no_wrong_answers(NoWrongAnswersCheck(during={"max_count": 0}), nameless)
    assert result.measured == 1
    assert result.reason.startswith("1 wrong answer of 301 requests")
    assert nameless.wrong_by_name() == {"": 1}


def test_ledger_records_carry_the_reference_the_patient_is_given() -> None:
    erm = {
        "service": "erm",
        "visits": [
            {
                "id": "v1",
                "natural_key": KEY,
                "idempotency_key": None,
                "angkaantrean": 3,
                "nomorantrean": "INT-003",
                "status": "waiting",
                "replays": 0,
                "created": "2019-03-25T08:00:00",
                "called": None,
                "finished": None,
            }
        ],
        "encounters": [],
        "duplicates": {"visits": [], "encounters": []},
        "counts": dict.fromkeys(
            (
                "visits",
                "encounters",
                "observations",
                "replays",
                "duplicate_visit_groups",
                "duplicate_visits",
                "duplicate_encounter_groups",
                "duplicate_encounters",
            ),
            0,
        ),
    }
    assert parse_ledger(erm).records[0].reference == "INT-003"


# --- journal and presentation ------------------------------------------------------------------


def journal_with_wrong(wrong_at: dict[int, int]) -> Journal:
    loaded = load_scenario(ROOT / "scenarios" / "bpjs-outage.yaml")
    scenario = loaded.scenario.model_copy(
        update={
            "checks": loaded.scenario.checks.model_copy(
                update={
                    "no_wrong_answers": NoWrongAnswersCheck(max_count=0, during={"max_rate": 0.05})
                }
            )
        }
    )
    run = with_wrong(run_of(), wrong_at)
    return build_journal(
        run_id="20190325-080000-wrong",
        scenario=scenario,
        run=run,
        results=evaluate(scenario.checks, run),
        time_scale=scenario.time_scale,
        started_at=START,
        finished_at=START + dt.timedelta(seconds=70),
        versions=Versions.current(),
    )


def test_the_journal_counts_wrong_answers_and_validates(tmp_path: Path) -> None:
    journal = journal_with_wrong({5: 1, 20: 3})
    answers = journal.wrong_answers
    assert (answers.count, answers.by_name) == (4, {NAME: 4})
    assert [(e.t, e.phase) for e in answers.examples] == [(5.5, Phase.BEFORE), (20.5, Phase.DURING)]
    per_phase = {p.phase: p.wrong for p in journal.timeline.per_phase}
    assert per_phase == {"before": 1, "during": 3, "after": 0}
    assert journal.timeline.per_second[20].wrong == 3
    data = json.loads(journal.to_json())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    path = tmp_path / "journal.json"
    path.write_text(journal.to_json(), encoding="utf-8")
    assert read_journal(path) == journal
    del data["wrong_answers"]
    for second in data["timeline"]["per_second"]:
        del second["wrong"]
    old = Journal.model_validate(data)
    assert old.wrong_answers.count == 0
    assert old.timeline.per_second[20].wrong == 0


def test_summary_report_chart_and_junit_show_wrong_answers() -> None:
    journal = journal_with_wrong({20: 3})
    summary = render_summary(journal)
    assert "### Answers that contradicted the truth" in summary
    assert "| wrong answers (contradicting the truth) | 3: register 3 |" in summary
    assert "2 practice slots" in summary
    page = render_html(journal)
    assert "Answers that contradicted the truth" in page
    assert "<th>wrong</th>" in page
    svg = render_chart(journal)
    assert "#d500f9" in svg
    assert ">wrong<" in svg
    root = junit_tree(journal).getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") == "no_wrong_answers")
    failure = case.find("failure")
    assert failure is not None
    assert "2 practice slots" in (failure.text or "")
    assert failure.get("message", "").startswith("3 wrong answers of 600 requests over the run")
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["wrong_answers"] == "3"
    clean = render_summary(journal_with_wrong({}))
    assert "Answers that contradicted the truth" not in clean
    assert ET.fromstring(render_chart(journal_with_wrong({}))) is not None


def test_compare_shows_wrong_rates_and_their_significance() -> None:
    a, b = journal_with_wrong({}), journal_with_wrong({s: 5 for s in range(10, 40)})
    row = next(r for r in compare_runs(a, b) if r.label == "wrong answers")
    assert (row.a, row.b) == ("0 of 600 (0.00%)", "150 of 600 (25.00%)")
    assert row.significant is True
    assert "+25.0 points, significant" in row.difference
    rate = next(r for r in compare_runs(a, b) if r.label == "no_wrong_answers.during")
    assert rate.significant is True
    assert "+50.0 points" in rate.difference
    assert "wrong answers" in render_comparison(a, b)
