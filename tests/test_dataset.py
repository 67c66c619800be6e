"""The shared dataset: real formats, and the same data in every process for the same seed."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from mock_services.common.dataset import generate

pytestmark = pytest.mark.integration


def _dataset_json(seed: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-m", "mock_services", "dataset", "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    data: dict[str, object] = json.loads(out.stdout)
    return data


def test_same_seed_gives_same_data_across_processes() -> None:
    first, second = _dataset_json(7), _dataset_json(7)
    assert first == second
    assert first == generate(7).to_json()


def test_different_seeds_give_different_people() -> None:
    assert _dataset_json(1)["patients"] != _dataset_json(2)["patients"]


def test_identity_numbers_follow_real_formats() -> None:
    data = generate(1)
    niks = [p.nik for p in data.patients]
    assert len(set(niks)) == len(niks)
    assert len({p.noKartu for p in data.patients}) == len(data.patients)
    for p in data.patients:
        assert len(p.nik) == 16
        assert p.nik.isdigit()
        assert len(p.noKartu) == 13
        assert p.noKartu.isdigit()
        birth = dt.date.fromisoformat(p.tglLahir)
        day = int(p.nik[6:8])
        assert day == (birth.day + 40 if p.sex == "P" else birth.day)
        assert p.nik[8:10] == f"{birth.month:02d}"
        assert p.nik[10:12] == f"{birth.year % 100:02d}"


def test_status_mix_is_mostly_active_with_some_inactive() -> None:
    data = generate(1)
    active = sum(p.aktif for p in data.patients)
    assert 0.7 * len(data.patients) < active < len(data.patients)
    assert {p.statusPeserta.keterangan for p in data.patients if p.aktif} == {"AKTIF"}


def test_every_polyclinic_has_doctors_and_schedules() -> None:
    data = generate(1)
    for poli in data.polyclinics:
        assert any(d.kodepoli == poli.kodepoli for d in data.doctors)
        assert any(s.kodepoli == poli.kodepoli for s in data.schedules)
