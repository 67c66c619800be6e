"""Words shared by scenarios, the load layer and the checks.

An Outcome is what one request looked like to the patient. A Phase is a stretch of the run told
apart by the faults: before the first fault starts, during any fault window, after (healthy again,
including gaps between faults).
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    SERVED = "served"
    """Answered normally."""
    DEGRADED = "degraded"
    """Answered in a fallback mode the client marked (cache, outbox, pending verification)."""
    FAILED = "failed"
    """An error or a timeout: the patient was not served."""
    WRONG = "wrong"
    """Answered, but the answer contradicts the truth (the dataset, a backend's ledger, a
    signature): worse than a failure, since the patient believes it. Counts against served_rate
    like a failure."""


class Phase(StrEnum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"
