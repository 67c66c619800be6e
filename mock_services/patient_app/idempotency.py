"""Idempotency-Key handling shared by the write endpoints (bookings, health declarations).

A key is scoped to the account and the operation (`"<nik>:<operation>"`), so two patients may
happen to use the same key. The first successful response is stored with a hash of the request
body (canonical JSON of the validated body, so key order and whitespace do not matter):
- same key, same body: the stored response is replayed (same status, same data) with the header
  `Idempotent-Replayed: true`, and nothing is written again;
- same key, different body: 422 `IDEMPOTENCY_KEY_REUSED`;
- errors are not stored, so a retry after e.g. QUOTA_FULL is evaluated afresh.
Records persist in SQLite like everything else, so a retry after a crash and restart still replays.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header, Response
from pydantic import BaseModel

from mock_services.patient_app.envelope import REPLAYED_HEADER, ErrorCode, app_error, ok
from mock_services.patient_app.store import Store

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="Any 1-255 printable ASCII characters (a UUID is usual). Retrying with the "
        "same key and body replays the first result instead of acting twice.",
    ),
]


def checked_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not _KEY.match(key):
        raise app_error(
            ErrorCode.INVALID_REQUEST,
            f"{IDEMPOTENCY_HEADER} must be 1-255 printable ASCII characters without spaces "
            "(e.g. a UUID)",
        )
    return key


def request_hash(body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResult:
    status: int
    data: dict[str, Any]

    def response(self) -> Response:
        """The first response again, marked as a replay."""
        return ok(self.data, status=self.status, headers={REPLAYED_HEADER: "true"})


def stored(store: Store, scope: str, key: str, body_hash: str) -> StoredResult | None:
    """The stored result for this key, or None if the key is new; raises on a reused key."""
    record = store.idempotency_record(scope, key)
    if record is None:
        return None
    if record.request_hash != body_hash:
        raise app_error(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            f"{IDEMPOTENCY_HEADER} {key!r} was already used with a different request body; use a "
            "new key for a new request",
        )
    data: dict[str, Any] = json.loads(record.data_json)
    return StoredResult(status=record.status, data=data)


def remember(
    store: Store,
    scope: str,
    key: str,
    *,
    body_hash: str,
    status: int,
    data: BaseModel,
    now: float,
) -> None:
    store.save_idempotency(
        scope,
        key,
        request_hash=body_hash,
        status=status,
        data_json=data.model_dump_json(),
        now=now,
    )
