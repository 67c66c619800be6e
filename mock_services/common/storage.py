"""SQLite storage shared by the mocks: WAL mode; committed rows survive a kill -9.

The mocks serve from one asyncio event loop and call SQLite synchronously from it, so a check and
the insert that follows cannot interleave with another request; UNIQUE constraints back that up.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

MEMORY = ":memory:"


def connect(path: str | Path, *, schema: str) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` and apply `schema` (idempotent DDL)."""
    target = str(path)
    if target != MEMORY:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    if target != MEMORY:
        conn.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL already keeps every committed transaction across a kill -9 of the
    # process (the WAL is in the OS page cache); FULL would add an fsync per commit only to
    # survive power loss or an OS crash, which no scenario injects, at ~100x the cost.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.executescript(schema)
    return conn
