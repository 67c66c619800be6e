"""The honest ledger: every booking and health declaration, for "nothing lost, nothing twice".

    GET /__admin/ledger

Each record carries its natural key and the Idempotency-Key it was created with (null if none),
so a check can correlate by what a real client sends. `replays` counts how often the record was
returned again instead of being created twice (idempotent retries). `duplicates` lists natural
keys held by more than one record:
- bookings: (nik, tanggalperiksa, kodepoli) among active (not cancelled) bookings; a new booking
  after a cancellation is not a duplicate;
- declarations: (nik, tanggalPerjalanan, nomorPenerbangan); the store enforces it, so any entry
  here would be a bug in the mock.

The body is `service_contract.ledger.PatientAppLedger`.
"""

from collections import defaultdict

from fastapi import APIRouter

from mock_services.patient_app.context import Context
from mock_services.patient_app.store import iso_time
from service_contract.ledger import (
    BookingDuplicate,
    BookingKey,
    BookingStatus,
    DeclarationDuplicate,
    DeclarationKey,
    LedgerBooking,
    LedgerDeclaration,
    PatientAppCounts,
    PatientAppDuplicates,
    PatientAppLedger,
)


def build_ledger(ctx: Context) -> PatientAppLedger:
    bookings = [
        LedgerBooking(
            kodebooking=row.kodebooking,
            naturalKey=BookingKey(
                nik=row.nik, tanggalperiksa=row.tanggalperiksa, kodepoli=row.kodepoli
            ),
            kodedokter=row.kodedokter,
            angkaantrean=row.angkaantrean,
            status=row.status,
            idempotencyKey=row.idempotency_key,
            replays=row.replays,
            createdAt=iso_time(row.created_at),
            cancelledAt=iso_time(row.cancelled_at) if row.cancelled_at is not None else None,
        )
        for row in ctx.store.all_bookings()
    ]
    declarations = [
        LedgerDeclaration(
            nomorResi=row.nomor_resi,
            naturalKey=DeclarationKey(
                nik=row.nik,
                tanggalPerjalanan=row.tanggal_perjalanan,
                nomorPenerbangan=row.nomor_penerbangan,
            ),
            accountNik=row.account_nik,
            idempotencyKey=row.idempotency_key,
            replays=row.replays,
            createdAt=iso_time(row.created_at),
        )
        for row in ctx.store.all_declarations()
    ]
    by_booking_key: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for b in bookings:
        if b.status is BookingStatus.BOOKED:
            key = b.naturalKey
            by_booking_key[(key.nik, key.tanggalperiksa, key.kodepoli)].append(b.kodebooking)
    by_declaration_key: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for d in declarations:
        dkey = d.naturalKey
        by_declaration_key[(dkey.nik, dkey.tanggalPerjalanan, dkey.nomorPenerbangan)].append(
            d.nomorResi
        )
    active = sum(b.status is BookingStatus.BOOKED for b in bookings)
    return PatientAppLedger(
        counts=PatientAppCounts(
            bookings=len(bookings),
            activeBookings=active,
            cancelledBookings=len(bookings) - active,
            declarations=len(declarations),
        ),
        bookings=bookings,
        declarations=declarations,
        duplicates=PatientAppDuplicates(
            bookings=[
                BookingDuplicate(
                    naturalKey=BookingKey(nik=k[0], tanggalperiksa=k[1], kodepoli=k[2]),
                    count=len(codes),
                    kodebooking=codes,
                )
                for k, codes in by_booking_key.items()
                if len(codes) > 1
            ],
            declarations=[
                DeclarationDuplicate(
                    naturalKey=DeclarationKey(
                        nik=k[0], tanggalPerjalanan=k[1], nomorPenerbangan=k[2]
                    ),
                    count=len(codes),
                    nomorResi=codes,
                )
                for k, codes in by_declaration_key.items()
                if len(codes) > 1
            ],
        ),
    )


def router(ctx: Context) -> APIRouter:
    """Mounted under /__admin by the app factory (never faulted)."""
    api = APIRouter(tags=["admin"])

    @api.get("/ledger")
    async def ledger() -> PatientAppLedger:
        return build_ledger(ctx)

    return api
