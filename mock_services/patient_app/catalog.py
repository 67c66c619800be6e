"""Facility information, polyclinics and doctor schedules per polyclinic and date.

    GET /api/v1/facility                                   (public)
    GET /api/v1/polyclinics                                (public)
    GET /api/v1/schedules?kodepoli=INT&tanggal=YYYY-MM-DD  (bearer)

A schedule is the dataset's weekly practice slot of a doctor whose weekday matches `tanggal`, with
the quota left after the active bookings for that day.

The schedule GET is the app's hot path (every patient opening the app asks for it) and the
throughput benchmark's target. FastAPI's per-request dependency and parameter solving and its walk
over the included routers cost several times the handler's own work, so, as the ERM's Patient
search does, it is served by a plain Starlette handler routed before everything else
(`fast_routes`); the FastAPI declaration documents it in the OpenAPI schema and delegates to the
same handler, so there is one implementation.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations at runtime,
# and they name dependencies local to `router()`.
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from mock_services.common.dataset import Dataset, Patient, Polyclinic
from mock_services.common.faults import payload_faults_active
from mock_services.patient_app.auth import PREFIX, CurrentPatient, patient_for_header
from mock_services.patient_app.context import Context
from mock_services.patient_app.envelope import (
    JSON_TYPE,
    Envelope,
    ErrorCode,
    app_error,
    ok,
    ok_bytes,
)


class PolyclinicOut(BaseModel):
    kodepoli: str
    namapoli: str


class FacilityOut(BaseModel):
    kode: str
    nama: str
    alamat: str
    telepon: str
    organizationId: str
    polyclinics: list[PolyclinicOut]


class ScheduleOut(BaseModel):
    kodedokter: int
    namadokter: str
    kodepoli: str
    namapoli: str
    tanggal: str
    hari: int
    namahari: str
    jadwal: str
    kapasitaspasien: int
    terisi: int
    sisakuota: int


def require_polyclinic(dataset: Dataset, kodepoli: str) -> Polyclinic:
    poli = dataset.polyclinic(kodepoli)
    if poli is None:
        known = ", ".join(p.kodepoli for p in dataset.polyclinics)
        raise app_error(ErrorCode.NOT_FOUND, f"unknown kodepoli {kodepoli!r}; known: {known}")
    return poli


def _static_slots(dataset: Dataset) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Per (kodepoli, weekday), the schedule fields that do not depend on the date or bookings."""
    names = {d.kodedokter: d.namadokter for d in dataset.doctors}
    slots: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for poli in dataset.polyclinics:
        for hari in range(1, 8):
            slots[(poli.kodepoli, hari)] = [
                {
                    "kodedokter": s.kodedokter,
                    "namadokter": names[s.kodedokter],
                    "kodepoli": poli.kodepoli,
                    "namapoli": poli.namapoli,
                    "hari": s.hari,
                    "namahari": s.namahari,
                    "jadwal": s.jadwal,
                    "kapasitaspasien": s.kapasitaspasien,
                }
                for s in dataset.schedules
                if s.kodepoli == poli.kodepoli and s.hari == hari
            ]
    return slots


def _query_date(value: str | None) -> dt.date:
    try:
        if value is None or len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise app_error(
            ErrorCode.INVALID_REQUEST,
            f"invalid request: query.tanggal: give a date as YYYY-MM-DD (got {value!r})",
        ) from None


def _query(query_string: bytes) -> dict[str, str]:
    """The query parameters (first value wins), decoded as Starlette would."""
    params: dict[str, str] = {}
    for pair in query_string.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        params.setdefault(unquote_plus(name), unquote_plus(value))
    return params


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


class _ScheduleCache:
    """Encoded schedule envelopes per (kodepoli, date), valid while no booking changed."""

    MAX_ENTRIES = 1024

    def __init__(self) -> None:
        self._version = -1
        self._bodies: dict[tuple[str, dt.date], bytes] = {}

    def get(self, version: int, key: tuple[str, dt.date]) -> bytes | None:
        if version != self._version:
            self._version = version
            self._bodies.clear()
        return self._bodies.get(key)

    def put(self, key: tuple[str, dt.date], body: bytes) -> None:
        if len(self._bodies) >= self.MAX_ENTRIES:
            self._bodies.clear()
        self._bodies[key] = body


def schedules_handler(ctx: Context) -> Callable[[Request], Awaitable[Response]]:
    slots = _static_slots(ctx.dataset)
    cache = _ScheduleCache()

    def build(kodepoli: str, tanggal: dt.date) -> list[dict[str, Any]]:
        day = slots[(kodepoli, tanggal.isoweekday())]
        booked = ctx.store.booked_per_doctor(tanggal, kodepoli) if day else {}
        iso = tanggal.isoformat()
        data = []
        for slot in day:
            taken = booked.get(slot["kodedokter"], 0)
            data.append(
                {
                    **slot,
                    "tanggal": iso,
                    "terisi": taken,
                    "sisakuota": max(0, slot["kapasitaspasien"] - taken),
                }
            )
        return data

    async def schedules(request: Request) -> Response:
        """`GET /api/v1/schedules?kodepoli=..&tanggal=..` (plain Starlette; see module doc)."""
        scope = request.scope
        patient_for_header(ctx, _authorization(scope))
        params = _query(scope["query_string"])
        kodepoli = params.get("kodepoli")
        if not kodepoli or len(kodepoli) > 10:
            raise app_error(
                ErrorCode.INVALID_REQUEST,
                "invalid request: query.kodepoli: give a polyclinic code, e.g. kodepoli=INT",
            )
        tanggal = _query_date(params.get("tanggal"))
        poli = require_polyclinic(ctx.dataset, kodepoli)
        if payload_faults_active():  # the fault distorts a fresh payload; nothing is cached
            return ok(build(poli.kodepoli, tanggal))
        key = (poli.kodepoli, tanggal)
        body = cache.get(ctx.store.bookings_version, key)
        if body is None:
            body = ok_bytes(build(poli.kodepoli, tanggal))
            cache.put(key, body)
        return Response(content=body, media_type=JSON_TYPE)

    return schedules


class _TemplateRoute(Route):
    """A plain route that names itself in the scope, as FastAPI's routes do, so the fault
    layer's request stats count it under its template without searching for it."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def fast_routes(ctx: Context) -> list[BaseRoute]:
    """Routes to put first in the app (see the module docstring)."""
    return [_TemplateRoute(f"{PREFIX}/schedules", schedules_handler(ctx), methods=["GET"])]


def router(ctx: Context, current_patient: CurrentPatient) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["catalog"])
    dataset = ctx.dataset
    polyclinics = [
        PolyclinicOut(kodepoli=p.kodepoli, namapoli=p.namapoli) for p in dataset.polyclinics
    ]
    facility = FacilityOut(
        kode=dataset.facility.kode,
        nama=dataset.facility.nama,
        alamat=dataset.facility.alamat,
        telepon=dataset.facility.telepon,
        organizationId=dataset.facility.organization_id,
        polyclinics=polyclinics,
    )
    schedules_fast = schedules_handler(ctx)

    @api.get("/facility", response_model=Envelope[FacilityOut])
    async def facility_info() -> Response:
        return ok(facility)

    @api.get("/polyclinics", response_model=Envelope[list[PolyclinicOut]])
    async def list_polyclinics() -> Response:
        return ok(polyclinics)

    @api.get("/schedules", response_model=Envelope[list[ScheduleOut]])
    async def schedules(
        request: Request,
        _patient: Annotated[Patient, Depends(current_patient)],
        kodepoli: Annotated[str, Query(min_length=1, max_length=10, description="e.g. INT")],
        tanggal: Annotated[dt.date, Query(description="YYYY-MM-DD")],
    ) -> Response:
        return await schedules_fast(request)

    return api
