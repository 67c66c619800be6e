"""Application-level faults: the failures toxiproxy cannot make because it only sees TCP.

A fault is a value (`service_contract.admin.AppFaultRequest`, the body of `POST /__admin/faults`):
a kind, a route pattern (fnmatch glob on the request path), an optional method list, a
per-request probability and kind-specific params (`service_contract.faults`, the one definition
the harness shares). The `FaultBoard` holds the active faults and the counters;
`FaultMiddleware` (pure ASGI, nothing on the fast path when no fault is active) decides per request
which faults fire and applies them:

- before the app runs: http_error, maintenance, service_error (rendered by the service, so it is
  shaped like that service's own errors) and delay;
- on the response bytes: malformed_json, truncated_body, wrong_content_type;
- on the payload, before the service serialises (and, for BPJS, encrypts) it: schema_drift,
  stale_data and undecryptable. Services call `apply_payload_faults()` and
  `undecryptable_requested()`, which read the current request's faults from a context variable;
- on the service's own checks: clock_skew (BPJS) moves the clock the service compares request
  timestamps with; the service reads it with `clock_skew_seconds()`, from the same variable.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import fnmatch
import itertools
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service_contract.admin import ADMIN_PREFIX, ActiveAppFault, AppFaultRequest, FaultStats, Stats
from service_contract.faults import (
    AppFaultKind,
    ClockSkewParams,
    DelayParams,
    DelayWhen,
    DriftMode,
    FaultParams,
    HttpErrorParams,
    MaintenanceParams,
    SchemaDriftParams,
    ServiceErrorParams,
    StaleDataParams,
    TruncatedBodyParams,
    WrongContentTypeParams,
)


@dataclass(slots=True)
class ActiveFault:
    id: str
    spec: AppFaultRequest
    params: FaultParams
    fired: int = 0
    active: bool = True

    def matches(self, method: str, path: str) -> bool:
        if self.spec.methods is not None and method not in self.spec.methods:
            return False
        return fnmatch.fnmatchcase(path, self.spec.route)

    def listed(self) -> ActiveAppFault:
        """As `GET /__admin/faults` lists it."""
        return ActiveAppFault(id=self.id, **dict(self.spec))

    def stats(self) -> FaultStats:
        return FaultStats(
            id=self.id,
            kind=self.spec.kind,
            route=self.spec.route,
            fired=self.fired,
            active=self.active,
        )


class FaultBoard:
    """The active faults of one service and its counters. Thread-safe; cheap when empty."""

    def __init__(self, *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[ActiveFault] = []
        self._history: list[ActiveFault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random(seed)
        self.requests: Counter[str] = Counter()

    @property
    def empty(self) -> bool:
        return not self._faults

    def add(self, spec: AppFaultRequest) -> ActiveFault:
        with self._lock:
            fault = ActiveFault(id=f"f{next(self._ids)}", spec=spec, params=spec.typed_params())
            self._faults.append(fault)
            self._history.append(fault)
            return fault

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    fault.active = False
                    self._faults.remove(fault)
                    return True
            return False

    def clear(self) -> int:
        with self._lock:
            for fault in self._faults:
                fault.active = False
            count = len(self._faults)
            self._faults.clear()
            return count

    def active(self) -> list[ActiveFault]:
        with self._lock:
            return list(self._faults)

    def reset_stats(self) -> None:
        with self._lock:
            self.requests.clear()
            self._history = list(self._faults)
            for fault in self._faults:
                fault.fired = 0

    def stats(self) -> Stats:
        with self._lock:
            return Stats(requests=dict(self.requests), faults=[f.stats() for f in self._history])

    def choose(self, method: str, path: str) -> list[ActiveFault]:
        """The faults that fire for this request (each by its own probability), counted."""
        with self._lock:
            fired = [
                f
                for f in self._faults
                if f.matches(method, path)
                and (f.spec.probability >= 1.0 or self._rng.random() < f.spec.probability)
            ]
            for fault in fired:
                fault.fired += 1
            return fired


# --- payload faults, applied by the service before it serialises -------------------------------

_current_faults: contextvars.ContextVar[tuple[ActiveFault, ...]] = contextvars.ContextVar(
    "current_faults", default=()
)

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(.*)$")


def _shift_date(value: str, days: int) -> str:
    match = _DATE.match(value)
    if not match:
        return value
    try:
        date = dt.date.fromisoformat(match.group(1))
    except ValueError:
        return value
    return f"{(date - dt.timedelta(days=days)).isoformat()}{match.group(2)}"


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return int(value) if value.isdigit() else [value]
    if isinstance(value, list):
        return {"items": value}
    if isinstance(value, dict):
        return [value]
    return "null"


def _drift(obj: Any, params: SchemaDriftParams) -> Any:
    if isinstance(obj, list):
        return [_drift(item, params) for item in obj]
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for key, value in obj.items():
        value = _drift(value, params)
        if key != params.field:
            out[key] = value
        elif params.mode is DriftMode.RENAME:
            out[params.to or f"{key}_v2"] = value
        elif params.mode is DriftMode.NULL:
            out[key] = None
        elif params.mode is DriftMode.WRONG_TYPE:
            out[key] = _wrong_type(value)
        # DriftMode.MISSING: leave the key out
    return out


def _stale(obj: Any, days: int) -> Any:
    if isinstance(obj, list):
        return [_stale(item, days) for item in obj]
    if isinstance(obj, dict):
        return {key: _stale(value, days) for key, value in obj.items()}
    if isinstance(obj, str):
        return _shift_date(obj, days)
    return obj


def payload_faults_active() -> bool:
    return any(
        f.spec.kind in (AppFaultKind.SCHEMA_DRIFT, AppFaultKind.STALE_DATA)
        for f in _current_faults.get()
    )


def apply_payload_faults(payload: Any) -> Any:
    """Return `payload` as the current request's schema_drift / stale_data faults distort it."""
    for fault in _current_faults.get():
        if isinstance(fault.params, SchemaDriftParams):
            payload = _drift(payload, fault.params)
        elif isinstance(fault.params, StaleDataParams):
            payload = _stale(payload, fault.params.days)
    return payload


def undecryptable_requested() -> bool:
    return any(f.spec.kind is AppFaultKind.UNDECRYPTABLE for f in _current_faults.get())


def clock_skew_seconds() -> int:
    """How far the current request's clock_skew faults move the server clock (0: none)."""
    return sum(
        f.params.seconds for f in _current_faults.get() if isinstance(f.params, ClockSkewParams)
    )


# --- the middleware -----------------------------------------------------------------------------

ErrorRenderer = Callable[[str, ServiceErrorParams], tuple[int, str, bytes]]
"""(path, params) -> (status, content type, body) of an error shaped like the service's own."""


MAINTENANCE_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8">
<title>503 Service Temporarily Unavailable</title></head>
<body><center><h1>503 Service Temporarily Unavailable</h1>
<p>{message}</p><p>Retry after {retry_after} seconds.</p></center><hr><center>nginx</center>
</body></html>
"""

GATEWAY_PAGES = {
    500: "<html><head><title>Runtime Error</title></head><body><h1>Server Error in '/' "
    "Application.</h1><h2><i>Runtime Error</i></h2></body></html>",
    502: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>",
    503: "<html><head><title>503 Service Unavailable</title></head><body><center><h1>503 Service "
    "Unavailable</h1></center><hr><center>nginx</center></body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway "
    "Time-out</h1></center><hr><center>nginx</center></body></html>",
}


async def _send_simple(
    send: Send, status: int, content_type: str, body: bytes, extra: Iterable[tuple[str, str]] = ()
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.encode(), v.encode()) for k, v in extra),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _RouteTemplates:
    """Names requests the router never saw (a fault answered first) by their route template, so
    faulted and served requests count under the same key. Built once, from the app's OpenAPI
    paths (public API; FastAPI's own route objects differ between versions); a path matching no
    template counts under itself."""

    def __init__(self) -> None:
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None

    def key(self, scope: Scope) -> str:
        template = getattr(scope.get("route"), "path", None) or self._template(scope)
        return f"{scope['method']} {template}"

    def _template(self, scope: Scope) -> str:
        if self._compiled is None:
            openapi = getattr(scope.get("app"), "openapi", None)
            paths: dict[str, Any] = openapi().get("paths", {}) if callable(openapi) else {}
            self._compiled = [(compile_path(template)[0], template) for template in paths]
        path = str(scope["path"])
        return next((t for regex, t in self._compiled if regex.match(path)), path)


class FaultMiddleware:
    """Pure ASGI middleware that counts requests per route and applies the board's faults."""

    def __init__(self, app: ASGIApp, *, board: FaultBoard, render_error: ErrorRenderer) -> None:
        self.app = app
        self.board = board
        self.render_error = render_error
        self._templates = _RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        try:
            if self.board.empty:
                await self.app(scope, receive, send)
            else:
                await self._faulted(scope, receive, send)
        finally:
            self.board.requests[self._templates.key(scope)] += 1

    async def _faulted(self, scope: Scope, receive: Receive, send: Send) -> None:
        fired = self.board.choose(scope["method"], scope["path"])
        body_faults: list[ActiveFault] = []
        held_ms = 0  # delays with when=after: the handler runs and commits, the answer waits
        for fault in fired:
            params = fault.params
            if isinstance(params, DelayParams):
                if params.when is DelayWhen.AFTER:
                    held_ms += params.ms
                else:
                    await asyncio.sleep(params.ms / 1000)
            elif isinstance(params, HttpErrorParams):
                page = GATEWAY_PAGES[params.status].encode()
                await _send_simple(send, params.status, "text/html; charset=utf-8", page)
                return
            elif isinstance(params, MaintenanceParams):
                page = MAINTENANCE_PAGE.format(
                    message=params.message, retry_after=params.retry_after
                ).encode()
                await _send_simple(
                    send,
                    503,
                    "text/html; charset=utf-8",
                    page,
                    [("retry-after", str(params.retry_after))],
                )
                return
            elif isinstance(params, ServiceErrorParams):
                status, content_type, body = self.render_error(scope["path"], params)
                await _send_simple(send, status, content_type, body)
                return
            elif fault.spec.kind in (
                AppFaultKind.MALFORMED_JSON,
                AppFaultKind.TRUNCATED_BODY,
                AppFaultKind.WRONG_CONTENT_TYPE,
            ):
                body_faults.append(fault)
        token = _current_faults.set(tuple(fired))
        answer = _held_back(send, held_ms / 1000) if held_ms else send
        try:
            if body_faults:
                await self._rewrite_body(scope, receive, answer, body_faults)
            else:
                await self.app(scope, receive, answer)
        finally:
            _current_faults.reset(token)

    async def _rewrite_body(
        self, scope: Scope, receive: Receive, send: Send, faults: list[ActiveFault]
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        declared = len(body)
        for fault in faults:
            params = fault.params
            if fault.spec.kind is AppFaultKind.MALFORMED_JSON:
                body = _malform(body)
                declared = len(body)
            elif isinstance(params, WrongContentTypeParams):
                headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
                headers.append((b"content-type", params.content_type.encode()))
            elif isinstance(params, TruncatedBodyParams):
                full = len(body)
                body = body[: int(full * params.keep)]
                declared = full if params.declare_full_length else len(body)
        headers.append((b"content-length", str(declared).encode()))
        await send({**start, "headers": headers})
        # A short body under a full Content-Length makes the server close the connection early,
        # which the client sees as an incomplete read: exactly what a dying gateway does.
        await send({"type": "http.response.body", "body": body})


def _held_back(send: Send, seconds: float) -> Send:
    """`send` that waits `seconds` before the response starts: the handler has run by then."""
    held = False

    async def hold_then_send(message: Message) -> None:
        nonlocal held
        if not held and message["type"] == "http.response.start":
            held = True
            await asyncio.sleep(seconds)
        await send(message)

    return hold_then_send


def _malform(body: bytes) -> bytes:
    """Valid-looking but unparseable JSON: an unterminated object with a stray token."""
    text = body.decode(errors="replace").rstrip()
    cut = text[: max(1, len(text) - 2)] if text else "{"
    return (cut + ', "metaData": {code: 500,').encode()


__all__ = [
    "ActiveFault",
    "ErrorRenderer",
    "FaultBoard",
    "FaultMiddleware",
    "apply_payload_faults",
    "clock_skew_seconds",
    "payload_faults_active",
    "undecryptable_requested",
]
