"""Queue arithmetic: when a practice starts, when a queue number is expected, who is being served.

The mock has no front desk calling numbers, so the number being served is simulated from the clock:
from the practice's start time (e.g. "08:00" of "08:00-12:00", WIB) one patient per
`minutes_per_patient`, up to the last number issued.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from mock_services.common.clock import WIB


def practice_start(tanggal: dt.date, jadwal: str) -> dt.datetime:
    hours, minutes = (int(part) for part in jadwal.split("-")[0].split(":"))
    return dt.datetime.combine(tanggal, dt.time(hours, minutes), WIB)


def estimated_service(tanggal: dt.date, jadwal: str, angka: int, *, minutes: int) -> dt.datetime:
    return practice_start(tanggal, jadwal) + dt.timedelta(minutes=(angka - 1) * minutes)


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class QueuePosition:
    serving: int  # 0: the practice has not started
    ahead: int
    minutes_left: int


def position(
    *,
    tanggal: dt.date,
    jadwal: str,
    angka: int,
    issued: int,
    minutes: int,
    now: dt.datetime,
) -> QueuePosition:
    start = practice_start(tanggal, jadwal)
    elapsed = (now - start).total_seconds()
    serving = 0 if elapsed < 0 else min(issued, math.floor(elapsed / (minutes * 60)) + 1)
    ahead = max(0, angka - max(serving, 1)) if serving < angka else 0
    eta = estimated_service(tanggal, jadwal, angka, minutes=minutes)
    minutes_left = max(0, math.ceil((eta - now).total_seconds() / 60))
    return QueuePosition(serving=serving, ahead=ahead, minutes_left=minutes_left)
