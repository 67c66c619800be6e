"""Wrong answers: those the load saw, and the references the ledgers contradict once synced.

    found = reconcile(run.requests, run.ledger)
    found.buckets        # the request log's buckets, contradicted requests moved to `wrong`
    found.mismatches     # one example per contradicted reference
    found.unplaced       # the mismatches no recorded request could be moved for

The load counts a request as `wrong` when the answer contradicts the truth it can see (the
dataset, a signature) and writes a few examples (harness.results.timeline). Some truths only
exist later: the reference a patient was given (a queue number, a booking code, a receipt
number) can be held against the backend's ledger only once the client has synced. The rule:

- An accepted record matches the ledger records of its kind with the same idempotency key (when
  both have one), else those whose natural key holds every field of the accepted key. None
  matching: the record is lost (nothing_lost), never wrong.
- A record that is not provisional (the patient was not told the reference may change) and has
  a non-empty reference is a wrong answer when the records it matched have references and none
  of them is the one given: the truth is the first matched record's reference. (Several
  matching records are duplicates, no_duplicates' business; the patient holding any of their
  references holds a real one.)
- Its request is moved from served (else degraded) to wrong in the bucket of second floor(t) of
  the accepted record's name, else in the nearest earlier second of that name with a served or
  degraded request. With none (no such name, or an accepted record without one) it is counted in
  the wrong total only, attributed to the phase of its `t`: `unplaced`. A moved request keeps
  its latency under the outcome it was recorded with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict

from harness.results.ledger import Ledger, LedgerRecord
from harness.results.timeline import Accepted, Bucket, RequestLog, WrongExample, clip

REFERENCE_REASON: Final = "the reference given is not the backend's"


class Reconciliation(BaseModel):
    """The request log's buckets with contradicted requests counted as wrong, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buckets: tuple[Bucket, ...] = ()
    mismatches: tuple[WrongExample, ...] = ()
    unplaced: tuple[WrongExample, ...] = ()


def ledger_matches(accepted: Accepted, records: Sequence[LedgerRecord]) -> list[LedgerRecord]:
    """The ledger records an accepted record matches (by idempotency key or natural key)."""
    wanted = accepted.key
    found = []
    for record in records:
        if record.kind != accepted.kind:
            continue
        if accepted.idempotency_key is not None and record.idempotency_key is not None:
            if record.idempotency_key == accepted.idempotency_key:
                found.append(record)
            continue
        if wanted and all(record.key.get(k) == v for k, v in wanted.items()):
            found.append(record)
    return found


def contradicting(accepted: Accepted, records: Sequence[LedgerRecord]) -> LedgerRecord | None:
    """The ledger record whose reference contradicts the one the patient was given, if any."""
    if accepted.provisional or not accepted.reference:
        return None
    known = [r for r in ledger_matches(accepted, records) if r.reference]
    if not known or any(r.reference == accepted.reference for r in known):
        return None
    return known[0]


def reconcile(log: RequestLog, ledger: Ledger) -> Reconciliation:
    """The log's buckets with each contradicted reference's request moved to wrong (see the
    module docstring for the rule)."""
    mismatches = []
    for accepted in log.accepted:
        record = contradicting(accepted, ledger.records)
        if record is not None:
            mismatches.append(
                WrongExample(
                    t=accepted.t,
                    name=accepted.name,
                    reason=REFERENCE_REASON,
                    said=clip(accepted.reference or ""),
                    truth=clip(record.reference or ""),
                )
            )
    if not mismatches:
        return Reconciliation(buckets=log.buckets)
    buckets = {(b.second, b.name): b for b in log.buckets}
    unplaced = []
    for example in mismatches:
        key = _answered(buckets, example.name, math.floor(example.t))
        if key is None:
            unplaced.append(example)
            continue
        bucket = buckets[key]
        if bucket.served:
            moved = {"served": bucket.served - 1, "wrong": bucket.wrong + 1}
        else:
            moved = {"degraded": bucket.degraded - 1, "wrong": bucket.wrong + 1}
        buckets[key] = bucket.model_copy(update=moved)
    return Reconciliation(
        buckets=tuple(buckets[key] for key in sorted(buckets)),
        mismatches=tuple(mismatches),
        unplaced=tuple(unplaced),
    )


def _answered(
    buckets: dict[tuple[int, str], Bucket], name: str, second: int
) -> tuple[int, str] | None:
    """The (second, name) of the latest bucket at or before `second` with a served or degraded
    request of `name`."""
    if not name:
        return None
    seconds = [s for s, n in buckets if n == name and s <= second]
    for candidate in sorted(seconds, reverse=True):
        bucket = buckets[(candidate, name)]
        if bucket.served or bucket.degraded:
            return candidate, name
    return None


__all__ = ["REFERENCE_REASON", "Reconciliation", "contradicting", "ledger_matches", "reconcile"]
