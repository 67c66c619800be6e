"""Health-declaration (e-HAC style) submissions, returning a receipt; idempotent two ways.

    POST /api/v1/health-declarations               (bearer) 201 with the receipt
    GET  /api/v1/health-declarations/{nomorResi}   (bearer) the receipt again

The natural key is (nik, tanggalPerjalanan, nomorPenerbangan), the flight number normalised
(upper case, no spaces: "ga 410" is "GA410"). A traveller has one card per flight:
- Idempotency-Key: same key and body replays the first receipt; same key, other body -> 422;
- natural key: a submission for a (nik, date, flight) that already has a card returns that card's
  receipt (HTTP 200, `Idempotent-Replayed: true`), whatever its key, and records nothing new.
So nobody can end up with two cards for one flight, and nobody has to fill the form in again.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations at runtime,
# and they name dependencies local to `router()`.
import datetime as dt
import json
import re
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mock_services.common.dataset import Patient
from mock_services.patient_app import idempotency
from mock_services.patient_app.auth import NIK_PATTERN, PREFIX, CurrentPatient
from mock_services.patient_app.context import Context
from mock_services.patient_app.envelope import REPLAYED_HEADER, Envelope, ErrorCode, app_error, ok
from mock_services.patient_app.store import DeclarationRow, iso_time

FLIGHT_PATTERN = r"^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$"


class DeclarationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nik: Annotated[str, Field(pattern=NIK_PATTERN)]
    nama: Annotated[str, Field(min_length=1, max_length=100)]
    nomorPenerbangan: Annotated[str, Field(min_length=3, max_length=12, description="e.g. GA410")]
    tanggalPerjalanan: dt.date
    bandaraAsal: Annotated[str, Field(min_length=3, max_length=3, description="IATA, e.g. DPS")]
    bandaraTujuan: Annotated[str, Field(min_length=3, max_length=3, description="IATA, e.g. CGK")]
    alamatTujuan: Annotated[str, Field(max_length=300)] | None = None
    nomorTelepon: Annotated[str, Field(max_length=20)] | None = None
    suhuTubuh: Annotated[float, Field(ge=30.0, le=45.0)] | None = None
    gejala: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=20)] = Field(
        default_factory=list
    )

    @field_validator("nomorPenerbangan")
    @classmethod
    def _flight(cls, value: str) -> str:
        normalised = value.replace(" ", "").upper()
        if not re.match(FLIGHT_PATTERN, normalised):
            raise ValueError(f"{value!r} is not a flight number like GA410 or QZ7510")
        return normalised

    @field_validator("bandaraAsal", "bandaraTujuan")
    @classmethod
    def _airport(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError(f"{value!r} is not a 3-letter IATA airport code like CGK")
        return value.upper()


class ReceiptOut(BaseModel):
    nomorResi: str
    status: str
    nik: str
    nama: str
    nomorPenerbangan: str
    tanggalPerjalanan: str
    bandaraAsal: str
    bandaraTujuan: str
    diterimaPada: str
    kodeQR: str


def receipt(row: DeclarationRow) -> ReceiptOut:
    form = json.loads(row.form_json)
    return ReceiptOut(
        nomorResi=row.nomor_resi,
        status="DITERIMA",
        nik=row.nik,
        nama=form["nama"],
        nomorPenerbangan=row.nomor_penerbangan,
        tanggalPerjalanan=row.tanggal_perjalanan,
        bandaraAsal=form["bandaraAsal"],
        bandaraTujuan=form["bandaraTujuan"],
        diterimaPada=iso_time(row.created_at),
        kodeQR=f"EHAC|{row.nomor_resi}|{row.nik}|{row.nomor_penerbangan}|{row.tanggal_perjalanan}",
    )


def router(ctx: Context, current_patient: CurrentPatient) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["health declarations"])
    store = ctx.store
    Me = Annotated[Patient, Depends(current_patient)]

    @api.post("/health-declarations", status_code=201, response_model=Envelope[ReceiptOut])
    async def submit(
        patient: Me,
        body: DeclarationRequest,
        idempotency_key: idempotency.IdempotencyKeyHeader = None,
    ) -> Response:
        key = idempotency.checked_key(idempotency_key)
        body_hash = idempotency.request_hash(body)
        scope = f"{patient.nik}:health-declaration"
        now = time.time()
        with store.transaction():
            if key is not None:
                first = idempotency.stored(store, scope, key, body_hash)
                if first is not None:
                    store.count_declaration_replay(str(first.data["nomorResi"]))
                    return first.response()
            existing = store.declaration_by_natural_key(
                body.nik, body.tanggalPerjalanan.isoformat(), body.nomorPenerbangan
            )
            if existing is not None:
                store.count_declaration_replay(existing.nomor_resi)
                out = receipt(existing)
                if key is not None:
                    idempotency.remember(
                        store, scope, key, body_hash=body_hash, status=200, data=out, now=now
                    )
                return ok(out, status=200, headers={REPLAYED_HEADER: "true"})
            row = store.insert_declaration(
                nik=body.nik,
                tanggal_perjalanan=body.tanggalPerjalanan,
                nomor_penerbangan=body.nomorPenerbangan,
                account_nik=patient.nik,
                form_json=body.model_dump_json(),
                idempotency_key=key,
                now=now,
            )
            out = receipt(row)
            if key is not None:
                idempotency.remember(
                    store, scope, key, body_hash=body_hash, status=201, data=out, now=now
                )
        return ok(out, status=201)

    @api.get("/health-declarations/{nomor_resi}", response_model=Envelope[ReceiptOut])
    async def get_receipt(
        patient: Me, nomor_resi: Annotated[str, Path(min_length=1, max_length=40)]
    ) -> Response:
        row = store.declaration(nomor_resi)
        if row is None or patient.nik not in (row.account_nik, row.nik):
            raise app_error(
                ErrorCode.NOT_FOUND, f"no health declaration {nomor_resi!r} for this account"
            )
        return ok(receipt(row))

    return api
