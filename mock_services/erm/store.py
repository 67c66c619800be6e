"""The ERM's SQLite store: tokens, visits, encounters and observations.

Every write is one short transaction on a WAL database (`mock_services.common.storage.connect`),
so a request that got its answer is committed and survives a kill -9 of the process. Handlers
run on the one event loop and call the store synchronously, so a read-then-write (the
idempotency check and the insert after it, the next queue number) cannot interleave with another
request; `BEGIN IMMEDIATE` and the UNIQUE constraints below back that up even if a second process
opens the same file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_services.common import storage

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token      TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    issued_ms  INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS visits (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    nik             TEXT NOT NULL,
    tanggal         TEXT NOT NULL,
    kodepoli        TEXT NOT NULL,
    angkaantrean    INTEGER NOT NULL,
    status          TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    fingerprint     TEXT NOT NULL,
    response        TEXT NOT NULL,
    replays         INTEGER NOT NULL DEFAULT 0,
    created         TEXT NOT NULL,
    called          TEXT,
    finished        TEXT,
    UNIQUE (tanggal, kodepoli, angkaantrean)
);
CREATE INDEX IF NOT EXISTS visits_natural_key ON visits (nik, tanggal, kodepoli);
CREATE TABLE IF NOT EXISTS encounters (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    subject     TEXT NOT NULL,
    date        TEXT NOT NULL,
    natural_key TEXT NOT NULL,
    status      TEXT NOT NULL,
    resource    TEXT NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS encounters_subject ON encounters (subject, date);
CREATE TABLE IF NOT EXISTS observations (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    subject   TEXT NOT NULL,
    encounter TEXT,
    code      TEXT NOT NULL,
    resource  TEXT NOT NULL,
    created   TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class TokenRow:
    token: str
    client_id: str
    issued_ms: int
    expires_at: float


@dataclass(frozen=True, slots=True)
class VisitRow:
    id: str
    nik: str
    tanggal: str
    kodepoli: str
    angkaantrean: int
    status: str
    idempotency_key: str | None
    fingerprint: str
    response: dict[str, Any]
    replays: int
    created: str
    called: str | None
    finished: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> VisitRow:
        return cls(
            id=row["id"],
            nik=row["nik"],
            tanggal=row["tanggal"],
            kodepoli=row["kodepoli"],
            angkaantrean=row["angkaantrean"],
            status=row["status"],
            idempotency_key=row["idempotency_key"],
            fingerprint=row["fingerprint"],
            response=json.loads(row["response"]),
            replays=row["replays"],
            created=row["created"],
            called=row["called"],
            finished=row["finished"],
        )


@dataclass(frozen=True, slots=True)
class EncounterRow:
    id: str
    subject: str
    date: str
    natural_key: str
    status: str
    resource: dict[str, Any]
    created: str
    updated: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> EncounterRow:
        return cls(
            id=row["id"],
            subject=row["subject"],
            date=row["date"],
            natural_key=row["natural_key"],
            status=row["status"],
            resource=json.loads(row["resource"]),
            created=row["created"],
            updated=row["updated"],
        )


@dataclass(frozen=True, slots=True)
class NewVisit:
    id_prefix: str
    nik: str
    tanggal: str
    kodepoli: str
    idempotency_key: str | None
    fingerprint: str
    created: str


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


class Store:
    """Typed access to the ERM database; one instance per process."""

    def __init__(self, path: str | Path) -> None:
        self.conn = storage.connect(path, schema=SCHEMA)

    # --- tokens ---------------------------------------------------------------------------

    def save_token(self, token: TokenRow) -> None:
        self.conn.execute(
            "INSERT INTO tokens (token, client_id, issued_ms, expires_at) VALUES (?, ?, ?, ?)",
            (token.token, token.client_id, token.issued_ms, token.expires_at),
        )

    def tokens_valid_at(self, now: float) -> list[TokenRow]:
        self.conn.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,))
        rows = self.conn.execute("SELECT * FROM tokens").fetchall()
        return [TokenRow(r["token"], r["client_id"], r["issued_ms"], r["expires_at"]) for r in rows]

    # --- visits ---------------------------------------------------------------------------

    def visit(self, visit_id: str) -> VisitRow | None:
        row = self.conn.execute("SELECT * FROM visits WHERE id = ?", (visit_id,)).fetchone()
        return VisitRow.from_row(row) if row else None

    def visit_by_key(self, key: str) -> VisitRow | None:
        row = self.conn.execute("SELECT * FROM visits WHERE idempotency_key = ?", (key,)).fetchone()
        return VisitRow.from_row(row) if row else None

    def count_replay(self, visit_id: str) -> None:
        self.conn.execute("UPDATE visits SET replays = replays + 1 WHERE id = ?", (visit_id,))

    def insert_visit(self, new: NewVisit, render: Callable[[str, int], dict[str, Any]]) -> VisitRow:
        """Insert a visit with the next queue number of its date + polyclinic, in one transaction.

        `render(visit_id, angkaantrean) -> dict` builds the response body, which is stored so an
        idempotent replay returns exactly what the first request got.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            (last,) = self.conn.execute(
                "SELECT COALESCE(MAX(angkaantrean), 0) FROM visits "
                "WHERE tanggal = ? AND kodepoli = ?",
                (new.tanggal, new.kodepoli),
            ).fetchone()
            number = int(last) + 1
            visit_id = f"{new.id_prefix}{number:03d}"
            response = render(visit_id, number)
            self.conn.execute(
                "INSERT INTO visits (id, nik, tanggal, kodepoli, angkaantrean, status, "
                "idempotency_key, fingerprint, response, created) "
                "VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?)",
                (
                    visit_id,
                    new.nik,
                    new.tanggal,
                    new.kodepoli,
                    number,
                    new.idempotency_key,
                    new.fingerprint,
                    _dumps(response),
                    new.created,
                ),
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        found = self.visit(visit_id)
        assert found is not None
        return found

    def set_visit_status(self, visit_id: str, status: str, *, column: str, at: str) -> None:
        if column not in ("called", "finished"):
            raise ValueError(column)
        self.conn.execute(
            f"UPDATE visits SET status = ?, {column} = ? WHERE id = ?", (status, at, visit_id)
        )

    def visits(
        self,
        *,
        tanggal: str | None = None,
        kodepoli: str | None = None,
        nik: str | None = None,
        idempotency_key: str | None = None,
    ) -> list[VisitRow]:
        clauses, args = [], []
        for column, value in (
            ("tanggal", tanggal),
            ("kodepoli", kodepoli),
            ("nik", nik),
            ("idempotency_key", idempotency_key),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(
            f"SELECT * FROM visits {where} ORDER BY tanggal, kodepoli, angkaantrean", args
        ).fetchall()
        return [VisitRow.from_row(r) for r in rows]

    # --- encounters -----------------------------------------------------------------------

    def insert_encounter(self, row: EncounterRow) -> None:
        self.conn.execute(
            "INSERT INTO encounters (id, subject, date, natural_key, status, resource, created, "
            "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.id,
                row.subject,
                row.date,
                row.natural_key,
                row.status,
                _dumps(row.resource),
                row.created,
                row.updated,
            ),
        )

    def update_encounter(self, row: EncounterRow) -> None:
        self.conn.execute(
            "UPDATE encounters SET status = ?, resource = ?, updated = ? WHERE id = ?",
            (row.status, _dumps(row.resource), row.updated, row.id),
        )

    def encounter(self, encounter_id: str) -> EncounterRow | None:
        row = self.conn.execute("SELECT * FROM encounters WHERE id = ?", (encounter_id,)).fetchone()
        return EncounterRow.from_row(row) if row else None

    def encounters(
        self, *, subject: str | None = None, date: str | None = None
    ) -> list[EncounterRow]:
        clauses, args = [], []
        if subject is not None:
            clauses.append("subject = ?")
            args.append(subject)
        if date is not None:
            clauses.append("date = ?")
            args.append(date)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.conn.execute(f"SELECT * FROM encounters {where} ORDER BY seq", args).fetchall()
        return [EncounterRow.from_row(r) for r in rows]

    # --- observations ---------------------------------------------------------------------

    def insert_observation(
        self,
        *,
        obs_id: str,
        subject: str,
        encounter: str | None,
        code: str,
        resource: dict[str, Any],
        created: str,
    ) -> None:
        self.conn.execute(
            "INSERT INTO observations (id, subject, encounter, code, resource, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (obs_id, subject, encounter, code, _dumps(resource), created),
        )

    def observation(self, obs_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT resource FROM observations WHERE id = ?", (obs_id,)
        ).fetchone()
        if row is None:
            return None
        resource: dict[str, Any] = json.loads(row["resource"])
        return resource

    def observation_count(self) -> int:
        (count,) = self.conn.execute("SELECT COUNT(*) FROM observations").fetchone()
        return int(count)

    # --- ledger ---------------------------------------------------------------------------

    def duplicate_visit_groups(self) -> list[tuple[str, str, str, list[str]]]:
        rows = self.conn.execute(
            "SELECT nik, tanggal, kodepoli, GROUP_CONCAT(id, ' ') AS ids FROM visits "
            "GROUP BY nik, tanggal, kodepoli HAVING COUNT(*) > 1 ORDER BY tanggal, kodepoli, nik"
        ).fetchall()
        return [(r["nik"], r["tanggal"], r["kodepoli"], r["ids"].split()) for r in rows]

    def duplicate_encounter_groups(self) -> list[tuple[str, list[str]]]:
        rows = self.conn.execute(
            "SELECT natural_key, GROUP_CONCAT(id, ' ') AS ids FROM encounters "
            "GROUP BY natural_key HAVING COUNT(*) > 1 ORDER BY natural_key"
        ).fetchall()
        return [(r["natural_key"], r["ids"].split()) for r in rows]
