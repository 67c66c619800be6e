"""The checks: pure functions of a run's data and a scenario's thresholds -> typed results.

    results = evaluate(scenario.checks, run)      # one CheckResult per check (per phase, metric)
    verdict = Verdict.of(results)                 # FAIL > INCONCLUSIVE > PASS

Definitions (times in seconds since t0; "rate" of a second = served (+ degraded, when counted)
over all requests that STARTED in that second; a second without any request has rate 0, because
patients stuck waiting start no new requests; a wrong answer counts in "all requests", never as
served; the seconds are the request log's reconciled with the ledgers, harness.results.answers):

- served_rate[phase]: served (+ degraded) / all requests that started in the phase's seconds,
  with its 95 % Wilson interval (harness/results/evidence.py). Passes if the whole interval is
  >= the minimum, fails if the whole interval is below it, else inconclusive (too few requests
  to tell). A phase without requests fails: it cannot be judged.
- latency[phase].pXX: nearest-rank percentile (within 1 %, see histogram) of the latency of the
  phase's requests with the chosen outcomes, with its 95 % distribution-free interval from order
  statistics. Passes if the whole interval is <= the maximum, fails if it is all above, else
  inconclusive.
- time_to_served: for each fault episode starting at t_f, the first whole second s >= ceil(t_f)
  such that the rate of s, s+1, ..., s+N-1 (N = ceil(stable_for)) each stays >= min_rate, all
  within the load; the time is s - t_f (1 s resolution; 0 < time < 1 for a client that never
  stopped serving). The measured value is the worst episode's; an episode with no such s fails.
  Its evidence is the number of fault episodes timed; it is decided exactly.
- recovery_time: the same from each fault episode's end t_e, counting served only unless
  count_degraded, and the N seconds must end before the next episode starts (else the client
  did not recover in between). Episodes still on when the load ended are not timed; with none
  ended the check fails (nothing to time).
- nothing_lost: every accepted record has a ledger record of its kind with the same idempotency
  key (when both have one) or whose natural key holds every field of the accepted key. Measured:
  the number lost; passes if <= max_lost and at least min_accepted records were accepted.
- no_duplicates: extra records in natural-key duplicate groups (a group of 3 counts 2), computed
  from the ledger records and as the backends reported; passes if <= max_duplicates.
- client_alive: the longest run of consecutive failed liveness probes; passes if <=
  max_consecutive_failures, the client did not exit, and at least one probe was made.
- no_wrong_answers[phase]: wrong answers (the buckets' `wrong`, contradicted references
  included) over the whole run or in a phase's seconds; a contradicted reference no request could
  be moved for counts in the phase of its `t`, and as one more request. `max_count` is exact;
  `max_rate` is wrong / requests on its 95 % Wilson interval: passes if the interval's upper end
  is <= the maximum, fails if its lower end is above it, else inconclusive (a maximum of 0 is
  exact). With both limits the rate's id ends in `.rate`. No requests in the scope: it fails.

Counts (nothing_lost, no_duplicates, client_alive) and times are exact: pass or fail. The
verdict is FAIL if any check failed, else INCONCLUSIVE if any was inconclusive, else PASS.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from harness.durations import format_duration
from harness.errors import ExitCode
from harness.results.answers import ledger_matches
from harness.results.evidence import (
    CONFIDENCE,
    CheckStatus,
    decide,
    decide_rate,
    decide_rate_at_most,
    quantile_ranks,
    requests_needed,
    samples_needed,
    wilson_interval,
)
from harness.results.histogram import LatencyHistogram
from harness.results.ledger import LedgerRecord
from harness.results.run import RunData, phase_at, seconds_in
from harness.results.timeline import Accepted, SecondTotals, WrongExample
from harness.results.vocabulary import Phase
from harness.scenario.checks import (
    CheckName,
    Checks,
    ClientAliveCheck,
    LatencyCheck,
    NoDuplicatesCheck,
    NothingLostCheck,
    NoWrongAnswersCheck,
    RecoveryTimeCheck,
    ServedRateCheck,
    TimeToServedCheck,
    WrongAnswerLimits,
)
from harness.scenario.model import SteadyStateWindow
from harness.scenario.types import CLIENT as CLIENT_TARGET

MAX_DETAILS = 10


class Comparison(StrEnum):
    AT_LEAST = ">="
    AT_MOST = "<="


class Unit(StrEnum):
    RATIO = "ratio"
    SECONDS = "s"
    COUNT = "count"


class Evidence(BaseModel):
    """What a measured value rests on: how many observations, and how sure it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["wilson", "order_statistics", "episodes"] = Field(
        description="wilson: a rate's score interval; order_statistics: a percentile's "
        "distribution-free interval; episodes: fault episodes a time was measured over"
    )
    n: int = Field(ge=0, description="requests judged, or fault episodes timed")
    good: int | None = Field(default=None, description="a rate's good requests (served ...)")
    low: float | None = Field(
        default=None, description="lower end of the interval; None: unbounded below (0)"
    )
    high: float | None = Field(
        default=None, description="upper end of the interval; None: unbounded above"
    )
    confidence: float | None = Field(default=None, description="the interval's level, 0.95")

    def interval(self) -> str:
        """e.g. "95% CI 89.0-100.0%" for a rate, "95% CI 1.2s-3.4s" for a time."""
        if self.method == "episodes":
            return f"{self.n} fault episode{'s' if self.n != 1 else ''}"
        level = f"{(self.confidence or CONFIDENCE) * 100:g}% CI"
        if self.method == "wilson":
            return f"{level} {_percent(self.low or 0.0)}-{_percent(self.high or 1.0)}"
        low = "0s" if self.low is None else format_duration(self.low)
        high = "unbounded" if self.high is None else format_duration(self.high)
        return f"{level} {low}-{high}"


class CheckResult(BaseModel):
    """One check's outcome: what was measured against which threshold, on what evidence, and
    whether it passed, failed or could not be decided."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: CheckName
    phase: Phase | None = None
    metric: str = ""
    status: CheckStatus
    measured: float | None = Field(description="None: could not be measured (then it failed)")
    threshold: float
    comparison: Comparison
    unit: Unit
    reason: str = Field(description="one line")
    details: tuple[str, ...] = ()
    evidence: Evidence | None = Field(
        default=None, description="rates, percentiles and times; absent for counts"
    )

    @model_validator(mode="before")
    @classmethod
    def _derived_fields(cls, data: Any) -> Any:
        """`id` and `passed` are derived; a journal read back carries them. A journal older
        than `status` has only `passed`."""
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if k != "id"}
        passed = data.pop("passed", None)
        if "status" not in data and passed is not None:
            data["status"] = CheckStatus.PASS if passed else CheckStatus.FAIL
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> str:
        """check[.phase][.metric], e.g. served_rate.during or latency.during.p95."""
        return ".".join(p for p in (self.check.value, self.phase or "", self.metric) if p)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """True only for status pass."""
        return self.status is CheckStatus.PASS

    @property
    def inconclusive(self) -> bool:
        return self.status is CheckStatus.INCONCLUSIVE


class InconclusivePolicy(StrEnum):
    """What exit code an INCONCLUSIVE verdict gives (`--inconclusive`): error is exit 4 (the
    default), fail exit 1, pass exit 0. The verdict itself stays INCONCLUSIVE."""

    ERROR = "error"
    FAIL = "fail"
    PASS = "pass"


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"

    @classmethod
    def of(cls, results: Sequence[CheckResult]) -> Verdict:
        """FAIL if any check failed, else INCONCLUSIVE if any was, else PASS."""
        statuses = {r.status for r in results}
        if CheckStatus.FAIL in statuses:
            return cls.FAIL
        if CheckStatus.INCONCLUSIVE in statuses:
            return cls.INCONCLUSIVE
        return cls.PASS

    @property
    def exit_code(self) -> ExitCode:
        """0 pass, 1 fail, 4 inconclusive (see exit_code_under for the other policies)."""
        return self.exit_code_under(InconclusivePolicy.ERROR)

    def exit_code_under(self, policy: InconclusivePolicy) -> ExitCode:
        if self is Verdict.PASS:
            return ExitCode.OK
        if self is Verdict.FAIL:
            return ExitCode.CHECK_FAILED
        return {
            InconclusivePolicy.ERROR: ExitCode.INCONCLUSIVE,
            InconclusivePolicy.FAIL: ExitCode.CHECK_FAILED,
            InconclusivePolicy.PASS: ExitCode.OK,
        }[policy]


def _status(passed: bool) -> CheckStatus:
    return CheckStatus.PASS if passed else CheckStatus.FAIL


def evaluate(checks: Checks, run: RunData) -> list[CheckResult]:
    """Every enabled check of `checks` on `run`, in CheckName order."""
    results: list[CheckResult] = []
    if checks.served_rate is not None:
        results += served_rate(checks.served_rate, run)
    if checks.latency is not None:
        results += latency(checks.latency, run)
    if checks.time_to_served is not None:
        results.append(time_to_served(checks.time_to_served, run))
    if checks.recovery_time is not None:
        results.append(recovery_time(checks.recovery_time, run))
    if checks.nothing_lost is not None:
        results.append(nothing_lost(checks.nothing_lost, run))
    if checks.no_duplicates is not None:
        results.append(no_duplicates(checks.no_duplicates, run))
    if checks.client_alive is not None:
        results.append(client_alive(checks.client_alive, run))
    if checks.no_wrong_answers is not None:
        results += no_wrong_answers(checks.no_wrong_answers, run)
    return results


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


# --- what patients saw ---------------------------------------------------------------------------


def served_rate(config: ServedRateCheck, run: RunData) -> list[CheckResult]:
    spans = run.phases()
    seconds = run.seconds()
    results = []
    for phase in Phase:
        minimum = config.minimum(phase)
        if minimum is None:
            continue
        chosen = seconds_in(spans, phase, seconds)
        total = sum(s.total for s in chosen)
        good = sum(s.served + (s.degraded if config.count_degraded else 0) for s in chosen)
        what = "served or degraded" if config.count_degraded else "served"
        results.append(
            _rate_result(
                good,
                total,
                minimum,
                phase=phase,
                told=f"requests {what} {phase}",
                empty=f"no requests started {phase}: nothing to judge (is the load running?)",
            )
        )
    return results


def _rate_result(
    good: int,
    total: int,
    minimum: float,
    *,
    phase: Phase,
    told: str,
    empty: str,
    metric: str = "",
) -> CheckResult:
    """A served-rate result: good of total against `minimum`, decided on its Wilson interval."""
    result = functools.partial(
        CheckResult,
        check=CheckName.SERVED_RATE,
        phase=phase,
        metric=metric,
        threshold=minimum,
        comparison=Comparison.AT_LEAST,
        unit=Unit.RATIO,
    )
    if total == 0:
        return result(
            status=CheckStatus.FAIL,
            measured=None,
            reason=empty,
            evidence=Evidence(method="wilson", n=0, good=0),
        )
    measured = good / total
    low, high = wilson_interval(good, total)
    status = decide_rate(good, total, minimum)
    evidence = Evidence(
        method="wilson", n=total, good=good, low=low, high=high, confidence=CONFIDENCE
    )
    if status is CheckStatus.PASS:
        verdict = f"at least {_percent(minimum)}"
    elif status is CheckStatus.FAIL:
        verdict = f"below {_percent(minimum)}"
    else:
        verdict = f"inconclusive against {_percent(minimum)}"
        if good == total and total < requests_needed(minimum):
            verdict += f" (deciding it takes at least {requests_needed(minimum)} requests)"
    return result(
        status=status,
        measured=measured,
        reason=f"{good} of {total} {told} ({_percent(measured)}, {evidence.interval()}), {verdict}",
        evidence=evidence,
    )


def steady_state_after(window: SteadyStateWindow, run: RunData) -> CheckResult | None:
    """Served (not degraded: back to normal) rate over the last `window.duration` seconds of
    load, all of them after every fault; None when the run ends with a fault still on."""
    span = math.ceil(window.duration)
    spans = run.phases()
    seconds = run.seconds()
    # The load's last second is the last one a request started in: after it come locust's stop
    # (up to its --stop-timeout) and exit, seconds in which no request starts. Counting those
    # would judge the window on a fraction of its requests.
    started = [s.second for s in seconds if s.total]
    end = math.floor(run.duration)  # whole seconds of load; a late finisher's second is not one
    if started:
        end = min(end, max(started) + 1)
    last = [s for s in seconds if end - span <= s.second < end]
    if not last or any(phase_at(spans, s.second + 0.5) is not Phase.AFTER for s in last):
        return None
    return _rate_result(
        sum(s.served for s in last),
        sum(s.total for s in last),
        window.min_served_rate,
        phase=Phase.AFTER,
        metric="steady_state",
        told=f"requests served normally in the last {span}s",
        empty=f"no requests in the last {span}s: nothing to judge",
    )


def latency(config: LatencyCheck, run: RunData) -> list[CheckResult]:
    spans = run.phases()
    seconds = run.seconds()
    results = []
    for phase in Phase:
        limits = config.limits(phase)
        if limits is None:
            continue
        chosen = seconds_in(spans, phase, seconds)
        histogram = LatencyHistogram.merge(
            s.latency_ms[o] for s in chosen for o in config.outcomes if o in s.latency_ms
        )
        for metric, maximum in limits.limits():
            results.append(
                _latency_result(histogram, metric, maximum, phase, outcomes=config.outcomes)
            )
    return results


def _latency_result(
    histogram: LatencyHistogram,
    metric: str,
    maximum: float,
    phase: Phase,
    *,
    outcomes: Sequence[str],
) -> CheckResult:
    """A percentile against `maximum`, decided on its order-statistics interval."""
    quantile = int(metric[1:]) / 100
    value_ms = histogram.percentile(quantile)
    n = histogram.count
    result = functools.partial(
        CheckResult,
        check=CheckName.LATENCY,
        phase=phase,
        metric=metric,
        threshold=maximum,
        comparison=Comparison.AT_MOST,
        unit=Unit.SECONDS,
    )
    if value_ms is None:
        return result(
            status=CheckStatus.FAIL,
            measured=None,
            reason=f"no requests with outcome {'/'.join(outcomes)} {phase}",
            evidence=Evidence(method="order_statistics", n=0),
        )
    measured = value_ms / 1000
    low_rank, high_rank = quantile_ranks(n, quantile)
    low = None if low_rank is None else histogram.at_rank(low_rank) / 1000
    high = None if high_rank is None else histogram.at_rank(high_rank) / 1000
    status = decide(
        0.0 if low is None else low, math.inf if high is None else high, maximum, at_least=False
    )
    evidence = Evidence(method="order_statistics", n=n, low=low, high=high, confidence=CONFIDENCE)
    verb = {
        CheckStatus.PASS: "within",
        CheckStatus.FAIL: "over",
        CheckStatus.INCONCLUSIVE: "inconclusive against",
    }[status]
    short = ""
    if status is CheckStatus.INCONCLUSIVE and high is None and quantile < 1:
        needed = samples_needed(quantile)
        short = f" (bounding {metric} from above takes at least {needed} requests)"
    return result(
        status=status,
        measured=measured,
        reason=f"{metric} {phase} was {format_duration(measured)} over {n} requests "
        f"({evidence.interval()}), {verb} {format_duration(maximum)}{short}",
        evidence=evidence,
    )


def first_stable_second(
    seconds: Sequence[SecondTotals],
    *,
    start: float,
    limit: float,
    min_rate: float,
    stable_for: float,
    count_degraded: bool,
) -> int | None:
    """The first whole second s >= ceil(start) from which `stable_for` seconds (rounded up) each
    have a rate >= min_rate, all ending by `limit`; None if there is none."""
    needed = max(1, math.ceil(stable_for))
    by_second = {s.second: s for s in seconds}
    run = 0
    first = math.ceil(start)
    for second in range(first, math.floor(limit)):
        totals = by_second.get(second) or SecondTotals(second=second)
        if totals.rate(count_degraded=count_degraded) >= min_rate:
            run += 1
            if run == needed:
                return second - needed + 1
        else:
            run = 0
    return None


def time_to_served(config: TimeToServedCheck, run: RunData) -> CheckResult:
    seconds = run.seconds()
    times: list[float] = []
    failures: list[str] = []
    for episode in run.episodes():
        found = first_stable_second(
            seconds,
            start=episode.start,
            limit=run.duration,
            min_rate=config.min_rate,
            stable_for=config.stable_for,
            count_degraded=config.count_degraded,
        )
        if found is None:
            failures.append(f"after the fault at {episode.start:.1f}s")
        else:
            times.append(found - episode.start)
    return _timed(
        CheckName.TIME_TO_SERVED,
        times,
        failures,
        config.max,
        none_reason="no fault started during the load: nothing to time",
        fail_reason=(
            "patients were not served again (rate >= {rate} for {n}) {where}, until the load ended"
        ),
        config_rate=config.min_rate,
        stable_for=config.stable_for,
        what="served again",
    )


def recovery_time(config: RecoveryTimeCheck, run: RunData) -> CheckResult:
    seconds = run.seconds()
    episodes = run.episodes()
    times: list[float] = []
    failures: list[str] = []
    for index, episode in enumerate(episodes):
        if not episode.ended:
            continue
        limit = episodes[index + 1].start if index + 1 < len(episodes) else run.duration
        found = first_stable_second(
            seconds,
            start=episode.end,
            limit=limit,
            min_rate=config.min_rate,
            stable_for=config.stable_for,
            count_degraded=config.count_degraded,
        )
        if found is None:
            failures.append(f"after the fault ended at {episode.end:.1f}s, before {limit:.1f}s")
        else:
            times.append(found - episode.end)
    return _timed(
        CheckName.RECOVERY_TIME,
        times,
        failures,
        config.max,
        none_reason="no fault ended before the load did: nothing to time",
        fail_reason="service did not recover (rate >= {rate} for {n}) {where}",
        config_rate=config.min_rate,
        stable_for=config.stable_for,
        what="recovered",
    )


def _timed(
    name: CheckName,
    times: list[float],
    failures: list[str],
    maximum: float,
    *,
    none_reason: str,
    fail_reason: str,
    config_rate: float,
    stable_for: float,
    what: str,
) -> CheckResult:
    if failures:
        reason = fail_reason.format(
            rate=_percent(config_rate), n=format_duration(stable_for), where=failures[0]
        )
        measured = None
        passed = False
    elif not times:
        reason = none_reason
        measured = None
        passed = False
    else:
        measured = max(times)
        passed = measured <= maximum
        verb = "within" if passed else "over"
        reason = (
            f"{what} after {format_duration(measured)} at worst ({len(times)} fault"
            f"{'s' if len(times) != 1 else ''}), {verb} {format_duration(maximum)}"
        )
    return CheckResult(
        check=name,
        status=_status(passed),
        measured=measured,
        threshold=maximum,
        comparison=Comparison.AT_MOST,
        unit=Unit.SECONDS,
        reason=reason,
        details=tuple(failures[:MAX_DETAILS]),
        evidence=Evidence(method="episodes", n=len(times) + len(failures)),
    )


# --- what reached the backends -------------------------------------------------------------------


def is_recorded(accepted: Accepted, records: Sequence[LedgerRecord]) -> bool:
    """Does the ledger hold this accepted record (by idempotency key or natural key)?"""
    return bool(ledger_matches(accepted, records))


def nothing_lost(config: NothingLostCheck, run: RunData) -> CheckResult:
    accepted = run.requests.accepted
    lost = [a for a in accepted if not is_recorded(a, run.ledger.records)]
    details = tuple(_describe_accepted(a) for a in lost[:MAX_DETAILS])
    if len(accepted) < config.min_accepted:
        return CheckResult(
            check=CheckName.NOTHING_LOST,
            status=CheckStatus.FAIL,
            measured=float(len(lost)),
            threshold=float(config.max_lost),
            comparison=Comparison.AT_MOST,
            unit=Unit.COUNT,
            reason=f"only {len(accepted)} records were accepted, fewer than {config.min_accepted}:"
            " nothing to judge (did the load record what patients were told?)",
        )
    passed = len(lost) <= config.max_lost
    first = f"; first: {details[0]}" if details else ""
    return CheckResult(
        check=CheckName.NOTHING_LOST,
        status=_status(passed),
        measured=float(len(lost)),
        threshold=float(config.max_lost),
        comparison=Comparison.AT_MOST,
        unit=Unit.COUNT,
        reason=f"{len(lost)} of {len(accepted)} accepted records missing from the ledger{first}",
        details=details,
    )


def _describe_accepted(accepted: Accepted) -> str:
    key = " ".join(f"{k}={v}" for k, v in accepted.key.items())
    idem = f" idempotency_key={accepted.idempotency_key}" if accepted.idempotency_key else ""
    return f"{accepted.kind} {key}{idem} (accepted at {accepted.t:.1f}s)"


def no_duplicates(config: NoDuplicatesCheck, run: RunData) -> CheckResult:
    groups = run.ledger.duplicates()
    extra = sum(group.count - 1 for group in groups)
    details = tuple(
        f"{g.kind} {' '.join(f'{k}={v}' for k, v in g.key.items())} x{g.count} ({', '.join(g.ids)})"
        for g in groups[:MAX_DETAILS]
    )
    passed = extra <= config.max_duplicates
    first = f"; first: {details[0]}" if details else ""
    records = len(run.ledger.records)
    return CheckResult(
        check=CheckName.NO_DUPLICATES,
        status=_status(passed),
        measured=float(extra),
        threshold=float(config.max_duplicates),
        comparison=Comparison.AT_MOST,
        unit=Unit.COUNT,
        reason=f"{extra} duplicate records in {len(groups)} natural-key groups among {records}"
        f"{first}",
        details=details,
    )


# --- what patients were told that is not true ----------------------------------------------------


def describe_wrong(example: WrongExample) -> str:
    """e.g. `GET /schedules said '[]' but the truth is '2 slots' (no slots offered; at 12.5s)`."""
    said = f" said '{example.said}'" if example.said else ""
    truth = f" but the truth is '{example.truth}'" if example.truth else ""
    return f"{example.name or 'a request'}{said}{truth} ({example.reason}; at {example.t:.1f}s)"


def no_wrong_answers(config: NoWrongAnswersCheck, run: RunData) -> list[CheckResult]:
    """The whole run's result(s), then each phase's given (see the module docstring)."""
    spans = run.phases()
    seconds = run.seconds()
    examples = run.wrong_examples()
    unplaced = run.reconciled.unplaced
    scopes: list[tuple[Phase | None, WrongAnswerLimits | None]] = [
        (None, config.whole_run()),
        *((phase, config.limits(phase)) for phase in Phase),
    ]
    results = []
    for phase, limits in scopes:
        if limits is None:
            continue
        chosen = seconds if phase is None else seconds_in(spans, phase, seconds)
        extra = [u for u in unplaced if phase is None or phase_at(spans, u.t) is phase]
        wrong = sum(s.wrong for s in chosen) + len(extra)
        total = sum(s.total for s in chosen) + len(extra)
        shown = [e for e in examples if phase is None or phase_at(spans, e.t) is phase]
        results += _wrong_results(limits, phase, wrong, total, shown)
    return results


def _wrong_results(
    limits: WrongAnswerLimits,
    phase: Phase | None,
    wrong: int,
    total: int,
    examples: Sequence[WrongExample],
) -> list[CheckResult]:
    where = "over the run" if phase is None else str(phase)
    details = tuple(describe_wrong(e) for e in examples[:MAX_DETAILS])
    first = f": {details[0]}" if wrong and details else ""
    told = f"{wrong} wrong answer{'s' if wrong != 1 else ''} of {total} requests {where}{first}"
    empty = f"no requests started {where}: nothing to judge (is the load running?)"
    result = functools.partial(
        CheckResult, check=CheckName.NO_WRONG_ANSWERS, phase=phase, details=details
    )
    results = []
    if limits.max_count is not None:
        passed = total > 0 and wrong <= limits.max_count
        results.append(
            result(
                status=_status(passed),
                measured=float(wrong) if total else None,
                threshold=float(limits.max_count),
                comparison=Comparison.AT_MOST,
                unit=Unit.COUNT,
                reason=(
                    f"{told}, {'within' if passed else 'over'} {limits.max_count}"
                    if total
                    else empty
                ),
            )
        )
    if limits.max_rate is not None:
        metric = "rate" if limits.max_count is not None else ""
        maximum = limits.max_rate
        if total == 0:
            results.append(
                result(
                    metric=metric,
                    status=CheckStatus.FAIL,
                    measured=None,
                    threshold=maximum,
                    comparison=Comparison.AT_MOST,
                    unit=Unit.RATIO,
                    reason=empty,
                    evidence=Evidence(method="wilson", n=0, good=0),
                )
            )
            return results
        low, high = wilson_interval(wrong, total)
        status = decide_rate_at_most(wrong, total, maximum)
        evidence = Evidence(
            method="wilson", n=total, good=total - wrong, low=low, high=high, confidence=CONFIDENCE
        )
        verdict = {
            CheckStatus.PASS: f"at most {_percent(maximum)}",
            CheckStatus.FAIL: f"above {_percent(maximum)}",
            CheckStatus.INCONCLUSIVE: f"inconclusive against {_percent(maximum)}",
        }[status]
        results.append(
            result(
                metric=metric,
                status=status,
                measured=wrong / total,
                threshold=maximum,
                comparison=Comparison.AT_MOST,
                unit=Unit.RATIO,
                reason=f"{told} ({_percent(wrong / total)}, {evidence.interval()}), {verdict}",
                evidence=evidence,
            )
        )
    return results


# --- the client itself ---------------------------------------------------------------------------


def client_alive(config: ClientAliveCheck, run: RunData) -> CheckResult:
    # A timeline step that killed, restarted or paused the client explains the probes that
    # failed in its window (until the client was ready again): those are not judged.
    faulted = [(w.start, w.end(run.duration)) for w in run.faults if w.target == CLIENT_TARGET]
    judged = [p for p in run.probes if not any(start <= p.t <= end for start, end in faulted)]
    longest = 0
    current = 0
    for probe in sorted(judged, key=lambda p: p.t):
        current = 0 if probe.ok else current + 1
        longest = max(longest, current)
    failed = sum(not p.ok for p in judged)

    def result(passed: bool, measured: float | None, reason: str) -> CheckResult:
        return CheckResult(
            check=CheckName.CLIENT_ALIVE,
            status=_status(passed),
            measured=measured,
            threshold=float(config.max_consecutive_failures),
            comparison=Comparison.AT_MOST,
            unit=Unit.COUNT,
            reason=reason,
        )

    if run.client_exit is not None:
        code, when = run.client_exit.returncode, run.client_exit.t
        return result(False, float(longest), f"the client exited with code {code} at {when:.1f}s")
    if not judged:
        return result(False, None, "no liveness probes were recorded: cannot tell if it lived")
    left_out = len(run.probes) - len(judged)
    aside = f" ({left_out} in the client's own fault windows not judged)" if left_out else ""
    return result(
        longest <= config.max_consecutive_failures,
        float(longest),
        f"{failed} of {len(judged)} liveness probes failed, at most {longest} in a row{aside}",
    )


__all__ = [
    "CheckResult",
    "CheckStatus",
    "Comparison",
    "Evidence",
    "InconclusivePolicy",
    "Unit",
    "Verdict",
    "client_alive",
    "describe_wrong",
    "evaluate",
    "latency",
    "no_duplicates",
    "no_wrong_answers",
    "nothing_lost",
    "recovery_time",
    "served_rate",
    "time_to_served",
]
