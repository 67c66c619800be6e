"""ERM adapter: OAuth2 client credentials, and visit registration with an Idempotency-Key.

The token (SATUSEHAT style, POST /oauth2/v1/accesstoken) is kept until shortly before it expires
and fetched again after a 401. `register_visit` answers the ERM's visit and whether the ERM said
`Idempotent-Replayed: true` (it already had this key: nothing new was created).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from examples.reference_client.errors import (
    FailureKind,
    RequestError,
    Upstream,
    UpstreamFailure,
    raise_for_upstream_status,
    translated,
)

TOKEN_PATH = "/oauth2/v1/accesstoken"
VISITS_PATH = "/api/v1/visits"
REPLAYED_HEADER = "Idempotent-Replayed"
TOKEN_MARGIN = 30.0  # seconds: fetch a new token this long before the old one expires


class _Token(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str
    expires_in: float


class ErmVisit(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    nomorantrean: str
    angkaantrean: int


@dataclass(frozen=True, slots=True)
class VisitBody:
    """What the client sends to register a visit; the same body on every attempt and replay."""

    nik: str
    tanggal: str
    kodepoli: str

    def json(self) -> dict[str, JsonValue]:
        return {
            "nik": self.nik,
            "tanggal": self.tanggal,
            "kodepoli": self.kodepoli,
            "jenispasien": "JKN",
        }


@dataclass(frozen=True, slots=True)
class RegisteredVisit:
    visit: ErmVisit
    replayed: bool


def _outcome_text(response: httpx.Response) -> str:
    """The first OperationOutcome issue's text, or the start of the body."""
    try:
        issues = response.json().get("issue") or [{}]
        details = issues[0].get("details") or {}
        return str(details.get("text") or issues[0].get("diagnostics") or response.text[:200])
    except (ValueError, AttributeError, IndexError, TypeError):
        return response.text[:200]


class ErmAdapter:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()

    async def _access_token(self) -> str:
        async with self._token_lock:  # one token request, not one per waiting caller
            if self._token is not None and self._clock() < self._token_until:
                return self._token
            async with translated(Upstream.ERM):
                response = await self._http.post(
                    TOKEN_PATH,
                    params={"grant_type": "client_credentials"},
                    data={"client_id": self._client_id, "client_secret": self._client_secret},
                )
            raise_for_upstream_status(Upstream.ERM, response)
            if response.status_code != 200:
                raise UpstreamFailure(
                    Upstream.ERM,
                    FailureKind.BAD_GATEWAY,
                    f"token refused (HTTP {response.status_code}): {_outcome_text(response)}",
                )
            try:
                token = _Token.model_validate_json(response.content)
            except ValidationError as exc:
                raise UpstreamFailure(
                    Upstream.ERM, FailureKind.BAD_GATEWAY, "unreadable token answer"
                ) from exc
            self._token = token.access_token
            self._token_until = self._clock() + max(0.0, token.expires_in - TOKEN_MARGIN)
            return self._token

    async def register_visit(
        self, body: VisitBody, *, idempotency_key: str | None
    ) -> RegisteredVisit:
        """POST /api/v1/visits; RequestError for the ERM's 4xx (unknown NIK, bad polyclinic)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        for attempt in (1, 2):
            token = await self._access_token()
            async with translated(Upstream.ERM):
                response = await self._http.post(
                    VISITS_PATH,
                    json=body.json(),
                    headers={**headers, "Authorization": f"Bearer {token}"},
                )
            if response.status_code == 401 and attempt == 1:
                self._token = None  # expired or unknown after all: fetch a new one, once
                continue
            break
        raise_for_upstream_status(Upstream.ERM, response)
        if response.status_code in (401, 403):
            raise UpstreamFailure(
                Upstream.ERM, FailureKind.BAD_GATEWAY, f"token refused: {_outcome_text(response)}"
            )
        if response.status_code != 201:
            raise RequestError(
                f"the ERM refused the visit: {_outcome_text(response)}",
                status=422 if response.status_code in (409, 422) else 400,
            )
        try:
            visit = ErmVisit.model_validate_json(response.content)
        except ValidationError as exc:
            raise UpstreamFailure(
                Upstream.ERM, FailureKind.BAD_GATEWAY, "unexpected visit shape"
            ) from exc
        replayed = response.headers.get(REPLAYED_HEADER, "").lower() == "true"
        return RegisteredVisit(visit=visit, replayed=replayed)
