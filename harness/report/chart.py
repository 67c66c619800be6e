"""The run's timeline as an SVG chart, drawn by hand: three panels sharing the time axis.

    svg = render_chart(journal)                      # chart.svg (with its XML namespace)
    svg = render_chart(journal, standalone=False)    # inline in report.html

Panels, top to bottom: requests started per second (served, degraded, failed, wrong, stacked);
latency p50 and p95 in ms; failed, wrong and degraded requests as a share of each second's
requests (wrong answers, in a run that had any, in magenta apart from the failed ones in red).
Every fault window is shaded across all panels and labelled above them. Long runs are binned so
the file stays small: a bin then shows mean requests/s, and latency as the request-weighted mean
of its seconds' percentiles (an approximation the caption states).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from harness.durations import format_duration
from harness.report.values import fault_label
from harness.results.journal import Journal, SecondSummary
from harness.results.run import FaultWindow

WIDTH: Final = 960
LEFT: Final = 64
RIGHT: Final = 20
PANEL_HEIGHT: Final = 140
PANEL_TITLE: Final = 24
PANEL_GAP: Final = 14
LANE_HEIGHT: Final = 16
AXIS_HEIGHT: Final = 46
MAX_BINS: Final = 480
CHAR_WIDTH: Final = 6.4  # average width of an 11 px sans-serif character, for label lanes

SERVED: Final = "#2e7d32"
DEGRADED: Final = "#f9a825"
FAILED: Final = "#c62828"
WRONG: Final = "#d500f9"  # magenta: a wrong answer is not a failure the patient noticed
P50: Final = "#1565c0"
P95: Final = "#6a1b9a"
FAULT: Final = "#ef6c00"
GRID: Final = "#dddddd"
INK: Final = "#333333"


@dataclass(frozen=True)
class Bin:
    """One point on the time axis: `width` seconds starting at `start`, values per second."""

    start: float
    width: float
    served: float
    degraded: float
    failed: float
    p50_ms: float | None
    p95_ms: float | None
    wrong: float = 0.0

    @property
    def total(self) -> float:
        return self.served + self.degraded + self.failed + self.wrong


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: tuple[float | None, ...]
    dashed: bool = False


def bins(per_second: Sequence[SecondSummary], *, max_bins: int = MAX_BINS) -> list[Bin]:
    """Per-second data grouped into at most `max_bins` equal bins of whole seconds."""
    if not per_second:
        return []
    size = max(1, math.ceil(len(per_second) / max_bins))
    return [_bin(per_second[i : i + size], size) for i in range(0, len(per_second), size)]


def _bin(seconds: Sequence[SecondSummary], size: int) -> Bin:
    def weighted(values: list[tuple[float | None, int]]) -> float | None:
        known = [(v, max(n, 1)) for v, n in values if v is not None]
        weight = sum(n for _, n in known)
        return sum(v * n for v, n in known) / weight if known else None

    counts = [s.served + s.degraded + s.failed + s.wrong for s in seconds]
    return Bin(
        start=float(seconds[0].second),
        width=float(size),
        served=sum(s.served for s in seconds) / size,
        degraded=sum(s.degraded for s in seconds) / size,
        failed=sum(s.failed for s in seconds) / size,
        wrong=sum(s.wrong for s in seconds) / size,
        p50_ms=weighted([(s.latency.p50_ms, n) for s, n in zip(seconds, counts, strict=True)]),
        p95_ms=weighted([(s.latency.p95_ms, n) for s, n in zip(seconds, counts, strict=True)]),
    )


def nice_ceiling(value: float, *, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, tick step) with steps of 1, 2 or 5 x 10^k covering `value`."""
    if value <= 0 or not math.isfinite(value):
        return 1.0, 0.25
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(value / step), step


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _tick_text(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


class _Canvas:
    """Coordinates of the chart: one x scale, a y range per panel."""

    def __init__(self, *, duration: float, lanes: int) -> None:
        self.duration = max(duration, 1.0)
        self.top = 8 + lanes * LANE_HEIGHT
        self.plot_width = WIDTH - LEFT - RIGHT

    def x(self, t: float) -> float:
        return LEFT + self.plot_width * min(max(t, 0.0), self.duration) / self.duration

    def panel_top(self, index: int) -> float:
        return self.top + index * (PANEL_TITLE + PANEL_HEIGHT + PANEL_GAP) + PANEL_TITLE

    @property
    def plot_bottom(self) -> float:
        return self.panel_top(2) + PANEL_HEIGHT

    @property
    def height(self) -> float:
        return self.plot_bottom + AXIS_HEIGHT


def render_chart(journal: Journal, *, standalone: bool = True) -> str:
    """The whole chart as one <svg> element (text escaped; no scripts, no external references)."""
    per_second = journal.timeline.per_second
    duration = max(journal.duration_s, float(len(per_second)))
    grouped = bins(per_second)
    lanes = _lanes(journal.faults, duration)
    canvas = _Canvas(duration=duration, lanes=max(lanes.values(), default=-1) + 1)
    bin_size = grouped[0].width if grouped else 1.0
    parts: list[str] = [
        f'<rect x="0" y="0" width="{WIDTH}" height="{_num(canvas.height)}" fill="#ffffff"/>'
    ]
    parts += _faults(canvas, journal.faults, lanes)
    parts += _requests_panel(canvas, grouped)
    parts += _latency_panel(canvas, grouped)
    parts += _rates_panel(canvas, grouped)
    parts += _x_axis(canvas, journal.time_scale, bin_size)
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    title = (
        f"Timeline of run {journal.run_id}: requests/s, latency, failed, wrong and degraded share"
    )
    return (
        f'<svg{namespace} viewBox="0 0 {WIDTH} {_num(canvas.height)}" width="{WIDTH}" '
        f'height="{_num(canvas.height)}" role="img" font-family="sans-serif" font-size="11" '
        f'fill="{INK}"><title>{escape(title)}</title>' + "".join(parts) + "</svg>\n"
    )


def _lanes(windows: Sequence[FaultWindow], duration: float) -> dict[int, int]:
    """Step -> label lane, so that labels of overlapping or close windows do not collide."""
    ends: list[float] = []
    lanes: dict[int, int] = {}
    scale = (WIDTH - LEFT - RIGHT) / max(duration, 1.0)
    for window in sorted(windows, key=lambda w: w.start):
        x0 = window.start * scale
        x1 = x0 + (len(fault_label(window)) + 2) * CHAR_WIDTH
        lane = next((i for i, end in enumerate(ends) if end <= x0), len(ends))
        if lane == len(ends):
            ends.append(x1)
        else:
            ends[lane] = x1
        lanes[window.step] = lane
    return lanes


def _faults(canvas: _Canvas, windows: Sequence[FaultWindow], lanes: dict[int, int]) -> list[str]:
    parts: list[str] = []
    for window in windows:
        applied = window.actual_start is not None
        x0 = canvas.x(window.start)
        x1 = max(canvas.x(window.end(canvas.duration)), x0 + 1)
        label = fault_label(window) + ("" if applied else " (not applied)")
        end = window.end(canvas.duration)
        tooltip = f"{window.description or label}: {_num(window.start)}s to {_num(end)}s"
        if window.error:
            tooltip += f"; error: {window.error}"
        lane_y = 8 + lanes.get(window.step, 0) * LANE_HEIGHT
        dash = "" if applied else ' stroke-dasharray="4 3"'
        parts.append(
            f'<g class="fault"><title>{escape(tooltip)}</title>'
            f'<rect x="{_num(x0)}" y="{_num(lane_y)}" width="{_num(x1 - x0)}" '
            f'height="{_num(canvas.plot_bottom - lane_y)}" fill="{FAULT}" '
            f'fill-opacity="{0.12 if applied else 0.04}" stroke="{FAULT}" stroke-opacity="0.6"'
            f"{dash}/>"
            f'<text x="{_num(x0 + 3)}" y="{_num(lane_y + 12)}" fill="#b34700" '
            f'font-weight="bold">{escape(label)}</text></g>'
        )
    return parts


def _y_axis(canvas: _Canvas, index: int, maximum: float, step: float, unit: str) -> list[str]:
    top = canvas.panel_top(index)
    parts: list[str] = []
    ticks = round(maximum / step)
    for i in range(ticks + 1):
        value = i * step
        y = top + PANEL_HEIGHT - PANEL_HEIGHT * value / maximum
        parts.append(
            f'<line x1="{LEFT}" y1="{_num(y)}" x2="{WIDTH - RIGHT}" y2="{_num(y)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{_num(y + 4)}" text-anchor="end">'
            f"{escape(_tick_text(value) + unit)}</text>"
        )
    parts.append(
        f'<rect x="{LEFT}" y="{_num(top)}" width="{canvas.plot_width}" height="{PANEL_HEIGHT}" '
        f'fill="none" stroke="#999999"/>'
    )
    return parts


def _title(canvas: _Canvas, index: int, title: str, legend: Sequence[Series]) -> list[str]:
    y = canvas.panel_top(index) - 8
    parts = [
        f'<text x="{LEFT}" y="{_num(y)}" font-weight="bold" font-size="12">{escape(title)}</text>'
    ]
    x = float(WIDTH - RIGHT)
    for series in reversed(legend):
        x -= len(series.name) * CHAR_WIDTH + 4
        parts.append(f'<text x="{_num(x)}" y="{_num(y)}">{escape(series.name)}</text>')
        x -= 14
        parts.append(
            f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="10" height="10" fill="{series.color}"/>'
        )
        x -= 12
    return parts


def _empty(canvas: _Canvas, index: int) -> str:
    y = canvas.panel_top(index) + PANEL_HEIGHT / 2
    return (
        f'<text x="{_num(LEFT + canvas.plot_width / 2)}" y="{_num(y)}" text-anchor="middle" '
        f'fill="#777777">no requests recorded</text>'
    )


def _requests_panel(canvas: _Canvas, grouped: Sequence[Bin]) -> list[str]:
    layers = (
        Series("served", SERVED, tuple(b.served for b in grouped)),
        Series("degraded", DEGRADED, tuple(b.degraded for b in grouped)),
        Series("failed", FAILED, tuple(b.failed for b in grouped)),
        *_wrong(grouped, tuple(b.wrong for b in grouped)),
    )
    maximum, step = nice_ceiling(max((b.total for b in grouped), default=0.0))
    parts = _title(canvas, 0, "Requests started per second", layers)
    parts += _y_axis(canvas, 0, maximum, step, "")
    if not any(b.total for b in grouped):
        return [*parts, _empty(canvas, 0)]
    top = canvas.panel_top(0)
    base = [0.0] * len(grouped)
    for layer in layers:
        upper = [lo + (v or 0.0) for lo, v in zip(base, layer.values, strict=True)]
        forward = _steps(canvas, grouped, upper, top, maximum)
        backward = list(reversed(_steps(canvas, grouped, base, top, maximum)))
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in forward + backward)
        parts.append(f'<polygon points="{points}" fill="{layer.color}" fill-opacity="0.85"/>')
        base = upper
    return parts


def _steps(
    canvas: _Canvas, grouped: Sequence[Bin], values: Sequence[float], top: float, maximum: float
) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for b, value in zip(grouped, values, strict=True):
        y = top + PANEL_HEIGHT - PANEL_HEIGHT * min(value, maximum) / maximum
        points += [(canvas.x(b.start), y), (canvas.x(b.start + b.width), y)]
    return points


def _lines(
    canvas: _Canvas,
    index: int,
    grouped: Sequence[Bin],
    series: Sequence[Series],
    maximum: float,
) -> list[str]:
    """Each series as a path through bin midpoints, broken where a value is missing."""
    top = canvas.panel_top(index)
    parts: list[str] = []
    for line in series:
        commands: list[str] = []
        pen_up = True
        for b, value in zip(grouped, line.values, strict=True):
            if value is None:
                pen_up = True
                continue
            x = canvas.x(b.start + b.width / 2)
            y = top + PANEL_HEIGHT - PANEL_HEIGHT * min(value, maximum) / maximum
            commands.append(f"{'M' if pen_up else 'L'}{_num(x)},{_num(y)}")
            pen_up = False
        if commands:
            dash = ' stroke-dasharray="5 3"' if line.dashed else ""
            parts.append(
                f'<path d="{" ".join(commands)}" fill="none" stroke="{line.color}" '
                f'stroke-width="1.6" stroke-linejoin="round"{dash}/>'
            )
    return parts


def _latency_panel(canvas: _Canvas, grouped: Sequence[Bin]) -> list[str]:
    series = (
        Series("p50", P50, tuple(b.p50_ms for b in grouped)),
        Series("p95", P95, tuple(b.p95_ms for b in grouped), dashed=True),
    )
    highest = max((v for s in series for v in s.values if v is not None), default=0.0)
    maximum, step = nice_ceiling(highest)
    parts = _title(canvas, 1, "Latency (ms)", series)
    parts += _y_axis(canvas, 1, maximum, step, "")
    if highest == 0.0:
        return [*parts, _empty(canvas, 1)]
    return parts + _lines(canvas, 1, grouped, series, maximum)


def _wrong(grouped: Sequence[Bin], values: tuple[float | None, ...]) -> tuple[Series, ...]:
    """The wrong answers' series, drawn only in a run that had any."""
    return (Series("wrong", WRONG, values),) if any(b.wrong for b in grouped) else ()


def _share(part: float, b: Bin) -> float | None:
    return 100 * part / b.total if b.total else None


def _rates_panel(canvas: _Canvas, grouped: Sequence[Bin]) -> list[str]:
    series = (
        Series("failed", FAILED, tuple(_share(b.failed, b) for b in grouped)),
        *_wrong(grouped, tuple(_share(b.wrong, b) for b in grouped)),
        Series("degraded", DEGRADED, tuple(_share(b.degraded, b) for b in grouped)),
    )
    parts = _title(canvas, 2, "Failed, wrong and degraded (% of requests)", series)
    parts += _y_axis(canvas, 2, 100.0, 25.0, "%")
    if not any(b.total for b in grouped):
        return [*parts, _empty(canvas, 2)]
    return parts + _lines(canvas, 2, grouped, series, 100.0)


def _x_axis(canvas: _Canvas, time_scale: float, bin_size: float) -> list[str]:
    maximum, step = nice_ceiling(canvas.duration, ticks=10)
    bottom = canvas.plot_bottom
    parts: list[str] = []
    ticks = round(maximum / step)
    for i in range(ticks + 1):
        t = i * step
        if t > canvas.duration + 1e-9:
            break
        x = canvas.x(t)
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(bottom)}" x2="{_num(x)}" y2="{_num(bottom + 4)}" '
            f'stroke="{INK}"/>'
            f'<text x="{_num(x)}" y="{_num(bottom + 16)}" text-anchor="middle">'
            f"{escape(format_duration(t) if t else '0s')}</text>"
        )
    caption = "run time since the load started"
    if time_scale != 1:
        caption += (
            f"; time scale {time_scale:g}: 1s here is {format_duration(time_scale)} of the incident"
        )
    if bin_size > 1:
        caption += f"; {bin_size:g}s bins (latency: request-weighted mean of per-second values)"
    parts.append(
        f'<text x="{LEFT}" y="{_num(bottom + 36)}" fill="#555555">{escape(caption)}</text>'
    )
    return parts
