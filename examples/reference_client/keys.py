"""Idempotency keys derived from natural keys: a retry or a replay never makes a second record.

registration_key("3271014508900001", date(2025, 10, 27), "INT")
== sha256("registration|3271014508900001|2025-10-27|INT").hexdigest()
"""

from __future__ import annotations

import datetime as dt
import hashlib


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def registration_key(nik: str, tanggal: dt.date, kodepoli: str) -> str:
    return _key("registration", nik, tanggal.isoformat(), kodepoli.upper())


def booking_key(nik: str, tanggal: dt.date, kodepoli: str) -> str:
    return _key("booking", nik, tanggal.isoformat(), kodepoli.upper())


def declaration_key(nik: str, tanggal_perjalanan: dt.date, nomor_penerbangan: str) -> str:
    return _key("declaration", nik, tanggal_perjalanan.isoformat(), nomor_penerbangan)


def login_digest(nik: str, tgl_lahir: dt.date) -> str:
    """What identifies a patient's own cached data: never the birth date itself."""
    return _key("login", nik, tgl_lahir.isoformat())


def local_ref(prefix: str, key: str) -> str:
    """A short reference for something held locally, e.g. 'LOCAL-B-3F2A9C01D4E5'."""
    return f"LOCAL-{prefix}-{key[:12].upper()}"
