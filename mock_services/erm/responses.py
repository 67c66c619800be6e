"""`application/fhir+json` responses, with the request's payload faults applied.

Every ERM route answers through `fhir_json`, so `schema_drift` and `stale_data` faults distort
FHIR resources and visit bodies alike. Without an active payload fault a handler may hand over
bytes it already encoded (`cached`), which keeps the hot Patient read cheap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from mock_services.common.faults import apply_payload_faults, payload_faults_active
from mock_services.erm.errors import FHIR_JSON, FHIRError, encode, operation_outcome


def fhir_json(
    payload: dict[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    cached: bytes | None = None,
) -> Response:
    if payload_faults_active():
        body = json.dumps(apply_payload_faults(payload), ensure_ascii=False).encode()
    else:
        body = cached if cached is not None else encode(payload)
    return Response(content=body, status_code=status, media_type=FHIR_JSON, headers=headers)


def error_response(exc: FHIRError) -> Response:
    body = encode(operation_outcome(exc.text, code=exc.code, diagnostics=exc.diagnostics))
    return Response(content=body, status_code=exc.status, media_type=FHIR_JSON, headers=exc.headers)
