"""The offline outbox: writes an upstream could not take, forwarded later exactly once.

Each entry is keyed by the Idempotency-Key derived from the request's natural key (keys.py), and
keeps the exact JSON body to send. Adding the same key twice returns the first entry, so a patient
who retries gets the same local reference and nothing is queued twice; the upstream's own
Idempotency-Key handling makes a replay of something that did arrive (a timeout after the commit)
come back as `Idempotent-Replayed` instead of creating a second record.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import JsonValue

JsonObject = dict[str, JsonValue]


class OutboxKind(StrEnum):
    VISIT = "visit"  # ERM visit registration
    BOOKING = "booking"  # patient-app booking
    DECLARATION = "declaration"  # patient-app e-HAC health declaration


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    REJECTED = "rejected"  # the upstream refused it for good (kept for staff, never dropped)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    key: str
    kind: OutboxKind
    local_ref: str
    payload: JsonObject
    status: OutboxStatus
    attempts: int
    last_error: str | None
    result: JsonObject | None
    replayed: bool
    created_at: float


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    pending: int
    delivered: int
    rejected: int
    replayed: int  # delivered entries the upstream already had (a commit before a timeout)


def _entry(row: sqlite3.Row) -> OutboxEntry:
    result = row["result"]
    return OutboxEntry(
        key=str(row["key"]),
        kind=OutboxKind(row["kind"]),
        local_ref=str(row["local_ref"]),
        payload=json.loads(row["payload"]),
        status=OutboxStatus(row["status"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        result=json.loads(result) if result is not None else None,
        replayed=bool(row["replayed"]),
        created_at=float(row["created_at"]),
    )


class Outbox:
    def __init__(self, conn: sqlite3.Connection, *, clock: Callable[[], float] = time.time):
        self._conn = conn
        self._clock = clock

    def add(
        self, *, key: str, kind: OutboxKind, local_ref: str, payload: JsonObject
    ) -> OutboxEntry:
        """Queue `payload` under `key`; the existing entry if `key` is queued already."""
        self._conn.execute(
            "INSERT OR IGNORE INTO outbox (key, kind, local_ref, payload, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                kind.value,
                local_ref,
                json.dumps(payload, sort_keys=True),
                OutboxStatus.PENDING.value,
                self._clock(),
            ),
        )
        entry = self.get(key)
        assert entry is not None
        return entry

    def get(self, key: str) -> OutboxEntry | None:
        row = self._conn.execute("SELECT * FROM outbox WHERE key = ?", (key,)).fetchone()
        return _entry(row) if row is not None else None

    def by_local_ref(self, local_ref: str) -> OutboxEntry | None:
        row = self._conn.execute(
            "SELECT * FROM outbox WHERE local_ref = ?", (local_ref,)
        ).fetchone()
        return _entry(row) if row is not None else None

    def due(self, *, limit: int) -> list[OutboxEntry]:
        """Pending entries, oldest first (the local queue order), at most `limit`."""
        rows = self._conn.execute(
            "SELECT * FROM outbox WHERE status = ? ORDER BY created_at, rowid LIMIT ?",
            (OutboxStatus.PENDING.value, limit),
        ).fetchall()
        return [_entry(row) for row in rows]

    def mark_delivered(self, key: str, *, result: JsonObject, replayed: bool) -> None:
        self._conn.execute(
            "UPDATE outbox SET status = ?, result = ?, replayed = ?, delivered_at = ?, "
            "attempts = attempts + 1, last_error = NULL WHERE key = ? AND status = ?",
            (
                OutboxStatus.DELIVERED.value,
                json.dumps(result),
                int(replayed),
                self._clock(),
                key,
                OutboxStatus.PENDING.value,
            ),
        )

    def mark_rejected(self, key: str, *, reason: str) -> None:
        self._conn.execute(
            "UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1 "
            "WHERE key = ? AND status = ?",
            (OutboxStatus.REJECTED.value, reason[:500], key, OutboxStatus.PENDING.value),
        )

    def mark_failed_attempt(self, key: str, *, error: str) -> None:
        self._conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?",
            (error[:500], key),
        )

    def summary(self) -> OutboxSummary:
        counts = {
            str(row["status"]): int(row["n"])
            for row in self._conn.execute(
                "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"
            )
        }
        replayed = self._conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status = ? AND replayed = 1",
            (OutboxStatus.DELIVERED.value,),
        ).fetchone()[0]
        return OutboxSummary(
            pending=counts.get(OutboxStatus.PENDING.value, 0),
            delivered=counts.get(OutboxStatus.DELIVERED.value, 0),
            rejected=counts.get(OutboxStatus.REJECTED.value, 0),
            replayed=int(replayed),
        )
