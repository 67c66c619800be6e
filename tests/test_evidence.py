"""Confidence intervals and the pass / fail / inconclusive rule (harness/results/evidence.py),
checked against their definitions and against published values, not against the code's own
output."""

from __future__ import annotations

import math

import pytest

from harness.results.checks import CheckStatus, latency, served_rate
from harness.results.evidence import (
    Z_95,
    decide,
    decide_rate,
    quantile_ranks,
    requests_needed,
    samples_needed,
    two_proportion_p_value,
    wilson_interval,
)
from harness.scenario.checks import LatencyCheck, LatencyLimits, ServedRateCheck
from tests.test_checks import run_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("good", "total"), [(1, 10), (5, 10), (81, 263), (95, 100), (290, 300)])
def test_wilson_bounds_are_the_roots_of_the_score_equation(good: int, total: int) -> None:
    # Wilson's interval is every p with |p_hat - p| <= z * sqrt(p (1 - p) / n): its ends solve
    # (p_hat - p)^2 = z^2 p (1 - p) / n.
    p_hat = good / total
    for bound in wilson_interval(good, total):
        assert (p_hat - bound) ** 2 == pytest.approx(Z_95**2 * bound * (1 - bound) / total)


def test_wilson_matches_published_values_and_the_edges() -> None:
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", table I:
    # 81 of 263 -> 0.2553 to 0.3662 (score method without continuity correction).
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert wilson_interval(31, 31) == (pytest.approx(31 / (31 + Z_95**2)), 1.0)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="good <= total"):
        wilson_interval(3, 2)


@pytest.mark.parametrize(("threshold", "needed"), [(0.8, 16), (0.9, 35), (0.95, 73), (0.99, 381)])
def test_requests_needed_is_the_first_n_whose_all_good_interval_clears_the_bar(
    threshold: float, needed: int
) -> None:
    assert requests_needed(threshold) == needed
    assert wilson_interval(needed, needed)[0] >= threshold
    assert wilson_interval(needed - 1, needed - 1)[0] < threshold


def _coverage(n: int, q: float, low: int, high: int) -> float:
    """P(low <= B < high) for B ~ Binomial(n, q), summed directly with math.comb."""
    return sum(math.comb(n, i) * q**i * (1 - q) ** (n - i) for i in range(low, high))


@pytest.mark.parametrize(("n", "q"), [(20, 0.5), (100, 0.5), (200, 0.95), (500, 0.99), (60, 0.9)])
def test_quantile_ranks_cover_the_quantile_and_are_the_tightest_such(n: int, q: float) -> None:
    low, high = quantile_ranks(n, q)
    assert low is not None
    assert high is not None
    assert _coverage(n, q, low, high) >= 0.95
    # Each tail holds at most 2.5 %, and moving either rank inwards would break that.
    assert _coverage(n, q, 0, low) <= 0.025 < _coverage(n, q, 0, low + 1)
    assert _coverage(n, q, high, n + 1) <= 0.025 < _coverage(n, q, high - 1, n + 1)


def test_quantile_ranks_match_the_median_table_and_say_when_a_side_is_unbounded() -> None:
    # The classical table for the median (e.g. Conover, Practical Nonparametric Statistics):
    # n = 100 -> the 40th and 61st order statistics.
    assert quantile_ranks(100, 0.5) == (40, 61)
    # An upper bound needs q^n <= 2.5 %: 72 samples for a p95, 368 for a p99.
    assert quantile_ranks(20, 0.95)[1] is None
    assert quantile_ranks(71, 0.95)[1] is None
    assert quantile_ranks(72, 0.95)[1] == 72
    assert (samples_needed(0.95), samples_needed(0.99)) == (72, 368)
    assert 0.95**72 <= 0.025 < 0.95**71
    assert quantile_ranks(0, 0.5) == (None, None)


def test_a_bar_of_every_request_is_judged_exactly() -> None:
    # No interval from finitely many requests reaches 1: a bar of 1.0 ("100%") is exact.
    assert requests_needed(1.0) == 1
    assert decide_rate(50, 50, 1.0) is CheckStatus.PASS
    assert decide_rate(49, 50, 1.0) is CheckStatus.FAIL
    assert decide_rate(31, 31, 0.9) is CheckStatus.INCONCLUSIVE
    (everyone,) = served_rate(ServedRateCheck(during=1.0), run_of())
    assert everyone.status is CheckStatus.PASS  # 300 of 300
    assert everyone.evidence is not None
    assert everyone.evidence.n == 300


def test_decide_needs_the_whole_interval_on_one_side() -> None:
    assert decide(0.92, 1.0, 0.9, at_least=True) is CheckStatus.PASS
    assert decide(0.90, 1.0, 0.9, at_least=True) is CheckStatus.PASS  # meeting the bar is enough
    assert decide(0.89, 1.0, 0.9, at_least=True) is CheckStatus.INCONCLUSIVE
    assert decide(0.5, 0.89, 0.9, at_least=True) is CheckStatus.FAIL
    assert decide(1.0, 2.0, 2.0, at_least=False) is CheckStatus.PASS
    assert decide(1.0, math.inf, 2.0, at_least=False) is CheckStatus.INCONCLUSIVE
    assert decide(2.5, 3.0, 2.0, at_least=False) is CheckStatus.FAIL


def test_two_proportions_significance() -> None:
    # 95 of 100 vs 80 of 100: z = 3.21 (pooled p = 0.875), two-sided p = 0.0013.
    assert two_proportion_p_value(95, 100, 80, 100) == pytest.approx(0.00134, abs=1e-5)
    assert two_proportion_p_value(30, 31, 29, 31) == pytest.approx(0.554, abs=1e-3)
    assert two_proportion_p_value(10, 10, 20, 20) == 1.0
    assert two_proportion_p_value(1, 1, 0, 0) is None


def test_a_latency_percentile_carries_its_order_statistics_interval() -> None:
    many = latency(LatencyCheck(during=LatencyLimits(p95=0.5)), run_of(latency_ms=50.0))[0]
    assert many.status is CheckStatus.PASS
    assert many.evidence is not None
    assert many.evidence.method == "order_statistics"
    assert many.evidence.n == 300  # 10 a second for 30 s
    assert many.evidence.high == pytest.approx(0.05, rel=0.01)
    assert "95% CI 50ms-50ms" in many.reason
    # Two requests cannot bound a p95 from above: 50 ms is not enough to say "within".
    two = run_of({10: (1, 0, 0), 11: (1, 0, 0)}, default=(0, 0, 0))
    few = latency(LatencyCheck(during=LatencyLimits(p95=0.5)), two)[0]
    assert quantile_ranks(2, 0.95) == (1, None)
    assert few.status is CheckStatus.INCONCLUSIVE
    assert few.evidence is not None
    assert few.evidence.high is None
    assert "95% CI 50ms-unbounded" in few.reason
    assert few.reason.endswith("(bounding p95 from above takes at least 72 requests)")
    # ... but they are enough to fail a bar both are over.
    slow = latency(LatencyCheck(during=LatencyLimits(p95=0.01)), two)[0]
    assert slow.status is CheckStatus.FAIL
