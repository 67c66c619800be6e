"""Durations and clock times as scenario authors write them.

    parse_duration("500ms") == 0.5      parse_duration("1h30m") == 5400.0
    parse_duration(90) == 90.0          parse_clock("08:05") == ClockTime(hour=8, minute=5)
    format_duration(5400) == "1h30m"

A duration is a number of seconds, or a string of one or more `<number><unit>` parts in
decreasing units (d, h, m, s, ms), such as "4h", "1h30m", "2.5s" or "250ms". A clock time is
"HH:MM" or "HH:MM:SS" on a 24-hour clock; scenarios resolve it against their timeline's start.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

_UNITS: Final[dict[str, float]] = {"d": 86_400.0, "h": 3_600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")

DURATION_HELP: Final = (
    'write a duration like "500ms", "30s", "4h" or "1h30m", or a number of seconds'
)


def parse_duration(value: object) -> float:
    """Seconds in `value` (a number of seconds or a duration string); ValueError if malformed."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; {DURATION_HELP}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value)
    else:
        raise ValueError(f"{value!r} is not a duration; {DURATION_HELP}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} is not a duration: it must be zero or more; {DURATION_HELP}")
    return seconds


def _parse_duration_text(text: str) -> float:
    stripped = text.strip()
    try:
        return float(stripped)  # "30" quoted in YAML: seconds, like the bare number
    except ValueError:
        pass
    position = 0
    total = 0.0
    last_unit_size = math.inf
    for match in _PART.finditer(stripped):
        between = stripped[position : match.start()]
        if between.strip():
            break
        size = _UNITS[match.group(2)]
        if size >= last_unit_size:
            raise ValueError(
                f"{text!r}: units must go from largest to smallest, each once (e.g. 1h30m)"
            )
        last_unit_size = size
        total += float(match.group(1)) * size
        position = match.end()
    if position == 0 or stripped[position:].strip():
        raise ValueError(f"{text!r} is not a duration; {DURATION_HELP}")
    return total


@dataclass(frozen=True, order=True)
class ClockTime:
    """A time of day on the incident's clock, e.g. 08:05 when BPJS stopped answering."""

    hour: int
    minute: int
    second: int = 0

    @property
    def seconds_since_midnight(self) -> int:
        return self.hour * 3600 + self.minute * 60 + self.second

    def __str__(self) -> str:
        text = f"{self.hour:02d}:{self.minute:02d}"
        return f"{text}:{self.second:02d}" if self.second else text


def parse_clock(value: str) -> ClockTime:
    """The clock time in "HH:MM" or "HH:MM:SS"; ValueError otherwise."""
    match = _CLOCK.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a clock time; write it as HH:MM, e.g. 08:05")
    hour, minute, second = match.groups()
    return ClockTime(int(hour), int(minute), int(second or 0))


def looks_like_clock(value: object) -> bool:
    return isinstance(value, str) and _CLOCK.match(value.strip()) is not None


def format_duration(seconds: float) -> str:
    """A short human form: 0.5 -> "500ms", 90 -> "1m30s", 14400 -> "4h"."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds)
    if abs(seconds - whole) > 0.05 and seconds < 60:
        return f"{seconds:.1f}s"
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        size = int(_UNITS[unit])
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
