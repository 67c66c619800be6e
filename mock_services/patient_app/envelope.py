"""The patient-app API's response envelope, for successes and errors alike.

Every `/api/v1` response body (JSON, `application/json`) is one object:

    {"success": true,  "code": "OK",        "message": "OK",                 "data": {...}}
    {"success": false, "code": "NOT_FOUND", "message": "no booking ...",     "data": null}

`code` is a string: "OK" on success, else an `ErrorCode` name. The HTTP status carries the class of
the error (400, 401, 404, 409, 422, 500, ...). `render_error` is the service's `ErrorRenderer`: the
shared app factory and the `service_error` fault use it, so injected errors look like the app's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel

from mock_services.common.app import ServiceError
from mock_services.common.faults import apply_payload_faults, payload_faults_active
from service_contract.faults import ServiceErrorParams

JSON_TYPE = "application/json"
REPLAYED_HEADER = "Idempotent-Replayed"

T = TypeVar("T")


class ErrorCode(StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    UNAUTHORIZED = "UNAUTHORIZED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    NO_SCHEDULE = "NO_SCHEDULE"
    QUOTA_FULL = "QUOTA_FULL"
    BOOKING_CANCELLED = "BOOKING_CANCELLED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    BAD_GATEWAY = "BAD_GATEWAY"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"


STATUS_OF: dict[ErrorCode, int] = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.INVALID_REFRESH_TOKEN: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409,
    ErrorCode.NO_SCHEDULE: 422,
    ErrorCode.QUOTA_FULL: 409,
    ErrorCode.BOOKING_CANCELLED: 409,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.BAD_GATEWAY: 502,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.GATEWAY_TIMEOUT: 504,
}

# The shared app factory reports framework errors with HTTP-like numeric codes ("404", "500");
# the envelope always names them, so a client only ever switches on names.
_CODE_OF_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    422: ErrorCode.INVALID_REQUEST,
    429: ErrorCode.TOO_MANY_REQUESTS,
    500: ErrorCode.INTERNAL_ERROR,
    502: ErrorCode.BAD_GATEWAY,
    503: ErrorCode.SERVICE_UNAVAILABLE,
    504: ErrorCode.GATEWAY_TIMEOUT,
}


class Envelope(BaseModel, Generic[T]):
    """The shape of every API response (documented in the OpenAPI schema per endpoint)."""

    success: bool
    code: str
    message: str
    data: T | None = None


class ErrorEnvelope(BaseModel):
    success: bool = False
    code: str
    message: str
    data: None = None


def app_error(code: ErrorCode, message: str) -> ServiceError:
    """The exception a handler raises to answer with `code` and its HTTP status."""
    return ServiceError(message, code=code.value, status=STATUS_OF[code])


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def ok_bytes(data: Any, *, message: str = "OK") -> bytes:
    """The encoded success envelope, without payload faults: for callers that cache it."""
    return _dumps({"success": True, "code": "OK", "message": message, "data": data})


def ok(
    data: Any,
    *,
    status: int = 200,
    message: str = "OK",
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A success envelope around `data` (a pydantic model, or plain JSON values).

    Payload faults (schema_drift, stale_data) distort the whole envelope here, before serialising,
    as a broken backend would.
    """
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [
            item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in data
        ]
    payload: Any = {"success": True, "code": "OK", "message": message, "data": data}
    if payload_faults_active():
        payload = apply_payload_faults(payload)
    return Response(
        content=_dumps(payload), status_code=status, media_type=JSON_TYPE, headers=headers
    )


def _resolve(params: ServiceErrorParams) -> tuple[int, str]:
    """(HTTP status, symbolic code) for an error: the code's own status unless one is given."""
    code = params.code
    if code.isdigit() and int(code) in _CODE_OF_STATUS:
        named = _CODE_OF_STATUS[int(code)]
        return params.status or int(code), named.value
    if code in ErrorCode.__members__:
        return params.status or STATUS_OF[ErrorCode(code)], code
    # An unknown code (e.g. one a fault made up): a server error unless the fault says otherwise.
    return params.status or 500, code


def render_error(path: str, params: ServiceErrorParams) -> tuple[int, str, bytes]:
    """The patient-app's `ErrorRenderer`: (status, content type, body) in the app's envelope."""
    status, code = _resolve(params)
    body = {"success": False, "code": code, "message": params.message, "data": None}
    return status, JSON_TYPE, _dumps(body)
