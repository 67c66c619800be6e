"""The patient-app's SQLite store: bookings, health declarations, idempotency records, spent
refresh tokens.

One connection, used only from the event loop; every write happens inside `transaction()` (BEGIN
IMMEDIATE), with no `await` between a check and the write that follows, so concurrent identical
requests cannot both pass a check. WAL + synchronous=FULL (see common/storage.py): a response sent
means the row is on disk, and survives a kill -9.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mock_services.common.clock import WIB
from mock_services.common.storage import MEMORY, connect
from service_contract.ledger import BookingStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS bookings (
    id INTEGER PRIMARY KEY,
    kodebooking TEXT NOT NULL UNIQUE,
    nik TEXT NOT NULL,
    kodepoli TEXT NOT NULL,
    kodedokter INTEGER NOT NULL,
    tanggalperiksa TEXT NOT NULL,
    jampraktek TEXT NOT NULL,
    angkaantrean INTEGER NOT NULL,
    jeniskunjungan INTEGER NOT NULL,
    nomorreferensi TEXT,
    keluhan TEXT,
    status TEXT NOT NULL,
    idempotency_key TEXT,
    replays INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    cancelled_at REAL,
    alasan_batal TEXT,
    UNIQUE (tanggalperiksa, kodedokter, angkaantrean)
);
CREATE INDEX IF NOT EXISTS bookings_by_day ON bookings (tanggalperiksa, kodepoli, status);
CREATE INDEX IF NOT EXISTS bookings_by_nik ON bookings (nik);
CREATE TABLE IF NOT EXISTS declarations (
    id INTEGER PRIMARY KEY,
    nomor_resi TEXT NOT NULL UNIQUE,
    nik TEXT NOT NULL,
    tanggal_perjalanan TEXT NOT NULL,
    nomor_penerbangan TEXT NOT NULL,
    account_nik TEXT NOT NULL,
    form_json TEXT NOT NULL,
    idempotency_key TEXT,
    replays INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    UNIQUE (nik, tanggal_perjalanan, nomor_penerbangan)
);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    data_json TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS spent_refresh_tokens (
    jti TEXT PRIMARY KEY,
    nik TEXT NOT NULL,
    spent_at REAL NOT NULL
);
"""


def iso_time(epoch: float) -> str:
    """Epoch seconds as an ISO 8601 time in Western Indonesia Time (UTC+7), to the second."""
    return dt.datetime.fromtimestamp(epoch, WIB).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class BookingRow:
    id: int
    kodebooking: str
    nik: str
    kodepoli: str
    kodedokter: int
    tanggalperiksa: str
    jampraktek: str
    angkaantrean: int
    jeniskunjungan: int
    nomorreferensi: str | None
    keluhan: str | None
    status: BookingStatus
    idempotency_key: str | None
    replays: int
    created_at: float
    cancelled_at: float | None
    alasan_batal: str | None


@dataclass(frozen=True, slots=True)
class NewBooking:
    nik: str
    kodepoli: str
    kodedokter: int
    tanggalperiksa: dt.date
    jampraktek: str
    jeniskunjungan: int
    nomorreferensi: str | None
    keluhan: str | None
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class DeclarationRow:
    id: int
    nomor_resi: str
    nik: str
    tanggal_perjalanan: str
    nomor_penerbangan: str
    account_nik: str
    form_json: str
    idempotency_key: str | None
    replays: int
    created_at: float


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    request_hash: str
    status: int
    data_json: str


def _booking(row: sqlite3.Row) -> BookingRow:
    values = dict(row)
    values["status"] = BookingStatus(values["status"])
    return BookingRow(**values)


def _declaration(row: sqlite3.Row) -> DeclarationRow:
    return DeclarationRow(**dict(row))


class Store:
    def __init__(self, path: Path | None) -> None:
        self.conn = connect(path if path is not None else MEMORY, schema=SCHEMA)
        # Bumped on every booking write, so readers can cache what they derive from bookings.
        self.bookings_version = 0

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- idempotency ---------------------------------------------------------------------------

    def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        row = self.conn.execute(
            "SELECT request_hash, status, data_json FROM idempotency WHERE scope = ? AND key = ?",
            (scope, key),
        ).fetchone()
        return IdempotencyRecord(**dict(row)) if row else None

    def save_idempotency(
        self, scope: str, key: str, *, request_hash: str, status: int, data_json: str, now: float
    ) -> None:
        self.conn.execute(
            "INSERT INTO idempotency (scope, key, request_hash, status, data_json, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (scope, key, request_hash, status, data_json, now),
        )

    # --- bookings ------------------------------------------------------------------------------

    def booked_per_doctor(self, tanggal: dt.date, kodepoli: str) -> dict[int, int]:
        rows = self.conn.execute(
            "SELECT kodedokter, COUNT(*) FROM bookings WHERE tanggalperiksa = ? AND kodepoli = ? "
            "AND status = ? GROUP BY kodedokter",
            (tanggal.isoformat(), kodepoli, BookingStatus.BOOKED.value),
        ).fetchall()
        return {int(row[0]): int(row[1]) for row in rows}

    def queue_length(self, tanggal: str, kodedokter: int) -> int:
        """The highest queue number issued for the doctor that day (cancelled ones included)."""
        row = self.conn.execute(
            "SELECT COALESCE(MAX(angkaantrean), 0) FROM bookings "
            "WHERE tanggalperiksa = ? AND kodedokter = ?",
            (tanggal, kodedokter),
        ).fetchone()
        return int(row[0])

    def insert_booking(self, new: NewBooking, *, now: float) -> BookingRow:
        """Insert with the next queue number; call inside `transaction()`."""
        next_id = int(
            self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM bookings").fetchone()[0]
        )
        tanggal = new.tanggalperiksa.isoformat()
        angka = self.queue_length(tanggal, new.kodedokter) + 1
        kodebooking = f"{new.tanggalperiksa:%Y%m%d}{new.kodepoli}{next_id:05d}"
        self.conn.execute(
            "INSERT INTO bookings (id, kodebooking, nik, kodepoli, kodedokter, tanggalperiksa, "
            "jampraktek, angkaantrean, jeniskunjungan, nomorreferensi, keluhan, status, "
            "idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                next_id,
                kodebooking,
                new.nik,
                new.kodepoli,
                new.kodedokter,
                tanggal,
                new.jampraktek,
                angka,
                new.jeniskunjungan,
                new.nomorreferensi,
                new.keluhan,
                BookingStatus.BOOKED.value,
                new.idempotency_key,
                now,
            ),
        )
        self.bookings_version += 1
        booking = self.booking(kodebooking)
        assert booking is not None  # just inserted, inside the same transaction
        return booking

    def booking(self, kodebooking: str) -> BookingRow | None:
        row = self.conn.execute(
            "SELECT * FROM bookings WHERE kodebooking = ?", (kodebooking,)
        ).fetchone()
        return _booking(row) if row else None

    def bookings_of(self, nik: str) -> list[BookingRow]:
        rows = self.conn.execute("SELECT * FROM bookings WHERE nik = ? ORDER BY id", (nik,))
        return [_booking(row) for row in rows]

    def all_bookings(self) -> list[BookingRow]:
        return [_booking(row) for row in self.conn.execute("SELECT * FROM bookings ORDER BY id")]

    def cancel_booking(self, kodebooking: str, *, alasan: str | None, now: float) -> None:
        self.conn.execute(
            "UPDATE bookings SET status = ?, cancelled_at = ?, alasan_batal = ? "
            "WHERE kodebooking = ? AND status = ?",
            (BookingStatus.CANCELLED.value, now, alasan, kodebooking, BookingStatus.BOOKED.value),
        )
        self.bookings_version += 1

    def count_booking_replay(self, kodebooking: str) -> None:
        self.conn.execute(
            "UPDATE bookings SET replays = replays + 1 WHERE kodebooking = ?", (kodebooking,)
        )

    # --- health declarations -------------------------------------------------------------------

    def declaration(self, nomor_resi: str) -> DeclarationRow | None:
        row = self.conn.execute(
            "SELECT * FROM declarations WHERE nomor_resi = ?", (nomor_resi,)
        ).fetchone()
        return _declaration(row) if row else None

    def declaration_by_natural_key(
        self, nik: str, tanggal_perjalanan: str, nomor_penerbangan: str
    ) -> DeclarationRow | None:
        row = self.conn.execute(
            "SELECT * FROM declarations WHERE nik = ? AND tanggal_perjalanan = ? "
            "AND nomor_penerbangan = ?",
            (nik, tanggal_perjalanan, nomor_penerbangan),
        ).fetchone()
        return _declaration(row) if row else None

    def insert_declaration(
        self,
        *,
        nik: str,
        tanggal_perjalanan: dt.date,
        nomor_penerbangan: str,
        account_nik: str,
        form_json: str,
        idempotency_key: str | None,
        now: float,
    ) -> DeclarationRow:
        next_id = int(
            self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM declarations").fetchone()[0]
        )
        nomor_resi = f"EHAC{tanggal_perjalanan:%y%m%d}{next_id:06d}"
        self.conn.execute(
            "INSERT INTO declarations (id, nomor_resi, nik, tanggal_perjalanan, "
            "nomor_penerbangan, account_nik, form_json, idempotency_key, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                next_id,
                nomor_resi,
                nik,
                tanggal_perjalanan.isoformat(),
                nomor_penerbangan,
                account_nik,
                form_json,
                idempotency_key,
                now,
            ),
        )
        declaration = self.declaration(nomor_resi)
        assert declaration is not None  # just inserted, inside the same transaction
        return declaration

    def count_declaration_replay(self, nomor_resi: str) -> None:
        self.conn.execute(
            "UPDATE declarations SET replays = replays + 1 WHERE nomor_resi = ?", (nomor_resi,)
        )

    def all_declarations(self) -> list[DeclarationRow]:
        rows = self.conn.execute("SELECT * FROM declarations ORDER BY id")
        return [_declaration(row) for row in rows]

    # --- refresh tokens ------------------------------------------------------------------------

    def spend_refresh_token(self, jti: str, *, nik: str, now: float) -> bool:
        """Mark a refresh token spent; False if it already was (a replayed refresh token)."""
        try:
            self.conn.execute(
                "INSERT INTO spent_refresh_tokens (jti, nik, spent_at) VALUES (?, ?, ?)",
                (jti, nik, now),
            )
        except sqlite3.IntegrityError:
            return False
        return True
