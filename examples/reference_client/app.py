"""The HTTP API both builds serve (see README.md in this folder for the contract).

Routes are thin: they validate input, call the registrar or the patient desk, and turn an
`Answer` into a response with the X-Degraded header when it came from a fallback. Errors are one
JSON shape, `{"error": "..."}`: 4xx for the caller's mistakes, 502/503/504 when an upstream failed
and the build has no fallback.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoint annotations at runtime.
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from examples.reference_client.builds import Components, assemble
from examples.reference_client.config import Settings
from examples.reference_client.errors import RequestError, UpstreamFailure
from examples.reference_client.models import (
    DEGRADED_HEADER,
    Answer,
    BookingIn,
    DeclarationIn,
    PatientLogin,
    RegistrationIn,
)

NikPath = Annotated[str, Path(pattern=r"^\d{16}$", description="16-digit NIK")]
NikQuery = Annotated[str, Query(pattern=r"^\d{16}$", description="16-digit NIK")]
BirthDate = Annotated[dt.date, Query(description="birth date, YYYY-MM-DD (logs in as the patient)")]
Ref = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9\-]+$")]


def _respond(answer: Answer) -> Response:
    headers = {DEGRADED_HEADER: ", ".join(answer.degraded)} if answer.degraded else None
    if answer.content is not None:
        return Response(
            answer.content, status_code=answer.status, media_type=answer.media_type, headers=headers
        )
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    return f"{where or 'request'}: {first.get('msg', 'invalid')}"


def create_app(settings: Settings) -> FastAPI:
    """The client's ASGI app; its upstream clients and replay task live in the lifespan."""
    holder: dict[str, Components] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        components = assemble(settings)
        holder["components"] = components
        components.start()
        try:
            yield
        finally:
            await components.stop()

    def parts() -> Components:
        return holder["components"]

    app = FastAPI(
        title=f"reference client ({settings.build.value})",
        description="Front-office service under test: registration, bookings, patient data.",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestError)
    async def request_error(_request: Request, exc: RequestError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.exception_handler(UpstreamFailure)
    async def upstream_failure(_request: Request, exc: UpstreamFailure) -> JSONResponse:
        return _error(exc.status, f"upstream failed: {exc}")

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(400, _validation_message(exc))

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Readiness: never calls an upstream."""
        return {"status": "ok", "build": settings.build.value}

    @app.get("/status")
    async def status() -> dict[str, object]:
        """Breakers, outbox and pending verifications (empty for the naive build)."""
        summary = parts().outbox_summary()
        records = parts().records
        return {
            "build": settings.build.value,
            "breakers": parts().breaker_states(),
            "outbox": None
            if summary is None
            else {
                "pending": summary.pending,
                "delivered": summary.delivered,
                "rejected": summary.rejected,
                "replayed": summary.replayed,
            },
            "pending_verification": records.count_pending_verification() if records else None,
        }

    @app.post("/registrations", status_code=201)
    async def register(body: RegistrationIn) -> Response:
        return _respond(await parts().registrar.register(body))

    @app.get("/registrations/{registration_id}")
    async def registration(registration_id: Ref) -> Response:
        return _respond(parts().registrar.lookup(registration_id))

    @app.get("/schedules")
    async def schedules(
        kodepoli: Annotated[str, Query(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$")],
        tanggal: Annotated[dt.date, Query(description="YYYY-MM-DD")],
    ) -> Response:
        return _respond(await parts().patients.schedules(kodepoli.upper(), tanggal))

    @app.post("/bookings", status_code=201)
    async def book(body: BookingIn) -> Response:
        return _respond(await parts().patients.book(body))

    @app.get("/bookings/{kodebooking}/queue")
    async def queue(kodebooking: Ref, nik: NikQuery, tglLahir: BirthDate) -> Response:
        login = PatientLogin(nik=nik, tglLahir=tglLahir)
        return _respond(await parts().patients.queue(kodebooking, login))

    @app.get("/lab-results")
    async def lab_results(nik: NikQuery, tglLahir: BirthDate) -> Response:
        return _respond(
            await parts().patients.lab_results(PatientLogin(nik=nik, tglLahir=tglLahir))
        )

    @app.get("/lab-results/{result_id}/document")
    async def lab_document(result_id: Ref, nik: NikQuery, tglLahir: BirthDate) -> Response:
        login = PatientLogin(nik=nik, tglLahir=tglLahir)
        return _respond(await parts().patients.lab_document(login, result_id))

    @app.get("/certificates/{nik}")
    async def certificate(nik: NikPath, tglLahir: BirthDate) -> Response:
        return _respond(
            await parts().patients.certificate(PatientLogin(nik=nik, tglLahir=tglLahir))
        )

    @app.post("/declarations", status_code=201)
    async def declare(body: DeclarationIn) -> Response:
        return _respond(await parts().patients.declare(body))

    return app
