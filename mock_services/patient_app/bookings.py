"""Online booking (honouring Idempotency-Key), cancellation and queue status.

    POST /api/v1/bookings                       book; 201 with kodebooking and queue number
    GET  /api/v1/bookings                       the patient's bookings
    GET  /api/v1/bookings/{kodebooking}
    POST /api/v1/bookings/{kodebooking}/cancel  idempotent: cancelling twice answers the same
    GET  /api/v1/bookings/{kodebooking}/queue   number being served now, people ahead, estimate

The natural key of a booking is (nik, tanggalperiksa, kodepoli). The mock deliberately does not
refuse a second booking with the same natural key: like a backend that trusts its clients, it
records it, and the ledger reports it as a duplicate, so a client that retries without an
Idempotency-Key is caught double-booking.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations at runtime,
# and they name dependencies local to `router()`.
import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from mock_services.common import clock
from mock_services.common.clock import WIB
from mock_services.common.dataset import Patient
from mock_services.patient_app import idempotency
from mock_services.patient_app.auth import PREFIX, CurrentPatient
from mock_services.patient_app.catalog import require_polyclinic
from mock_services.patient_app.context import Context
from mock_services.patient_app.envelope import Envelope, ErrorCode, app_error, ok
from mock_services.patient_app.queue import epoch_ms, estimated_service, position
from mock_services.patient_app.store import BookingRow, NewBooking, iso_time
from service_contract.ledger import BookingStatus

MAX_DAYS_AHEAD = 90
KODEBOOKING = Path(min_length=1, max_length=40, description="from POST /api/v1/bookings")


class BookingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kodepoli: Annotated[str, Field(min_length=1, max_length=10)]
    kodedokter: Annotated[int, Field(ge=1, le=10**9)]
    tanggalperiksa: dt.date
    jeniskunjungan: Annotated[
        int, Field(ge=1, le=4, description="1 rujukan FKTP, 2 internal, 3 kontrol, 4 antar RS")
    ] = 1
    nomorreferensi: Annotated[str, Field(max_length=40)] | None = None
    keluhan: Annotated[str, Field(max_length=500)] | None = None


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alasan: Annotated[str, Field(max_length=500)] | None = None


class BookingOut(BaseModel):
    kodebooking: str
    nomorantrean: str
    angkaantrean: int
    nik: str
    kodepoli: str
    namapoli: str
    kodedokter: int
    namadokter: str
    tanggalperiksa: str
    jampraktek: str
    jeniskunjungan: int
    nomorreferensi: str | None
    estimasidilayani: int = Field(description="expected service time, epoch milliseconds")
    status: BookingStatus
    dibuatPada: str
    dibatalkanPada: str | None
    alasanBatal: str | None


class QueueStatusOut(BaseModel):
    kodebooking: str
    nomorantrean: str
    angkaantrean: int
    status: BookingStatus
    tanggalperiksa: str
    namapoli: str
    namadokter: str
    sedangdilayani: int = Field(description="queue number being served now; 0 before the start")
    totalantrean: int
    sisaantrean: int = Field(description="people ahead of this booking")
    estimasidilayani: int = Field(description="expected service time, epoch milliseconds")
    estimasiMenit: int = Field(description="minutes until the expected service time")


def _today() -> dt.date:
    return clock.today()


def booking_out(ctx: Context, row: BookingRow) -> BookingOut:
    poli = ctx.dataset.polyclinic(row.kodepoli)
    doctor = next((d for d in ctx.dataset.doctors if d.kodedokter == row.kodedokter), None)
    tanggal = dt.date.fromisoformat(row.tanggalperiksa)
    eta = estimated_service(
        tanggal, row.jampraktek, row.angkaantrean, minutes=ctx.options.minutes_per_patient
    )
    return BookingOut(
        kodebooking=row.kodebooking,
        nomorantrean=f"{row.kodepoli}-{row.angkaantrean:03d}",
        angkaantrean=row.angkaantrean,
        nik=row.nik,
        kodepoli=row.kodepoli,
        namapoli=poli.namapoli if poli else row.kodepoli,
        kodedokter=row.kodedokter,
        namadokter=doctor.namadokter if doctor else str(row.kodedokter),
        tanggalperiksa=row.tanggalperiksa,
        jampraktek=row.jampraktek,
        jeniskunjungan=row.jeniskunjungan,
        nomorreferensi=row.nomorreferensi,
        estimasidilayani=epoch_ms(eta),
        status=row.status,
        dibuatPada=iso_time(row.created_at),
        dibatalkanPada=iso_time(row.cancelled_at) if row.cancelled_at is not None else None,
        alasanBatal=row.alasan_batal,
    )


def _new_booking(
    ctx: Context, patient: Patient, body: BookingRequest, key: str | None
) -> NewBooking:
    """Validate a request against the dataset and the calendar (no quota check: that is in the
    write transaction)."""
    poli = require_polyclinic(ctx.dataset, body.kodepoli)
    today = _today()
    if not today <= body.tanggalperiksa <= today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise app_error(
            ErrorCode.INVALID_REQUEST,
            f"tanggalperiksa {body.tanggalperiksa} is outside the booking window: from today "
            f"({today}) up to {MAX_DAYS_AHEAD} days ahead",
        )
    slot = next(
        (
            s
            for s in ctx.dataset.schedules_on(poli.kodepoli, body.tanggalperiksa)
            if s.kodedokter == body.kodedokter
        ),
        None,
    )
    if slot is None:
        raise app_error(
            ErrorCode.NO_SCHEDULE,
            f"doctor {body.kodedokter} has no practice at {poli.kodepoli} on "
            f"{body.tanggalperiksa}; see GET {PREFIX}/schedules?kodepoli={poli.kodepoli}"
            f"&tanggal={body.tanggalperiksa}",
        )
    return NewBooking(
        nik=patient.nik,
        kodepoli=poli.kodepoli,
        kodedokter=slot.kodedokter,
        tanggalperiksa=body.tanggalperiksa,
        jampraktek=slot.jadwal,
        jeniskunjungan=body.jeniskunjungan,
        nomorreferensi=body.nomorreferensi,
        keluhan=body.keluhan,
        idempotency_key=key,
    )


def _capacity(ctx: Context, new: NewBooking) -> int:
    return next(
        s.kapasitaspasien
        for s in ctx.dataset.schedules_on(new.kodepoli, new.tanggalperiksa)
        if s.kodedokter == new.kodedokter
    )


def _own_booking(ctx: Context, patient: Patient, kodebooking: str) -> BookingRow:
    row = ctx.store.booking(kodebooking)
    if row is None or row.nik != patient.nik:  # another patient's booking is not even confirmed
        raise app_error(ErrorCode.NOT_FOUND, f"no booking {kodebooking!r} for this patient")
    return row


def router(ctx: Context, current_patient: CurrentPatient) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["bookings"])
    store = ctx.store
    Me = Annotated[Patient, Depends(current_patient)]

    @api.post("/bookings", status_code=201, response_model=Envelope[BookingOut])
    async def book(
        patient: Me, body: BookingRequest, idempotency_key: idempotency.IdempotencyKeyHeader = None
    ) -> Response:
        key = idempotency.checked_key(idempotency_key)
        body_hash = idempotency.request_hash(body)
        scope = f"{patient.nik}:booking"
        now = time.time()
        # No await from here on: the check and the insert cannot interleave with another request.
        with store.transaction():
            if key is not None:
                first = idempotency.stored(store, scope, key, body_hash)
                if first is not None:
                    store.count_booking_replay(str(first.data["kodebooking"]))
                    return first.response()
            new = _new_booking(ctx, patient, body, key)
            booked = store.booked_per_doctor(new.tanggalperiksa, new.kodepoli).get(
                new.kodedokter, 0
            )
            if booked >= _capacity(ctx, new):
                raise app_error(
                    ErrorCode.QUOTA_FULL,
                    f"the quota for doctor {new.kodedokter} on {new.tanggalperiksa} is full; "
                    "choose another date or doctor",
                )
            out = booking_out(ctx, store.insert_booking(new, now=now))
            if key is not None:
                idempotency.remember(
                    store, scope, key, body_hash=body_hash, status=201, data=out, now=now
                )
        return ok(out, status=201)

    @api.get("/bookings", response_model=Envelope[list[BookingOut]])
    async def my_bookings(patient: Me) -> Response:
        return ok([booking_out(ctx, row) for row in store.bookings_of(patient.nik)])

    @api.get("/bookings/{kodebooking}", response_model=Envelope[BookingOut])
    async def get_booking(patient: Me, kodebooking: Annotated[str, KODEBOOKING]) -> Response:
        return ok(booking_out(ctx, _own_booking(ctx, patient, kodebooking)))

    @api.post("/bookings/{kodebooking}/cancel", response_model=Envelope[BookingOut])
    async def cancel(
        patient: Me,
        kodebooking: Annotated[str, KODEBOOKING],
        body: Annotated[CancelRequest | None, Body()] = None,
    ) -> Response:
        with store.transaction():
            row = _own_booking(ctx, patient, kodebooking)
            if row.status is BookingStatus.BOOKED:
                store.cancel_booking(
                    kodebooking, alasan=body.alasan if body else None, now=time.time()
                )
        cancelled = store.booking(kodebooking)
        assert cancelled is not None
        return ok(booking_out(ctx, cancelled))

    @api.get("/bookings/{kodebooking}/queue", response_model=Envelope[QueueStatusOut])
    async def queue_status(patient: Me, kodebooking: Annotated[str, KODEBOOKING]) -> Response:
        row = _own_booking(ctx, patient, kodebooking)
        tanggal = dt.date.fromisoformat(row.tanggalperiksa)
        issued = store.queue_length(row.tanggalperiksa, row.kodedokter)
        minutes = ctx.options.minutes_per_patient
        pos = position(
            tanggal=tanggal,
            jadwal=row.jampraktek,
            angka=row.angkaantrean,
            issued=issued,
            minutes=minutes,
            now=dt.datetime.now(WIB),
        )
        out = booking_out(ctx, row)
        return ok(
            QueueStatusOut(
                kodebooking=row.kodebooking,
                nomorantrean=out.nomorantrean,
                angkaantrean=row.angkaantrean,
                status=row.status,
                tanggalperiksa=row.tanggalperiksa,
                namapoli=out.namapoli,
                namadokter=out.namadokter,
                sedangdilayani=pos.serving,
                totalantrean=issued,
                sisaantrean=pos.ahead,
                estimasidilayani=out.estimasidilayani,
                estimasiMenit=pos.minutes_left,
            )
        )

    return api
