"""The built-in users: they drive the reference clients' API (examples/reference_client/README.md).

- FrontDeskStaff: registers arriving patients (the client checks BPJS eligibility, then registers
  the visit in the ERM); each accepted registration is recorded with its natural key
  (nik, tanggal, kodepoli), unique per run.
- RetryingFrontDeskStaff: the same clerk, who saves the same patient again (up to 2 more times)
  when the screen answers an error or hangs past the patient's patience, as people do; a client
  that forwards each save to the ERM without an Idempotency-Key makes a second visit.
- AppPatient: uses the patient app: schedules, online booking (recorded as accepted), queue status,
  lab results and their PDF, the vaccination certificate.
- EhacTraveller: submits an e-HAC style health declaration (recorded as accepted).

Run by `harness run`, which writes the load config and starts locust; not meant to be run alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from typing import Any

import gevent
from locust import between, task

from harness.load.users import HarnessUser, RecordKind
from harness.results.vocabulary import Outcome
from mock_services.common.dataset import Patient

BOOKING_WINDOW_DAYS = 90  # the patient-app books from today up to 90 days ahead
FLIGHTS = ("GA410", "ID6501", "QG812", "JT25", "QZ7510", "IU740")
AIRPORTS = (("DPS", "CGK"), ("SUB", "CGK"), ("KNO", "CGK"), ("UPG", "CGK"), ("CGK", "DPS"))


def _reference(user: HarnessUser, response: Any, value: object) -> str | None:
    """The reference a patient was given, to hold against the ledger; None when there is none,
    or when the answer was marked degraded: the patient was told it is provisional (an offline
    queue number, an outbox receipt), which the ledger is not expected to know."""
    if value is None or user.outcome_of(response, None) is Outcome.DEGRADED:
        return None
    return str(value)


class FrontDeskStaff(HarnessUser):
    """A registration desk clerk: one arriving patient after another."""

    wait_time = between(0.5, 1.5)
    saves_again = 0  # how many more times the clerk saves a patient whose save failed

    @task
    def register(self) -> None:
        round_, patient = self.next_patient()
        base = dt.date.fromisoformat(self.config.visit_date)
        polis = self.dataset.polyclinics
        poli = polis[int(patient.noMR) % len(polis)]
        key = {
            "nik": patient.nik,
            "tanggal": (base + dt.timedelta(days=round_)).isoformat(),
            "kodepoli": poli.kodepoli,
        }
        for attempt in range(1 + self.saves_again):
            if attempt:
                gevent.sleep(random.uniform(0.5, 1.5))  # reads the screen, clicks Save again
            if self._save(key):
                return

    def _save(self, key: dict[str, str]) -> bool:
        """One POST /registrations; False if it failed in a way saving again might mend (no
        answer within the patient's patience, or a 5xx)."""
        with self.call(
            "POST", "/registrations", json=key, name="/registrations", catch_response=True
        ) as resp:
            if resp.status_code == 201:
                body = resp.json()
                if body.get("status") == "registered":
                    self.accepted(
                        RecordKind.REGISTRATION,
                        key,
                        name="POST /registrations",
                        reference=_reference(self, resp, body.get("nomorantrean")),
                    )
            status: int = resp.status_code
            return 0 < status < 500  # 0: no answer at all


class RetryingFrontDeskStaff(FrontDeskStaff):
    """A clerk who saves the same patient again, up to twice, when the save fails or hangs."""

    saves_again = 2


class AppPatient(HarnessUser):
    """A patient with the hospital app, browsing, booking and fetching documents."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.round, self.patient = self.next_patient()
        self.bookings: list[str] = []
        self.slots = _booking_slots(self, self.patient, self.round)

    def _who(self) -> dict[str, str]:
        return {"nik": self.patient.nik, "tglLahir": self.patient.tglLahir}

    @task(3)
    def schedules(self) -> None:
        poli = self.dataset.polyclinics[len(self.bookings) % len(self.dataset.polyclinics)]
        params = {"kodepoli": poli.kodepoli, "tanggal": self.config.visit_date}
        self.call("GET", "/schedules", params=params, name="/schedules")

    @task(1)
    def book(self) -> None:
        slot = next(self.slots, None)
        if slot is None:
            return
        date, kodepoli, kodedokter = slot
        body = {**self._who(), "kodepoli": kodepoli, "kodedokter": kodedokter, "tanggal": date}
        with self.call("POST", "/bookings", json=body, name="/bookings", catch_response=True) as r:
            if r.status_code == 201:
                code = str(r.json().get("kodebooking", ""))
                self.bookings.append(code)
                key = {"nik": self.patient.nik, "tanggalperiksa": date, "kodepoli": kodepoli}
                reference = _reference(self, r, code)
                self.accepted(RecordKind.BOOKING, key, name="POST /bookings", reference=reference)

    @task(2)
    def queue(self) -> None:
        if self.bookings:
            path = f"/bookings/{self.bookings[-1]}/queue"
            self.call("GET", path, params=self._who(), name="/bookings/{kodebooking}/queue")

    @task(2)
    def lab_results(self) -> None:
        with self.call(
            "GET", "/lab-results", params=self._who(), name="/lab-results", catch_response=True
        ) as resp:
            results = resp.json().get("results", []) if resp.status_code == 200 else []
        if results and isinstance(results[0], dict) and "id" in results[0]:
            self.call(
                "GET",
                f"/lab-results/{results[0]['id']}/document",
                params=self._who(),
                name="/lab-results/{id}/document",
            )

    @task(2)
    def certificate(self) -> None:
        self.call(
            "GET",
            f"/certificates/{self.patient.nik}",
            params={"tglLahir": self.patient.tglLahir},
            name="/certificates/{nik}",
        )


def _booking_slots(
    user: HarnessUser, patient: Patient, round_: int
) -> Iterator[tuple[str, str, int]]:
    """(date, kodepoli, kodedokter) slots this patient can book, each natural key once."""
    today = dt.date.fromisoformat(user.config.visit_date)
    polis = user.dataset.polyclinics
    for offset in range(BOOKING_WINDOW_DAYS // 2):
        # Patients met again after the list wrapped book on other days: keys never repeat.
        date = today + dt.timedelta(days=offset * 2 + round_ % 2)
        poli = polis[(int(patient.noMR) + offset) % len(polis)]
        schedules = user.dataset.schedules_on(poli.kodepoli, date)
        if schedules:
            yield date.isoformat(), poli.kodepoli, schedules[0].kodedokter


class EhacTraveller(HarnessUser):
    """A traveller filling in the electronic health alert card before a flight."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.round, self.patient = self.next_patient()
        self.flights = itertools.count()

    @task
    def declare(self) -> None:
        k = next(self.flights)
        base = dt.date.fromisoformat(self.config.visit_date)
        date = (base + dt.timedelta(days=self.round * 7 + k // len(FLIGHTS))).isoformat()
        flight = FLIGHTS[k % len(FLIGHTS)]
        origin, destination = AIRPORTS[k % len(AIRPORTS)]
        body = {
            "nik": self.patient.nik,
            "tglLahir": self.patient.tglLahir,
            "nama": self.patient.nama,
            "nomorPenerbangan": flight,
            "tanggalPerjalanan": date,
            "bandaraAsal": origin,
            "bandaraTujuan": destination,
            "nomorTelepon": self.patient.noTelepon,
            "suhuTubuh": 36.6,
            "gejala": [],
        }
        with self.call(
            "POST", "/declarations", json=body, name="/declarations", catch_response=True
        ) as resp:
            if resp.status_code in (200, 201, 202):
                receipt = resp.json().get("receipt")
                key = {
                    "nik": self.patient.nik,
                    "tanggalPerjalanan": date,
                    "nomorPenerbangan": flight,
                }
                self.accepted(
                    RecordKind.SUBMISSION,
                    key,
                    name="POST /declarations",
                    reference=_reference(
                        self, resp, receipt.get("nomorResi") if isinstance(receipt, dict) else None
                    ),
                )
