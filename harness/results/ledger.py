"""What reached the backends: the mocks' `GET /__admin/ledger`, read with their own models.

Each mock's ledger is a `service_contract.ledger` model, so every record is read by name:

    ERM          visits        -> registrations (id, natural_key, idempotency_key)
                 encounters    not patient-accepted records: skipped
    patient-app  bookings      -> bookings (kodebooking, naturalKey, idempotencyKey, status)
                 declarations  -> submissions (nomorResi, naturalKey, idempotencyKey)

A record's key is its natural key with the ledger's own field names (NATURAL_KEYS): what a load
script records as accepted must use the same names (`docs/custom-load.md`). Its reference is what
the backend gives the patient for it (nomorantrean, kodebooking, nomorResi): the truth a
reference the client gave is held against (harness.results.answers). A cancelled booking
is kept but marked inactive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from service_contract.ledger import (
    BookingKey,
    BookingStatus,
    DeclarationKey,
    ErmLedger,
    MockLedger,
    PatientAppLedger,
    VisitKey,
)


class RecordKind(StrEnum):
    """What a patient can be told was accepted."""

    REGISTRATION = "registration"
    BOOKING = "booking"
    SUBMISSION = "submission"


NATURAL_KEYS: Final[Mapping[RecordKind, tuple[str, ...]]] = MappingProxyType(
    {
        RecordKind.REGISTRATION: tuple(VisitKey.model_fields),
        RecordKind.BOOKING: tuple(BookingKey.model_fields),
        RecordKind.SUBMISSION: tuple(DeclarationKey.model_fields),
    }
)
"""The natural-key fields of each kind, as the ledgers name them."""


class LedgerRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: RecordKind
    service: str
    id: str | None
    key: dict[str, str]
    idempotency_key: str | None = None
    active: bool = True
    reference: str | None = Field(
        default=None,
        description="what the backend gives the patient for it: an ERM visit's nomorantrean, a "
        "booking's kodebooking, a declaration's nomorResi",
    )

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


_MOCK_LEDGER: Final[TypeAdapter[ErmLedger | PatientAppLedger]] = TypeAdapter(MockLedger)


def parse_ledger(payload: Any, *, service: str | None = None) -> Ledger:
    """A Ledger from a mock's `GET /__admin/ledger` JSON; `service`, if given, must be the one
    the ledger names.

    Raises ValueError saying what does not fit when `payload` is not a mock's ledger.
    """
    try:
        ledger = _MOCK_LEDGER.validate_python(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the ledger"
        raise ValueError(
            f"not a mock's ledger ({exc.error_count()} problems); first: {where}: {first['msg']}"
        ) from None
    if service is not None and service != ledger.service:
        raise ValueError(f"asked for the {service} ledger, got the {ledger.service} ledger")
    if isinstance(ledger, ErmLedger):
        return _erm(ledger)
    return _patient_app(ledger)


def _erm(ledger: ErmLedger) -> Ledger:
    service = ledger.service.value
    kind = RecordKind.REGISTRATION
    records = [
        LedgerRecord(
            kind=kind,
            service=service,
            id=visit.id,
            key=visit.natural_key.model_dump(),
            idempotency_key=visit.idempotency_key,
            reference=visit.nomorantrean,
        )
        for visit in ledger.visits
    ]
    reported = [
        DuplicateGroup(
            kind=kind,
            service=service,
            key=group.natural_key.model_dump(),
            ids=tuple(group.ids),
            count=group.count,
        )
        for group in ledger.duplicates.visits
    ]
    return Ledger(records=tuple(records), reported_duplicates=tuple(reported))


def _patient_app(ledger: PatientAppLedger) -> Ledger:
    service = ledger.service.value
    bookings = [
        LedgerRecord(
            kind=RecordKind.BOOKING,
            service=service,
            id=booking.kodebooking,
            key=booking.naturalKey.model_dump(),
            idempotency_key=booking.idempotencyKey,
            active=booking.status is BookingStatus.BOOKED,
            reference=booking.kodebooking,
        )
        for booking in ledger.bookings
    ]
    submissions = [
        LedgerRecord(
            kind=RecordKind.SUBMISSION,
            service=service,
            id=declaration.nomorResi,
            key=declaration.naturalKey.model_dump(),
            idempotency_key=declaration.idempotencyKey,
            reference=declaration.nomorResi,
        )
        for declaration in ledger.declarations
    ]
    reported = [
        *(
            DuplicateGroup(
                kind=RecordKind.BOOKING,
                service=service,
                key=group.naturalKey.model_dump(),
                ids=tuple(group.kodebooking),
                count=group.count,
            )
            for group in ledger.duplicates.bookings
        ),
        *(
            DuplicateGroup(
                kind=RecordKind.SUBMISSION,
                service=service,
                key=group.naturalKey.model_dump(),
                ids=tuple(group.nomorResi),
                count=group.count,
            )
            for group in ledger.duplicates.declarations
        ),
    ]
    return Ledger(records=(*bookings, *submissions), reported_duplicates=tuple(reported))


__all__ = [
    "NATURAL_KEYS",
    "DuplicateGroup",
    "Ledger",
    "LedgerRecord",
    "RecordKind",
    "parse_ledger",
]
