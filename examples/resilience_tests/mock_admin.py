"""What the mocks saw, read through the plugin's `harness_stack.ledger()` / `.stats()` (the mocks'
admin API, never faulted) with the contract's models (`service_contract`): the ERM's visit ledger,
and request counts per route.

These are the ground truth a resilience test checks the client's story against: a client can
say "registered" while the ERM has nothing, or two of it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from service_contract.admin import Stats
from service_contract.ledger import ErmLedger, LedgerVisit

if TYPE_CHECKING:
    from harness.pytest_plugin import Stack


def erm_visits(stack: Stack, *, nik: str, tanggal: dt.date, kodepoli: str) -> list[LedgerVisit]:
    """Every visit the ERM holds for this natural key (exactly once: a list of one). A visit's
    `replays` counts how often the same Idempotency-Key came again and got the stored answer."""
    params = {"nik": nik, "tanggal": tanggal.isoformat(), "kodepoli": kodepoli}
    return ErmLedger.model_validate(stack.ledger("erm", **params)).visits


def requests_seen(stack: Stack, service: str, *, route: str = "") -> int:
    """Requests the mock received on routes whose "METHOD /template" contains `route` (all
    routes by default), including those a fault answered."""
    stats = Stats.model_validate(stack.stats(service))
    return sum(n for key, n in stats.requests.items() if route in key)
