"""The ERM's ledger on the admin API: what reached the backend, for "nothing lost, nothing twice".

- `GET /__admin/ledger` (optional filters on visits: `tanggal`, `kodepoli`, `nik`,
  `idempotency_key`) returns every visit (natural key nik + tanggal + kodepoli, idempotency key,
  queue number, state, how often it was replayed, created time), every encounter (natural key:
  the facility's Encounter identifier, or subject + date without one), the duplicate groups by
  natural key (count > 1) and the counts.
- `POST /__admin/ledger/verify` takes what patients were told was accepted, as natural keys and/or
  idempotency keys, and says for each whether it exists exactly once:

      {"visits": [{"nik": "...", "tanggal": "2025-10-27", "kodepoli": "INT"},
                  {"idempotency_key": "outbox-42"}]}
      -> {"ok": false, "checked": 2, "exactly_once": 1,
          "missing": [{"idempotency_key": "outbox-42"}], "more_than_once": [],
          "duplicate_visit_groups": 0}

  `ok` is true only when every claim is found exactly once and the ledger has no natural-key
  duplicates at all.

Like the rest of `/__admin`, the ledger needs no token and is never faulted. Its bodies are
`service_contract.ledger`'s (ErmLedger, VerifyRequest, VerifyAnswer).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from mock_services.erm.context import erm_context
from mock_services.erm.store import EncounterRow, VisitRow
from service_contract.ledger import (
    EncounterDuplicate,
    ErmCounts,
    ErmDuplicates,
    ErmLedger,
    LedgerEncounter,
    LedgerVisit,
    RepeatedClaim,
    VerifyAnswer,
    VerifyRequest,
    VisitClaim,
    VisitDuplicate,
    VisitKey,
    VisitStatus,
)


def _visit_entry(row: VisitRow) -> LedgerVisit:
    return LedgerVisit(
        id=row.id,
        natural_key=VisitKey(nik=row.nik, tanggal=row.tanggal, kodepoli=row.kodepoli),
        idempotency_key=row.idempotency_key,
        angkaantrean=row.angkaantrean,
        nomorantrean=row.response.get("nomorantrean"),
        status=VisitStatus(row.status),
        replays=row.replays,
        created=row.created,
        called=row.called,
        finished=row.finished,
    )


def _encounter_entry(row: EncounterRow) -> LedgerEncounter:
    return LedgerEncounter(
        id=row.id,
        natural_key=row.natural_key,
        subject=f"Patient/{row.subject}",
        date=row.date,
        status=row.status,
        identifier=row.resource.get("identifier", []),
        created=row.created,
        updated=row.updated,
    )


def _matches(row: VisitRow, claim: VisitClaim) -> bool:
    if claim.idempotency_key is not None and row.idempotency_key != claim.idempotency_key:
        return False
    return claim.nik is None or (row.nik, row.tanggal, row.kodepoli) == (
        claim.nik,
        claim.tanggal,
        claim.kodepoli,
    )


def ledger_router() -> APIRouter:
    router = APIRouter(tags=["admin"])

    @router.get("/ledger")
    async def ledger(
        request: Request,
        tanggal: Annotated[str | None, Query(max_length=10)] = None,
        kodepoli: Annotated[str | None, Query(max_length=10)] = None,
        nik: Annotated[str | None, Query(max_length=16)] = None,
        idempotency_key: Annotated[str | None, Query(max_length=255)] = None,
    ) -> ErmLedger:
        """Every visit and encounter recorded, and the duplicates by natural key."""
        store = erm_context(request).store
        visits = store.visits(
            tanggal=tanggal, kodepoli=kodepoli, nik=nik, idempotency_key=idempotency_key
        )
        encounters = store.encounters()
        visit_groups = store.duplicate_visit_groups()
        encounter_groups = store.duplicate_encounter_groups()
        return ErmLedger(
            counts=ErmCounts(
                visits=len(visits),
                encounters=len(encounters),
                observations=store.observation_count(),
                replays=sum(v.replays for v in visits),
                duplicate_visit_groups=len(visit_groups),
                duplicate_visits=sum(len(ids) - 1 for *_, ids in visit_groups),
                duplicate_encounter_groups=len(encounter_groups),
                duplicate_encounters=sum(len(ids) - 1 for _, ids in encounter_groups),
            ),
            visits=[_visit_entry(v) for v in visits],
            encounters=[_encounter_entry(e) for e in encounters],
            duplicates=ErmDuplicates(
                visits=[
                    VisitDuplicate(
                        natural_key=VisitKey(nik=n, tanggal=t, kodepoli=k),
                        count=len(ids),
                        ids=ids,
                    )
                    for n, t, k, ids in visit_groups
                ],
                encounters=[
                    EncounterDuplicate(natural_key=key, count=len(ids), ids=ids)
                    for key, ids in encounter_groups
                ],
            ),
        )

    @router.post("/ledger/verify", response_model_exclude_none=True)
    async def verify(request: Request, claims: VerifyRequest) -> VerifyAnswer:
        """Does every accepted registration exist exactly once?"""
        store = erm_context(request).store
        rows = store.visits()
        by_natural: dict[tuple[str, str, str], list[VisitRow]] = defaultdict(list)
        by_key: dict[str, list[VisitRow]] = defaultdict(list)
        for row in rows:
            by_natural[(row.nik, row.tanggal, row.kodepoli)].append(row)
            if row.idempotency_key is not None:
                by_key[row.idempotency_key].append(row)
        missing: list[VisitClaim] = []
        more: list[RepeatedClaim] = []
        for claim in claims.visits:
            if claim.nik is not None and claim.tanggal and claim.kodepoli:
                candidates = by_natural.get((claim.nik, claim.tanggal, claim.kodepoli), [])
            else:
                candidates = by_key.get(claim.idempotency_key or "", [])
            found = [r.id for r in candidates if _matches(r, claim)]
            if not found:
                missing.append(claim)
            elif len(found) > 1:
                more.append(RepeatedClaim(**dict(claim), ids=found))
        groups = len(store.duplicate_visit_groups())
        exactly_once = len(claims.visits) - len(missing) - len(more)
        return VerifyAnswer(
            ok=not missing and not more and groups == 0,
            checked=len(claims.visits),
            exactly_once=exactly_once,
            missing=missing,
            more_than_once=more,
            duplicate_visit_groups=groups,
        )

    return router
