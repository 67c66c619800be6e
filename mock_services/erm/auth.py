"""OAuth2 client credentials, the SATUSEHAT (Apigee) way.

    POST /oauth2/v1/accesstoken?grant_type=client_credentials
    Content-Type: application/x-www-form-urlencoded
    client_id=...&client_secret=...

answers with Apigee's all-string JSON (`"expires_in": "3599"`, `"token_type": "BearerToken"`,
`"issued_at"` in epoch milliseconds). As RFC 6749 section 2.3.1 allows, the client may instead
send its credentials with HTTP Basic and `grant_type` in the form body: that is how generic OAuth2
/ SMART clients such as `fhirclient` do it.

Every FHIR and visit route requires `Authorization: Bearer <token>`. A missing, unknown or expired
token gets a 401 OperationOutcome with the real gateway's issue code `invalid-access-token`; the
expired case says so in its text, so a client can tell the two apart in logs.

Tokens are kept in memory and persisted in the database: a restart or a kill -9 of the mock (a fault
a scenario injects on purpose) does not also log every client out, which would be a second,
unrequested fault.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from mock_services.erm.errors import FHIRError, IssueType
from mock_services.erm.store import Store, TokenRow

DEFAULT_TOKEN_TTL = 3599  # seconds; SATUSEHAT answers expires_in "3599"
TOKEN_PATH = "/oauth2/v1/accesstoken"

_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, kw_only=True)
class Credentials:
    client_id: str
    client_secret: str
    token_ttl: int


class TokenService:
    """Issues and checks bearer tokens; reads are from memory, writes go to the store too."""

    def __init__(self, *, credentials: Credentials, store: Store) -> None:
        self.credentials = credentials
        self._store = store
        self._tokens = {row.token: row for row in store.tokens_valid_at(time.time())}

    def issue(self, client_id: str, client_secret: str) -> TokenRow:
        # Compared as bytes: compare_digest refuses non-ASCII str, and clients may send anything.
        if not (
            secrets.compare_digest(client_id.encode(), self.credentials.client_id.encode())
            and secrets.compare_digest(
                client_secret.encode(), self.credentials.client_secret.encode()
            )
        ):
            raise FHIRError(
                "Invalid client_id or client_secret.",
                status=401,
                code=IssueType.SECURITY,
                diagnostics="check the ERM mock's --client-id and --client-secret",
            )
        now = time.time()
        row = TokenRow(
            token="".join(secrets.choice(_ALPHABET) for _ in range(28)),
            client_id=client_id,
            issued_ms=int(now * 1000),
            expires_at=now + self.credentials.token_ttl,
        )
        self._store.save_token(row)
        self._tokens[row.token] = row
        return row

    def check(self, authorization: str | None) -> TokenRow:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise FHIRError(
                "Invalid Access Token.",
                status=401,
                code=IssueType.INVALID_ACCESS_TOKEN,
                diagnostics="missing 'Authorization: Bearer <token>'; get one from "
                f"POST {TOKEN_PATH}?grant_type=client_credentials",
                headers={"WWW-Authenticate": "Bearer"},
            )
        row = self._tokens.get(token)
        if row is None:
            raise FHIRError(
                "Invalid Access Token.",
                status=401,
                code=IssueType.INVALID_ACCESS_TOKEN,
                diagnostics="unknown token; get a new one from " + TOKEN_PATH,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if row.expires_at <= time.time():
            raise FHIRError(
                "Access Token Expired.",
                status=401,
                code=IssueType.INVALID_ACCESS_TOKEN,
                diagnostics="the token's lifetime is over; get a new one from " + TOKEN_PATH,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return row


def token_service(request: Request) -> TokenService:
    service: TokenService = request.app.state.tokens
    return service


async def require_token(request: Request) -> TokenRow:
    """FastAPI dependency: the caller's valid token, or a 401 OperationOutcome."""
    return token_service(request).check(request.headers.get("authorization"))


Authorized = Annotated[TokenRow, Depends(require_token)]


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


_TOKEN_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["client_id", "client_secret"],
                    "properties": {
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                    },
                }
            }
        },
    }
}


def token_router() -> APIRouter:
    router = APIRouter(tags=["oauth2"])

    @router.post(TOKEN_PATH, openapi_extra=_TOKEN_FORM_SCHEMA)
    async def access_token(
        request: Request,
        grant_type: Annotated[str | None, Query(description="client_credentials")] = None,
    ) -> JSONResponse:
        """Client-credentials token, Apigee style (all values are strings)."""
        try:
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            form = {}
        grant = grant_type or form.get("grant_type")
        if grant != "client_credentials":
            raise FHIRError(
                f"Unsupported grant_type {grant!r}: use grant_type=client_credentials.",
                status=400,
                code=IssueType.INVALID,
            )
        basic = _basic_credentials(request.headers.get("authorization"))
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if not client_id or secret is None:
            raise FHIRError(
                "Missing client_id or client_secret: send them as form fields "
                "(application/x-www-form-urlencoded) or with HTTP Basic.",
                status=401,
                code=IssueType.SECURITY,
            )
        service = token_service(request)
        row = service.issue(client_id, secret)
        return JSONResponse(
            {
                "refresh_token_expires_in": "0",
                "api_product_list": "[api-satusehat-dev]",
                "api_product_list_json": ["api-satusehat-dev"],
                "organization_name": "ihs-mock",
                "developer.email": "dev@example.invalid",
                "token_type": "BearerToken",
                "issued_at": str(row.issued_ms),
                "client_id": row.client_id,
                "access_token": row.token,
                "application_name": "erm-mock",
                "scope": "",
                "expires_in": str(service.credentials.token_ttl),
                "refresh_count": "0",
                "status": "approved",
            },
            headers={"Cache-Control": "no-store"},
        )

    return router
