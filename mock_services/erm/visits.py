"""Visit registration and the day's queue: the clinic front desk's own API, under `/api/v1`.

This is what scenario checks use to prove "nothing lost, nothing entered twice", so its rules are
exact:

- `POST /api/v1/visits` with `{"nik", "tanggal": "yyyy-mm-dd", "kodepoli", "kodedokter"?,
  "jenispasien"?, "keterangan"?}` registers one visit and answers **201** with its `id` and its
  queue number for that date and polyclinic (`angkaantrean` 1, 2, ...; `nomorantrean` "INT-001").
  Unknown body fields are ignored and are not part of the request's fingerprint.
- `Idempotency-Key` header (optional, 1-255 printable characters):
  - first use: the visit is created and the response stored with the key;
  - the same key with the same request (same fingerprint): **201 with the stored response, the
    first answer again** (same id, same queue number), plus `Idempotent-Replayed: true`; no
    second visit is ever created, also under many concurrent identical requests (requests are
    handled one at a time on the event loop, and the key is UNIQUE in SQLite);
  - the same key with a different request: **422** OperationOutcome (issue code `conflict`), nothing
    created;
  - a request that fails (unknown NIK, bad polyclinic) stores nothing: retrying it with the same key
    after fixing it is fine.
- Without a key, registering the same patient twice for the same date + polyclinic creates a second
  visit, as real front-desk systems do; the ledger (`GET /__admin/ledger`) lists such visits as
  duplicates by natural key (nik + tanggal + kodepoli).
- An unknown NIK is **422** (issue code `not-found`): the request is well-formed but refers to a
  patient the facility does not know; 404 would wrongly say that `/api/v1/visits` does not exist.
  An unknown `kodepoli` is 422 too (issue code `value`), naming the valid codes.
- `GET /api/v1/visits?tanggal=&kodepoli=` lists the day's queue in queue order, with the number now
  being served; `GET /api/v1/visits/{id}` one visit as it is now.
- `POST /api/v1/visits/{id}/call` (waiting -> called; calling again is a no-op) and
  `POST /api/v1/visits/{id}/finish` (called -> finished; finishing again is a no-op). Finishing a
  visit never called, or calling a finished one, is 422 (issue code `business-rule`).

Every route needs the same bearer token as the FHIR API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.responses import Response

from mock_services.erm.auth import Authorized
from mock_services.erm.context import ERMContext, erm_context
from mock_services.erm.errors import FHIRError, IssueType
from mock_services.erm.resources import now_iso
from mock_services.erm.responses import fhir_json
from mock_services.erm.store import NewVisit, VisitRow
from service_contract.ledger import VisitStatus

VISITS_PREFIX = "/api/v1/visits"
REPLAYED_HEADER = "Idempotent-Replayed"


def _check_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date in yyyy-mm-dd form") from None
    return value


class VisitIn(BaseModel):
    """A front-desk registration."""

    model_config = ConfigDict(extra="ignore")

    nik: Annotated[str, Field(pattern=r"^\d{16}$", description="the patient's 16-digit NIK")]
    tanggal: Annotated[
        str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="visit date, yyyy-mm-dd")
    ]
    kodepoli: Annotated[str, Field(min_length=1, max_length=10, description="e.g. INT, ANA")]
    kodedokter: int | None = None
    jenispasien: Literal["JKN", "NON JKN"] = "JKN"
    keterangan: Annotated[str | None, Field(max_length=500)] = None

    _date = field_validator("tanggal")(_check_date)

    def fingerprint(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="the same key returns the first result and never creates a second visit",
    ),
]
VisitId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9\-]+$")]


def visit_json(row: VisitRow) -> dict[str, Any]:
    """A visit as it is now (the stored creation response, with the current state)."""
    return {**row.response, "status": row.status, "called": row.called, "finished": row.finished}


def _replay(ctx: ERMContext, existing: VisitRow, visit: VisitIn) -> Response:
    if existing.fingerprint != visit.fingerprint():
        raise FHIRError(
            f"Idempotency-Key {existing.idempotency_key!r} was already used for a different "
            f"registration (visit {existing.id}); use a new key for a new registration.",
            status=422,
            code=IssueType.CONFLICT,
        )
    ctx.store.count_replay(existing.id)
    return fhir_json(existing.response, status=201, headers={REPLAYED_HEADER: "true"})


def _validate(ctx: ERMContext, visit: VisitIn) -> None:
    if ctx.dataset.patient_by_nik(visit.nik) is None:
        raise FHIRError(
            f"Unknown NIK {visit.nik}: no patient with this NIK in the facility's records.",
            status=422,
            code=IssueType.NOT_FOUND,
        )
    poli = ctx.dataset.polyclinic(visit.kodepoli)
    if poli is None:
        codes = ", ".join(p.kodepoli for p in ctx.dataset.polyclinics)
        raise FHIRError(
            f"Unknown kodepoli {visit.kodepoli!r}: use one of {codes}.",
            status=422,
            code=IssueType.VALUE,
        )
    if visit.kodedokter is not None and not any(
        d.kodedokter == visit.kodedokter and d.kodepoli == visit.kodepoli
        for d in ctx.dataset.doctors
    ):
        raise FHIRError(
            f"kodedokter {visit.kodedokter} does not practise in polyclinic {visit.kodepoli}.",
            status=422,
            code=IssueType.VALUE,
        )


def _renderer(
    ctx: ERMContext, visit: VisitIn, created: str
) -> Callable[[str, int], dict[str, Any]]:
    patient = ctx.dataset.patient_by_nik(visit.nik)
    poli = ctx.dataset.polyclinic(visit.kodepoli)
    assert patient is not None
    assert poli is not None

    def render(visit_id: str, number: int) -> dict[str, Any]:
        return {
            "id": visit_id,
            "nik": visit.nik,
            "nama": patient.nama,
            "norm": patient.noMR,
            "ihs_number": patient.ihs_number,
            "tanggal": visit.tanggal,
            "kodepoli": poli.kodepoli,
            "namapoli": poli.namapoli,
            "kodedokter": visit.kodedokter,
            "jenispasien": visit.jenispasien,
            "keterangan": visit.keterangan,
            "nomorantrean": f"{poli.kodepoli}-{number:03d}",
            "angkaantrean": number,
            "status": VisitStatus.WAITING.value,
            "created": created,
        }

    return render


def _stored_visit(ctx: ERMContext, visit_id: str) -> VisitRow:
    row = ctx.store.visit(visit_id)
    if row is None:
        raise FHIRError(f"Visit {visit_id} not found.", status=404, code=IssueType.NOT_FOUND)
    return row


def _move(ctx: ERMContext, visit_id: str, target: VisitStatus) -> Response:
    row = _stored_visit(ctx, visit_id)
    current = VisitStatus(row.status)
    allowed_from = {
        VisitStatus.CALLED: (VisitStatus.WAITING, VisitStatus.CALLED),
        VisitStatus.FINISHED: (VisitStatus.CALLED, VisitStatus.FINISHED),
    }[target]
    if current not in allowed_from:
        raise FHIRError(
            f"Visit {visit_id} is {current.value}; it can be {target.value} only when "
            f"{' or '.join(s.value for s in allowed_from)}.",
            status=422,
            code=IssueType.BUSINESS_RULE,
        )
    if current != target:
        column = "called" if target is VisitStatus.CALLED else "finished"
        ctx.store.set_visit_status(visit_id, target.value, column=column, at=now_iso())
    return fhir_json(visit_json(_stored_visit(ctx, visit_id)))


def visits_router() -> APIRouter:
    router = APIRouter(prefix=VISITS_PREFIX, tags=["visits"])

    @router.post("", status_code=201)
    async def register_visit(
        request: Request,
        _token: Authorized,
        visit: Annotated[VisitIn, Body()],
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Register a visit; returns its id and queue number. Honours Idempotency-Key."""
        ctx = erm_context(request)
        if idempotency_key is not None:
            existing = ctx.store.visit_by_key(idempotency_key)
            if existing is not None:
                return _replay(ctx, existing, visit)
        _validate(ctx, visit)
        created = now_iso()
        tanggal = visit.tanggal.replace("-", "")
        new = NewVisit(
            id_prefix=f"V{tanggal}{visit.kodepoli}",
            nik=visit.nik,
            tanggal=visit.tanggal,
            kodepoli=visit.kodepoli,
            idempotency_key=idempotency_key,
            fingerprint=visit.fingerprint(),
            created=created,
        )
        try:
            row = ctx.store.insert_visit(new, _renderer(ctx, visit, created))
        except sqlite3.IntegrityError:
            # Only reachable if another process shares the database file: the key won the race
            # there, so answer as a replay of what it stored.
            existing = ctx.store.visit_by_key(idempotency_key) if idempotency_key else None
            if existing is None:
                raise
            return _replay(ctx, existing, visit)
        return fhir_json(row.response, status=201)

    @router.get("")
    async def list_visits(
        request: Request,
        _token: Authorized,
        tanggal: Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="yyyy-mm-dd")],
        kodepoli: Annotated[str | None, Query(max_length=10)] = None,
    ) -> Response:
        """The day's queue (optionally one polyclinic's), in queue order."""
        rows = erm_context(request).store.visits(tanggal=tanggal, kodepoli=kodepoli)
        called = [r for r in rows if r.status != VisitStatus.WAITING.value and r.called]
        serving = max(called, key=lambda r: (r.called or "", r.angkaantrean), default=None)
        return fhir_json(
            {
                "tanggal": tanggal,
                "kodepoli": kodepoli,
                "total": len(rows),
                "sisaantrean": sum(r.status == VisitStatus.WAITING.value for r in rows),
                "sedangdilayani": serving.response["nomorantrean"] if serving else None,
                "visits": [visit_json(r) for r in rows],
            }
        )

    @router.get("/{visit_id}")
    async def read_visit(request: Request, _token: Authorized, visit_id: VisitId) -> Response:
        return fhir_json(visit_json(_stored_visit(erm_context(request), visit_id)))

    @router.post("/{visit_id}/call")
    async def call_visit(request: Request, _token: Authorized, visit_id: VisitId) -> Response:
        """Call the patient in (waiting -> called)."""
        return _move(erm_context(request), visit_id, VisitStatus.CALLED)

    @router.post("/{visit_id}/finish")
    async def finish_visit(request: Request, _token: Authorized, visit_id: VisitId) -> Response:
        """Close the visit (called -> finished)."""
        return _move(erm_context(request), visit_id, VisitStatus.FINISHED)

    return router
