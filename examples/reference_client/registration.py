"""Front-desk registration: BPJS eligibility, then the ERM visit, with the resilient fallbacks.

Naive (no `offline` part): eligibility and the visit are each one call; an upstream failure is the
answer (5xx), and the visit is posted without an Idempotency-Key, so a retried request that did
arrive the first time makes a second visit.

Resilient (`offline` given):
- the registration is recorded locally per natural key, so asking again gives the same answer;
- BPJS failing: the patient is registered with eligibility `pending_verification`
  (X-Degraded: eligibility-pending) and verified by the replay task once BPJS answers again; a
  participant found inactive then is flagged, never cancelled;
- ERM failing: a local queue number (`INT-OFF-001`, X-Degraded: offline-queue) and an outbox entry
  that the replay task forwards exactly once, with the Idempotency-Key derived from the natural key.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from pydantic import JsonValue

from examples.reference_client.bpjs import BpjsAdapter, ParticipantStatus
from examples.reference_client.erm import ErmAdapter, RegisteredVisit, VisitBody
from examples.reference_client.errors import RequestError, UpstreamFailure
from examples.reference_client.guard import Guard
from examples.reference_client.keys import registration_key
from examples.reference_client.models import Answer, Degraded, Eligibility, RegistrationIn
from examples.reference_client.resilience.outbox import Outbox, OutboxEntry, OutboxKind
from examples.reference_client.resilience.registrations import (
    LocalRegistration,
    LocalRegistrations,
    offline_number,
)

CREATED = 201


@dataclass(frozen=True, slots=True)
class Offline:
    """The resilient build's local records and outbox."""

    records: LocalRegistrations
    outbox: Outbox


@dataclass(frozen=True, slots=True)
class Delivered:
    result: dict[str, JsonValue]
    replayed: bool


def registration_json(record: LocalRegistration) -> dict[str, JsonValue]:
    return {
        "status": "registered",
        "registration_id": record.registration_id,
        "nomorantrean": record.nomorantrean,
        "angkaantrean": record.angkaantrean,
        "eligibility": record.eligibility.value,
        "visit_id": record.visit_id,
        "offline": record.offline,
        "erm_nomorantrean": record.erm_nomorantrean,
        "nik": record.nik,
        "tanggal": record.tanggal,
        "kodepoli": record.kodepoli,
    }


def _markers(record: LocalRegistration) -> tuple[Degraded, ...]:
    markers: list[Degraded] = []
    if record.eligibility is Eligibility.PENDING:
        markers.append(Degraded.ELIGIBILITY_PENDING)
    if record.offline and record.visit_id is None:
        markers.append(Degraded.OFFLINE_QUEUE)
    return tuple(markers)


def _rejected(keterangan: str) -> Answer:
    return Answer(
        body={"status": "rejected", "reason": f"BPJS participant not active: {keterangan}"},
        status=200,
    )


class Registrar:
    def __init__(
        self,
        *,
        bpjs: BpjsAdapter,
        erm: ErmAdapter,
        bpjs_guard: Guard,
        erm_guard: Guard,
        offline: Offline | None,
    ) -> None:
        self._bpjs = bpjs
        self._erm = erm
        self._bpjs_guard = bpjs_guard
        self._erm_guard = erm_guard
        self._offline = offline

    async def register(self, request: RegistrationIn) -> Answer:
        key = registration_key(request.nik, request.tanggal, request.kodepoli)
        if self._offline is not None:
            existing = self._offline.records.get(key)
            if existing is not None:
                return Answer(registration_json(existing), CREATED, _markers(existing))
        eligibility = await self._eligibility(request.nik, request.tanggal)
        if isinstance(eligibility, Answer):
            return eligibility
        body = VisitBody(
            nik=request.nik, tanggal=request.tanggal.isoformat(), kodepoli=request.kodepoli
        )
        if self._offline is None:
            registered = await self._erm_guard.run(
                lambda: self._erm.register_visit(body, idempotency_key=None), idempotent=False
            )
            return Answer(self._naive_json(registered, eligibility), CREATED)
        try:
            registered = await self._erm_guard.run(
                lambda: self._erm.register_visit(body, idempotency_key=key), idempotent=True
            )
        except UpstreamFailure:
            record = self._register_offline(key, body, eligibility)
        else:
            record = self._offline.records.record(
                key=key,
                registration_id=key[:16],
                nik=body.nik,
                tanggal=body.tanggal,
                kodepoli=body.kodepoli,
                nomorantrean=registered.visit.nomorantrean,
                angkaantrean=registered.visit.angkaantrean,
                offline=False,
                visit_id=registered.visit.id,
                eligibility=eligibility,
            )
        return Answer(registration_json(record), CREATED, _markers(record))

    async def _eligibility(self, nik: str, tanggal: dt.date) -> Eligibility | Answer:
        """AKTIF, PENDING (resilient, BPJS failing), or the `rejected` answer."""
        try:
            participant = await self._bpjs_guard.run(
                lambda: self._bpjs.participant(nik, tanggal), idempotent=True
            )
        except UpstreamFailure:
            if self._offline is None:
                raise
            return Eligibility.PENDING
        if participant.status is ParticipantStatus.AKTIF:
            return Eligibility.AKTIF
        return _rejected(participant.keterangan)

    @staticmethod
    def _naive_json(registered: RegisteredVisit, eligibility: Eligibility) -> JsonValue:
        visit = registered.visit
        return {
            "status": "registered",
            "nomorantrean": visit.nomorantrean,
            "angkaantrean": visit.angkaantrean,
            "eligibility": eligibility.value,
            "visit_id": visit.id,
        }

    def _register_offline(
        self, key: str, body: VisitBody, eligibility: Eligibility
    ) -> LocalRegistration:
        assert self._offline is not None
        records, outbox = self._offline.records, self._offline.outbox
        # No await from here on: a concurrent identical request cannot slip in between.
        existing = records.get(key)
        if existing is not None:
            return existing
        angka = records.next_offline_number(body.tanggal, body.kodepoli)
        outbox.add(
            key=key,
            kind=OutboxKind.VISIT,
            local_ref=key[:16],
            payload={"nik": body.nik, "tanggal": body.tanggal, "kodepoli": body.kodepoli},
        )
        return records.record(
            key=key,
            registration_id=key[:16],
            nik=body.nik,
            tanggal=body.tanggal,
            kodepoli=body.kodepoli,
            nomorantrean=offline_number(body.kodepoli, angka),
            angkaantrean=angka,
            offline=True,
            visit_id=None,
            eligibility=eligibility,
        )

    # -- background work (the resilient build's replay task) ----------------------------------

    def lookup(self, registration_id: str) -> Answer:
        if self._offline is None:
            raise RequestError(
                "the naive build keeps no local registrations; ask the ERM", status=404
            )
        record = self._offline.records.by_id(registration_id)
        if record is None:
            raise RequestError(f"no registration {registration_id!r}", status=404)
        return Answer(registration_json(record), 200)

    async def deliver_visit(self, entry: OutboxEntry) -> Delivered:
        """Forward one queued visit; the ERM replays it if an earlier attempt did arrive."""
        assert self._offline is not None
        payload = entry.payload
        body = VisitBody(
            nik=str(payload["nik"]),
            tanggal=str(payload["tanggal"]),
            kodepoli=str(payload["kodepoli"]),
        )
        registered = await self._erm_guard.run(
            lambda: self._erm.register_visit(body, idempotency_key=entry.key), idempotent=True
        )
        visit = registered.visit
        self._offline.records.attach_visit(
            entry.key, visit_id=visit.id, erm_nomorantrean=visit.nomorantrean
        )
        return Delivered(result=visit.model_dump(mode="json"), replayed=registered.replayed)

    async def verify_pending(self, *, limit: int) -> int:
        """Check pending eligibility against BPJS; stops at the first failure. Returns checked."""
        if self._offline is None:
            return 0
        records = self._offline.records
        checked = 0
        for record in records.pending_verification(limit=limit):
            tanggal = dt.date.fromisoformat(record.tanggal)
            try:
                participant = await self._bpjs_guard.run(
                    functools.partial(self._bpjs.participant, record.nik, tanggal),
                    idempotent=True,
                )
            except UpstreamFailure:
                break  # BPJS still down: try again next round
            except RequestError as exc:
                records.set_eligibility(record.key, Eligibility.NOT_ACTIVE, note=str(exc))
            else:
                verified = (
                    Eligibility.AKTIF
                    if participant.status is ParticipantStatus.AKTIF
                    else Eligibility.NOT_ACTIVE  # flagged for staff; the registration stays
                )
                records.set_eligibility(record.key, verified, note=participant.keterangan)
            checked += 1
        return checked
