"""The hospital's calendar: its day is the day in Western Indonesia Time (UTC+7), as at BPJS and
the patient app, whatever zone the machine it runs on is set to."""

from __future__ import annotations

import datetime as dt

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def today() -> dt.date:
    return dt.datetime.now(WIB).date()
