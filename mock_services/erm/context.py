"""What the ERM's handlers share within one process, kept on `app.state.erm`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from mock_services.common.dataset import Dataset
from mock_services.erm.errors import encode
from mock_services.erm.resources import patient_resource
from mock_services.erm.store import Store


@dataclass(frozen=True, kw_only=True)
class ERMContext:
    dataset: Dataset
    store: Store
    patients: dict[str, dict[str, Any]]  # IHS number -> Patient resource
    patient_bytes: dict[str, bytes]  # IHS number -> the same, encoded once
    ihs_by_nik: dict[str, str]

    @classmethod
    def build(cls, *, dataset: Dataset, store: Store) -> ERMContext:
        patients = {p.ihs_number: patient_resource(p) for p in dataset.patients}
        return cls(
            dataset=dataset,
            store=store,
            patients=patients,
            patient_bytes={ihs: encode(resource) for ihs, resource in patients.items()},
            ihs_by_nik={p.nik: p.ihs_number for p in dataset.patients},
        )


def erm_context(request: Request) -> ERMContext:
    ctx: ERMContext = request.app.state.erm
    return ctx
