"""A check's evidence as a small inline SVG: its interval as an error bar against its threshold.

    svg = error_bar(check)    # "" for a count, a timed check, or a value that was not measured

The bad side of the threshold is shaded, the threshold is a dashed line, the 95 % interval a bar
with end caps in the colour of the result (green pass, red fail, amber inconclusive: the bar
crosses the line), and the measured value a dot. An interval unbounded above (a percentile of
too few requests) runs to the right edge and ends in an arrow. The scale is linear: 0-100 % or
the part of it that holds the interval and the threshold for a rate, 0 to a little past the
largest value for a time. Text goes through `escape`; there is no script and no reference.
"""

from __future__ import annotations

import math
from html import escape
from typing import Final

from harness.report.values import evidence_text, status_text, threshold_text, value_text
from harness.results.checks import CheckResult, CheckStatus, Comparison, Unit

BAR_WIDTH: Final = 180
BAR_HEIGHT: Final = 30
PAD: Final = 8
MID: Final = 11
CAP: Final = 5
BAD_SIDE: Final = "#fdecea"
INK: Final = "#555555"
COLOURS: Final = {
    CheckStatus.PASS: "#2e7d32",
    CheckStatus.FAIL: "#c62828",
    CheckStatus.INCONCLUSIVE: "#b26a00",
}


def _domain(check: CheckResult, low: float, high: float | None) -> tuple[float, float]:
    measured = check.measured if check.measured is not None else check.threshold
    if check.unit is Unit.RATIO:
        smallest = min(low, check.threshold, measured)
        return max(0.0, math.floor(smallest * 10 - 0.5) / 10), 1.0
    largest = max(check.threshold, measured, high if high is not None else 0.0)
    return 0.0, max(largest * 1.25, 1e-3)


def error_bar(check: CheckResult) -> str:
    """The check's interval against its threshold as an <svg>, or "" when it has none."""
    evidence = check.evidence
    if (
        evidence is None
        or evidence.method == "episodes"
        or evidence.n == 0
        or check.measured is None
    ):
        return ""
    low = evidence.low if evidence.low is not None else 0.0
    high = evidence.high
    if check.unit is Unit.RATIO and high is None:
        high = 1.0
    start, end = _domain(check, low, high)

    def x(value: float) -> float:
        share = (min(max(value, start), end) - start) / (end - start)
        return round(PAD + share * (BAR_WIDTH - 2 * PAD), 1)

    colour = COLOURS[check.status]
    limit = x(check.threshold)
    at_least = check.comparison is Comparison.AT_LEAST
    shade = (x(start), limit) if at_least else (limit, x(end))
    right = x(end) if high is None else x(high)
    left = x(low)
    parts = [
        f'<rect x="{shade[0]}" y="2" width="{round(shade[1] - shade[0], 1)}" height="18" '
        f'fill="{BAD_SIDE}"/>',
        f'<line x1="{left}" y1="{MID}" x2="{right}" y2="{MID}" stroke="{colour}" '
        'stroke-width="2"/>',
        f'<line x1="{left}" y1="{MID - CAP}" x2="{left}" y2="{MID + CAP}" stroke="{colour}" '
        'stroke-width="2"/>',
    ]
    if high is None:  # unbounded above: an arrow head at the edge
        parts.append(
            f'<path d="M{right - 5},{MID - CAP} L{right},{MID} L{right - 5},{MID + CAP}" '
            f'fill="none" stroke="{colour}" stroke-width="2"/>'
        )
    else:
        parts.append(
            f'<line x1="{right}" y1="{MID - CAP}" x2="{right}" y2="{MID + CAP}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
    parts += [
        f'<line x1="{limit}" y1="1" x2="{limit}" y2="21" stroke="{INK}" stroke-dasharray="3 2"/>',
        f'<circle cx="{x(check.measured)}" cy="{MID}" r="3" fill="{colour}"/>',
        f'<text x="{PAD}" y="{BAR_HEIGHT - 1}" font-size="9" fill="{INK}">'
        f"{escape(value_text(start, check.unit))}</text>",
        f'<text x="{BAR_WIDTH - PAD}" y="{BAR_HEIGHT - 1}" font-size="9" fill="{INK}" '
        f'text-anchor="end">{escape(value_text(end, check.unit))}</text>',
    ]
    title = (
        f"{evidence_text(check)}; measured {value_text(check.measured, check.unit)}, "
        f"threshold {threshold_text(check)}: {status_text(check.status)}"
    )
    return (
        f'<svg class="bar" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" '
        f'viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


__all__ = ["error_bar"]
