"""BPJS adapter: participant eligibility (VClaim Peserta by NIK) and doctor schedules (Antrean RS).

Signing, decryption and the envelopes are examples/bpjs_client.py's; this module turns answers into
values (`Participant`, schedules) and everything unusable into UpstreamFailure.

Schedules are shown to patients, so with `checked` (the naive and resilient builds) each entry must
carry every documented jadwaldokter field, non-empty and of its type (strict: `"12"` is not a
doctor code), practice hours as `HH:MM-HH:MM`, for the polyclinic and weekday asked for; an answer
that drifted is an upstream failure, never a timetable. Only the checked fields are passed on.
Without it (the lenient build) the entries are passed on as they came.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError

from examples.bpjs_client import AsyncBpjsClient, BpjsProtocolError, BpjsResponse, Credentials
from examples.reference_client.config import ANTREAN_PATH, VCLAIM_PATH
from examples.reference_client.errors import (
    FailureKind,
    RequestError,
    Upstream,
    UpstreamFailure,
    translated,
)

OK = "200"
NOT_FOUND = "201"  # VClaim "not found" / Antrean "refused", with HTTP 200
BAD_INPUT = "400"
ACTIVE_CODE = "0"  # statusPeserta.kode "0" is AKTIF; every other code is some inactive state


class ParticipantStatus(StrEnum):
    AKTIF = "AKTIF"
    NOT_ACTIVE = "not_active"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Participant:
    status: ParticipantStatus
    keterangan: str  # BPJS's own words: "AKTIF", "TIDAK AKTIF KARENA PREMI", or the message


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Status(_Loose):
    kode: str
    keterangan: str


class _Peserta(_Loose):
    nik: str
    noKartu: str
    statusPeserta: _Status


class _PesertaResponse(_Loose):
    peserta: _Peserta


Text = Annotated[str, Field(min_length=1)]


class _Schedule(BaseModel):
    """One jadwaldokter entry as Antrean RS documents it; `hari` is 1 (Monday) to 7 (Sunday)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    kodedokter: Annotated[int, Field(ge=1)]
    namadokter: Text
    kodepoli: Text
    namapoli: Text
    kodesubspesialis: Text
    namasubspesialis: Text
    hari: Annotated[int, Field(ge=1, le=7)]
    namahari: Text
    jadwal: Annotated[str, Field(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")]
    kapasitaspasien: Annotated[int, Field(ge=0)]
    libur: int


_SCHEDULES = TypeAdapter(list[_Schedule])
_JSON_LIST = TypeAdapter(list[JsonValue])


def _bad(detail: str) -> UpstreamFailure:
    return UpstreamFailure(Upstream.BPJS, FailureKind.BAD_GATEWAY, detail)


class BpjsAdapter:
    def __init__(
        self, *, http: httpx.AsyncClient, credentials: Credentials, checked: bool = True
    ) -> None:
        self._client = AsyncBpjsClient(http=http, credentials=credentials)
        self._checked = checked

    async def _get(self, path: str) -> BpjsResponse:
        async with translated(Upstream.BPJS):
            try:
                answer = await self._client.get(path)
            except BpjsProtocolError as exc:
                kind = (
                    FailureKind.UNAVAILABLE if exc.status_code == 503 else FailureKind.BAD_GATEWAY
                )
                raise UpstreamFailure(
                    Upstream.BPJS, kind, str(exc), retry_after=exc.retry_after
                ) from exc
        if answer.code == BAD_INPUT:
            raise RequestError(f"BPJS refused the request: {answer.message}")
        if answer.code not in (OK, NOT_FOUND):
            # "401" (our credentials or clock), "500" and the like: no usable answer.
            raise _bad(f"metaData code {answer.code}: {answer.message}")
        return answer

    async def participant(self, nik: str, tanggal: dt.date) -> Participant:
        """Eligibility of the participant with this NIK on `tanggal`."""
        answer = await self._get(f"{VCLAIM_PATH[1:]}/Peserta/nik/{nik}/tglSEP/{tanggal}")
        if answer.code == NOT_FOUND:
            return Participant(ParticipantStatus.NOT_FOUND, answer.message)
        try:
            peserta = _PesertaResponse.model_validate(answer.response).peserta
        except ValidationError as exc:
            raise _bad(f"unexpected Peserta shape: {exc.error_count()} problem(s)") from exc
        status = peserta.statusPeserta
        if status.kode == ACTIVE_CODE:
            return Participant(ParticipantStatus.AKTIF, status.keterangan)
        return Participant(ParticipantStatus.NOT_ACTIVE, status.keterangan)

    async def polyclinics(self) -> list[str]:
        """The polyclinic codes of the hospital (Antrean RS ref/poli)."""
        answer = await self._get(f"{ANTREAN_PATH[1:]}/ref/poli")
        try:
            items = _JSON_LIST.validate_python(answer.response)
        except ValidationError as exc:
            raise _bad(f"unexpected ref/poli shape: {exc.error_count()} problem(s)") from exc
        return [
            str(item["kdpoli"]) for item in items if isinstance(item, dict) and "kdpoli" in item
        ]

    async def schedules(self, kodepoli: str, tanggal: dt.date) -> list[JsonValue]:
        """Doctors practising at `kodepoli` on `tanggal` (empty when none)."""
        answer = await self._get(
            f"{ANTREAN_PATH[1:]}/jadwaldokter/kodepoli/{kodepoli}/tanggal/{tanggal}"
        )
        if answer.code == NOT_FOUND:
            return []
        try:
            if not self._checked:
                return _JSON_LIST.validate_python(answer.response)
            schedules = _SCHEDULES.validate_python(answer.response)
        except ValidationError as exc:
            raise _bad(f"unexpected jadwaldokter shape: {exc.error_count()} problem(s)") from exc
        for schedule in schedules:
            if schedule.kodepoli.upper() != kodepoli.upper():
                raise _bad(f"asked for {kodepoli}'s schedules, got {schedule.kodepoli}'s")
            if schedule.hari != tanggal.isoweekday():
                raise _bad(f"asked for weekday {tanggal.isoweekday()}, got {schedule.hari}")
        return [schedule.model_dump(mode="json") for schedule in schedules]
