"""Referrals (rujukan) from primary care, generated deterministically from the shared dataset.

Every active participant has one referral from a puskesmas to one of the dataset's polyclinics.
Its number follows the real 19-character form: referring provider code (8) + MMYY + "Y" + a 6-digit
serial. Everything derives from the dataset (and so from the seed) through SHA-256, never from
`hash()` or the clock, so every process with the same seed serves the same referrals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mock_services.bpjs.peserta import peserta
from mock_services.common.dataset import REFERENCE_DATE, Dataset, Patient, Polyclinic

PUSKESMAS = (
    ("0301U001", "PUSKESMAS BOGOR TIMUR"),
    ("0301U002", "PUSKESMAS BOGOR TENGAH"),
    ("0301U003", "PUSKESMAS TANAH SAREAL"),
    ("0114U163", "PUSKESMAS KEBAYORAN BARU"),
    ("1311U004", "PUSKESMAS BLUTO"),
)
DIAGNOSES = (
    ("I10", "Essential (primary) hypertension"),
    ("E11.9", "Non-insulin-dependent diabetes mellitus without complications"),
    ("J06.9", "Acute upper respiratory infection, unspecified"),
    ("K30", "Dyspepsia"),
    ("M54.5", "Low back pain"),
    ("H52.1", "Myopia"),
)
COMPLAINTS = ("kontrol rutin", "nyeri dada", "batuk lama", "nyeri perut", "pandangan kabur")


@dataclass(frozen=True, slots=True)
class Rujukan:
    noKunjungan: str
    patient: Patient
    tglKunjungan: dt.date
    poli: Polyclinic
    perujuk: tuple[str, str]
    diagnosa: tuple[str, str]
    keluhan: str

    def payload(self, *, today: dt.date) -> dict[str, Any]:
        return {
            "rujukan": {
                "diagnosa": {"kode": self.diagnosa[0], "nama": self.diagnosa[1]},
                "keluhan": self.keluhan,
                "noKunjungan": self.noKunjungan,
                "pelayanan": {"kode": "2", "nama": "Rawat Jalan"},
                "peserta": peserta(self.patient, tgl_sep=self.tglKunjungan, today=today),
                "poliRujukan": {"kode": self.poli.kodepoli, "nama": self.poli.namapoli},
                "provPerujuk": {"kode": self.perujuk[0], "nama": self.perujuk[1]},
                "tglKunjungan": self.tglKunjungan.isoformat(),
            }
        }


def _pick(digest: bytes, offset: int, size: int) -> int:
    return int.from_bytes(digest[offset : offset + 4], "big") % size


class Referrals:
    """The referrals of one dataset, looked up by number or by card."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset

    @cached_property
    def _all(self) -> tuple[Rujukan, ...]:
        out: list[Rujukan] = []
        for serial, patient in enumerate(p for p in self._dataset.patients if p.aktif):
            digest = hashlib.sha256(f"{self._dataset.seed}:{patient.noKartu}".encode()).digest()
            perujuk = PUSKESMAS[_pick(digest, 0, len(PUSKESMAS))]
            visit = REFERENCE_DATE - dt.timedelta(days=_pick(digest, 4, 80))
            number = f"{perujuk[0]}{visit:%m%y}Y{serial + 1:06d}"
            out.append(
                Rujukan(
                    noKunjungan=number,
                    patient=patient,
                    tglKunjungan=visit,
                    poli=self._dataset.polyclinics[
                        _pick(digest, 8, len(self._dataset.polyclinics))
                    ],
                    perujuk=perujuk,
                    diagnosa=DIAGNOSES[_pick(digest, 12, len(DIAGNOSES))],
                    keluhan=COMPLAINTS[_pick(digest, 16, len(COMPLAINTS))],
                )
            )
        return tuple(out)

    @cached_property
    def _by_number(self) -> dict[str, Rujukan]:
        return {r.noKunjungan: r for r in self._all}

    @cached_property
    def _by_card(self) -> dict[str, Rujukan]:
        return {r.patient.noKartu: r for r in self._all}

    def by_number(self, number: str) -> Rujukan | None:
        return self._by_number.get(number)

    def by_card(self, no_kartu: str) -> Rujukan | None:
        return self._by_card.get(no_kartu)

    def all(self) -> tuple[Rujukan, ...]:
        return self._all
