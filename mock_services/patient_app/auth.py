"""Login (username/password or NIK + birth date), token refresh, and the bearer dependency.

POST /api/v1/auth/login    {"username", "password"} or {"nik", "tglLahir"}
POST /api/v1/auth/refresh  {"refreshToken"}   (single use: each refresh rotates the pair)
GET  /api/v1/profile       the logged-in patient
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations at runtime,
# and they name dependencies local to `router()`.
import datetime as dt
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator

from mock_services.common.dataset import Patient
from mock_services.patient_app.context import Context
from mock_services.patient_app.envelope import Envelope, ErrorCode, app_error, ok
from mock_services.patient_app.store import iso_time
from mock_services.patient_app.tokens import TokenError, TokenType

PREFIX = "/api/v1"

NIK_PATTERN = r"^\d{16}$"


class LoginRequest(BaseModel):
    """Either `username` + `password`, or `nik` + `tglLahir` (YYYY-MM-DD)."""

    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    nik: Annotated[str, Field(pattern=NIK_PATTERN)] | None = None
    tglLahir: dt.date | None = None

    @model_validator(mode="after")
    def _one_method(self) -> "LoginRequest":
        by_password = self.username is not None and self.password is not None
        by_nik = self.nik is not None and self.tglLahir is not None
        if by_password == by_nik:
            raise ValueError("give either username and password, or nik and tglLahir")
        return self


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refreshToken: Annotated[str, Field(min_length=1, max_length=2000)]


class PatientSummary(BaseModel):
    nik: str
    nama: str
    noKartu: str
    noMR: str
    tglLahir: str
    sex: str
    noTelepon: str
    alamat: str

    @classmethod
    def of(cls, patient: Patient) -> "PatientSummary":
        return cls(
            nik=patient.nik,
            nama=patient.nama,
            noKartu=patient.noKartu,
            noMR=patient.noMR,
            tglLahir=patient.tglLahir,
            sex=patient.sex,
            noTelepon=patient.noTelepon,
            alamat=patient.alamat,
        )


class TokenPair(BaseModel):
    tokenType: str = "Bearer"
    accessToken: str
    expiresIn: float = Field(description="seconds until the access token expires")
    expiresAt: str
    refreshToken: str
    refreshExpiresIn: float
    patient: PatientSummary


def issue_pair(ctx: Context, patient: Patient) -> TokenPair:
    access = ctx.tokens.issue(patient.nik, typ=TokenType.ACCESS, ttl=ctx.options.token_ttl)
    refresh = ctx.tokens.issue(patient.nik, typ=TokenType.REFRESH, ttl=ctx.options.refresh_ttl)
    return TokenPair(
        accessToken=access.token,
        expiresIn=ctx.options.token_ttl,
        expiresAt=iso_time(access.claims.exp),
        refreshToken=refresh.token,
        refreshExpiresIn=ctx.options.refresh_ttl,
        patient=PatientSummary.of(patient),
    )


def _check_login(ctx: Context, body: LoginRequest) -> Patient:
    wrong = app_error(
        ErrorCode.INVALID_CREDENTIALS, "wrong username/password or NIK/birth date; check and retry"
    )
    if body.username is not None and body.password is not None:
        patient = ctx.accounts.get(body.username)
        if patient is None or not hmac.compare_digest(patient.password, body.password):
            raise wrong
        return patient
    assert body.nik is not None  # checked by LoginRequest
    assert body.tglLahir is not None
    patient = ctx.dataset.patient_by_nik(body.nik)
    if patient is None or patient.tglLahir != body.tglLahir.isoformat():
        raise wrong
    return patient


CurrentPatient = Callable[..., Awaitable[Patient]]


def patient_for_token(ctx: Context, token: str | None) -> Patient:
    """The patient of a valid access token; else the 401 envelope error to raise."""
    if not token:
        raise app_error(
            ErrorCode.UNAUTHORIZED,
            "missing bearer token: send 'Authorization: Bearer <accessToken>' from "
            "POST /api/v1/auth/login",
        )
    try:
        claims = ctx.tokens.verify(token, typ=TokenType.ACCESS)
    except TokenError as exc:
        code = ErrorCode.TOKEN_EXPIRED if exc.expired else ErrorCode.UNAUTHORIZED
        raise app_error(code, str(exc)) from None
    patient = ctx.dataset.patient_by_nik(claims.sub)
    if patient is None:
        raise app_error(ErrorCode.UNAUTHORIZED, "token names no known patient; log in again")
    return patient


def patient_for_header(ctx: Context, authorization: str | None) -> Patient:
    """`patient_for_token` from a raw Authorization header (for plain Starlette handlers)."""
    scheme, _, token = (authorization or "").partition(" ")
    return patient_for_token(ctx, token.strip() if scheme.lower() == "bearer" else None)


def bearer_dependency(ctx: Context) -> CurrentPatient:
    """A FastAPI dependency giving the patient of a valid access token, else a 401 envelope."""
    scheme = HTTPBearer(auto_error=False, description="access token from POST /api/v1/auth/login")

    async def current_patient(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scheme)],
    ) -> Patient:
        return patient_for_token(ctx, credentials.credentials if credentials else None)

    return current_patient


def router(ctx: Context, current_patient: CurrentPatient) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["auth"])

    @api.post("/auth/login", response_model=Envelope[TokenPair])
    async def login(body: LoginRequest) -> Response:
        return ok(issue_pair(ctx, _check_login(ctx, body)))

    @api.post("/auth/refresh", response_model=Envelope[TokenPair])
    async def refresh(body: RefreshRequest) -> Response:
        try:
            claims = ctx.tokens.verify(body.refreshToken, typ=TokenType.REFRESH)
        except TokenError as exc:
            raise app_error(ErrorCode.INVALID_REFRESH_TOKEN, f"{exc}; log in again") from None
        patient = ctx.dataset.patient_by_nik(claims.sub)
        if patient is None:
            raise app_error(ErrorCode.INVALID_REFRESH_TOKEN, "token names no known patient")
        with ctx.store.transaction():
            fresh = ctx.store.spend_refresh_token(claims.jti, nik=claims.sub, now=time.time())
        if not fresh:
            raise app_error(
                ErrorCode.INVALID_REFRESH_TOKEN,
                "refresh token already used (each refresh returns a new one); log in again",
            )
        return ok(issue_pair(ctx, patient))

    @api.get("/profile", response_model=Envelope[PatientSummary])
    async def profile(patient: Annotated[Patient, Depends(current_patient)]) -> Response:
        return ok(PatientSummary.of(patient))

    return api
