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

    before: Rate | None = None
    during: Rate | None = None
    after: Rate | None = None
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

    p50: Seconds | None = None
    p95: Seconds | None = None
    p99: Seconds | None = None

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
    before: LatencyLimits | None = None
    during: LatencyLimits | None = None
    after: LatencyLimits | None = None
    outcomes: tuple[Outcome, ...] = Field(
        default=(Outcome.SERVED, Outcome.DEGRADED, Outcome.FAILED),
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
    max: Seconds
    min_rate: Rate
    stable_for: PositiveSeconds = Field(
        default=5.0,
        description="consecutive seconds the rate must hold",
    )
    count_degraded: bool


class TimeToServedCheck(_StableRateCheck):
    """After a fault starts, how long until patients are served again (see results.checks)."""

    min_rate: Rate = 0.9
    count_degraded: bool = True


class RecoveryTimeCheck(_StableRateCheck):
    """After a fault ends, how long until patients are served normally again."""

    min_rate: Rate = 0.95
    count_degraded: bool = False


class NothingLostCheck(Strict):
    max_lost: NonNegativeInt = 0
    min_accepted: NonNegativeInt = Field(
        default=1,
        description="fewer accepted records than this and the check cannot judge: it fails",
    )


class NoDuplicatesCheck(Strict):
    max_duplicates: NonNegativeInt = 0


class ClientAliveCheck(Strict):
    max_consecutive_failures: NonNegativeInt = Field(
        default=2, description="failed liveness probes in a row that are tolerated; one more fails"
    )


class Checks(Strict):
    """Each key runs one check; `true` runs it with its defaults."""

    served_rate: ServedRateCheck | None = None
    latency: LatencyCheck | None = None
    time_to_served: TimeToServedCheck | None = None
    recovery_time: RecoveryTimeCheck | None = None
    nothing_lost: Annotated[NothingLostCheck | None, BeforeValidator(_switch)] = None
    no_duplicates: Annotated[NoDuplicatesCheck | None, BeforeValidator(_switch)] = None
    client_alive: Annotated[ClientAliveCheck | None, BeforeValidator(_switch)] = None

    @model_validator(mode="after")
    def _some_check(self) -> Checks:
        if not self.enabled():
            raise ValueError(f"enable at least one check: {', '.join(CheckName)}")
        return self

    def enabled(self) -> list[CheckName]:
        return [name for name in CheckName if getattr(self, name.value) is not None]
