"""The mock services by name: how the harness starts, proxies and faults them, and how each mock
names itself in its admin answers."""

from __future__ import annotations

from enum import StrEnum


class ServiceName(StrEnum):
    """The mocks a scenario can start and fault."""

    BPJS = "bpjs"
    ERM = "erm"
    PATIENT_APP = "patient-app"
