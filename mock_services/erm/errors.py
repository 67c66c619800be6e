"""FHIR `OperationOutcome` errors: the ERM's one error envelope, on every path.

Handlers raise `FHIRError`; the shared app factory and the fault middleware call
`render_operation_outcome` for everything else (validation errors, unknown routes, `service_error`
faults). Either way the client gets `application/fhir+json`:

    {"resourceType": "OperationOutcome",
     "issue": [{"severity": "error", "code": "not-found",
                "details": {"text": "Patient P123 not found."}}]}

Issue codes are FHIR R4 `IssueType` codes, except `invalid-access-token`, which is what the real
SATUSEHAT gateway sends for a bad token (see shared/health-apis.md) and what its clients key on.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from service_contract.faults import ServiceErrorParams

FHIR_JSON = "application/fhir+json"


class IssueType(StrEnum):
    INVALID = "invalid"
    STRUCTURE = "structure"
    REQUIRED = "required"
    VALUE = "value"
    SECURITY = "security"
    LOGIN = "login"
    EXPIRED = "expired"
    NOT_FOUND = "not-found"
    NOT_SUPPORTED = "not-supported"
    CONFLICT = "conflict"
    BUSINESS_RULE = "business-rule"
    PROCESSING = "processing"
    EXCEPTION = "exception"
    TRANSIENT = "transient"
    INVALID_ACCESS_TOKEN = "invalid-access-token"  # the real gateway's own code, not an IssueType


class FHIRError(Exception):
    """Raise from a handler to answer with an OperationOutcome and `status`."""

    def __init__(
        self,
        text: str,
        *,
        status: int,
        code: IssueType,
        diagnostics: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(text)
        self.text = text
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}


def operation_outcome(
    text: str, *, code: IssueType | str, diagnostics: str | None = None
) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "severity": "error",
        "code": str(code),
        "details": {"text": text},
    }
    if diagnostics:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


_BY_STATUS = {
    400: IssueType.INVALID,
    401: IssueType.LOGIN,
    403: IssueType.SECURITY,
    404: IssueType.NOT_FOUND,
    405: IssueType.NOT_SUPPORTED,
    409: IssueType.CONFLICT,
    415: IssueType.NOT_SUPPORTED,
    422: IssueType.PROCESSING,
    429: IssueType.TRANSIENT,
}


def issue_type_for(code: str, status: int) -> IssueType:
    """The issue code for an error given as (code, status): a FHIR code passes through."""
    try:
        return IssueType(code)
    except ValueError:
        pass
    if status >= 500:
        return IssueType.EXCEPTION
    return _BY_STATUS.get(status, IssueType.PROCESSING)


def render_operation_outcome(path: str, params: ServiceErrorParams) -> tuple[int, str, bytes]:
    """The `ErrorRenderer` for `create_app`: every error on every path is an OperationOutcome.

    The status comes from `params.status` (500 when unset, e.g. a `service_error` fault with no
    status); `params.code` becomes the issue code when it is a FHIR one, and is kept in
    `diagnostics` otherwise, so a fault's own code stays visible to the client.
    """
    status = params.status or 500
    issue = issue_type_for(params.code, status)
    plain = params.code in (issue.value, str(status))
    diagnostics = None if plain else f"error code {params.code}"
    body = encode(operation_outcome(params.message, code=issue, diagnostics=diagnostics))
    return status, FHIR_JSON, body
