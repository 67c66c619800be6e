"""FHIR R4 routes under `/fhir-r4/v1`, SATUSEHAT flavour.

- `GET  metadata`: CapabilityStatement (no token needed), advertising the token URL with the SMART
  `oauth-uris` extension so generic FHIR clients find it;
- `GET  Patient?identifier=https://fhir.kemkes.go.id/id/nik|{NIK}`: Bundle `searchset`, `total: 0`
  when nobody matches (never 404); the IHS-number system, or a bare value, also works;
- `GET  Patient/{ihs_number}`;
- `POST Encounter` (status `arrived`), `GET Encounter/{id}`, `PUT Encounter/{id}` and
  `PATCH Encounter/{id}` (JSON Patch) for arrived -> in-progress -> finished, with statusHistory;
  `GET  Encounter?subject=Patient/{id}&date=yyyy-mm-dd`;
- `POST Observation` (a LOINC vital sign), `GET Observation/{id}`.

Everything but `metadata` needs a bearer token (`mock_services.erm.auth`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from mock_services.erm import patients
from mock_services.erm.auth import TOKEN_PATH, Authorized
from mock_services.erm.context import erm_context
from mock_services.erm.errors import FHIRError, IssueType
from mock_services.erm.resources import (
    IHS_SYSTEM,
    NIK_SYSTEM,
    EncounterIn,
    EncounterStatus,
    ObservationIn,
    capability_statement,
    check_encounter,
    check_observation,
    check_transition,
    encounter_natural_key,
    now_iso,
    patient_id_of,
    searchset,
    unprocessable,
    with_status_history,
)
from mock_services.erm.responses import fhir_json
from mock_services.erm.store import EncounterRow

FHIR_PREFIX = patients.FHIR_PREFIX

ResourceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9\-.]+$")]


def _base(request: Request) -> str:
    return patients.fhir_base(request)


def _created(resource: dict[str, Any], request: Request) -> Response:
    location = f"{_base(request)}/{resource['resourceType']}/{resource['id']}/_history/1"
    return fhir_json(resource, status=201, headers={"Location": location})


def _meta(version: int, at: str) -> dict[str, str]:
    return {"versionId": str(version), "lastUpdated": at}


def _encounter_row(
    encounter: EncounterIn, resource: dict[str, Any], request: Request
) -> EncounterRow:
    ctx = erm_context(request)
    return EncounterRow(
        id=resource["id"],
        subject=patient_id_of(encounter.subject, ctx.dataset),
        date=(encounter.period.start or "")[:10],
        natural_key=encounter_natural_key(encounter, ctx.dataset.facility),
        status=encounter.status.value,
        resource=resource,
        created=resource["meta"]["lastUpdated"],
        updated=resource["meta"]["lastUpdated"],
    )


def _dump(model: EncounterIn | ObservationIn) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _stored_encounter(request: Request, encounter_id: str) -> EncounterRow:
    row = erm_context(request).store.encounter(encounter_id)
    if row is None:
        raise FHIRError(
            f"Encounter {encounter_id} not found.", status=404, code=IssueType.NOT_FOUND
        )
    return row


def _update_encounter(request: Request, row: EncounterRow, encounter: EncounterIn) -> Response:
    """Store `encounter` as the next version of `row`, if its status change is legal."""
    ctx = erm_context(request)
    if encounter.id not in (None, row.id):
        raise FHIRError(
            f"resource id {encounter.id!r} does not match the URL's Encounter/{row.id}",
            status=400,
            code=IssueType.INVALID,
        )
    check_encounter(encounter, ctx.dataset.facility)
    old = EncounterStatus(row.status)
    check_transition(old, encounter.status)
    if patient_id_of(encounter.subject, ctx.dataset) != row.subject:
        raise unprocessable("an Encounter's subject cannot change", code=IssueType.BUSINESS_RULE)
    at = now_iso()
    version = int(row.resource.get("meta", {}).get("versionId", "1")) + 1
    resource = {**_dump(encounter), "id": row.id, "meta": _meta(version, at)}
    if encounter.status != old:
        resource = with_status_history(resource, old=old, new=encounter.status, at=at)
    else:
        resource["statusHistory"] = resource.get("statusHistory") or row.resource["statusHistory"]
    updated = EncounterRow(
        id=row.id,
        subject=row.subject,
        date=row.date,
        natural_key=row.natural_key,
        status=encounter.status.value,
        resource=resource,
        created=row.created,
        updated=at,
    )
    ctx.store.update_encounter(updated)
    return fhir_json(resource)


_JSON_PATCH_EXAMPLE = [{"op": "replace", "path": "/status", "value": "in-progress"}]


def _apply_patch(resource: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    """A small JSON Patch (RFC 6902): add / replace / remove on object members and list items."""
    doc: dict[str, Any] = {**resource}
    for op in ops:
        kind, pointer = op.get("op"), op.get("path")
        if kind not in ("add", "replace", "remove") or not isinstance(pointer, str):
            raise FHIRError(
                f"unsupported JSON Patch operation {op!r}: use add, replace or remove with a path",
                status=400,
                code=IssueType.NOT_SUPPORTED,
            )
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
        if not parts or parts[0] in ("id", "resourceType", "meta"):
            raise FHIRError(
                f"JSON Patch path {pointer!r} cannot be changed", status=422, code=IssueType.VALUE
            )
        target: Any = doc
        try:
            for part in parts[:-1]:
                target = target[int(part)] if isinstance(target, list) else target[part]
            last = parts[-1]
            if isinstance(target, list):
                index = len(target) if last == "-" else int(last)
                if kind == "remove":
                    del target[index]
                elif kind == "add":
                    target.insert(index, op.get("value"))
                else:
                    target[index] = op.get("value")
            elif isinstance(target, dict):
                if kind == "remove":
                    del target[last]
                elif kind == "replace" and last not in target:
                    raise KeyError(last)
                else:
                    target[last] = op.get("value")
            else:
                raise KeyError(last)
        except (KeyError, IndexError, ValueError, TypeError):
            raise FHIRError(
                f"JSON Patch path {pointer!r} does not exist in the Encounter",
                status=422,
                code=IssueType.VALUE,
            ) from None
    return doc


def fhir_router() -> APIRouter:
    router = APIRouter(prefix=FHIR_PREFIX, tags=["fhir"])

    @router.get("/metadata")
    async def metadata(request: Request) -> Response:
        """The server's CapabilityStatement; needs no token."""
        token_url = patients.server_root(request) + TOKEN_PATH
        return fhir_json(capability_statement(token_url=token_url))

    @router.get("/Patient")
    async def search_patient(
        request: Request,
        _token: Authorized,
        identifier: Annotated[
            str | None,
            Query(description=f"{NIK_SYSTEM}|<NIK> or {IHS_SYSTEM}|<IHS number>", max_length=300),
        ] = None,
    ) -> Response:
        """Patient search by identifier: a searchset Bundle, total 0 when nobody matches.

        Served by `mock_services.erm.patients.search_patient` (routed first, for speed); this
        declaration documents it in the OpenAPI schema.
        """
        return await patients.search_patient(request)

    @router.get("/Patient/{patient_id}")
    async def read_patient(
        request: Request, _token: Authorized, patient_id: ResourceId
    ) -> Response:
        """Patient by IHS number (served by `mock_services.erm.patients.read_patient`)."""
        return await patients.read_patient(request)

    @router.post("/Encounter", status_code=201)
    async def create_encounter(
        request: Request, _token: Authorized, encounter: Annotated[EncounterIn, Body()]
    ) -> Response:
        """Create an Encounter; it starts as `arrived`, with its first statusHistory entry."""
        ctx = erm_context(request)
        check_encounter(encounter, ctx.dataset.facility)
        if encounter.status != EncounterStatus.ARRIVED:
            raise unprocessable(
                f"a new Encounter starts as 'arrived', not {encounter.status.value!r}",
                code=IssueType.BUSINESS_RULE,
            )
        at = now_iso()
        resource = {**_dump(encounter), "id": str(uuid.uuid4()), "meta": _meta(1, at)}
        if not resource.get("statusHistory"):
            start = encounter.period.start or at
            resource["statusHistory"] = [{"status": "arrived", "period": {"start": start}}]
        ctx.store.insert_encounter(_encounter_row(encounter, resource, request))
        return _created(resource, request)

    @router.get("/Encounter")
    async def search_encounter(
        request: Request,
        _token: Authorized,
        subject: Annotated[
            str | None, Query(description="Patient/<IHS number> or the bare id", max_length=100)
        ] = None,
        date: Annotated[
            str | None, Query(description="yyyy-mm-dd (optionally eq-prefixed)", max_length=20)
        ] = None,
    ) -> Response:
        """Encounters by subject and/or the date of period.start."""
        day: str | None = None
        if date is not None:
            day = date.removeprefix("eq")
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise FHIRError(
                    f"date={date!r} is not a date: use yyyy-mm-dd",
                    status=400,
                    code=IssueType.VALUE,
                ) from None
        who = subject.removeprefix("Patient/") if subject is not None else None
        rows = erm_context(request).store.encounters(subject=who, date=day)
        return fhir_json(
            searchset(
                [r.resource for r in rows],
                base=_base(request),
                self_url=str(request.url),
                resource_type="Encounter",
            )
        )

    @router.get("/Encounter/{encounter_id}")
    async def read_encounter(
        request: Request, _token: Authorized, encounter_id: ResourceId
    ) -> Response:
        return fhir_json(_stored_encounter(request, encounter_id).resource)

    @router.put("/Encounter/{encounter_id}")
    async def update_encounter(
        request: Request,
        _token: Authorized,
        encounter_id: ResourceId,
        encounter: Annotated[EncounterIn, Body()],
    ) -> Response:
        """Replace an Encounter; a status change must follow arrived -> in-progress -> finished."""
        return _update_encounter(request, _stored_encounter(request, encounter_id), encounter)

    @router.patch("/Encounter/{encounter_id}")
    async def patch_encounter(
        request: Request,
        _token: Authorized,
        encounter_id: ResourceId,
        ops: Annotated[list[dict[str, Any]], Body(examples=[_JSON_PATCH_EXAMPLE])],
    ) -> Response:
        """JSON Patch an Encounter, e.g. `[{"op": "replace", "path": "/status", ...}]`."""
        row = _stored_encounter(request, encounter_id)
        patched = _apply_patch(row.resource, ops)
        try:
            encounter = EncounterIn.model_validate(patched)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise FHIRError(
                f"the patched Encounter is invalid: {where}: {first['msg']}",
                status=422,
                code=IssueType.VALUE,
            ) from None
        return _update_encounter(request, row, encounter)

    @router.post("/Observation", status_code=201)
    async def create_observation(
        request: Request, _token: Authorized, observation: Annotated[ObservationIn, Body()]
    ) -> Response:
        """Record a vital sign (LOINC) for a patient, optionally within an Encounter."""
        ctx = erm_context(request)
        code = check_observation(observation)
        subject = patient_id_of(observation.subject, ctx.dataset)
        encounter_id: str | None = None
        if observation.encounter is not None:
            kind, _, encounter_id = observation.encounter.reference.partition("/")
            if kind != "Encounter" or ctx.store.encounter(encounter_id) is None:
                raise unprocessable(
                    f"encounter {observation.encounter.reference!r}: no such Encounter",
                    code=IssueType.NOT_FOUND,
                )
        at = now_iso()
        resource = {**_dump(observation), "id": str(uuid.uuid4()), "meta": _meta(1, at)}
        ctx.store.insert_observation(
            obs_id=resource["id"],
            subject=subject,
            encounter=encounter_id,
            code=code,
            resource=resource,
            created=at,
        )
        return _created(resource, request)

    @router.get("/Observation/{observation_id}")
    async def read_observation(
        request: Request, _token: Authorized, observation_id: ResourceId
    ) -> Response:
        resource = erm_context(request).store.observation(observation_id)
        if resource is None:
            raise FHIRError(
                f"Observation {observation_id} not found.", status=404, code=IssueType.NOT_FOUND
            )
        return fhir_json(resource)

    return router
