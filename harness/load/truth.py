"""What the built-in mocks know to be true, for load users to judge the client's answers by.

A `HarnessUser` has it as `self.truth` (harness.load.users). Everything here is derived from the
run's seed, exactly as the mocks derive it, so it needs no request to any backend:

    truth.patient(nik)                  the patient with that NIK, or None
    truth.polyclinics                   every polyclinic (kodepoli, namapoli)
    truth.schedule(kodepoli, date)      the practice slots of that polyclinic on that date
    truth.practice_hours(kodepoli, date)   {kodedokter: jadwal} of those slots
    truth.practice_day(kodepoli, date)  the first day from `date` on which somebody practises there
    truth.lab_result_ids(nik)           the ids of that patient's lab results, newest first
    truth.certificate_key               the patient-app's published Ed25519 public key (raw bytes)
    truth.verify_certificate(body)      None if `body` holds a certificate that verifies, else why

Imports nothing from locust, so it can be used (and tested) anywhere.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from mock_services.common.dataset import Dataset, Patient, Polyclinic, Schedule
from mock_services.patient_app.certificates_signing import CertificateSigner, canonical_json
from mock_services.patient_app.options import dev_secret

__all__ = ["Truth"]


class Truth:
    """The seeded dataset with look-ups, and the keys the mocks sign with."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self._lab_ids: dict[str, tuple[str, ...]] = {}

    def patient(self, nik: str) -> Patient | None:
        return self.dataset.patient_by_nik(nik)

    @property
    def polyclinics(self) -> tuple[Polyclinic, ...]:
        return self.dataset.polyclinics

    def schedule(self, kodepoli: str, date: dt.date | str) -> tuple[Schedule, ...]:
        """The weekly practice slots of `kodepoli` that fall on `date` (empty: nobody practises)."""
        day = dt.date.fromisoformat(date) if isinstance(date, str) else date
        return self.dataset.schedules_on(kodepoli, day)

    def practice_hours(self, kodepoli: str, date: dt.date | str) -> dict[str, str]:
        """{kodedokter (as text): jadwal} on that date, e.g. {"12": "08:00-12:00"}."""
        return {str(s.kodedokter): s.jadwal for s in self.schedule(kodepoli, date)}

    def lab_result_ids(self, nik: str) -> tuple[str, ...]:
        """The ids of the patient's lab results, newest first (every known patient has some)."""
        from mock_services.patient_app.lab import results_of  # FastAPI models: only when asked

        if self.patient(nik) is None:
            return ()
        ids = self._lab_ids.get(nik)
        if ids is None:  # derived once per patient: a load process asks again and again
            ids = self._lab_ids[nik] = tuple(r.id for r in results_of(self.dataset, nik))
        return ids

    def practice_day(self, kodepoli: str, date: dt.date | str) -> dt.date:
        """The first day from `date` (within a week) with practice slots at `kodepoli`; `date`
        itself when there is none (the timetable has no Sundays, for one)."""
        day = dt.date.fromisoformat(date) if isinstance(date, str) else date
        for offset in range(7):
            if self.schedule(kodepoli, day + dt.timedelta(days=offset)):
                return day + dt.timedelta(days=offset)
        return day

    @cached_property
    def certificate_key(self) -> bytes:
        """The raw 32-byte Ed25519 key `GET /api/v1/certificates/keys` publishes for this seed."""
        return CertificateSigner(dev_secret("certificate", self.dataset.seed)).public_raw

    def verify_certificate(self, body: Any, *, nik: str | None = None) -> str | None:
        """None if `body` is `{"certificate": {...}, "signature": {"value": ...}}` whose signature
        verifies with the published key (and, given `nik`, is that patient's); else what is wrong.
        """
        if not isinstance(body, Mapping):
            return "the answer is not a JSON object"
        certificate, signature = body.get("certificate"), body.get("signature")
        if not isinstance(certificate, Mapping) or not certificate:
            return "no certificate in the answer"
        value = signature.get("value") if isinstance(signature, Mapping) else None
        if not isinstance(value, str) or not value:
            return "the certificate carries no signature"
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            Ed25519PublicKey.from_public_bytes(self.certificate_key).verify(
                raw, canonical_json(certificate)
            )
        except (binascii.Error, ValueError, InvalidSignature):
            return "the signature does not verify with the published key"
        if nik is not None and certificate.get("nik") != nik:
            return f"the certificate is for NIK {str(certificate.get('nik'))[:20]!r}, not {nik}"
        return None
