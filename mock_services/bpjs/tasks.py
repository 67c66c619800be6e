"""The Antrean RS task-time rules of `antrean/updatewaktu`.

Task ids: 1 start of admission wait, 2 admission service, 3 clinic wait, 4 clinic service,
5 pharmacy wait, 6 dispensing, 7 medicine ready, 99 cancelled / no-show. New patients go 1-2-3-4-5,
returning patients 3-4-5, then 6-7 if there is medicine; each time must be later than the previous
one. Task 99 may come at any point before the end, and nothing may follow it.

Sending exactly the same task and time again is accepted and changes nothing, so a client may
retry a timed-out update safely; the same task with another time is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from mock_services.bpjs.store import TaskTime
from mock_services.common.app import ServiceError

REFUSED_CODE = "201"
CANCELLED = 99
LAST = 7
SERVED_AT_CLINIC = 4
TASK_NAMES = {
    1: "mulai waktu tunggu admisi",
    2: "akhir waktu tunggu admisi/mulai waktu layan admisi",
    3: "akhir waktu layan admisi/mulai waktu tunggu poli",
    4: "akhir waktu tunggu poli/mulai waktu layan poli",
    5: "akhir waktu layan poli/mulai waktu tunggu farmasi",
    6: "akhir waktu tunggu farmasi/mulai waktu layan farmasi membuat obat",
    7: "akhir waktu obat selesai dibuat",
    99: "tidak hadir/batal",
}
FLOW_HINT = "new patients go 1-2-3-4-5, returning 3-4-5, then 6-7; 99 cancels"


class Verdict(Enum):
    RECORD = "record"
    ALREADY_RECORDED = "already_recorded"


def _refuse(message: str) -> ServiceError:
    return ServiceError(message, code=REFUSED_CODE)


def judge(*, pasienbaru: bool, done: Sequence[TaskTime], taskid: int, waktu: int) -> Verdict:
    """Whether task `taskid` at `waktu` may be recorded after `done` (ordered by time)."""
    if taskid not in TASK_NAMES:
        raise _refuse(f"invalid taskid {taskid}: use 1..7 or 99 ({FLOW_HINT})")
    previous = {t.taskid: t for t in done}
    if taskid in previous:
        if previous[taskid].waktu == waktu:
            return Verdict.ALREADY_RECORDED
        raise _refuse(
            f"taskid {taskid} is already recorded with waktu {previous[taskid].waktu}; "
            "each task is recorded once"
        )
    if CANCELLED in previous:
        raise _refuse("the booking was cancelled (taskid 99): no task may follow it")
    last = done[-1] if done else None
    if taskid != CANCELLED:
        first = 1 if pasienbaru else 3
        expected = first if last is None else last.taskid + 1
        if last is not None and last.taskid == LAST:
            raise _refuse(f"all tasks are already recorded up to {LAST}")
        if taskid != expected:
            kind = "new" if pasienbaru else "returning"
            after = f"after taskid {last.taskid}" if last else f"first, for a {kind} patient"
            raise _refuse(
                f"taskid {taskid} out of order: expected {expected} {after} ({FLOW_HINT})"
            )
    if last is not None and waktu <= last.waktu:
        raise _refuse(
            f"waktu {waktu} is not later than taskid {last.taskid}'s {last.waktu}: task times must "
            "strictly increase (epoch milliseconds)"
        )
    return Verdict.RECORD


def may_cancel(done: Sequence[TaskTime]) -> None:
    """`antrean/batal` is refused once the patient has been served at the clinic."""
    if any(SERVED_AT_CLINIC <= t.taskid <= LAST for t in done):
        raise _refuse("the patient has already been served at the polyclinic (taskid 4 recorded)")
