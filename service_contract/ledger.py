"""What reached each mock's backend, as its admin API reports it: the ground truth for "nothing
lost, nothing entered twice".

    GET  /__admin/ledger          ERM: ErmLedger (filters on visits: nik, tanggal, kodepoli,
                                  idempotency_key); patient app: PatientAppLedger
    POST /__admin/ledger/verify   ERM: VerifyRequest -> VerifyAnswer
    GET  /__admin/bpjs/ledger     BPJS: BpjsLedger

The ERM's and the patient app's ledgers name their service, so `MockLedger` tells them apart.
Each record carries its natural key (the same patient, day and place) and the Idempotency-Key it
was created with, if any; `duplicates` lists the natural keys held by more than one record.

    TypeAdapter(MockLedger).validate_python(httpx.get(f"{url}/__admin/ledger").json())
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from service_contract.services import ServiceName


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- ERM: visits (front-desk registrations) and FHIR encounters ---------------------------------


class VisitStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    FINISHED = "finished"


class VisitKey(_Record):
    """A registration's natural key: one patient, one day, one polyclinic."""

    nik: str
    tanggal: str
    kodepoli: str


class LedgerVisit(_Record):
    id: str
    natural_key: VisitKey
    idempotency_key: str | None
    angkaantrean: int
    nomorantrean: str | None
    status: VisitStatus
    replays: int = Field(description="how often it was returned again instead of made twice")
    created: str
    called: str | None
    finished: str | None


class LedgerEncounter(_Record):
    id: str
    natural_key: str = Field(
        description="the facility's Encounter identifier, or subject + date without one"
    )
    subject: str
    date: str
    status: str
    identifier: list[JsonValue]
    created: str
    updated: str


class VisitDuplicate(_Record):
    natural_key: VisitKey
    count: int
    ids: list[str]


class EncounterDuplicate(_Record):
    natural_key: str
    count: int
    ids: list[str]


class ErmDuplicates(_Record):
    visits: list[VisitDuplicate]
    encounters: list[EncounterDuplicate]


class ErmCounts(_Record):
    visits: int
    encounters: int
    observations: int
    replays: int
    duplicate_visit_groups: int
    duplicate_visits: int
    duplicate_encounter_groups: int
    duplicate_encounters: int


class ErmLedger(_Record):
    service: Literal[ServiceName.ERM] = ServiceName.ERM
    counts: ErmCounts
    visits: list[LedgerVisit]
    encounters: list[LedgerEncounter]
    duplicates: ErmDuplicates


class VisitClaim(_Record):
    """One registration a patient was told was accepted: a natural key, an idempotency key, or
    both (then both must match the same visit)."""

    nik: str | None = None
    tanggal: str | None = None
    kodepoli: str | None = None
    idempotency_key: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> VisitClaim:
        natural = (self.nik, self.tanggal, self.kodepoli)
        if any(natural) and not all(natural):
            raise ValueError("a natural key needs all of nik, tanggal and kodepoli")
        if not any(natural) and self.idempotency_key is None:
            raise ValueError("give nik + tanggal + kodepoli, or idempotency_key, or both")
        return self


class VerifyRequest(_Record):
    visits: Annotated[list[VisitClaim], Field(max_length=100_000)]


class RepeatedClaim(VisitClaim):
    """A claim that more than one visit matches."""

    ids: list[str]


class VerifyAnswer(_Record):
    """Does every claimed registration exist exactly once? `ok` only if so and the ledger has no
    natural-key duplicates at all. Sent without null fields."""

    ok: bool
    checked: int
    exactly_once: int
    missing: list[VisitClaim]
    more_than_once: list[RepeatedClaim]
    duplicate_visit_groups: int


# --- patient app: bookings and e-HAC health declarations ----------------------------------------


class BookingStatus(StrEnum):
    BOOKED = "BOOKED"
    CANCELLED = "CANCELLED"


class BookingKey(_Record):
    """A booking's natural key; a new booking after a cancellation is not a duplicate."""

    nik: str
    tanggalperiksa: str
    kodepoli: str


class DeclarationKey(_Record):
    nik: str
    tanggalPerjalanan: str
    nomorPenerbangan: str


class LedgerBooking(_Record):
    kodebooking: str
    naturalKey: BookingKey
    kodedokter: int
    angkaantrean: int
    status: BookingStatus
    idempotencyKey: str | None
    replays: int
    createdAt: str
    cancelledAt: str | None


class LedgerDeclaration(_Record):
    nomorResi: str
    naturalKey: DeclarationKey
    accountNik: str
    idempotencyKey: str | None
    replays: int
    createdAt: str


class BookingDuplicate(_Record):
    naturalKey: BookingKey
    count: int
    kodebooking: list[str]


class DeclarationDuplicate(_Record):
    naturalKey: DeclarationKey
    count: int
    nomorResi: list[str]


class PatientAppDuplicates(_Record):
    bookings: list[BookingDuplicate]
    declarations: list[DeclarationDuplicate]


class PatientAppCounts(_Record):
    bookings: int
    activeBookings: int
    cancelledBookings: int
    declarations: int


class PatientAppLedger(_Record):
    service: Literal[ServiceName.PATIENT_APP] = ServiceName.PATIENT_APP
    counts: PatientAppCounts
    bookings: list[LedgerBooking]
    declarations: list[LedgerDeclaration]
    duplicates: PatientAppDuplicates


MockLedger = Annotated[ErmLedger | PatientAppLedger, Field(discriminator="service")]
"""A `GET /__admin/ledger` answer, told apart by its `service`."""


# --- BPJS: Antrean RS bookings and SEPs ---------------------------------------------------------


class AntreanStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class LedgerAntrean(_Record):
    kodebooking: str
    status: AntreanStatus
    request: dict[str, JsonValue] = Field(description="the antrean/add body as it was sent")
    tasks: list[int] = Field(description="the task ids reported, in time order")


class LedgerSep(_Record):
    noSep: str
    noKartu: str
    tglSep: str
    deleted: bool


class BpjsLedger(_Record):
    antrean: list[LedgerAntrean]
    sep: list[LedgerSep]
