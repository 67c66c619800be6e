"""Every check passes on one constructed run and fails on another (pure computations)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from harness.errors import ExitCode
from harness.faults import FaultLayer
from harness.results.checks import (
    CheckResult,
    CheckStatus,
    Comparison,
    InconclusivePolicy,
    Unit,
    Verdict,
    client_alive,
    evaluate,
    latency,
    no_duplicates,
    nothing_lost,
    recovery_time,
    served_rate,
    steady_state_after,
    time_to_served,
)
from harness.results.evidence import wilson_interval
from harness.results.histogram import LatencyHistogram
from harness.results.ledger import DuplicateGroup, Ledger, LedgerRecord, RecordKind
from harness.results.run import ClientExit, FaultWindow, ProbeResult, RunData, episodes, phases
from harness.results.timeline import (
    Accepted,
    Bucket,
    Flush,
    Header,
    RequestLog,
    RequestRecorder,
    WorkerEvent,
    read_request_log,
)
from harness.results.vocabulary import Outcome, Phase
from harness.scenario.checks import (
    CheckName,
    Checks,
    ClientAliveCheck,
    LatencyCheck,
    LatencyLimits,
    NoDuplicatesCheck,
    NothingLostCheck,
    RecoveryTimeCheck,
    ServedRateCheck,
    TimeToServedCheck,
)
from harness.scenario.model import SteadyStateWindow

pytestmark = pytest.mark.unit

DURATION = 60
FAULT = FaultWindow(
    step=0,
    target="bpjs",
    kind="down",
    layer=FaultLayer.NETWORK,
    scheduled_start=10.0,
    scheduled_end=40.0,
    actual_start=10.02,
    actual_end=40.01,
)


def run_of(
    outcome_at: dict[int, tuple[int, int, int]] | None = None,
    *,
    default: tuple[int, int, int] = (10, 0, 0),
    latency_ms: float = 50.0,
    slow_during: float | None = None,
    faults: tuple[FaultWindow, ...] = (FAULT,),
    accepted: tuple[Accepted, ...] = (),
    ledger: Ledger | None = None,
    probes: tuple[ProbeResult, ...] = (),
    client_exit: ClientExit | None = None,
) -> RunData:
    """A run of DURATION seconds; each second (served, degraded, failed), default 10 served."""
    buckets = []
    for second in range(DURATION):
        served, degraded, failed = (outcome_at or {}).get(second, default)
        ms = slow_during if slow_during and 10 <= second < 40 else latency_ms
        hist = {
            o: LatencyHistogram.of([ms] * n)
            for o, n in (
                (Outcome.SERVED, served),
                (Outcome.DEGRADED, degraded),
                (Outcome.FAILED, failed),
            )
            if n
        }
        buckets.append(
            Bucket(
                second=second,
                name="register",
                served=served,
                degraded=degraded,
                failed=failed,
                latency_ms=hist,
            )
        )
    return RunData(
        duration=DURATION,
        requests=RequestLog(t0=0.0, buckets=tuple(buckets), accepted=accepted),
        faults=faults,
        ledger=ledger or Ledger(),
        probes=probes,
        client_exit=client_exit,
    )


NAIVE = {s: (0, 0, 10) for s in range(10, 43)}  # fails through the fault and 3 s after it
RESILIENT = {s: (0, 10, 0) for s in range(11, 40)}  # degraded but served from the 11th second


# --- phases --------------------------------------------------------------------------------------


def test_phases_merge_overlapping_windows_and_after_includes_gaps() -> None:
    second = FAULT.model_copy(update={"step": 1, "actual_start": 30.0, "actual_end": 45.0})
    third = FAULT.model_copy(
        update={"step": 2, "actual_start": 50.0, "actual_end": None, "scheduled_end": None}
    )
    found = episodes((FAULT, second, third), run_end=60)
    assert [(e.start, e.end, e.ended, e.steps) for e in found] == [
        (10.02, 45.0, True, (0, 1)),
        (50.0, 60, False, (2,)),
    ]
    spans = phases(found, run_end=60)
    assert [(s.phase, s.start, s.end) for s in spans] == [
        (Phase.BEFORE, 0.0, 10.02),
        (Phase.DURING, 10.02, 45.0),
        (Phase.AFTER, 45.0, 50.0),
        (Phase.DURING, 50.0, 60),
    ]


# --- served_rate ---------------------------------------------------------------------------------


def test_served_rate_passes_when_degraded_answers_keep_patients_served() -> None:
    # 40 requests a second: enough for the intervals to clear 0.99 before and after (>= 381).
    degraded = {s: (0, 40, 0) for s in range(11, 40)}
    run = run_of({10: (0, 0, 40), **degraded}, default=(40, 0, 0))
    results = served_rate(ServedRateCheck(before=0.99, during=0.9, after=0.99), run)
    assert [(r.phase, r.status) for r in results] == [
        (Phase.BEFORE, CheckStatus.PASS),
        (Phase.DURING, CheckStatus.PASS),
        (Phase.AFTER, CheckStatus.PASS),
    ]
    during = results[1]
    assert during.measured == pytest.approx(1160 / 1200)  # seconds 10-39: 40 failed, 1160 degraded
    assert during.evidence is not None
    assert (during.evidence.n, during.evidence.good) == (1200, 1160)
    assert during.evidence.low == pytest.approx(wilson_interval(1160, 1200)[0])
    assert "1160 of 1200 requests served or degraded during (96.7%, 95% CI 95.5%-97.5%)" in (
        during.reason
    )


def test_served_rate_is_inconclusive_when_too_few_requests_could_show_the_rate() -> None:
    # 31 of 31 served: the true rate may still be as low as 0.89, so 0.90 cannot be told.
    run = run_of(default=(1, 0, 0))
    (during,) = served_rate(ServedRateCheck(during=0.9), run)
    assert during.evidence is not None
    assert during.evidence.n == 30
    assert during.status is CheckStatus.INCONCLUSIVE
    assert not during.passed
    assert during.inconclusive
    assert "inconclusive against 90.0% (deciding it takes at least 35 requests)" in during.reason
    (lower_bar,) = served_rate(ServedRateCheck(during=0.8), run)
    assert lower_bar.status is CheckStatus.PASS  # 30 of 30 is enough for 0.80 (>= 16)


def test_a_verdict_is_fail_over_inconclusive_over_pass() -> None:
    def result(status: CheckStatus) -> CheckResult:
        return CheckResult(
            check=CheckName.SERVED_RATE,
            status=status,
            measured=1.0,
            threshold=0.9,
            comparison=Comparison.AT_LEAST,
            unit=Unit.RATIO,
            reason="",
        )

    passed, failed, unsure = (result(s) for s in CheckStatus)
    assert Verdict.of([passed, passed]) is Verdict.PASS
    assert Verdict.of([passed, unsure]) is Verdict.INCONCLUSIVE
    assert Verdict.of([unsure, failed, passed]) is Verdict.FAIL
    assert Verdict.INCONCLUSIVE.exit_code == ExitCode.INCONCLUSIVE == 4
    assert [Verdict.INCONCLUSIVE.exit_code_under(p) for p in InconclusivePolicy] == [4, 1, 0]
    # A journal written before `status` existed reads back as pass or fail.
    old = passed.model_dump(mode="json", exclude={"status"})
    assert CheckResult.model_validate(old).status is CheckStatus.PASS


def test_served_rate_fails_when_patients_are_turned_away() -> None:
    result = served_rate(ServedRateCheck(during=0.9), run_of(NAIVE))[0]
    assert not result.passed
    assert result.measured == pytest.approx(0.0)
    assert "0 of 300" in result.reason


def test_served_rate_counting_only_served_fails_a_cache_only_client() -> None:
    result = served_rate(ServedRateCheck(during=0.9, count_degraded=False), run_of(RESILIENT))[0]
    assert not result.passed


def test_served_rate_without_requests_cannot_pass() -> None:
    silent = {s: (0, 0, 0) for s in range(10, 40)}
    result = served_rate(ServedRateCheck(during=0.5), run_of(silent))[0]
    assert not result.passed
    assert result.measured is None


# --- latency -------------------------------------------------------------------------------------


def test_latency_passes_within_limits() -> None:
    check = LatencyCheck(during=LatencyLimits(p95=0.2), after=LatencyLimits(p50=0.1))
    results = latency(check, run_of(latency_ms=50))
    assert [r.id for r in results] == ["latency.during.p95", "latency.after.p50"]
    assert all(r.passed for r in results)
    assert results[0].measured == pytest.approx(0.05, rel=0.01)


def test_latency_fails_when_patients_wait() -> None:
    result = latency(LatencyCheck(during=LatencyLimits(p99=2.0)), run_of(slow_during=30_000))[0]
    assert not result.passed
    assert result.measured == pytest.approx(30.0, rel=0.01)


# --- time_to_served ------------------------------------------------------------------------------


def test_time_to_served_passes_for_a_client_that_falls_back_quickly() -> None:
    # second 10 is all failed, from 11 degraded: served again at 11 - 10.02 = 0.98 s
    run = run_of({10: (0, 0, 10), **RESILIENT})
    result = time_to_served(TimeToServedCheck(max=5.0), run)
    assert result.passed
    assert result.measured == pytest.approx(0.98)


def test_time_to_served_fails_for_a_client_that_waits_for_the_backend() -> None:
    result = time_to_served(TimeToServedCheck(max=15.0), run_of(NAIVE))
    assert not result.passed
    assert result.measured == pytest.approx(43 - 10.02)


def test_time_to_served_fails_when_patients_are_never_served_again() -> None:
    never = {s: (0, 0, 10) for s in range(10, DURATION)}
    result = time_to_served(TimeToServedCheck(max=15.0), run_of(never))
    assert not result.passed
    assert result.measured is None
    assert "not served again" in result.reason


def test_time_to_served_needs_the_rate_to_hold() -> None:
    # one good second in the middle of failures does not count: stable_for is 5 s
    flicker = {**NAIVE, 20: (10, 0, 0)}
    result = time_to_served(TimeToServedCheck(max=60.0, stable_for=5), run_of(flicker))
    assert result.measured == pytest.approx(43 - 10.02)


# --- recovery_time -------------------------------------------------------------------------------


def test_recovery_time_passes_when_live_service_returns_quickly() -> None:
    result = recovery_time(RecoveryTimeCheck(max=5.0), run_of(RESILIENT))
    assert result.passed
    assert result.measured == pytest.approx(41 - 40.01)  # second 40 straddles the end


def test_recovery_time_fails_for_a_client_stuck_in_fallback() -> None:
    stuck = {s: (0, 10, 0) for s in range(11, 55)}
    result = recovery_time(RecoveryTimeCheck(max=5.0), run_of(stuck))
    assert not result.passed
    assert result.measured == pytest.approx(55 - 40.01)


def test_recovery_time_without_an_ended_fault_cannot_pass() -> None:
    endless = FAULT.model_copy(update={"actual_end": None, "scheduled_end": None})
    result = recovery_time(RecoveryTimeCheck(max=5.0), run_of(faults=(endless,)))
    assert not result.passed
    assert "nothing to time" in result.reason


# --- nothing_lost --------------------------------------------------------------------------------

KEY = {"nik": "3201014512900001", "tanggal": "2019-03-25", "kodepoli": "INT"}
OTHER = {**KEY, "nik": "3201014512900002"}


def accepted(key: dict[str, str], idem: str | None = None) -> Accepted:
    return Accepted(t=20.0, kind=RecordKind.REGISTRATION, key=key, idempotency_key=idem)


def record(key: dict[str, str], ident: str, idem: str | None = None) -> LedgerRecord:
    return LedgerRecord(
        kind=RecordKind.REGISTRATION, service="erm", id=ident, key=key, idempotency_key=idem
    )


def test_nothing_lost_passes_when_every_accepted_record_reached_the_ledger() -> None:
    ledger = Ledger(records=(record(KEY, "v1"), record(OTHER, "v2", "outbox-2")))
    run = run_of(accepted=(accepted(KEY), accepted({"nik": "x"}, "outbox-2")), ledger=ledger)
    result = nothing_lost(NothingLostCheck(), run)
    assert result.passed
    assert result.measured == 0


def test_nothing_lost_fails_and_names_the_lost_record() -> None:
    run = run_of(
        accepted=(accepted(KEY), accepted(OTHER)), ledger=Ledger(records=(record(KEY, "v1"),))
    )
    result = nothing_lost(NothingLostCheck(), run)
    assert not result.passed
    assert result.measured == 1
    assert "3201014512900002" in result.reason


def test_nothing_lost_does_not_match_a_different_idempotency_key() -> None:
    ledger = Ledger(records=(record(KEY, "v1", "outbox-1"),))
    result = nothing_lost(
        NothingLostCheck(), run_of(accepted=(accepted(KEY, "outbox-9"),), ledger=ledger)
    )
    assert not result.passed


def test_nothing_lost_cannot_pass_without_accepted_records() -> None:
    result = nothing_lost(NothingLostCheck(), run_of())
    assert not result.passed
    assert "nothing to judge" in result.reason


# --- no_duplicates -------------------------------------------------------------------------------


def test_no_duplicates_passes_with_distinct_natural_keys() -> None:
    ledger = Ledger(records=(record(KEY, "v1"), record(OTHER, "v2")))
    assert no_duplicates(NoDuplicatesCheck(), run_of(ledger=ledger)).passed


def test_no_duplicates_fails_on_a_double_entry() -> None:
    ledger = Ledger(records=(record(KEY, "v1"), record(KEY, "v2"), record(KEY, "v3")))
    result = no_duplicates(NoDuplicatesCheck(), run_of(ledger=ledger))
    assert not result.passed
    assert result.measured == 2
    assert "v1, v2, v3" in result.details[0]


def test_no_duplicates_counts_groups_the_backend_reported() -> None:
    reported = DuplicateGroup(
        kind=RecordKind.REGISTRATION, service="erm", key=KEY, ids=("a", "b"), count=2
    )
    result = no_duplicates(
        NoDuplicatesCheck(), run_of(ledger=Ledger(reported_duplicates=(reported,)))
    )
    assert not result.passed
    assert result.measured == 1


# --- client_alive --------------------------------------------------------------------------------


def probes(pattern: str) -> tuple[ProbeResult, ...]:
    return tuple(ProbeResult(t=float(i), ok=c == "+") for i, c in enumerate(pattern))


def test_client_alive_tolerates_a_short_hiccup() -> None:
    result = client_alive(
        ClientAliveCheck(max_consecutive_failures=2), run_of(probes=probes("++--+++-+"))
    )
    assert result.passed
    assert result.measured == 2


def test_client_alive_fails_when_it_stops_answering() -> None:
    result = client_alive(
        ClientAliveCheck(max_consecutive_failures=2), run_of(probes=probes("+++---++"))
    )
    assert not result.passed
    assert result.measured == 3


def test_client_alive_fails_when_the_client_exits() -> None:
    run = run_of(probes=probes("++++"), client_exit=ClientExit(t=31.5, returncode=-9))
    result = client_alive(ClientAliveCheck(), run)
    assert not result.passed
    assert "code -9" in result.reason


def test_client_alive_without_probes_cannot_pass() -> None:
    assert not client_alive(ClientAliveCheck(), run_of()).passed


def test_client_alive_leaves_out_the_probes_of_the_clients_own_fault_window() -> None:
    killed = FaultWindow(
        step=1,
        target="client",
        kind="kill",
        layer=FaultLayer.PROCESS,
        scheduled_start=3.0,
        scheduled_end=6.0,
        actual_start=3.01,
        actual_end=7.5,  # started again and ready 1.5 s after the window
        back_after_s=1.5,
    )
    pattern = "+++-----++"  # down from 3 s to 7 s: the kill and the restart
    judged = client_alive(
        ClientAliveCheck(max_consecutive_failures=2),
        run_of(probes=probes(pattern), faults=(FAULT, killed)),
    )
    assert judged.passed, judged.reason
    assert "4 in the client's own fault windows not judged" in judged.reason
    # The same failures without the client's fault to explain them: the client was down.
    unexplained = client_alive(
        ClientAliveCheck(max_consecutive_failures=2), run_of(probes=probes(pattern))
    )
    assert not unexplained.passed
    assert unexplained.measured == 5


# --- all together --------------------------------------------------------------------------------


def test_evaluate_and_verdict() -> None:
    checks = Checks(served_rate=ServedRateCheck(during=0.9), client_alive=ClientAliveCheck())
    good = evaluate(checks, run_of(RESILIENT, probes=probes("+++")))
    bad = evaluate(checks, run_of(NAIVE, probes=probes("+++")))
    assert [r.id for r in good] == ["served_rate.during", "client_alive"]
    assert Verdict.of(good) is Verdict.PASS
    assert Verdict.of(good).exit_code == 0
    assert Verdict.of(bad) is Verdict.FAIL
    assert Verdict.of(bad).exit_code == 1


# --- the recorded data ---------------------------------------------------------------------------


def test_histogram_percentiles_are_within_one_percent_of_exact() -> None:
    rng = random.Random(5)
    values = [rng.lognormvariate(4, 1.5) for _ in range(5000)] + [0.0, 0.0005]
    hist = LatencyHistogram.merge(
        [LatencyHistogram.of(values[:2000]), LatencyHistogram.of(values[2000:])]
    )
    ordered = sorted(values)
    for q in (0.5, 0.9, 0.95, 0.99, 1.0):
        exact = ordered[max(1, math.ceil(q * len(ordered))) - 1]
        assert hist.percentile(q) == pytest.approx(exact, rel=0.0101)
    assert LatencyHistogram().percentile(0.5) is None


def test_request_log_round_trip_with_two_workers(tmp_path: Path) -> None:
    t0 = 1_700_000_000.0
    with RequestRecorder(tmp_path / "w1.jsonl", t0=t0, source="w1") as one:
        one.request("register", Outcome.SERVED, latency_ms=40, started=t0 + 0.2)
        one.request("register", Outcome.FAILED, latency_ms=5, started=t0 + 1.5)
        one.flush(now=t0 + 1.9)  # second 0 is over, second 1 is not yet
        one.request("register", Outcome.SERVED, latency_ms=900, started=t0 + 0.9)  # late finisher
        one.accepted(
            RecordKind.REGISTRATION, KEY, at=t0 + 1.6, idempotency_key="k1", reference="INT-001"
        )
    with RequestRecorder(tmp_path / "w2.jsonl", t0=t0 + 1.0, source="w2") as two:
        two.request("register", Outcome.DEGRADED, latency_ms=60, started=t0 + 1.2)  # its second 0
    lines = (tmp_path / "w1.jsonl").read_text().splitlines()
    assert lines[0].startswith('{"record":"header"')
    # header, second 0, mark through 1, accepted, late second 0, second 1, final mark
    assert [json.loads(line)["record"] for line in lines] == [
        "header", "bucket", "flush", "accepted", "bucket", "bucket", "flush"
    ]  # fmt: skip
    assert json.loads(lines[2]) == {
        "record": "flush", "source": "w1", "through": 1, "requests": 1, "final": False
    }  # fmt: skip
    log = read_request_log([tmp_path / "w1.jsonl", tmp_path / "w2.jsonl"])
    assert log.t0 == t0
    per_second = log.per_second()
    assert (per_second[0].served, per_second[0].failed) == (2, 0)
    assert (per_second[1].failed, per_second[1].degraded) == (1, 1)
    assert per_second[0].latency_ms[Outcome.SERVED].percentile(1.0) == pytest.approx(900, rel=0.01)
    assert log.accepted[0].key == KEY
    assert log.accepted[0].t == pytest.approx(1.6)
    assert log.requests == 4
    assert [(r.source, r.requests, r.complete) for r in log.sources] == [
        ("w1", 3, True),
        ("w2", 1, True),
    ]


def test_flush_marks_and_worker_events_give_each_source_its_account(tmp_path: Path) -> None:
    """A master's log: one worker finished, one was lost after its second mark."""
    t0 = 1_700_000_000.0
    path = tmp_path / "requests-master.jsonl"
    lines = [
        Header(t0=t0, source="master"),
        WorkerEvent(source="worker-0", event="joined", t=0.5),
        WorkerEvent(source="worker-1", event="joined", t=0.6),
        Bucket(second=0, name="GET /", served=3),
        Flush(source="worker-0", through=1, requests=3),
        Bucket(second=0, name="GET /", served=2),
        Flush(source="worker-1", through=1, requests=2),
        Flush(source="worker-1", through=2, requests=2),
        WorkerEvent(source="worker-1", event="lost", t=4.2),
        Bucket(second=1, name="GET /", failed=1),
        Flush(source="worker-0", through=2, requests=4, final=True),
        Flush(source="worker-0", through=2, requests=4, final=False),  # a mark after the final
    ]
    path.write_text("".join(line.model_dump_json() + "\n" for line in lines))
    log = read_request_log([path])
    assert log.requests == 6
    worker0, worker1 = log.sources
    assert (worker0.source, worker0.requests, worker0.complete, worker0.lost_at) == (
        "worker-0", 4, True, None
    )  # fmt: skip
    assert (worker1.source, worker1.requests, worker1.complete) == ("worker-1", 2, False)
    assert (worker1.joined_at, worker1.lost_at) == pytest.approx((0.6, 4.2))


def test_a_corrupt_request_log_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "w.jsonl"
    with RequestRecorder(path, t0=0.0):
        pass
    with path.open("a") as handle:
        handle.write('{"record": "bucket", "second": -1, "name": "x"}\n')
    from harness.errors import UsageError

    # line 1 the header, line 2 the final mark of the empty recorder
    with pytest.raises(UsageError, match=r"w.jsonl:3: not a harness-requests/1 record \(.*second"):
        read_request_log([path])


# --- the steady state after the timeline ----------------------------------------------------------


def test_steady_state_after_passes_when_normal_service_returned() -> None:
    run = run_of(default=(20, 0, 0))  # 100 requests in the last 5 s: enough to show >= 0.95
    result = steady_state_after(SteadyStateWindow(duration=5, min_served_rate=0.95), run)
    assert result is not None
    assert result.passed
    assert result.id == "served_rate.after.steady_state"
    assert result.measured == 1.0


def test_steady_state_after_fails_when_the_client_stays_degraded() -> None:
    # Still answering from its fallback in the last seconds: not back to normal.
    tail = {s: (5, 5, 0) for s in range(DURATION - 5, DURATION)}
    result = steady_state_after(SteadyStateWindow(duration=5, min_served_rate=0.95), run_of(tail))
    assert result is not None
    assert not result.passed
    assert result.measured == 0.5


def test_steady_state_after_is_not_judged_while_a_fault_is_still_on() -> None:
    open_ended = FAULT.model_copy(update={"scheduled_end": None, "actual_end": None})
    window = SteadyStateWindow(duration=5, min_served_rate=0.95)
    assert steady_state_after(window, run_of(faults=(open_ended,))) is None


def test_steady_state_after_ignores_requests_started_after_the_load_ended() -> None:
    run = run_of(default=(20, 0, 0))
    late = Bucket(second=DURATION, name="GET /late", served=1)
    requests = run.requests.model_copy(update={"buckets": (*run.requests.buckets, late)})
    result = steady_state_after(
        SteadyStateWindow(duration=5, min_served_rate=0.95),
        run.model_copy(update={"requests": requests}),
    )
    assert result is not None
    assert result.passed


def test_steady_state_after_is_the_last_seconds_requests_started_in() -> None:
    # The load's last request started in second 56; locust then took until 60 to stop and exit.
    # The window is seconds 52-56 (100 requests: enough to show >= 0.95), not 55-59 (40: too few
    # to tell, an inconclusive check).
    quiet_exit = {s: (0, 0, 0) for s in range(57, DURATION)}
    result = steady_state_after(
        SteadyStateWindow(duration=5, min_served_rate=0.95), run_of(quiet_exit, default=(20, 0, 0))
    )
    assert result is not None
    assert result.evidence is not None
    assert (result.evidence.n, result.evidence.good) == (100, 100)
    assert result.passed
