"""Patient-facing services: schedules, bookings, queue status, lab results, certificates and
e-HAC declarations, with the resilient build's cache and outbox.

Reads (schedules, queue, lab results and documents, certificates) keep their last good answer in
the cache (resilient) and serve it with X-Degraded: cache when the upstream fails. A confirmed
booking is kept too, so that a queue status read failing before any live copy of it was cached is
answered from the confirmation (what the booking said: number, date, estimate; the number being
served and the people ahead unknown, null). Writes (bookings, declarations) carry an
Idempotency-Key derived from the natural key (resilient); when the patient-app cannot take them
they go to the outbox (202, X-Degraded: outbox, a LOCAL-... reference) and are forwarded once it is
back. The naive build has none of this: an upstream failure is a 5xx. The lenient build swallows a
failed read and shows empty data as a normal answer (`swallow_failures`), and writes as the naive
build does: it never invents a booking or a receipt.

Schedules come from BPJS Antrean RS (jadwaldokter), the hospital's own published timetable; they
are weekly, so they are cached per polyclinic and weekday.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import JsonValue

from examples.reference_client import clock
from examples.reference_client.bpjs import BpjsAdapter
from examples.reference_client.errors import RequestError, UpstreamFailure
from examples.reference_client.guard import Guard
from examples.reference_client.keys import booking_key, declaration_key, local_ref, login_digest
from examples.reference_client.models import (
    Answer,
    BookingIn,
    DeclarationIn,
    Degraded,
    PatientLogin,
)
from examples.reference_client.nik import birth_date
from examples.reference_client.patient_app import PatientAppAdapter
from examples.reference_client.registration import Delivered
from examples.reference_client.resilience.cache import ResponseCache
from examples.reference_client.resilience.outbox import (
    JsonObject,
    Outbox,
    OutboxEntry,
    OutboxKind,
    OutboxStatus,
)

JSON_TYPE = "application/json"
PDF_TYPE = "application/pdf"
LOCAL_PREFIX = "LOCAL-"


@dataclass(frozen=True, slots=True)
class PatientFallbacks:
    """The resilient build's cache and outbox."""

    cache: ResponseCache
    outbox: Outbox


def _login_json(login: PatientLogin) -> JsonObject:
    return {"nik": login.nik, "tglLahir": login.tglLahir.isoformat()}


def _login_of(payload: JsonObject) -> PatientLogin:
    login = payload["login"]
    assert isinstance(login, dict)
    return PatientLogin(
        nik=str(login["nik"]), tglLahir=dt.date.fromisoformat(str(login["tglLahir"]))
    )


def _object(value: JsonValue) -> JsonObject:
    assert isinstance(value, dict)
    return value


# What a queue status read adds to a booking; not known from the booking confirmation alone.
QUEUE_ONLY_FIELDS = ("sedangdilayani", "totalantrean", "sisaantrean", "estimasiMenit")
BOOKING_FIELDS = (
    "kodebooking",
    "nomorantrean",
    "angkaantrean",
    "status",
    "tanggalperiksa",
    "namapoli",
    "namadokter",
    "estimasidilayani",
)


def queue_from_booking(booking: JsonObject) -> JsonObject:
    """The queue status known from a booking confirmation alone: nothing live is invented."""
    known: JsonObject = {name: booking.get(name) for name in BOOKING_FIELDS}
    return {**known, **dict.fromkeys(QUEUE_ONLY_FIELDS)}


class PatientDesk:
    def __init__(
        self,
        *,
        bpjs: BpjsAdapter,
        bpjs_guard: Guard,
        app: PatientAppAdapter,
        app_guard: Guard,
        fallbacks: PatientFallbacks | None,
        swallow_failures: bool = False,
    ) -> None:
        if fallbacks is not None and swallow_failures:
            raise ValueError("a build either falls back to its cache or swallows failures")
        self._bpjs = bpjs
        self._bpjs_guard = bpjs_guard
        self._app = app
        self._app_guard = app_guard
        self._fallbacks = fallbacks
        self._swallow = swallow_failures

    # -- reads -------------------------------------------------------------------------------

    async def _read(
        self,
        guard: Guard,
        fetch: Callable[[], Awaitable[JsonValue]],
        *,
        cache_key: str,
        empty: JsonValue,
    ) -> tuple[JsonValue, tuple[Degraded, ...]]:
        """Fetch live data; on failure the cached copy (resilient), `empty` shown as if it were
        the answer (lenient) or the failure (naive, and resilient with nothing cached)."""
        try:
            data = await guard.run(fetch, idempotent=True)
        except UpstreamFailure:
            if self._swallow:
                return empty, ()
            cached = self._fallbacks.cache.get(cache_key) if self._fallbacks else None
            if cached is None:
                raise
            stored: JsonValue = json.loads(cached.body)
            return stored, (Degraded.CACHE,)
        if self._fallbacks is not None:
            self._fallbacks.cache.put(cache_key, json.dumps(data).encode(), JSON_TYPE)
        return data, ()

    async def schedules(self, kodepoli: str, tanggal: dt.date) -> Answer:
        data, degraded = await self._read(
            self._bpjs_guard,
            lambda: self._bpjs.schedules(kodepoli, tanggal),
            cache_key=f"schedules|{kodepoli}|{tanggal.isoweekday()}",
            empty=[],
        )
        body = {"kodepoli": kodepoli, "tanggal": tanggal.isoformat(), "schedules": data}
        return Answer(body, 200, degraded)

    async def queue(self, kodebooking: str, login: PatientLogin) -> Answer:
        if kodebooking.startswith(LOCAL_PREFIX):
            resolved = self._resolve_local_booking(kodebooking, login)
            if isinstance(resolved, Answer):
                return resolved
            kodebooking = resolved

        async def fetch() -> JsonValue:
            return await self._app.queue(login, kodebooking)

        digest = login_digest(login.nik, login.tglLahir)
        try:
            data, degraded = await self._read(
                self._app_guard, fetch, cache_key=f"queue|{digest}|{kodebooking}", empty={}
            )
        except UpstreamFailure:
            confirmed = self._confirmation(digest, kodebooking)
            if confirmed is None:
                raise
            return Answer(queue_from_booking(confirmed), 200, (Degraded.CACHE,))
        return Answer(data, 200, degraded)

    async def lab_results(self, login: PatientLogin) -> Answer:
        data, degraded = await self._read(
            self._app_guard,
            lambda: self._app.lab_results(login),
            cache_key=f"lab-results|{login_digest(login.nik, login.tglLahir)}",
            empty=[],
        )
        return Answer({"results": data}, 200, degraded)

    async def lab_document(self, login: PatientLogin, result_id: str) -> Answer:
        cache_key = f"lab-pdf|{login_digest(login.nik, login.tglLahir)}|{result_id}"
        try:
            content = await self._app_guard.run(
                lambda: self._app.lab_document(login, result_id), idempotent=True
            )
        except UpstreamFailure:
            if self._swallow:
                return Answer(content=b"", media_type=PDF_TYPE)
            cached = self._fallbacks.cache.get(cache_key) if self._fallbacks else None
            if cached is None:
                raise
            return Answer(content=cached.body, media_type=PDF_TYPE, degraded=(Degraded.CACHE,))
        if self._fallbacks is not None:
            self._fallbacks.cache.put(cache_key, content, PDF_TYPE)
        return Answer(content=content, media_type=PDF_TYPE)

    async def certificate(self, login: PatientLogin) -> Answer:
        async def fetch() -> JsonValue:
            return await self._app.certificate(login)

        data, degraded = await self._read(
            self._app_guard,
            fetch,
            cache_key=f"certificate|{login_digest(login.nik, login.tglLahir)}",
            empty={},
        )
        return Answer(data, 200, degraded)

    # -- writes ------------------------------------------------------------------------------

    async def book(self, request: BookingIn) -> Answer:
        login = PatientLogin(nik=request.nik, tglLahir=request.tglLahir)
        body: JsonObject = {
            "kodepoli": request.kodepoli,
            "kodedokter": request.kodedokter,
            "tanggalperiksa": request.tanggal.isoformat(),
        }
        if self._fallbacks is None:
            written = await self._app_guard.run(
                lambda: self._app.book(login, body, idempotency_key=None), idempotent=False
            )
            return Answer(written.data, 201)
        key = booking_key(request.nik, request.tanggal, request.kodepoli)
        queued = self._queued(key)
        if queued is not None:
            return queued
        try:
            written = await self._app_guard.run(
                lambda: self._app.book(login, body, idempotency_key=key), idempotent=True
            )
        except UpstreamFailure:
            entry = self._fallbacks.outbox.add(
                key=key,
                kind=OutboxKind.BOOKING,
                local_ref=local_ref("B", key),
                payload={"login": _login_json(login), "body": body},
            )
            return self._queued_answer(entry)
        self._remember_booking(login, written.data)
        return Answer(written.data, 201)

    def _remember_booking(self, login: PatientLogin, booking: JsonObject) -> None:
        """Keep a confirmed booking: the queue status known when the app cannot be asked."""
        if self._fallbacks is None:
            return
        digest = login_digest(login.nik, login.tglLahir)
        key = f"booking|{digest}|{booking['kodebooking']}"
        self._fallbacks.cache.put(key, json.dumps(booking).encode(), JSON_TYPE)

    def _confirmation(self, digest: str, kodebooking: str) -> JsonObject | None:
        cached = (
            self._fallbacks.cache.get(f"booking|{digest}|{kodebooking}")
            if self._fallbacks
            else None
        )
        return _object(json.loads(cached.body)) if cached is not None else None

    async def declare(self, request: DeclarationIn) -> Answer:
        tgl_lahir = request.tglLahir or birth_date(request.nik, today=clock.today())
        if tgl_lahir is None:
            raise RequestError("the NIK holds no valid birth date: give tglLahir (YYYY-MM-DD)")
        login = PatientLogin(nik=request.nik, tglLahir=tgl_lahir)
        form = request.upstream_form()
        if self._fallbacks is None:
            written = await self._app_guard.run(
                lambda: self._app.declare(login, form, idempotency_key=None), idempotent=False
            )
            return Answer({"receipt": written.data}, 201)
        key = declaration_key(request.nik, request.tanggalPerjalanan, request.nomorPenerbangan)
        queued = self._queued(key)
        if queued is not None:
            return queued
        try:
            written = await self._app_guard.run(
                lambda: self._app.declare(login, form, idempotency_key=key), idempotent=True
            )
        except UpstreamFailure:
            entry = self._fallbacks.outbox.add(
                key=key,
                kind=OutboxKind.DECLARATION,
                local_ref=local_ref("D", key),
                payload={"login": _login_json(login), "body": form},
            )
            return self._queued_answer(entry)
        return Answer({"receipt": written.data}, 201)

    def _queued(self, key: str) -> Answer | None:
        """The answer for a write already in the outbox: pending, delivered or refused."""
        assert self._fallbacks is not None
        entry = self._fallbacks.outbox.get(key)
        if entry is None:
            return None
        return self._queued_answer(entry)

    @staticmethod
    def _queued_answer(entry: OutboxEntry) -> Answer:
        body = _object(entry.payload["body"])
        if entry.status is OutboxStatus.REJECTED:
            raise RequestError(
                f"the request stored as {entry.local_ref} was refused upstream: {entry.last_error}",
                status=409,
            )
        if entry.kind is OutboxKind.BOOKING:
            if entry.status is OutboxStatus.DELIVERED and entry.result is not None:
                return Answer(entry.result, 201)
            pending: JsonObject = {
                "status": "pending",
                "kodebooking": entry.local_ref,
                "nomorantrean": None,
                "angkaantrean": None,
                **body,
                "message": "stored; it is sent to the hospital as soon as its system is back",
            }
            return Answer(pending, 202, (Degraded.OUTBOX,))
        if entry.status is OutboxStatus.DELIVERED and entry.result is not None:
            return Answer({"receipt": entry.result}, 201)
        receipt: JsonObject = {
            "nomorResi": entry.local_ref,
            "status": "TERSIMPAN",  # stored locally, forwarded when the server is reachable
            "nik": body.get("nik"),
            "nama": body.get("nama"),
            "nomorPenerbangan": body.get("nomorPenerbangan"),
            "tanggalPerjalanan": body.get("tanggalPerjalanan"),
        }
        return Answer({"receipt": receipt, "status": "stored"}, 202, (Degraded.OUTBOX,))

    def _resolve_local_booking(self, kodebooking: str, login: PatientLogin) -> str | Answer:
        """The real kodebooking behind a LOCAL-... reference, or the pending answer."""
        entry = self._fallbacks.outbox.by_local_ref(kodebooking) if self._fallbacks else None
        if entry is None or _login_of(entry.payload) != login:
            raise RequestError(f"no booking {kodebooking!r} for this patient", status=404)
        if entry.status is OutboxStatus.DELIVERED and entry.result is not None:
            return str(entry.result["kodebooking"])
        answer = self._queued_answer(entry)
        body = _object(answer.body)
        body["status"] = "pending"
        return Answer(body, 200, answer.degraded)

    # -- background work ---------------------------------------------------------------------

    async def deliver(self, entry: OutboxEntry) -> Delivered:
        """Forward one queued booking or declaration with its Idempotency-Key."""
        login = _login_of(entry.payload)
        body = _object(entry.payload["body"])
        if entry.kind is OutboxKind.BOOKING:
            written = await self._app_guard.run(
                lambda: self._app.book(login, body, idempotency_key=entry.key), idempotent=True
            )
            self._remember_booking(login, written.data)
        else:
            written = await self._app_guard.run(
                lambda: self._app.declare(login, body, idempotency_key=entry.key),
                idempotent=True,
            )
        return Delivered(result=written.data, replayed=written.replayed)
