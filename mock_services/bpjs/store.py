"""What the BPJS mock persists: SEPs, and Antrean RS bookings with their task times.

SQLite through `mock_services.common.storage` (WAL; an in-memory database unless `--db` is given).
Every method runs synchronously on the event loop, so a check and the write after it are never
interleaved with another request; primary keys back that up.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from service_contract.ledger import AntreanStatus, BpjsLedger, LedgerAntrean, LedgerSep

SCHEMA = """
CREATE TABLE IF NOT EXISTS sep (
    serial INTEGER PRIMARY KEY AUTOINCREMENT,
    no_sep TEXT NOT NULL UNIQUE,
    no_kartu TEXT NOT NULL,
    tgl_sep TEXT NOT NULL,
    record TEXT NOT NULL,
    deleted_by TEXT
);
CREATE TABLE IF NOT EXISTS antrean (
    kodebooking TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    pasienbaru INTEGER NOT NULL,
    status TEXT NOT NULL,
    keterangan_batal TEXT
);
CREATE TABLE IF NOT EXISTS antrean_task (
    kodebooking TEXT NOT NULL REFERENCES antrean (kodebooking),
    taskid INTEGER NOT NULL,
    waktu INTEGER NOT NULL,
    wakturs INTEGER NOT NULL,
    PRIMARY KEY (kodebooking, taskid)
);
"""


@dataclass(frozen=True, slots=True)
class Booking:
    kodebooking: str
    request: str  # canonical JSON of the add body: the idempotency comparison
    pasienbaru: bool
    status: AntreanStatus


@dataclass(frozen=True, slots=True)
class TaskTime:
    taskid: int
    waktu: int  # epoch ms, as the client sent it
    wakturs: int  # epoch ms, when the mock received it


class BpjsStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        conn.executescript(SCHEMA)

    # --- SEP -------------------------------------------------------------------------------

    def next_sep_serial(self) -> int:
        row = self._conn.execute("SELECT COALESCE(MAX(serial), 0) + 1 FROM sep").fetchone()
        return int(row[0])

    def insert_sep(
        self, *, serial: int, no_sep: str, no_kartu: str, tgl_sep: str, record: Any
    ) -> None:
        self._conn.execute(
            "INSERT INTO sep (serial, no_sep, no_kartu, tgl_sep, record) VALUES (?, ?, ?, ?, ?)",
            (serial, no_sep, no_kartu, tgl_sep, json.dumps(record, ensure_ascii=False)),
        )

    def get_sep(self, no_sep: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT record FROM sep WHERE no_sep = ? AND deleted_by IS NULL", (no_sep,)
        ).fetchone()
        if row is None:
            return None
        record: dict[str, Any] = json.loads(row["record"])
        return record

    def delete_sep(self, no_sep: str, *, user: str) -> bool:
        cursor = self._conn.execute(
            "UPDATE sep SET deleted_by = ? WHERE no_sep = ? AND deleted_by IS NULL", (user, no_sep)
        )
        return cursor.rowcount == 1

    # --- Antrean RS ------------------------------------------------------------------------

    def booking(self, kodebooking: str) -> Booking | None:
        row = self._conn.execute(
            "SELECT kodebooking, request, pasienbaru, status FROM antrean WHERE kodebooking = ?",
            (kodebooking,),
        ).fetchone()
        if row is None:
            return None
        return Booking(
            kodebooking=row["kodebooking"],
            request=row["request"],
            pasienbaru=bool(row["pasienbaru"]),
            status=AntreanStatus(row["status"]),
        )

    def add_booking(self, *, kodebooking: str, request: str, pasienbaru: bool) -> Booking:
        """Insert the booking unless it exists; either way return what is stored."""
        self._conn.execute(
            "INSERT INTO antrean (kodebooking, request, pasienbaru, status) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kodebooking) DO NOTHING",
            (kodebooking, request, int(pasienbaru), AntreanStatus.ACTIVE.value),
        )
        stored = self.booking(kodebooking)
        assert stored is not None  # just inserted or already there
        return stored

    def cancel_booking(self, kodebooking: str, *, keterangan: str) -> bool:
        cursor = self._conn.execute(
            "UPDATE antrean SET status = ?, keterangan_batal = ? "
            "WHERE kodebooking = ? AND status = ?",
            (AntreanStatus.CANCELLED.value, keterangan, kodebooking, AntreanStatus.ACTIVE.value),
        )
        return cursor.rowcount == 1

    def tasks(self, kodebooking: str) -> list[TaskTime]:
        rows = self._conn.execute(
            "SELECT taskid, waktu, wakturs FROM antrean_task WHERE kodebooking = ? ORDER BY waktu",
            (kodebooking,),
        ).fetchall()
        return [TaskTime(taskid=r["taskid"], waktu=r["waktu"], wakturs=r["wakturs"]) for r in rows]

    def add_task(self, kodebooking: str, *, taskid: int, waktu: int) -> None:
        self._conn.execute(
            "INSERT INTO antrean_task (kodebooking, taskid, waktu, wakturs) VALUES (?, ?, ?, ?)",
            (kodebooking, taskid, waktu, int(time.time() * 1000)),
        )

    def ledger(self) -> BpjsLedger:
        """Everything stored, for the admin API: what the harness checks "nothing lost" against."""
        bookings = [
            LedgerAntrean(
                kodebooking=row["kodebooking"],
                status=AntreanStatus(row["status"]),
                request=json.loads(row["request"]),
                tasks=[t.taskid for t in self.tasks(row["kodebooking"])],
            )
            for row in self._conn.execute("SELECT * FROM antrean ORDER BY rowid")
        ]
        seps = [
            LedgerSep(
                noSep=row["no_sep"],
                noKartu=row["no_kartu"],
                tglSep=row["tgl_sep"],
                deleted=row["deleted_by"] is not None,
            )
            for row in self._conn.execute("SELECT * FROM sep ORDER BY serial")
        ]
        return BpjsLedger(antrean=bookings, sep=seps)
