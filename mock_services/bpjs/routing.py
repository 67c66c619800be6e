"""The BPJS routes' own dispatch: a small segment matcher in front of the FastAPI app.

FastAPI's per-request routing and dependency machinery costs about 200 µs per request on this
machine, several times what a bare Starlette app costs in total, and the BPJS routes must stay
within half of a bare app's throughput (docs/benchmarks.md). So the BPJS operations are plain
`async def (Request) -> Response` endpoints, matched here by their path segments; everything else
(the /__admin API, /openapi.json, unknown paths) goes to the app built by `create_app`.

The matched requests still pass through the service's `FaultMiddleware` with the same `FaultBoard`
(faults, counters) and error renderer, so faults and stats behave exactly as on FastAPI routes,
with the route template as the stats key. `ServiceError` and any unexpected exception become the
service's envelope here, as `create_app`'s handlers would make them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_services.common.app import ServiceError
from mock_services.common.faults import ErrorRenderer, FaultBoard, FaultMiddleware
from service_contract.faults import ServiceErrorParams

logger = logging.getLogger("mock_services.bpjs")

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One BPJS endpoint: the full path template ("/vclaim-rest/SEP/{noSep}"), and its docs."""

    method: str
    path: str
    endpoint: Endpoint
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.path.strip("/").split("/")))

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(s[1:-1] for s in self.segments if s.startswith("{") and s.endswith("}"))

    def match(self, parts: Sequence[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for template, part in zip(self.segments, parts, strict=True):
            if template.startswith("{"):
                if not part:
                    return None
                params[template[1:-1]] = part
            elif template != part:
                return None
        return params


class _MethodNotAllowed:
    path = "method not allowed"


METHOD_NOT_ALLOWED = _MethodNotAllowed()


class OperationTable:
    def __init__(self, operations: Sequence[Operation]) -> None:
        self._static: dict[str, list[Operation]] = {}  # no path parameter: one dict lookup
        self._by_length: dict[int, list[Operation]] = {}
        for op in operations:
            if op.path_params:
                self._by_length.setdefault(len(op.segments), []).append(op)
            else:
                self._static.setdefault("/".join(op.segments), []).append(op)
        self.operations = tuple(operations)

    def find(self, method: str, path: str) -> tuple[Operation | _MethodNotAllowed, dict[str, str]]:
        key = path.strip("/")
        static = self._static.get(key)
        if static is not None:
            for op in static:
                if op.method == method:
                    return op, {}
            return METHOD_NOT_ALLOWED, {}
        parts = key.split("/")
        path_matched = False
        for op in self._by_length.get(len(parts), ()):
            params = op.match(parts)
            if params is None:
                continue
            if op.method == method:
                return op, params
            path_matched = True
        if path_matched:
            return METHOD_NOT_ALLOWED, {}
        raise LookupError(path)


class BpjsDispatcher:
    """ASGI app: BPJS operations here (behind the fault middleware), the rest to `fallback`."""

    def __init__(
        self,
        *,
        operations: Sequence[Operation],
        fallback: ASGIApp,
        board: FaultBoard,
        render_error: ErrorRenderer,
    ) -> None:
        self._table = OperationTable(operations)
        self._fallback = fallback
        self._render_error = render_error
        self._faulted = FaultMiddleware(self._handle, board=board, render_error=render_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                route, params = self._table.find(scope["method"], scope["path"])
            except LookupError:
                pass
            else:
                scope["route"] = route  # FaultMiddleware counts requests by route.path
                scope["path_params"] = params
                await self._faulted(scope, receive, send)
                return
        await self._fallback(scope, receive, send)

    def _error(self, path: str, *, message: str, code: str, status: int | None) -> Response:
        params = ServiceErrorParams(code=code, message=message, status=status)
        status_code, content_type, body = self._render_error(path, params)
        return Response(body, status_code=status_code, media_type=content_type)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = scope["route"]
        path = scope["path"]
        if not isinstance(route, Operation):
            response = self._error(
                path,
                message=f"method not allowed: {scope['method']} {path}",
                code="405",
                status=405,
            )
        else:
            try:
                response = await route.endpoint(Request(scope, receive))
            except ServiceError as exc:
                response = self._error(path, message=exc.message, code=exc.code, status=exc.status)
            except Exception as exc:  # never a bare 500 or a traceback to the client
                logger.exception("unhandled error in %s %s", scope["method"], path)
                response = self._error(
                    path, message=f"internal error: {type(exc).__name__}", code="500", status=500
                )
        await response(scope, receive, send)
