"""Helpers for the patient-app tests: logging in, finding a practice day, booking bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from harness.net import free_port
from harness.process import Supervisor
from mock_services.common.dataset import Dataset, Patient, Schedule, generate
from tests.conftest import RunningMock, mock_spec

API = "/api/v1"
WIB = dt.timezone(dt.timedelta(hours=7))


def dataset(seed: int = 1) -> Dataset:
    return generate(seed)


def active_patients(seed: int = 1) -> list[Patient]:
    return list(dataset(seed).patients)


def login(client: httpx.Client, patient: Patient) -> dict[str, Any]:
    response = client.post(
        f"{API}/auth/login", json={"username": patient.username, "password": patient.password}
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def authed(client: httpx.Client, patient: Patient) -> dict[str, str]:
    return bearer(login(client, patient)["accessToken"])


def next_practice_day(schedule: Schedule, *, after: int = 1) -> dt.date:
    """The first date at least `after` days from today (WIB) on the schedule's weekday."""
    today = dt.datetime.now(WIB).date()
    for offset in range(after, after + 7):
        day = today + dt.timedelta(days=offset)
        if day.isoweekday() == schedule.hari:
            return day
    raise AssertionError("unreachable: a week has every weekday")


@dataclass(frozen=True)
class Slot:
    schedule: Schedule
    day: dt.date

    def body(self, **extra: Any) -> dict[str, Any]:
        return {
            "kodepoli": self.schedule.kodepoli,
            "kodedokter": self.schedule.kodedokter,
            "tanggalperiksa": self.day.isoformat(),
            **extra,
        }


def slot(index: int = 0, *, seed: int = 1) -> Slot:
    schedule = dataset(seed).schedules[index]
    return Slot(schedule=schedule, day=next_practice_day(schedule))


def ledger(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/__admin/ledger")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@contextmanager
def running_patient_app(
    log_dir: Path, *, db: Path | None = None, extra: tuple[str, ...] = ()
) -> Iterator[tuple[RunningMock, httpx.Client]]:
    """A patient-app process for a whole test module (start_mock is per test), and a client."""
    with Supervisor(log_dir=log_dir) as supervisor:
        port = free_port()
        proc = supervisor.start(mock_spec("patient-app", port=port, db=db, extra=extra))
        mock = RunningMock(name="patient-app", port=port, process=proc, db=db)
        with httpx.Client(base_url=mock.url, timeout=15) as client:
            yield mock, client
