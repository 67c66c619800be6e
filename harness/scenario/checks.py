"""The `checks:` section of a scenario: which checks run, each with its threshold.

Thresholds are wall-clock values: a client's timeouts and circuit breakers do not run faster when
the incident is compressed, so `time_to_served: {max: 20s}` means 20 real seconds.
How each check is computed is documented in harness.results.checks.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from harness.results.vocabulary import Outcome, Phase
from harness.scenario.types import (
    NonNegativeInt,
    PositiveSeconds,
    Rate,
    Seconds,
    Strict,
)


class CheckName(StrEnum):
    SERVED_RATE = "served_rate"
    LATENCY = "latency"
    TIME_TO_SERVED = "time_to_served"
    RECOVERY_TIME = "recovery_time"
    NOTHING_LOST = "nothing_lost"
    NO_DUPLICATES = "no_duplicates"
    CLIENT_ALIVE = "client_alive"
    NO_WRONG_ANSWERS = "no_wrong_answers"


def _switch(value: Any) -> Any:
    """`check: true` runs a check with its defaults; `false` (or null, as a journal writes a
    check that was left out) leaves it out."""
    if value is True:
        return {}
    if value is False or value is None:
        return None
    if not isinstance(value, dict | Strict):
        raise ValueError(f"{value!r}: write true, false, or a mapping of this check's options")
    return value


class ServedRateCheck(Strict):
    """Minimum share of requests served (or served degraded) in each phase given."""

    before: Rate | None = Field(default=None, description="minimum rate before the first fault")
    during: Rate | None = Field(default=None, description="minimum rate during fault windows")
    after: Rate | None = Field(
        default=None,
        description="minimum rate after (everything later, gaps between faults included)",
    )
    count_degraded: bool = Field(default=True, description="degraded answers count as served")

    @model_validator(mode="after")
    def _some_phase(self) -> ServedRateCheck:
        if self.before is None and self.during is None and self.after is None:
            raise ValueError("give a minimum rate for at least one of before, during, after")
        return self

    def minimum(self, phase: Phase) -> float | None:
        value: float | None = getattr(self, phase.value)
        return value


class LatencyLimits(Strict):
    """Maximum latency percentiles in one phase."""

    p50: Seconds | None = Field(default=None, description="maximum median latency")
    p95: Seconds | None = Field(default=None, description="maximum 95th percentile")
    p99: Seconds | None = Field(default=None, description="maximum 99th percentile")

    @model_validator(mode="after")
    def _some_limit(self) -> LatencyLimits:
        if self.p50 is None and self.p95 is None and self.p99 is None:
            raise ValueError("give at least one of p50, p95, p99 (e.g. p95: 2s)")
        return self

    def limits(self) -> list[tuple[str, float]]:
        return [
            (name, value)
            for name, value in (("p50", self.p50), ("p95", self.p95), ("p99", self.p99))
            if value is not None
        ]


class LatencyCheck(Strict):
    before: LatencyLimits | None = Field(default=None, description="limits before the first fault")
    during: LatencyLimits | None = Field(default=None, description="limits during fault windows")
    after: LatencyLimits | None = Field(default=None, description="limits after")
    outcomes: tuple[Outcome, ...] = Field(
        default=(Outcome.SERVED, Outcome.DEGRADED, Outcome.FAILED, Outcome.WRONG),
        description="which answers count: by default every answer a patient waited for",
    )

    @model_validator(mode="after")
    def _some_phase(self) -> LatencyCheck:
        if self.before is None and self.during is None and self.after is None:
            raise ValueError("give limits for at least one of before, during, after")
        return self

    def limits(self, phase: Phase) -> LatencyLimits | None:
        value: LatencyLimits | None = getattr(self, phase.value)
        return value


class _StableRateCheck(Strict):
    max: Seconds = Field(description="the longest it may take (wall time)")
    min_rate: Rate
    stable_for: PositiveSeconds = Field(
        default=5.0,
        description="consecutive seconds the rate must hold",
    )
    count_degraded: bool


class TimeToServedCheck(_StableRateCheck):
    """After a fault starts, how long until patients are served again (see results.checks)."""

    min_rate: Rate = Field(default=0.9, description="the served rate that counts as served again")
    count_degraded: bool = Field(default=True, description="degraded answers count as served")


class RecoveryTimeCheck(_StableRateCheck):
    """After a fault ends, how long until patients are served normally again."""

    min_rate: Rate = Field(default=0.95, description="the served rate that counts as recovered")
    count_degraded: bool = Field(
        default=False,
        description="degraded answers count as served (by default recovery means live answers)",
    )


class NothingLostCheck(Strict):
    max_lost: NonNegativeInt = Field(
        default=0, description="accepted records that may be missing from the ledger"
    )
    min_accepted: NonNegativeInt = Field(
        default=1,
        description="fewer accepted records than this and the check cannot judge: it fails",
    )


class NoDuplicatesCheck(Strict):
    max_duplicates: NonNegativeInt = Field(
        default=0, description="natural-key duplicates allowed in the ledgers"
    )


class ClientAliveCheck(Strict):
    max_consecutive_failures: NonNegativeInt = Field(
        default=2, description="failed liveness probes in a row that are tolerated; one more fails"
    )


class WrongAnswerLimits(Strict):
    """How many wrong answers are tolerated: an exact count, a rate decided on its interval, or
    both (both must hold)."""

    max_count: NonNegativeInt | None = Field(
        default=None, description="wrong answers allowed; decided exactly"
    )
    max_rate: Rate | None = Field(
        default=None,
        description="wrong answers / requests allowed; decided on the rate's 95% Wilson interval",
    )

    @model_validator(mode="after")
    def _some_limit(self) -> WrongAnswerLimits:
        if self.max_count is None and self.max_rate is None:
            raise ValueError("give max_count, max_rate or both (e.g. max_count: 0)")
        return self


_WRONG_LIMITS = ("max_count", "max_rate")


class NoWrongAnswersCheck(Strict):
    """No answer contradicts the truth (the dataset, a backend's ledger, a signature): over the
    whole run (`max_count`, `max_rate`) and/or per phase (`before`, `during`, `after`). `true`
    is `max_count: 0` over the whole run."""

    max_count: NonNegativeInt | None = Field(
        default=None, description="wrong answers allowed over the whole run; decided exactly"
    )
    max_rate: Rate | None = Field(
        default=None,
        description="wrong answers / requests allowed over the whole run; decided on the "
        "rate's 95% Wilson interval",
    )
    before: WrongAnswerLimits | None = Field(default=None, description="before the first fault")
    during: WrongAnswerLimits | None = Field(default=None, description="during fault windows")
    after: WrongAnswerLimits | None = Field(default=None, description="after")

    @model_validator(mode="before")
    @classmethod
    def _none_by_default(cls, data: Any) -> Any:
        """No limit given at all (`no_wrong_answers: true`): none allowed over the whole run."""
        if isinstance(data, dict) and not any(
            data.get(k) is not None for k in (*_WRONG_LIMITS, *Phase)
        ):
            return {**data, "max_count": 0}
        return data

    def whole_run(self) -> WrongAnswerLimits | None:
        """The whole run's limits, if any."""
        if self.max_count is None and self.max_rate is None:
            return None
        return WrongAnswerLimits(max_count=self.max_count, max_rate=self.max_rate)

    def limits(self, phase: Phase) -> WrongAnswerLimits | None:
        value: WrongAnswerLimits | None = getattr(self, phase.value)
        return value


class Checks(Strict):
    """Each key runs one check; `true` runs it with its defaults."""

    served_rate: ServedRateCheck | None = Field(
        default=None, description="share of requests served (or served degraded) per phase"
    )
    latency: LatencyCheck | None = Field(default=None, description="latency percentiles per phase")
    time_to_served: TimeToServedCheck | None = Field(
        default=None,
        description="after each fault starts, how long until patients are served again",
    )
    recovery_time: RecoveryTimeCheck | None = Field(
        default=None, description="after each fault ends, how long until service is normal again"
    )
    # json_schema_input_type: the published JSON Schema accepts `true` / `false` as the loader does
    nothing_lost: Annotated[
        NothingLostCheck | None,
        BeforeValidator(_switch, json_schema_input_type=bool | NothingLostCheck | None),
    ] = Field(
        default=None, description="every record a patient was told was accepted is in the ledger"
    )
    no_duplicates: Annotated[
        NoDuplicatesCheck | None,
        BeforeValidator(_switch, json_schema_input_type=bool | NoDuplicatesCheck | None),
    ] = Field(default=None, description="no natural-key duplicates in the ledgers")
    client_alive: Annotated[
        ClientAliveCheck | None,
        BeforeValidator(_switch, json_schema_input_type=bool | ClientAliveCheck | None),
    ] = Field(
        default=None, description="the client never stopped answering liveness probes, nor exited"
    )
    no_wrong_answers: Annotated[
        NoWrongAnswersCheck | None,
        BeforeValidator(_switch, json_schema_input_type=bool | NoWrongAnswersCheck | None),
    ] = Field(
        default=None,
        description="no answer contradicted the truth (the dataset, a ledger, a signature)",
    )

    @model_validator(mode="after")
    def _some_check(self) -> Checks:
        if not self.enabled():
            raise ValueError(f"enable at least one check: {', '.join(CheckName)}")
        return self

    def enabled(self) -> list[CheckName]:
        return [name for name in CheckName if getattr(self, name.value) is not None]
