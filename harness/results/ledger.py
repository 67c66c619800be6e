"""What reached the backends: the mocks' `GET /__admin/ledger`, parsed tolerantly.

The parser takes the ERM's and the patient-app's ledgers as they are, whatever their spelling:

    ERM          {"service": "erm", "visits": [{"id", "natural_key": {"nik", "tanggal",
                  "kodepoli"}, "idempotency_key", "status", ...}], "encounters": [...],
                  "duplicates": {"visits": [{"natural_key", "count", "ids"}], ...}}
    patient-app  {"service": "patient-app", "bookings": [{"kodebooking", "naturalKey": {"nik",
                  "tanggalperiksa", "kodepoli"}, "idempotencyKey", "status", ...}],
                  "declarations": [{"nomorResi", "naturalKey": {"nik", "tanggalPerjalanan",
                  "nomorPenerbangan"}, "idempotencyKey", ...}], "duplicates": {"bookings":
                  [{"naturalKey", "count", "kodebooking": [...]}], "declarations": [...]}}

Lists named visits / registrations are registrations, bookings are bookings, declarations /
submissions are submissions; other lists (encounters) are not patient-accepted records and are
skipped. Record ids come from id, kodebooking or nomorResi; the natural key from natural_key /
naturalKey (or, without one, the record's own key fields); the idempotency key from
idempotency_key / idempotencyKey. Key field names are canonicalised (tanggalperiksa and
tglKunjungan are `tanggal`, and so on: CANONICAL_FIELDS) so that accepted records written by any
load script match. A record whose status is cancelled/batal is kept but marked inactive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from pydantic import BaseModel, ConfigDict


class RecordKind(StrEnum):
    """What a patient can be told was accepted."""

    REGISTRATION = "registration"
    BOOKING = "booking"
    SUBMISSION = "submission"


LIST_KINDS: Final[Mapping[str, RecordKind]] = MappingProxyType(
    {
        "visits": RecordKind.REGISTRATION,
        "registrations": RecordKind.REGISTRATION,
        "bookings": RecordKind.BOOKING,
        "declarations": RecordKind.SUBMISSION,
        "submissions": RecordKind.SUBMISSION,
    }
)

CANONICAL_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "nik": "nik",
        "tanggal": "tanggal",
        "tanggalperiksa": "tanggal",
        "tglkunjungan": "tanggal",
        "date": "tanggal",
        "kodepoli": "kodepoli",
        "poli": "kodepoli",
        "tanggalperjalanan": "tanggalPerjalanan",
        "nomorpenerbangan": "nomorPenerbangan",
    }
)
"""Field names, lower-cased without underscores, to the canonical natural-key field."""

NATURAL_KEYS: Final[Mapping[RecordKind, tuple[str, ...]]] = MappingProxyType(
    {
        RecordKind.REGISTRATION: ("nik", "tanggal", "kodepoli"),
        RecordKind.BOOKING: ("nik", "tanggal", "kodepoli"),
        RecordKind.SUBMISSION: ("nik", "tanggalPerjalanan", "nomorPenerbangan"),
    }
)

_ID_FIELDS: Final = ("id", "kodebooking", "nomorResi", "nomor_resi")
_INACTIVE: Final = frozenset({"cancelled", "canceled", "batal", "dibatalkan"})


def canonical_field(name: str) -> str:
    return CANONICAL_FIELDS.get(name.replace("_", "").lower(), name)


def canonical_key(fields: Mapping[str, Any]) -> dict[str, str]:
    """A natural key with canonical field names and normalised values."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if value is None or isinstance(value, dict | list):
            continue
        field = canonical_field(name)
        text = str(value).strip()
        if field == "nomorPenerbangan":
            text = text.replace(" ", "").upper()  # as the patient-app mock normalises it
        out[field] = text
    return out


class LedgerRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecordKind
    service: str
    id: str | None
    key: dict[str, str]
    idempotency_key: str | None = None
    active: bool = True

    def natural_key(self) -> tuple[str, ...] | None:
        fields = NATURAL_KEYS[self.kind]
        if not all(field in self.key for field in fields):
            return None
        return tuple(self.key[field] for field in fields)


class DuplicateGroup(BaseModel):
    """Records that share a natural key: the same patient entered more than once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecordKind
    service: str
    key: dict[str, str]
    ids: tuple[str, ...]
    count: int


class Ledger(BaseModel):
    """Every accepted-kind record the backends hold, and the duplicate groups they reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    records: tuple[LedgerRecord, ...] = ()
    reported_duplicates: tuple[DuplicateGroup, ...] = ()

    @classmethod
    def combine(cls, ledgers: Iterable[Ledger]) -> Ledger:
        records: list[LedgerRecord] = []
        reported: list[DuplicateGroup] = []
        for ledger in ledgers:
            records += ledger.records
            reported += ledger.reported_duplicates
        return cls(records=tuple(records), reported_duplicates=tuple(reported))

    def duplicates(self) -> list[DuplicateGroup]:
        """Groups of active records sharing a natural key, computed here and as reported.

        Computed groups are authoritative; a reported group the records do not show (a filtered
        ledger) is kept too, so that nothing the backend itself saw is dropped.
        """
        groups: dict[tuple[RecordKind, str, tuple[str, ...]], list[LedgerRecord]] = defaultdict(
            list
        )
        for record in self.records:
            key = record.natural_key()
            if record.active and key is not None:
                groups[(record.kind, record.service, key)].append(record)
        found = {
            (kind, service, key): DuplicateGroup(
                kind=kind,
                service=service,
                key=dict(zip(NATURAL_KEYS[kind], key, strict=True)),
                ids=tuple(r.id or "?" for r in members),
                count=len(members),
            )
            for (kind, service, key), members in groups.items()
            if len(members) > 1
        }
        for group in self.reported_duplicates:
            fields = NATURAL_KEYS[group.kind]
            if all(field in group.key for field in fields):
                ident = (group.kind, group.service, tuple(group.key[f] for f in fields))
                found.setdefault(ident, group)
        return list(found.values())


def parse_ledger(payload: Any, *, service: str | None = None) -> Ledger:
    """A Ledger from a mock's `GET /__admin/ledger` JSON (see the module docstring).

    Raises ValueError naming what is missing when `payload` is not a ledger at all.
    """
    if not isinstance(payload, dict):
        raise ValueError(f"a ledger is a JSON object, got {type(payload).__name__}")
    name = str(service or payload.get("service") or "unknown")
    records: list[LedgerRecord] = []
    lists_seen = 0
    for list_name, kind in LIST_KINDS.items():
        entries = payload.get(list_name)
        if not isinstance(entries, list):
            continue
        lists_seen += 1
        records += [_record(entry, kind, name) for entry in entries if isinstance(entry, dict)]
    if lists_seen == 0:
        raise ValueError(
            f"no record lists in the {name} ledger; expected one of {', '.join(LIST_KINDS)}"
        )
    return Ledger(records=tuple(records), reported_duplicates=tuple(_duplicates(payload, name)))


def _first(entry: Mapping[str, Any], names: Iterable[str]) -> Any:
    for field in names:
        if entry.get(field) is not None:
            return entry[field]
    return None


def _record(entry: Mapping[str, Any], kind: RecordKind, service: str) -> LedgerRecord:
    natural = _first(entry, ("natural_key", "naturalKey"))
    key = canonical_key(natural if isinstance(natural, dict) else entry)
    record_id = _first(entry, _ID_FIELDS)
    idempotency = _first(entry, ("idempotency_key", "idempotencyKey"))
    status = str(entry.get("status") or "").lower()
    return LedgerRecord(
        kind=kind,
        service=service,
        id=None if record_id is None else str(record_id),
        key=key,
        idempotency_key=None if idempotency is None else str(idempotency),
        active=status not in _INACTIVE,
    )


def _duplicates(payload: Mapping[str, Any], service: str) -> list[DuplicateGroup]:
    raw = payload.get("duplicates")
    grouped: list[tuple[RecordKind, Any]] = []
    if isinstance(raw, dict):
        grouped = [(LIST_KINDS[k], v) for k, v in raw.items() if k in LIST_KINDS]
    out: list[DuplicateGroup] = []
    for kind, groups in grouped:
        if not isinstance(groups, list):
            continue
        for group in groups:
            if not isinstance(group, dict):
                continue
            natural = _first(group, ("natural_key", "naturalKey"))
            ids = _first(group, ("ids", "kodebooking", "nomorResi", "nomor_resi")) or []
            ids = [str(i) for i in ids] if isinstance(ids, list) else [str(ids)]
            count = group.get("count")
            out.append(
                DuplicateGroup(
                    kind=kind,
                    service=service,
                    key=canonical_key(natural) if isinstance(natural, dict) else {},
                    ids=tuple(ids),
                    count=int(count) if isinstance(count, int) else len(ids),
                )
            )
    return out


__all__ = [
    "CANONICAL_FIELDS",
    "NATURAL_KEYS",
    "DuplicateGroup",
    "Ledger",
    "LedgerRecord",
    "RecordKind",
    "canonical_key",
    "parse_ledger",
]
