"""A run's events as JSON: one object per event, for `harness run --events FILE` and the console.

    {"event": "Tick", "elapsed": 12.0, "phase": "fault", "second": {"second": 11, ...}, ...}
    {"event": "FaultApplied", "step": {"index": 0, "target": "erm", "fault": {"kind": "down"},
     "describe": "erm: down (connections refused)", ...}, "actual": 10.01, ...}

Every field of the event (harness.runner.events) is kept, with its own name; a scheduled step
also carries `describe`, the line a person reads. Paths are strings, enums their values, check
results as in journal.json.

    with EventsFile(Path("events.jsonl")) as write:
        harness.run(scenario, client=..., on_event=write)
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import BaseModel

from harness.runner.events import RunEvent
from harness.scenario.schedule import ScheduledStep


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, ScheduledStep):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return fields | {"describe": value.describe()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def event_record(event: RunEvent) -> dict[str, Any]:
    """The event as a JSON-ready mapping, its type name under "event"."""
    record: dict[str, Any] = {"event": type(event).__name__}
    record.update(_plain(event))
    return record


class EventsFile:
    """A subscriber that appends each event to a file as a JSON line, flushed at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> EventsFile:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __call__(self, event: RunEvent) -> None:
        if self._handle is None:
            raise RuntimeError("EventsFile is written inside its `with` block")
        self._handle.write(json.dumps(event_record(event)) + "\n")
        self._handle.flush()


__all__ = ["EventsFile", "event_record"]
