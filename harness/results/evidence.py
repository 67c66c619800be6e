"""How sure a measured value is: confidence intervals, and the pass / fail / inconclusive rule.

A rate measured on a few dozen requests is not the client's true rate: 31 served of 31 is
consistent with a true rate as low as 0.89. Every rate and percentile check therefore carries the
evidence behind its value, and is decided on it:

    wilson_interval(31, 31)               # (0.890, 1.0): 95 % Wilson score interval
    quantile_ranks(200, 0.95)             # (184, 197): order statistics bracketing the p95
    decide(low, high, threshold, at_least=True)   # PASS, FAIL or INCONCLUSIVE
    requests_needed(0.90)                 # 35: fewest requests that can show >= 0.90 at all
    samples_needed(0.95)                  # 72: fewest samples that can bound a p95 from above

- Rates (served_rate): the Wilson score interval (Wilson 1927), which unlike the normal
  approximation stays inside [0, 1] and keeps its coverage near 0 and 1, where resilience rates
  live (Brown, Cai and DasGupta 2001, "Interval Estimation for a Binomial Proportion").
- Percentiles (latency pXX): distribution-free, from order statistics. The number of samples at
  or below the true q-quantile is Binomial(n, q), so [X_(l), X_(u)] covers it with probability
  P(l <= B < u); l and u are chosen with at most (1 - confidence) / 2 in each tail, exactly (no
  normal approximation). With too few samples a side is unbounded (0 or infinity).
- A threshold check passes when its whole interval is on the good side of the threshold, fails
  when the whole interval is on the bad side, and is inconclusive otherwise.
- Two runs' rates (harness compare): a two-sided two-proportion z-test on the pooled proportion;
  the difference is significant when p < 1 - confidence.

Why these methods, and what they assume: docs/decisions/0012-verdicts-with-evidence.md.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Final

CONFIDENCE: Final = 0.95
Z_95: Final = 1.959963984540054  # the standard normal's 0.975 quantile


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


def wilson_interval(good: int, total: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of the proportion good / total; (0, 1) when total is 0."""
    if not 0 <= good <= total:
        raise ValueError(f"need 0 <= good <= total, got {good} of {total}")
    if total == 0:
        return 0.0, 1.0
    p = good / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    # Exact at the edges: all good has upper bound 1, none good lower bound 0.
    low = 0.0 if good == 0 else max(0.0, centre - half)
    high = 1.0 if good == total else min(1.0, centre + half)
    return low, high


def requests_needed(threshold: float, *, z: float = Z_95) -> int:
    """The fewest requests whose Wilson interval, with every one of them good, lies at or above
    `threshold`: below that a rate check cannot pass whatever the client does. A bar of 1 (every
    request) is judged exactly, not on an interval (see decide_rate): one request decides it."""
    if not 0 <= threshold <= 1:
        raise ValueError(f"a rate threshold is in [0, 1], got {threshold}")
    if threshold >= 1:
        return 1
    # With k = n the lower bound is n / (n + z^2).
    return max(1, math.ceil(z * z * threshold / (1 - threshold) - 1e-9))


def samples_needed(quantile: float, *, confidence: float = CONFIDENCE) -> int:
    """The fewest samples whose order statistics bound the `quantile` from above at all
    (q^n <= the tail): below that a percentile check cannot pass (p95: 72, p99: 368)."""
    if not 0 < quantile < 1:
        raise ValueError(f"a quantile is in (0, 1), got {quantile}")
    return math.ceil(math.log((1 - confidence) / 2) / math.log(quantile) - 1e-9)


def decide_rate(good: int, total: int, minimum: float) -> CheckStatus:
    """A rate check: on the Wilson interval, except that a bar of 1 (every request) is exact,
    since no interval from a finite number of requests reaches 1 from below."""
    if minimum >= 1:
        return CheckStatus.PASS if good == total else CheckStatus.FAIL
    low, high = wilson_interval(good, total)
    return decide(low, high, minimum, at_least=True)


def decide_rate_at_most(bad: int, total: int, maximum: float) -> CheckStatus:
    """A rate that must stay low (wrong answers): on the Wilson interval, except that a bar of 0
    (none at all) is exact, since no interval from a finite number of requests reaches 0."""
    if maximum <= 0:
        return CheckStatus.PASS if bad == 0 else CheckStatus.FAIL
    low, high = wilson_interval(bad, total)
    return decide(low, high, maximum, at_least=False)


def _binomial_cdf(n: int, q: float) -> list[float]:
    """cdf[i] = P(B <= i) for B ~ Binomial(n, q), 0 <= i <= n, computed in log space."""
    if q >= 1.0:
        return [0.0] * n + [1.0]
    log_q, log_r = math.log(q), math.log1p(-q)
    log_n = math.lgamma(n + 1)
    cdf: list[float] = []
    total = 0.0
    for i in range(n + 1):
        log_pmf = log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_q
        total += math.exp(log_pmf + (n - i) * log_r)
        cdf.append(min(1.0, total))
    return cdf


def quantile_ranks(
    n: int, q: float, *, confidence: float = CONFIDENCE
) -> tuple[int | None, int | None]:
    """1-based ranks (l, u) of the order statistics bracketing the q-quantile of n samples with
    at least `confidence`; None for a side that n samples cannot bound (0 below, infinity above).
    """
    if not 0 < q <= 1:
        raise ValueError(f"quantile {q} must be in (0, 1]")
    if n <= 0:
        return None, None
    tail = (1 - confidence) / 2
    cdf = _binomial_cdf(n, q)
    # P(X_(l) > x_q) = P(B < l) = cdf[l - 1] <= tail: the largest such l.
    low = None
    for rank in range(1, n + 1):
        if cdf[rank - 1] <= tail:
            low = rank
        else:
            break
    # P(X_(u) < x_q) <= P(B >= u) = 1 - cdf[u - 1] <= tail: the smallest such u.
    high = None
    for rank in range(1, n + 1):
        if 1 - cdf[rank - 1] <= tail:
            high = rank
            break
    return low, high


def decide(low: float, high: float, threshold: float, *, at_least: bool) -> CheckStatus:
    """PASS when [low, high] is entirely on the good side of `threshold` (a value exactly at
    the threshold meets it), FAIL when entirely on the bad side, else INCONCLUSIVE."""
    if at_least:
        if low >= threshold:
            return CheckStatus.PASS
        if high < threshold:
            return CheckStatus.FAIL
        return CheckStatus.INCONCLUSIVE
    if high <= threshold:
        return CheckStatus.PASS
    if low > threshold:
        return CheckStatus.FAIL
    return CheckStatus.INCONCLUSIVE


def two_proportion_p_value(good_a: int, total_a: int, good_b: int, total_b: int) -> float | None:
    """Two-sided p-value that two runs' rates differ (pooled two-proportion z-test); None when
    either run has no requests. 1.0 when both are all good or all bad (nothing differs)."""
    if total_a == 0 or total_b == 0:
        return None
    pooled = (good_a + good_b) / (total_a + total_b)
    spread = pooled * (1 - pooled) * (1 / total_a + 1 / total_b)
    if spread == 0:
        return 1.0
    z = (good_a / total_a - good_b / total_b) / math.sqrt(spread)
    return math.erfc(abs(z) / math.sqrt(2))


__all__ = [
    "CONFIDENCE",
    "CheckStatus",
    "decide",
    "decide_rate",
    "decide_rate_at_most",
    "quantile_ranks",
    "requests_needed",
    "samples_needed",
    "two_proportion_p_value",
    "wilson_interval",
]
