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
    """An error, a timeout or a wrong answer: the patient was not served."""


class Phase(StrEnum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"
