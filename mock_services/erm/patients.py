"""The Patient endpoints, the ERM's hot path: plain Starlette handlers placed first in the app.

Patient search by NIK is what every front-desk client calls for every patient, so it is the
throughput benchmark's target. FastAPI's per-request dependency and parameter solving, and the
linear walk over every earlier route, cost several times the handler's own work; these handlers
take the bare `Request`, check the token themselves and are routed before everything else
(`fast_routes`). The FastAPI declarations in `mock_services.erm.fhir` document the same paths in the
OpenAPI schema and delegate here, so there is one implementation.

Without an active payload fault the searchset Bundle is assembled from the patient's JSON encoded
once at start-up; with one, it is built as a dict so the fault can distort it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from mock_services.common.faults import payload_faults_active
from mock_services.erm.auth import token_service
from mock_services.erm.context import erm_context
from mock_services.erm.errors import FHIR_JSON, FHIRError, IssueType
from mock_services.erm.resources import IHS_SYSTEM, NIK_SYSTEM, searchset
from mock_services.erm.responses import fhir_json

FHIR_PREFIX = "/fhir-r4/v1"
MAX_IDENTIFIER = 300


@lru_cache(maxsize=64)
def _root(scheme: str, host: str, root_path: str) -> str:
    return f"{scheme}://{host}{root_path}"


def server_root(request: Request) -> str:
    """`scheme://host[root_path]` as the client addressed us (e.g. through a proxy's port)."""
    return _server_root(request.scope, request.headers.get("host"))


def _server_root(scope: Scope, host: str | None) -> str:
    host = host or "{}:{}".format(*scope["server"])
    return _root(scope["scheme"], host, scope.get("root_path", ""))


def _raw_headers(scope: Scope) -> tuple[str | None, str | None]:
    """(host, authorization) straight from the ASGI scope, without building a Headers object."""
    host = authorization = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
        elif name == b"authorization":
            authorization = value.decode("latin-1")
    return host, authorization


def fhir_base(request: Request) -> str:
    return server_root(request) + FHIR_PREFIX


def _self_url(root: str, scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    path = root + scope["path"]
    return f"{path}?{query}" if query else path


def _authorize(request: Request) -> None:
    token_service(request).check(request.headers.get("authorization"))


async def search_patient(request: Request) -> Response:
    """`GET Patient?identifier=system|value`: a searchset Bundle, total 0 when nobody matches."""
    scope = request.scope
    host, authorization = _raw_headers(scope)
    token_service(request).check(authorization)
    query = scope.get("query_string", b"").decode("latin-1")
    identifier = next((v for k, v in parse_qsl(query) if k == "identifier"), None)
    if identifier is None:
        raise FHIRError(
            f"Patient search needs identifier={NIK_SYSTEM}|<NIK>",
            status=400,
            code=IssueType.REQUIRED,
        )
    if len(identifier) > MAX_IDENTIFIER:
        raise FHIRError(
            f"identifier is longer than {MAX_IDENTIFIER} characters",
            status=400,
            code=IssueType.VALUE,
        )
    ctx = erm_context(request)
    system, bar, value = identifier.rpartition("|")
    ihs: str | None = None
    if not bar or system == NIK_SYSTEM:
        ihs = ctx.ihs_by_nik.get(value)
    if ihs is None and (not bar or system == IHS_SYSTEM) and value in ctx.patients:
        ihs = value
    root = _server_root(scope, host)
    base, self_url = root + FHIR_PREFIX, _self_url(root, scope)
    if ihs is None or payload_faults_active():
        found = [ctx.patients[ihs]] if ihs is not None else []
        return fhir_json(searchset(found, base=base, self_url=self_url, resource_type="Patient"))
    # The same document as `searchset` builds, around the patient's pre-encoded JSON.
    body = b"".join(
        (
            b'{"resourceType":"Bundle","type":"searchset","total":1,'
            b'"link":[{"relation":"self","url":',
            json.dumps(self_url, ensure_ascii=False).encode(),
            b'}],"entry":[{"fullUrl":',
            json.dumps(f"{base}/Patient/{ihs}", ensure_ascii=False).encode(),
            b',"resource":',
            ctx.patient_bytes[ihs],
            b',"search":{"mode":"match"}}]}',
        )
    )
    return Response(content=body, media_type=FHIR_JSON)


async def read_patient(request: Request) -> Response:
    """`GET Patient/{id}`, the id being the IHS number."""
    _authorize(request)
    ctx = erm_context(request)
    patient_id: str = request.path_params["patient_id"]
    resource = ctx.patients.get(patient_id)
    if resource is None:
        raise FHIRError(f"Patient {patient_id} not found.", status=404, code=IssueType.NOT_FOUND)
    return fhir_json(resource, cached=ctx.patient_bytes[patient_id])


def fast_routes() -> list[BaseRoute]:
    """Routes to put first in the app (see the module docstring)."""
    return [
        Route(f"{FHIR_PREFIX}/Patient", search_patient, methods=["GET"]),
        Route(f"{FHIR_PREFIX}/Patient/{{patient_id}}", read_patient, methods=["GET"]),
    ]
