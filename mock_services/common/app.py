"""The app factory every mock service is built with.

`create_app` wires what the services share: the fault middleware and its admin API under
`/__admin`, the seeded dataset on `app.state.dataset`, and error handlers that answer every bad
request, unknown route or unexpected exception with the service's own error envelope (never a bare
500 or a traceback).

    app = create_app(name=ServiceName.ERM, seed=1, render_error=render_operation_outcome,
                     routers=[fhir_router, visits_router])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from mock_services.common import dataset as dataset_module
from mock_services.common.faults import ErrorRenderer, FaultBoard, FaultMiddleware
from service_contract.admin import (
    ADMIN_PREFIX,
    ActiveAppFault,
    AdminError,
    AppFaultRequest,
    Cleared,
    FaultList,
    Health,
    Removed,
    Stats,
    StatsReset,
)
from service_contract.faults import ServiceErrorParams
from service_contract.services import ServiceName

logger = logging.getLogger("mock_services")


class ServiceError(Exception):
    """Raise from a handler to answer with the service's own error envelope."""

    def __init__(self, message: str, *, code: str = "400", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _render(renderer: ErrorRenderer, path: str, params: ServiceErrorParams) -> Response:
    status, content_type, body = renderer(path, params)
    return Response(content=body, status_code=status, media_type=content_type)


def _first_validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    return f"invalid request: {where or 'body'}: {first.get('msg', 'invalid value')}"


def admin_router(board: FaultBoard, *, name: ServiceName, seed: int) -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin"])

    @router.get("/health")
    async def health() -> Health:
        return Health(service=name, seed=seed)

    @router.get("/faults")
    async def list_faults() -> FaultList:
        return FaultList(faults=[f.listed() for f in board.active()])

    @router.post("/faults", status_code=201)
    async def add_fault(spec: AppFaultRequest) -> ActiveAppFault:
        return board.add(spec).listed()

    @router.delete("/faults")
    async def clear_faults() -> Cleared:
        return Cleared(cleared=board.clear())

    @router.delete(
        "/faults/{fault_id}", responses={200: {"model": Removed}, 404: {"model": AdminError}}
    )
    async def remove_fault(fault_id: str) -> Response:
        if board.remove(fault_id):
            return _json(Removed())
        return _json(AdminError(error="no active fault with that id"), status=404)

    @router.get("/stats")
    async def stats() -> Stats:
        return board.stats()

    @router.post("/stats/reset")
    async def reset_stats() -> StatsReset:
        board.reset_stats()
        return StatsReset()

    return router


def _json(body: BaseModel, *, status: int = 200) -> Response:
    return Response(
        content=body.model_dump_json(), status_code=status, media_type="application/json"
    )


def create_app(
    *,
    name: ServiceName,
    seed: int,
    render_error: ErrorRenderer,
    routers: Sequence[APIRouter],
    admin_routers: Sequence[APIRouter] = (),
    description: str = "",
) -> FastAPI:
    board = FaultBoard(seed=seed)
    # FastAPI's native telemetry, on by default, looks up the OpenTelemetry providers on every
    # request; the mocks export none, and the lookups cost a measurable share of their throughput.
    app = FastAPI(
        title=f"{name} mock",
        description=description,
        version="1",
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.dataset = dataset_module.generate(seed)
    app.state.faults = board
    app.state.service_name = name
    app.include_router(admin_router(board, name=name, seed=seed))
    for router in admin_routers:
        app.include_router(router, prefix=ADMIN_PREFIX)
    for router in routers:
        app.include_router(router)

    def envelope(request: Request, message: str, code: str, status: int | None) -> Response:
        if request.url.path.startswith(ADMIN_PREFIX):
            return _json(AdminError(error=message), status=status or 400)
        params = ServiceErrorParams(code=code, message=message, status=status)
        return _render(render_error, request.url.path, params)

    @app.exception_handler(ServiceError)
    async def on_service_error(request: Request, exc: ServiceError) -> Response:
        return envelope(request, exc.message, exc.code, exc.status)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        return envelope(request, _first_validation_message(exc), "400", 400)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, exc.detail)
        return envelope(
            request,
            f"{message}: {request.method} {request.url.path}",
            str(exc.status_code),
            exc.status_code,
        )

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error in %s %s", request.method, request.url.path)
        return envelope(request, f"internal error: {type(exc).__name__}", "500", 500)

    app.add_middleware(FaultMiddleware, board=board, render_error=render_error)
    return app
