"""The reference client's API vocabulary: request bodies, eligibility, degraded reasons, answers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, field_validator

DEGRADED_HEADER = "X-Degraded"

Nik = Annotated[str, Field(pattern=r"^\d{16}$", description="16-digit NIK")]
Kodepoli = Annotated[
    str,
    Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$"),
    AfterValidator(str.upper),  # "int" and "INT" are one polyclinic, one natural key
]


class Degraded(StrEnum):
    """Why an answer came from a fallback (the X-Degraded header value)."""

    ELIGIBILITY_PENDING = "eligibility-pending"
    OFFLINE_QUEUE = "offline-queue"
    CACHE = "cache"
    OUTBOX = "outbox"


class Eligibility(StrEnum):
    AKTIF = "AKTIF"
    PENDING = "pending_verification"
    NOT_ACTIVE = "not_active"  # found inactive when verified later: flagged, never cancelled


@dataclass(frozen=True, slots=True)
class Answer:
    """A served answer: JSON (or bytes) with a status and the fallbacks it came from."""

    body: JsonValue = None
    status: int = 200
    degraded: tuple[Degraded, ...] = field(default=())
    content: bytes | None = None  # raw bytes instead of JSON (the lab PDF)
    media_type: str = "application/json"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RegistrationIn(_In):
    """Front desk: check eligibility, then register the visit."""

    nik: Nik
    kodepoli: Kodepoli
    tanggal: dt.date


class BookingIn(_In):
    """Patient app: book a doctor's slot, logging in as the patient with NIK + birth date."""

    nik: Nik
    tglLahir: dt.date
    kodepoli: Kodepoli
    kodedokter: Annotated[int, Field(ge=1, le=10**9)]
    tanggal: dt.date


class DeclarationIn(BaseModel):
    """e-HAC style health declaration.

    `tglLahir` (optional) is only used to log in to the patient app as the traveller; without it
    the birth date encoded in the NIK is used (nik.py). It is not part of the forwarded form.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nik: Nik
    tglLahir: dt.date | None = None
    nama: Annotated[str, Field(min_length=1, max_length=100)]
    nomorPenerbangan: Annotated[str, Field(min_length=3, max_length=12)]
    tanggalPerjalanan: dt.date
    bandaraAsal: Annotated[str, Field(min_length=3, max_length=3)]
    bandaraTujuan: Annotated[str, Field(min_length=3, max_length=3)]
    alamatTujuan: Annotated[str, Field(max_length=300)] | None = None
    nomorTelepon: Annotated[str, Field(max_length=20)] | None = None
    suhuTubuh: Annotated[float, Field(ge=30.0, le=45.0)] | None = None
    gejala: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=20)] = Field(
        default_factory=list
    )

    @field_validator("nomorPenerbangan")
    @classmethod
    def _flight(cls, value: str) -> str:
        # The same normalisation as the e-HAC backend, so "ga 410" and "GA410" are one key.
        normalised = value.replace(" ", "").upper()
        if not re.fullmatch(r"[A-Z0-9]{2}[0-9]{1,4}[A-Z]?", normalised):
            raise ValueError(f"{value!r} is not a flight number like GA410 or QZ7510")
        return normalised

    @field_validator("bandaraAsal", "bandaraTujuan")
    @classmethod
    def _airport(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError(f"{value!r} is not a 3-letter IATA airport code like CGK")
        return value.upper()

    def upstream_form(self) -> dict[str, JsonValue]:
        """The form the e-HAC backend takes (everything but the login's birth date)."""
        return self.model_dump(mode="json", exclude={"tglLahir"})


@dataclass(frozen=True, slots=True)
class PatientLogin:
    """NIK + birth date: how the client logs in to the patient-app on the patient's behalf."""

    nik: str
    tglLahir: dt.date
