"""The VClaim `peserta` object, built from the shared dataset in the documented shape."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mock_services.common.dataset import Patient


def _months_between(start: dt.date, end: dt.date) -> tuple[int, int, int]:
    years = end.year - start.year
    months = end.month - start.month
    days = end.day - start.day
    if days < 0:
        months -= 1
        previous_month_end = end.replace(day=1) - dt.timedelta(days=1)
        days += previous_month_end.day
    if months < 0:
        years -= 1
        months += 12
    return years, months, days


def umur(birth: dt.date, on: dt.date) -> str:
    """An age the way VClaim writes it: '35 tahun ,2 bulan ,10 hari'."""
    years, months, days = _months_between(birth, on) if on >= birth else (0, 0, 0)
    return f"{years} tahun ,{months} bulan ,{days} hari"


def peserta(patient: Patient, *, tgl_sep: dt.date, today: dt.date) -> dict[str, Any]:
    birth = dt.date.fromisoformat(patient.tglLahir)
    return {
        "cob": {"nmAsuransi": None, "noAsuransi": None, "tglTAT": None, "tglTMT": None},
        "hakKelas": {"keterangan": patient.hakKelas.keterangan, "kode": patient.hakKelas.kode},
        "informasi": {"dinsos": None, "noSKTM": None, "prolanisPRB": None, "eSEP": None},
        "jenisPeserta": {
            "keterangan": patient.jenisPeserta.keterangan,
            "kode": patient.jenisPeserta.kode,
        },
        "mr": {"noMR": patient.noMR, "noTelepon": patient.noTelepon},
        "nama": patient.nama,
        "nik": patient.nik,
        "noKartu": patient.noKartu,
        "pisa": "1",
        "provUmum": {
            "kdProvider": patient.provUmum.kdProvider,
            "nmProvider": patient.provUmum.nmProvider,
        },
        "sex": patient.sex,
        "statusPeserta": {
            "keterangan": patient.statusPeserta.keterangan,
            "kode": patient.statusPeserta.kode,
        },
        "tglCetakKartu": patient.tglTMT,
        "tglLahir": patient.tglLahir,
        "tglTAT": patient.tglTAT,
        "tglTMT": patient.tglTMT,
        "umur": {"umurSaatPelayanan": umur(birth, tgl_sep), "umurSekarang": umur(birth, today)},
    }
