"""Registrations the resilient client has accepted, with their local queue numbers.

A registration is recorded once per natural key (nik + tanggal + kodepoli): a patient who asks
again gets the same answer, whatever the ERM and BPJS are doing. While the ERM is down the queue
number is local (`INT-OFF-001`: clearly not the ERM's), issued per date and polyclinic; the visit
reaches the ERM through the outbox later. Eligibility left `pending_verification` during a BPJS
outage is verified later; a participant then found inactive is flagged `not_active` for staff,
and the registration is kept: nothing is ever cancelled.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from examples.reference_client.models import Eligibility


@dataclass(frozen=True, slots=True)
class LocalRegistration:
    key: str
    registration_id: str
    nik: str
    tanggal: str
    kodepoli: str
    nomorantrean: str
    angkaantrean: int
    offline: bool
    visit_id: str | None
    erm_nomorantrean: str | None
    eligibility: Eligibility
    eligibility_note: str | None
    verified_at: float | None


def _registration(row: sqlite3.Row) -> LocalRegistration:
    return LocalRegistration(
        key=str(row["key"]),
        registration_id=str(row["registration_id"]),
        nik=str(row["nik"]),
        tanggal=str(row["tanggal"]),
        kodepoli=str(row["kodepoli"]),
        nomorantrean=str(row["nomorantrean"]),
        angkaantrean=int(row["angkaantrean"]),
        offline=bool(row["offline"]),
        visit_id=row["visit_id"],
        erm_nomorantrean=row["erm_nomorantrean"],
        eligibility=Eligibility(row["eligibility"]),
        eligibility_note=row["eligibility_note"],
        verified_at=row["verified_at"],
    )


def offline_number(kodepoli: str, angka: int) -> str:
    return f"{kodepoli.upper()}-OFF-{angka:03d}"


class LocalRegistrations:
    def __init__(self, conn: sqlite3.Connection, *, clock: Callable[[], float] = time.time):
        self._conn = conn
        self._clock = clock

    def get(self, key: str) -> LocalRegistration | None:
        row = self._conn.execute("SELECT * FROM registrations WHERE key = ?", (key,)).fetchone()
        return _registration(row) if row is not None else None

    def by_id(self, registration_id: str) -> LocalRegistration | None:
        row = self._conn.execute(
            "SELECT * FROM registrations WHERE registration_id = ?", (registration_id,)
        ).fetchone()
        return _registration(row) if row is not None else None

    def next_offline_number(self, tanggal: str, kodepoli: str) -> int:
        row = self._conn.execute(
            "INSERT INTO local_queue (tanggal, kodepoli, last) VALUES (?, ?, 1) "
            "ON CONFLICT (tanggal, kodepoli) DO UPDATE SET last = last + 1 RETURNING last",
            (tanggal, kodepoli.upper()),
        ).fetchone()
        return int(row[0])

    def record(
        self,
        *,
        key: str,
        registration_id: str,
        nik: str,
        tanggal: str,
        kodepoli: str,
        nomorantrean: str,
        angkaantrean: int,
        offline: bool,
        visit_id: str | None,
        eligibility: Eligibility,
    ) -> LocalRegistration:
        """Store a new registration; the one already stored under `key` wins."""
        self._conn.execute(
            "INSERT OR IGNORE INTO registrations (key, registration_id, nik, tanggal, kodepoli, "
            "nomorantrean, angkaantrean, offline, visit_id, erm_nomorantrean, eligibility, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                registration_id,
                nik,
                tanggal,
                kodepoli,
                nomorantrean,
                angkaantrean,
                int(offline),
                visit_id,
                None if offline else nomorantrean,
                eligibility.value,
                self._clock(),
            ),
        )
        stored = self.get(key)
        assert stored is not None
        return stored

    def attach_visit(self, key: str, *, visit_id: str, erm_nomorantrean: str) -> None:
        """The ERM has the visit now (the outbox delivered it)."""
        self._conn.execute(
            "UPDATE registrations SET visit_id = ?, erm_nomorantrean = ? WHERE key = ?",
            (visit_id, erm_nomorantrean, key),
        )

    def pending_verification(self, *, limit: int) -> list[LocalRegistration]:
        rows = self._conn.execute(
            "SELECT * FROM registrations WHERE eligibility = ? ORDER BY created_at LIMIT ?",
            (Eligibility.PENDING.value, limit),
        ).fetchall()
        return [_registration(row) for row in rows]

    def set_eligibility(self, key: str, eligibility: Eligibility, *, note: str) -> None:
        self._conn.execute(
            "UPDATE registrations SET eligibility = ?, eligibility_note = ?, verified_at = ? "
            "WHERE key = ?",
            (eligibility.value, note[:200], self._clock(), key),
        )

    def count_pending_verification(self) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM registrations WHERE eligibility = ?",
            (Eligibility.PENDING.value,),
        ).fetchone()
        return int(row[0])
