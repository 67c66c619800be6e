"""The request log the load process writes and the runner reads: format, writer and reader.

Format `harness-requests/1`: UTF-8 JSON lines, one record per line, each with a `record` field.

    {"record": "header", "format": "harness-requests/1", "t0": 1732245000.0, "source": "w1"}
    {"record": "bucket", "second": 12, "name": "POST /api/v1/visits", "served": 10,
     "degraded": 2, "failed": 1, "wrong": 1,
     "latency_ms": {"served": {"512": 7, "530": 3}, "degraded": {...}}}
    {"record": "accepted", "t": 12.34, "kind": "registration", "name": "POST /api/v1/visits",
     "key": {"nik": "3201...", "tanggal": "2019-03-25", "kodepoli": "INT"},
     "idempotency_key": "3f2c...", "reference": "INT-012", "provisional": false}
    {"record": "wrong", "t": 12.5, "name": "GET /schedules", "reason": "no slots, but the
     dataset has some", "said": "[]", "truth": "2 practice slots of dr. A"}

- `t0` is the run's origin as Unix time, given to every load process by the runner, so that the
  files of several workers share one clock. `second` is whole seconds since t0 of the request's
  START (a patient arriving during an outage counts in the outage even if the answer comes later);
  `t` of an accepted record is seconds since t0 when the patient was told.
- A bucket counts the requests of one name that started in one second, by outcome (served,
  degraded, failed, wrong; a count left out is 0, so logs written before `wrong` read the same);
  `latency_ms`
  holds a LatencyHistogram's bins per outcome (bin index -> count, see harness.results.histogram).
  One key (second, name) may appear on several lines (several workers, or a request that
  finished after its second was flushed): readers add them up.
- `accepted` records what a patient was told was accepted: kind (registration | booking |
  submission), the natural key as the backend stores it, and the client's idempotency key if the
  client sent one. The checks match them against the backend ledgers. `key` holds exactly the
  kind's natural-key fields under the ledger's names (harness.results.ledger.NATURAL_KEYS), or is
  empty when an idempotency key is given; any other key is a UsageError when the log is read.
  `reference` is what the patient was given to hold on to (a queue number, a booking code, a
  receipt number); `provisional` says the patient was told it is provisional (the answer was
  marked degraded, offline or pending), so the checks do not hold it against the ledger.
- `wrong` is an EXAMPLE of a wrong answer (outcome `wrong`: answered, but contradicting the
  truth): what the answer said and what the truth is, each cut to MAX_EXAMPLE_CHARS. A recorder
  writes at most MAX_EXAMPLES_PER_NAME of them per request name; the number of wrong answers is
  the buckets' `wrong` counts, never the number of these lines.
- `flush` is a recorder's mark, written after the buckets of each flush: every request of
  `source` that started before second `through` and had finished is in the log, and `requests`
  counts all of that source's requests written so far. The last one at stop has `final: true`.
  Readers wait for these marks before judging a second (a worker's lines reach the master late),
  and compare the final counts with locust's own.
- `worker` is written by a locust master: a worker `joined` at `t`, or was `lost` (it stopped
  sending heartbeats before its final mark) at `t`.

    {"record": "flush", "source": "worker-1", "through": 13, "requests": 412, "final": false}
    {"record": "worker", "source": "worker-1", "event": "lost", "t": 31.2}
"""

from __future__ import annotations

import io
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from harness.errors import UsageError
from harness.results.histogram import LatencyHistogram, bin_index
from harness.results.ledger import NATURAL_KEYS, RecordKind
from harness.results.vocabulary import Outcome

FORMAT: Final = "harness-requests/1"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Header(_Record):
    record: Literal["header"] = "header"
    format: Literal["harness-requests/1"] = FORMAT
    t0: float
    source: str = ""


class Bucket(_Record):
    """The requests of one name that started in one second."""

    record: Literal["bucket"] = "bucket"
    second: Annotated[int, Field(ge=0)]
    name: str
    served: Annotated[int, Field(ge=0)] = 0
    degraded: Annotated[int, Field(ge=0)] = 0
    failed: Annotated[int, Field(ge=0)] = 0
    wrong: Annotated[int, Field(ge=0)] = 0
    latency_ms: dict[Outcome, LatencyHistogram] = Field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.served + self.degraded + self.failed + self.wrong

    def count(self, outcome: Outcome) -> int:
        value: int = getattr(self, outcome.value)
        return value

    def to_line(self) -> str:
        return self.model_dump_json()


class Accepted(_Record):
    """What a patient was told was accepted, keyed as the backend keys it."""

    record: Literal["accepted"] = "accepted"
    t: Annotated[float, Field(ge=0)]
    kind: RecordKind
    name: str = ""
    key: dict[str, str]
    idempotency_key: str | None = None
    reference: str | None = Field(
        default=None,
        description="what the patient was given: queue number, booking code, receipt number",
    )
    provisional: bool = Field(
        default=False,
        description="the patient was told the reference is provisional: the answer was marked "
        "degraded / offline / pending",
    )


MAX_EXAMPLE_CHARS: Final = 200
MAX_EXAMPLES_PER_NAME: Final = 5


def clip(text: str, limit: int = MAX_EXAMPLE_CHARS) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class WrongExample(_Record):
    """One wrong answer as an example: what it said, and what the truth is."""

    record: Literal["wrong"] = "wrong"
    t: Annotated[float, Field(ge=0)] = Field(description="seconds since t0 of the answer")
    name: str = Field(description="the request's name, as in its bucket")
    reason: str = Field(description="why it is wrong, one line")
    said: str = ""
    truth: str = ""


class Flush(_Record):
    """A recorder's mark: its requests that started before `through` (and had finished) are in."""

    record: Literal["flush"] = "flush"
    source: str
    through: Annotated[int, Field(ge=0)] = Field(description="seconds since t0, exclusive")
    requests: Annotated[int, Field(ge=0)] = Field(description="requests written so far, all")
    final: bool = Field(default=False, description="the load stopped: nothing more will follow")


class WorkerEvent(_Record):
    """What a locust master saw of one worker."""

    record: Literal["worker"] = "worker"
    source: str
    event: Literal["joined", "lost"]
    t: Annotated[float, Field(ge=0)]


Line = Annotated[
    Header | Bucket | Accepted | WrongExample | Flush | WorkerEvent, Field(discriminator="record")
]
_LINE: Final = TypeAdapter(Line)


class SecondTotals(BaseModel):
    """All requests that started in one second, every name together."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    second: int
    served: int = 0
    degraded: int = 0
    failed: int = 0
    wrong: int = 0
    latency_ms: dict[Outcome, LatencyHistogram] = Field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.served + self.degraded + self.failed + self.wrong

    def rate(self, *, count_degraded: bool) -> float:
        """Share of requests served (and degraded, if counted); 0 for a second without any.
        A wrong answer is in the denominator, never in the numerator."""
        if self.total == 0:
            return 0.0
        good = self.served + (self.degraded if count_degraded else 0)
        return good / self.total


class SourceRecord(BaseModel):
    """One load process's account of itself (the local process, or a worker)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    requests: int = Field(description="requests it wrote, by its last flush mark")
    complete: bool = Field(description="its final mark arrived: nothing it recorded is missing")
    joined_at: float | None = Field(default=None, description="a worker: when the master saw it")
    lost_at: float | None = Field(
        default=None, description="a worker: when it stopped answering before its final mark"
    )


class RequestLog(BaseModel):
    """Everything the load recorded: buckets merged per (second, name), accepted records, and
    examples of wrong answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    t0: float
    buckets: tuple[Bucket, ...] = ()
    accepted: tuple[Accepted, ...] = ()
    wrong: tuple[WrongExample, ...] = ()
    sources: tuple[SourceRecord, ...] = ()

    @property
    def requests(self) -> int:
        return sum(bucket.total for bucket in self.buckets)

    def per_second(self) -> dict[int, SecondTotals]:
        """Totals per second over all request names (seconds without requests are absent)."""
        grouped: dict[int, list[Bucket]] = defaultdict(list)
        for bucket in self.buckets:
            grouped[bucket.second].append(bucket)
        return {second: totals(second, items) for second, items in sorted(grouped.items())}


def totals(second: int, buckets: Iterable[Bucket]) -> SecondTotals:
    items = list(buckets)
    latency = {
        outcome: LatencyHistogram.merge(
            b.latency_ms[outcome] for b in items if outcome in b.latency_ms
        )
        for outcome in Outcome
    }
    return SecondTotals(
        second=second,
        served=sum(b.served for b in items),
        degraded=sum(b.degraded for b in items),
        failed=sum(b.failed for b in items),
        wrong=sum(b.wrong for b in items),
        latency_ms={o: h for o, h in latency.items() if h.count},
    )


def merge_buckets(buckets: Iterable[Bucket]) -> list[Bucket]:
    """One bucket per (second, name), counts and histograms added up."""
    grouped: dict[tuple[int, str], list[Bucket]] = defaultdict(list)
    for bucket in buckets:
        grouped[(bucket.second, bucket.name)].append(bucket)
    merged = []
    for (second, name), items in sorted(grouped.items()):
        summed = totals(second, items)
        merged.append(
            Bucket(
                second=second,
                name=name,
                served=summed.served,
                degraded=summed.degraded,
                failed=summed.failed,
                wrong=summed.wrong,
                latency_ms=summed.latency_ms,
            )
        )
    return merged


# --- writing (in the load process) ---------------------------------------------------------------


class RequestRecorder:
    """Collects request outcomes per second and writes them as `harness-requests/1` lines.

    Used by the load layer inside the locust process (it imports nothing from locust):

        recorder = RequestRecorder(Path(out), t0=t0, source="worker-1")
        recorder.request("POST /api/v1/visits", Outcome.SERVED, latency_ms=41.0, started=t)
        recorder.accepted(RecordKind.REGISTRATION, {"nik": ..., ...}, idempotency_key=k, at=t)
        recorder.request("GET /schedules", Outcome.WRONG, latency_ms=12.0, started=t)
        recorder.wrong("GET /schedules", at=t, reason="no slots", said="[]", truth="2 slots")
        recorder.flush(now)      # periodically: writes seconds that are over, then a flush mark
        recorder.close()         # writes the rest and the final mark

    Bounded memory: only seconds not yet flushed are held, and at most MAX_EXAMPLES_PER_NAME
    examples of wrong answers per request name are written (`wrong_unwritten` counts the rest).
    """

    def __init__(
        self,
        path: Path | None,
        *,
        t0: float,
        source: str = "",
        sink: Callable[[str], None] | None = None,
    ) -> None:
        """Write to the file at `path`, or hand each line to `sink` (a locust worker ships its
        lines to the master that way); exactly one of the two."""
        if (path is None) == (sink is None):
            raise ValueError("give a path or a sink, not both")
        self.t0 = t0
        self.source = source
        self.written = 0  # requests in the buckets written so far
        self._through = 0
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, str], Counter[Outcome]] = defaultdict(Counter)
        self._bins: dict[tuple[int, str, Outcome], Counter[int]] = defaultdict(Counter)
        self._examples: Counter[str] = Counter()
        self.wrong_unwritten: Counter[str] = Counter()  # examples over the limit, per name
        self._file: io.TextIOWrapper | None = (
            None if path is None else path.open("a", encoding="utf-8")
        )
        self._sink = sink
        self._write(Header(t0=t0, source=source).model_dump_json())

    def request(self, name: str, outcome: Outcome, *, latency_ms: float, started: float) -> None:
        """One request that started at Unix time `started`."""
        second = max(0, math.floor(started - self.t0))
        with self._lock:
            self._counts[(second, name)][outcome] += 1
            self._bins[(second, name, outcome)][bin_index(latency_ms)] += 1

    def accepted(
        self,
        kind: RecordKind,
        key: Mapping[str, str],
        *,
        at: float,
        name: str = "",
        idempotency_key: str | None = None,
        reference: str | None = None,
        provisional: bool = False,
    ) -> None:
        record = Accepted(
            t=max(0.0, at - self.t0),
            kind=kind,
            name=name,
            key=dict(key),
            idempotency_key=idempotency_key,
            reference=reference,
            provisional=provisional,
        )
        with self._lock:
            self._write(record.model_dump_json())

    def wrong(self, name: str, *, at: float, reason: str, said: str = "", truth: str = "") -> None:
        """An example of a wrong answer to a request `name` given at Unix time `at`; record the
        request itself with `request(name, Outcome.WRONG, ...)`: only that one is counted."""
        with self._lock:
            if self._examples[name] >= MAX_EXAMPLES_PER_NAME:
                self.wrong_unwritten[name] += 1
                return
            self._examples[name] += 1
            example = WrongExample(
                t=max(0.0, at - self.t0),
                name=clip(name),
                reason=clip(reason),
                said=clip(said),
                truth=clip(truth),
            )
            self._write(example.model_dump_json())

    def flush(self, now: float | None = None) -> None:
        """Write the buckets of seconds before `now` (Unix time), then a flush mark; all of them
        and the final mark if None."""
        limit = math.inf if now is None else math.floor(now - self.t0)
        with self._lock:
            done = [key for key in self._counts if key[0] < limit]
            last = max((second for second, _ in done), default=-1)
            for second, name in sorted(done):
                counts = self._counts.pop((second, name))
                latency = {}
                for outcome in Outcome:
                    bins = self._bins.pop((second, name, outcome), None)
                    if bins:
                        latency[outcome] = LatencyHistogram.from_counts(bins)
                bucket = Bucket(
                    second=second,
                    name=name,
                    served=counts[Outcome.SERVED],
                    degraded=counts[Outcome.DEGRADED],
                    failed=counts[Outcome.FAILED],
                    wrong=counts[Outcome.WRONG],
                    latency_ms=latency,
                )
                self.written += bucket.total
                self._write(bucket.to_line())
            self._through = max(self._through, last + 1 if now is None else int(limit))
            mark = Flush(
                source=self.source, through=self._through, requests=self.written, final=now is None
            )
            self._write(mark.model_dump_json())
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        self.flush()
        if self._file is not None:
            self._file.close()

    def _write(self, line: str) -> None:
        if self._file is not None:
            self._file.write(line + "\n")
        elif self._sink is not None:
            self._sink(line)

    def __enter__(self) -> RequestRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- reading (in the runner) ---------------------------------------------------------------------


def read_request_log(paths: Iterable[Path], *, t0: float | None = None) -> RequestLog:
    """The merged log of one or more files (one per load process).

    Each file's seconds are moved onto `t0` (default: the earliest file's t0). A malformed line is
    a UsageError naming the file and line: the log is the evidence for the verdict, so it is never
    skipped silently.
    """
    parsed = [(path, list(_read_lines(path))) for path in paths]
    headers = [(path, lines[0]) for path, lines in parsed if lines]
    if not headers:
        raise UsageError("no request log to read: the load wrote no records")
    origin = t0 if t0 is not None else min(h.t0 for _, h in headers if isinstance(h, Header))
    buckets: list[Bucket] = []
    accepted: list[Accepted] = []
    wrong: list[WrongExample] = []
    marks: dict[str, Flush] = {}
    events: dict[str, dict[str, float]] = defaultdict(dict)
    for path, lines in parsed:
        if not lines:
            continue
        header = lines[0]
        if not isinstance(header, Header):
            raise UsageError(f"{path}:1: a request log starts with a header record ({FORMAT})")
        shift = round(header.t0 - origin)
        for line in lines[1:]:
            if isinstance(line, Bucket):
                buckets.append(line.model_copy(update={"second": max(0, line.second + shift)}))
            elif isinstance(line, Accepted):
                accepted.append(
                    line.model_copy(update={"t": max(0.0, line.t + header.t0 - origin)})
                )
            elif isinstance(line, WrongExample):
                wrong.append(line.model_copy(update={"t": max(0.0, line.t + header.t0 - origin)}))
            elif isinstance(line, Flush):
                seen = marks.get(line.source)
                if seen is None or not seen.final or line.final:
                    marks[line.source] = line  # each mark counts everything before it
            elif isinstance(line, WorkerEvent):
                events[line.source].setdefault(line.event, max(0.0, line.t + header.t0 - origin))
    sources = (
        SourceRecord(
            source=source,
            requests=mark.requests if mark else 0,
            complete=bool(mark and mark.final),
            joined_at=events[source].get("joined"),
            lost_at=events[source].get("lost"),
        )
        for source, mark in ((s, marks.get(s)) for s in sorted(marks.keys() | events.keys()))
    )
    return RequestLog(
        t0=origin,
        buckets=tuple(merge_buckets(buckets)),
        accepted=tuple(sorted(accepted, key=lambda a: a.t)),
        wrong=tuple(sorted(wrong, key=lambda w: w.t)),
        sources=tuple(sources),
    )


def _read_lines(
    path: Path,
) -> Iterator[Header | Bucket | Accepted | WrongExample | Flush | WorkerEvent]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the request log {path}: {exc}") from None
    with handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                line = _LINE.validate_json(text)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise UsageError(
                    f"{path}:{number}: not a {FORMAT} record ({where}: {first['msg']})"
                ) from None
            if isinstance(line, Accepted) and (problem := _key_problem(line)):
                raise UsageError(f"{path}:{number}: {problem}")
            yield line


def _key_problem(accepted: Accepted) -> str | None:
    """Why the checks could not match this record against its ledger, if they could not.

    A record is matched by its idempotency key when both sides have one, else by its natural key
    field by field: a field the ledger does not name (`tanggal` for a booking) would make
    nothing_lost fail for a record the backend holds.
    """
    expected = NATURAL_KEYS[accepted.kind]
    given = tuple(accepted.key)
    if set(given) == set(expected) or (not given and accepted.idempotency_key is not None):
        return None
    return (
        f"an accepted {accepted.kind} is keyed by {', '.join(given) or 'nothing'}; a"
        f" {accepted.kind}'s natural key is {', '.join(expected)}, named as its ledger names them"
        ' (docs/custom-load.md, "A locustfile of your own")'
    )
