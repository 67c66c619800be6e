"""Last good answers, served with `X-Degraded: cache` when the upstream fails.

Entries are keyed by what identifies the answer (for patient data: the patient's NIK and a hash
of the NIK + birth date used to log in, so a wrong birth date never reads someone's cache). The
table is bounded: past `max_entries` the oldest entries go.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    body: bytes
    media_type: str
    stored_at: float


class ResponseCache:
    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        max_entries: int = 5_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = conn
        self._max = max_entries
        self._clock = clock
        self._writes = 0

    def get(self, key: str) -> CachedAnswer | None:
        row = self._conn.execute(
            "SELECT body, media_type, stored_at FROM cache WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        return CachedAnswer(bytes(row["body"]), str(row["media_type"]), float(row["stored_at"]))

    def put(self, key: str, body: bytes, media_type: str) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO cache (key, body, media_type, stored_at) VALUES (?, ?, ?, ?)",
            (key, body, media_type, self._clock()),
        )
        self._writes += 1
        if self._writes % 100 == 0:
            self._trim()

    def _trim(self) -> None:
        self._conn.execute(
            "DELETE FROM cache WHERE key NOT IN "
            "(SELECT key FROM cache ORDER BY stored_at DESC LIMIT ?)",
            (self._max,),
        )
