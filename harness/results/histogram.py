"""Latency histograms with bounded relative error, small enough to keep one per second.

Latencies (milliseconds) fall into logarithmic bins: bin i holds (γ^(i-1), γ^i] with
γ = (1 + α) / (1 - α) and α = RELATIVE_ACCURACY, and reports 2γ^i / (γ + 1). Every percentile
read back is then within α (1 %) of the exact nearest-rank percentile of the recorded values,
whatever their range, and histograms of many seconds or workers merge by adding counts.

    h = LatencyHistogram.of([12.0, 15.5, 480.0])
    h.percentile(0.95)       # ~480.0, within 1 %
    LatencyHistogram.merge([h, other])
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator

RELATIVE_ACCURACY: Final = 0.01
GAMMA: Final = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA: Final = math.log(GAMMA)
MIN_MS: Final = 0.001
"""Values below 1 µs (and zero) are recorded as 1 µs."""


def bin_index(ms: float) -> int:
    """The bin of a latency in milliseconds."""
    return math.ceil(math.log(max(ms, MIN_MS)) / _LOG_GAMMA)


def bin_value(index: int) -> float:
    """The value a bin reports: within RELATIVE_ACCURACY of everything in it."""
    return 2 * GAMMA**index / (GAMMA + 1)


class LatencyHistogram(BaseModel):
    """Counts per logarithmic bin (bin index -> count) of latencies in milliseconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bins: dict[int, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _plain_mapping(cls, data: Any) -> Any:
        """On disk a histogram is just its bins: {"512": 7, "530": 3}."""
        if isinstance(data, dict) and "bins" not in data:
            return {"bins": data}
        return data

    @model_serializer
    def _as_bins(self) -> dict[int, int]:
        return dict(sorted(self.bins.items()))

    @classmethod
    def of(cls, values_ms: Iterable[float]) -> LatencyHistogram:
        return cls(bins=dict(Counter(bin_index(v) for v in values_ms)))

    @classmethod
    def from_counts(cls, counts: Mapping[int, int]) -> LatencyHistogram:
        return cls(bins={index: count for index, count in counts.items() if count > 0})

    @classmethod
    def merge(cls, histograms: Iterable[LatencyHistogram]) -> LatencyHistogram:
        total: Counter[int] = Counter()
        for histogram in histograms:
            total.update(histogram.bins)
        return cls.from_counts(total)

    @property
    def count(self) -> int:
        return sum(self.bins.values())

    def percentile(self, q: float) -> float | None:
        """The nearest-rank q-quantile (0 < q <= 1) in ms, within 1 %; None if empty."""
        if not 0 < q <= 1:
            raise ValueError(f"quantile {q} must be in (0, 1]")
        total = self.count
        if total == 0:
            return None
        return self.at_rank(max(1, math.ceil(q * total)))

    def at_rank(self, rank: int) -> float:
        """The value of the rank-th smallest recorded latency (1-based) in ms, within 1 %."""
        if not 1 <= rank <= self.count:
            raise ValueError(f"rank {rank} is outside 1..{self.count}")
        seen = 0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= rank:
                return bin_value(index)
        raise AssertionError("unreachable: ranks are bounded by the count")
