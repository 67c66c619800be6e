"""What every patient-app router needs: the dataset, the store, the options and the signers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from mock_services.common.dataset import Dataset, Patient
from mock_services.patient_app.certificates_signing import CertificateSigner
from mock_services.patient_app.options import PatientAppOptions
from mock_services.patient_app.store import Store
from mock_services.patient_app.tokens import TokenSigner


@dataclass(frozen=True, kw_only=True)
class Context:
    dataset: Dataset
    store: Store
    options: PatientAppOptions
    tokens: TokenSigner
    certificates: CertificateSigner
    seed: int = field(default=1)

    @cached_property
    def accounts(self) -> dict[str, Patient]:
        """Patients by app username."""
        return {p.username: p for p in self.dataset.patients}
