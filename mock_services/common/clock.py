"""The services' calendar: Indonesian health services date their work in WIB (UTC+7).

A booking "for today" means today in Jakarta, whatever the zone of the machine the harness runs
on: between 17:00 and 24:00 UTC the services are already a day ahead of a UTC clock. The load,
the mocks and the tests take their day from here so that they agree on it.
"""

from __future__ import annotations

import datetime as dt

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Western Indonesia Time (of `now`, an aware time, if given)."""
    return (now or dt.datetime.now(WIB)).astimezone(WIB).date()
