"""The five real outages the harness replays (shared/incidents.md), by number."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

IncidentNumber = Literal[1, 2, 3, 4, 5]

INCIDENTS: Final[Mapping[int, str]] = MappingProxyType(
    {
        1: "Hospital patient app broken in the evening (hospital group app, 27 Oct 2025)",
        2: "Puskesmas ERM outage (Bluto, Sumenep, 30 Oct 2025)",
        3: "National health app maintenance (PeduliLindungi, 14 Sep 2022)",
        4: "e-HAC server down at the airport (Soekarno-Hatta, 19-20 Dec 2020)",
        5: "BPJS Kesehatan disruption at hospitals (Kota Bogor, 25 Mar 2019)",
    }
)
