"""The resilient client's own SQLite file: cache, outbox and local registrations.

The client serves from one asyncio event loop and calls SQLite synchronously from it, so a lookup
and the insert that follows cannot interleave with another request; PRIMARY KEY and UNIQUE
constraints back that up. WAL + synchronous=FULL: a registration the patient was told about is on
disk before the answer leaves, and survives a crash of the client.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    body BLOB NOT NULL,
    media_type TEXT NOT NULL,
    stored_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,              -- the Idempotency-Key sent upstream, from the natural key
    kind TEXT NOT NULL,                -- visit | booking | declaration
    local_ref TEXT NOT NULL UNIQUE,    -- what the patient was given meanwhile
    payload TEXT NOT NULL,             -- JSON, sent byte-for-byte the same on every attempt
    status TEXT NOT NULL,              -- pending | delivered | rejected
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result TEXT,                       -- the upstream's answer once delivered (JSON)
    replayed INTEGER NOT NULL DEFAULT 0,  -- the upstream said Idempotent-Replayed: true
    created_at REAL NOT NULL,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, created_at);
CREATE TABLE IF NOT EXISTS registrations (
    key TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL UNIQUE,
    nik TEXT NOT NULL,
    tanggal TEXT NOT NULL,
    kodepoli TEXT NOT NULL,
    nomorantrean TEXT NOT NULL,
    angkaantrean INTEGER NOT NULL,
    offline INTEGER NOT NULL,          -- 1: a local queue number, issued while the ERM was down
    visit_id TEXT,
    erm_nomorantrean TEXT,
    eligibility TEXT NOT NULL,         -- AKTIF | pending_verification | not_active
    eligibility_note TEXT,
    verified_at REAL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS registrations_pending ON registrations (eligibility, created_at);
CREATE TABLE IF NOT EXISTS local_queue (
    tanggal TEXT NOT NULL,
    kodepoli TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (tanggal, kodepoli)
);
CREATE TABLE IF NOT EXISTS known_logins (
    digest TEXT PRIMARY KEY           -- sha256 of nik|tglLahir the patient-app once accepted
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the client database at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.executescript(SCHEMA)
    return conn
