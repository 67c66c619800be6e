"""What a NIK itself says: the birth date is digits 7-12 as DDMMYY, with 40 added to a woman's day.

Used when a traveller's e-HAC form carries no birth date: the client still has to log in to the
patient app as that traveller (NIK + birth date), and the NIK holds the date.
"""

from __future__ import annotations

import datetime as dt


def birth_date(nik: str, *, today: dt.date) -> dt.date | None:
    """The birth date encoded in `nik`, or None if the digits are not a date.

    The year has two digits: the century is the one that puts the date on or before `today`
    (so 24 is 2024 and 85 is 1985; someone born in 1924 would need their date given).
    """
    if len(nik) != 16 or not nik.isdigit():
        return None
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    for century in (2000, 1900):
        try:
            candidate = dt.date(century + year, month, day)
        except ValueError:
            return None
        if candidate <= today:
            return candidate
    return None
