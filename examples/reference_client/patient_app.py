"""Patient-app adapter: logs in as the patient (NIK + birth date) and calls the app's API.

Sessions are kept per patient until shortly before the access token expires, and a 401 gets one
fresh login. Every answer is the app's envelope `{"success", "code", "message", "data"}`; a 4xx
becomes RequestError with the app's message, a 5xx or an unreadable answer UpstreamFailure.

With `checked` (the naive and resilient builds) data is checked before anyone sees it, so a drifted
schema is a failure, not a crash and not a wrong answer: every field the client shows must be
there with its documented type (strict: `"12"` is not a number), a queue status and a certificate
must be the ones asked for, and a certificate's Ed25519 signature must verify against the app's
published keys (`GET /api/v1/certificates/keys`), so a certificate altered on the way is refused.
Without it (the lenient build) data is passed on as it came, whatever its shape.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, JsonValue, TypeAdapter, ValidationError

from examples.reference_client.errors import (
    FailureKind,
    RequestError,
    Upstream,
    UpstreamFailure,
    raise_for_upstream_status,
    translated,
)
from examples.reference_client.models import PatientLogin

API = "/api/v1"
REPLAYED_HEADER = "Idempotent-Replayed"
SESSION_MARGIN = 30.0
MAX_SESSIONS = 10_000
RELOGIN_CODES = frozenset({"UNAUTHORIZED", "TOKEN_EXPIRED"})


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Shown(BaseModel):
    """Data the client shows: every field present, non-null and of its documented type."""

    model_config = ConfigDict(extra="ignore", strict=True)


Text = Annotated[str, Field(min_length=1)]


class _Envelope(_Loose):
    success: bool
    code: str
    message: str
    data: JsonValue = None


class _Session(_Loose):
    accessToken: str
    expiresIn: float


class Booking(_Shown):
    kodebooking: Text
    nomorantrean: Text
    angkaantrean: int


class _Queue(_Shown):
    kodebooking: Text
    nomorantrean: Text
    angkaantrean: int
    tanggalperiksa: Text
    sedangdilayani: int
    sisaantrean: int


class _LabItem(_Shown):
    parameter: Text
    hasil: float
    satuan: str
    nilaiRujukan: str
    flag: str


class _LabResult(_Shown):
    id: Text
    tanggal: Text
    jenisPemeriksaan: Text
    status: Text
    hasil: list[_LabItem]
    ukuranBerkas: int


class _Dose(_Shown):
    dosis: int
    namaVaksin: Text
    tanggal: Text


class _CertificateBody(_Shown):
    certificateId: Text
    nik: Text
    nama: Text
    tglLahir: Text
    vaksinasi: list[_Dose]


class _Signature(_Shown):
    alg: Text
    kid: Text
    value: Text


class _Certificate(_Shown):
    certificate: _CertificateBody
    signature: _Signature


class _Jwk(_Loose):
    kty: str
    crv: str
    kid: str
    x: str


class _KeySet(_Loose):
    keys: list[_Jwk]


class Receipt(_Loose):
    nomorResi: str
    nik: str


_LAB_RESULTS = TypeAdapter(list[_LabResult])


@dataclass(frozen=True, slots=True)
class Written:
    """A write's answer: the app's data, and whether it was a replay of an earlier write."""

    data: dict[str, JsonValue]
    replayed: bool


def _bad(detail: str) -> UpstreamFailure:
    return UpstreamFailure(Upstream.PATIENT_APP, FailureKind.BAD_GATEWAY, detail)


def _check(model: type[BaseModel] | TypeAdapter[Any], data: JsonValue, what: str) -> None:
    try:
        if isinstance(model, TypeAdapter):
            model.validate_python(data)
        else:
            model.model_validate(data)
    except ValidationError as exc:
        raise _bad(f"unexpected {what} shape: {exc.error_count()} problem(s)") from exc


def _object(data: JsonValue, what: str) -> dict[str, JsonValue]:
    if not isinstance(data, dict):
        raise _bad(f"{what} is not a JSON object")
    return data


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(document: JsonValue) -> bytes:
    """The bytes a certificate signature covers: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class PatientAppAdapter:
    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        checked: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._checked = checked
        self._clock = clock
        self._sessions: dict[PatientLogin, tuple[str, float]] = {}
        self._keys: dict[str, Ed25519PublicKey] = {}  # certificate keys by kid, kept once fetched

    def _check(self, model: type[BaseModel] | TypeAdapter[Any], data: JsonValue, what: str) -> None:
        if self._checked:
            _check(model, data, what)

    # -- transport ---------------------------------------------------------------------------

    async def _send(
        self, method: str, path: str, *, headers: dict[str, str], json: JsonValue = None
    ) -> httpx.Response:
        async with translated(Upstream.PATIENT_APP):
            return await self._http.request(
                method, API + path, headers=headers, json=json if method == "POST" else None
            )

    def _envelope(self, response: httpx.Response) -> _Envelope:
        raise_for_upstream_status(Upstream.PATIENT_APP, response)
        try:
            envelope = _Envelope.model_validate_json(response.content)
        except ValidationError as exc:
            raise _bad(f"HTTP {response.status_code} was not the app's envelope") from exc
        if response.status_code >= 400:
            raise RequestError(envelope.message, status=response.status_code)
        if not envelope.success:
            raise _bad(f"HTTP {response.status_code} with success false: {envelope.message}")
        return envelope

    async def _login(self, login: PatientLogin) -> str:
        # No lock: two concurrent first calls of one patient just log in twice, harmlessly.
        session = self._sessions.get(login)
        if session is not None and self._clock() < session[1]:
            return session[0]
        response = await self._send(
            "POST",
            "/auth/login",
            headers={},
            json={"nik": login.nik, "tglLahir": login.tglLahir.isoformat()},
        )
        try:
            envelope = self._envelope(response)
        except RequestError as exc:
            if exc.status == 401:
                raise RequestError(
                    "wrong NIK or birth date for the patient app; check both and retry",
                    status=401,
                ) from exc
            raise
        try:
            session_data = _Session.model_validate(envelope.data)
        except ValidationError as exc:
            raise _bad("unexpected login answer") from exc
        until = self._clock() + max(0.0, session_data.expiresIn - SESSION_MARGIN)
        if len(self._sessions) >= MAX_SESSIONS:
            self._sessions.clear()  # bounded memory; each patient's next call logs in again
        self._sessions[login] = (session_data.accessToken, until)
        return session_data.accessToken

    async def _call(
        self,
        method: str,
        path: str,
        login: PatientLogin,
        *,
        json: JsonValue = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """The response of an authenticated call, after one fresh login if the token was refused."""
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        for attempt in (1, 2):
            token = await self._login(login)
            response = await self._send(
                method, path, headers={**extra, "Authorization": f"Bearer {token}"}, json=json
            )
            if response.status_code == 401 and attempt == 1:
                self._sessions.pop(login, None)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _data(self, path: str, login: PatientLogin) -> JsonValue:
        return self._envelope(await self._call("GET", path, login)).data

    # -- API ---------------------------------------------------------------------------------

    async def check_login(self, login: PatientLogin) -> None:
        """RequestError(401) if the NIK + birth date are wrong."""
        await self._login(login)

    async def book(
        self, login: PatientLogin, body: dict[str, JsonValue], *, idempotency_key: str | None
    ) -> Written:
        response = await self._call(
            "POST", "/bookings", login, json=body, idempotency_key=idempotency_key
        )
        data = _object(self._envelope(response).data, "booking")
        self._check(Booking, data, "booking")
        return Written(data, response.headers.get(REPLAYED_HEADER, "").lower() == "true")

    async def queue(self, login: PatientLogin, kodebooking: str) -> dict[str, JsonValue]:
        data = _object(await self._data(f"/bookings/{kodebooking}/queue", login), "queue status")
        self._check(_Queue, data, "queue status")
        if self._checked and data["kodebooking"] != kodebooking:
            raise _bad(f"asked for the queue of {kodebooking}, got {data['kodebooking']}")
        return data

    async def lab_results(self, login: PatientLogin) -> JsonValue:
        data = await self._data("/lab-results", login)
        self._check(_LAB_RESULTS, data, "lab results")
        return data

    async def lab_document(self, login: PatientLogin, result_id: str) -> bytes:
        response = await self._call("GET", f"/lab-results/{result_id}/pdf", login)
        if response.headers.get("content-type", "").startswith("application/pdf"):
            raise_for_upstream_status(Upstream.PATIENT_APP, response)
            content = response.content
            # A PDF starts with its header and ends with %%EOF: anything else is cut or corrupt.
            complete = content.startswith(b"%PDF-") and b"%%EOF" in content[-32:]
            if self._checked and not complete:
                raise _bad("the lab PDF is incomplete or corrupt")
            return content
        self._envelope(response)  # an error envelope raises; a success here is not a PDF
        raise _bad(f"expected application/pdf, got {response.headers.get('content-type')!r}")

    async def certificate(self, login: PatientLogin) -> dict[str, JsonValue]:
        data = _object(await self._data("/certificates/vaccination", login), "certificate")
        self._check(_Certificate, data, "certificate")
        if self._checked:
            signed = _Certificate.model_validate(data)
            if signed.certificate.nik != login.nik:
                raise _bad("the certificate is another person's")
            await self._verify(data["certificate"], signed.signature)
        return data

    async def _verify(self, certificate: JsonValue, signature: _Signature) -> None:
        """UpstreamFailure unless `signature` is the app's Ed25519 signature of `certificate`."""
        if signature.alg != "Ed25519":
            raise _bad(f"certificate signed with {signature.alg!r}, not Ed25519")
        if signature.kid not in self._keys:
            await self._fetch_keys()
        key = self._keys.get(signature.kid)
        if key is None:
            raise _bad(f"certificate signed with an unknown key {signature.kid!r}")
        try:
            key.verify(_unb64url(signature.value), canonical_json(certificate))
        except (InvalidSignature, binascii.Error, ValueError) as exc:
            raise _bad("the certificate's signature does not verify") from exc

    async def _fetch_keys(self) -> None:
        response = await self._send("GET", "/certificates/keys", headers={})
        try:
            keys = _KeySet.model_validate(self._envelope(response).data).keys
        except ValidationError as exc:
            raise _bad("unexpected certificate key set") from exc
        for jwk in keys:
            if jwk.kty == "OKP" and jwk.crv == "Ed25519":
                try:
                    self._keys[jwk.kid] = Ed25519PublicKey.from_public_bytes(_unb64url(jwk.x))
                except (binascii.Error, ValueError) as exc:
                    raise _bad(f"unreadable certificate key {jwk.kid!r}") from exc

    async def declare(
        self, login: PatientLogin, form: dict[str, JsonValue], *, idempotency_key: str | None
    ) -> Written:
        response = await self._call(
            "POST", "/health-declarations", login, json=form, idempotency_key=idempotency_key
        )
        data = _object(self._envelope(response).data, "receipt")
        self._check(Receipt, data, "receipt")
        return Written(data, response.headers.get(REPLAYED_HEADER, "").lower() == "true")
