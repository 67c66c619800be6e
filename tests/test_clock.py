"""The services' day is the day in WIB (UTC+7): the load books for it, the mocks judge by it."""

from __future__ import annotations

import datetime as dt

import pytest

from examples.reference_client import clock as hospital_clock
from mock_services.common import clock

pytestmark = pytest.mark.unit


def test_the_services_day_turns_at_17_utc() -> None:
    utc = dt.UTC
    assert clock.today(dt.datetime(2026, 12, 2, 16, 59, tzinfo=utc)) == dt.date(2026, 12, 2)
    # Evening in London, already past midnight in Jakarta: a booking "for today" is for the 3rd.
    assert clock.today(dt.datetime(2026, 12, 2, 17, 0, tzinfo=utc)) == dt.date(2026, 12, 3)
    assert clock.today(dt.datetime(2026, 12, 2, 23, 59, tzinfo=utc)) == dt.date(2026, 12, 3)


def test_the_reference_client_keeps_the_same_day_as_the_services() -> None:
    # Read twice around the other to stay right across a midnight between the two reads.
    before, hospital, after = clock.today(), hospital_clock.today(), clock.today()
    assert hospital in (before, after)
