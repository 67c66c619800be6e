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

from harness.load.users import HarnessUser, Outcome, RecordKind
from mock_services.common.dataset import Patient

BOOKING_WINDOW_DAYS = 90  # the patient-app books from today up to 90 days ahead
FLIGHTS = ("GA410", "ID6501", "QG812", "JT25", "QZ7510", "IU740")
AIRPORTS = (("DPS", "CGK"), ("SUB", "CGK"), ("KNO", "CGK"), ("UPG", "CGK"), ("CGK", "DPS"))


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
            if resp.status_code in (200, 201):
                self._judge_registration(resp, key)
            status: int = resp.status_code
            return 0 < status < 500  # 0: no answer at all

    def _judge_registration(self, resp: Any, key: dict[str, str]) -> None:
        """Record an accepted registration; an answer that contradicts BPJS's truth is wrong."""
        body = self.json_of(resp)
        status = body.get("status")
        patient = self.truth.patient(key["nik"])
        aktif = patient is not None and patient.aktif
        if status == "registered":
            # an offline queue number (marked degraded, or "offline" and not synced) may change
            provisional = self.outcome_of(resp, None) is Outcome.DEGRADED or (
                body.get("offline") is True and not body.get("erm_nomorantrean")
            )
            misjudged = not aktif and body.get("eligibility") == "AKTIF" and not provisional
            if misjudged:
                self.wrong(
                    resp,
                    "registered as an active BPJS participant, but BPJS has them as not active",
                    said="eligibility AKTIF",
                    truth=_participant(patient),
                )
            self.accepted(
                RecordKind.REGISTRATION,
                key,
                name="POST /registrations",
                # the number the ERM calls: an offline number synced since carries the ERM's;
                # none for an answer already judged wrong (one answer is one wrong answer)
                reference=None
                if misjudged
                else str(body.get("erm_nomorantrean") or body.get("nomorantrean") or ""),
                provisional=provisional,
            )
        elif status == "rejected" and aktif:
            self.wrong(
                resp,
                "turned away as not an active BPJS participant, but BPJS has them as active",
                said=f"rejected: {str(body.get('reason', ''))[:80]}",
                truth=_participant(patient),
            )


class RetryingFrontDeskStaff(FrontDeskStaff):
    """A clerk who saves the same patient again, up to twice, when the save fails or hangs."""

    saves_again = 2


class AppPatient(HarnessUser):
    """A patient with the hospital app, browsing, booking and fetching documents."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.round, self.patient = self.next_patient()
        self.bookings: list[str] = []
        self.queue_numbers: dict[str, int] = {}  # kodebooking -> angkaantrean it was given
        self.slots = _booking_slots(self, self.patient, self.round)

    def _who(self) -> dict[str, str]:
        return {"nik": self.patient.nik, "tglLahir": self.patient.tglLahir}

    @task(3)
    def schedules(self) -> None:
        poli = self.dataset.polyclinics[len(self.bookings) % len(self.dataset.polyclinics)]
        # a day somebody practises there (the timetable has no Sundays): a patient looks ahead
        day = self.truth.practice_day(poli.kodepoli, self.config.visit_date).isoformat()
        params = {"kodepoli": poli.kodepoli, "tanggal": day}
        with self.call(
            "GET", "/schedules", params=params, name="/schedules", catch_response=True
        ) as resp:
            if self.outcome_of(resp, None) is not Outcome.SERVED:
                return  # a failure, or a copy marked degraded (a stale timetable is fine then)
            shown = _practice_hours(self.json_of(resp).get("schedules"))
            true = self.truth.practice_hours(poli.kodepoli, day)
            if shown != true:
                self.wrong(
                    resp,
                    f"the schedule of {poli.kodepoli} on {day} is not the "
                    f"timetable ({len(true)} practice slot{'' if len(true) == 1 else 's'})",
                    said=_hours_text(shown),
                    truth=_hours_text(true),
                )

    @task(1)
    def book(self) -> None:
        slot = next(self.slots, None)
        if slot is None:
            return
        date, kodepoli, kodedokter = slot
        body = {**self._who(), "kodepoli": kodepoli, "kodedokter": kodedokter, "tanggal": date}
        with self.call("POST", "/bookings", json=body, name="/bookings", catch_response=True) as r:
            if r.status_code == 201:
                answer = self.json_of(r)
                code = str(answer.get("kodebooking") or "")
                provisional = self.outcome_of(r, None) is Outcome.DEGRADED
                if not code and not provisional:
                    self.wrong(r, "a booking confirmed without a booking code", said=r.text[:200])
                    return
                self.bookings.append(code)
                if isinstance(answer.get("angkaantrean"), int) and not provisional:
                    self.queue_numbers[code] = answer["angkaantrean"]
                key = {"nik": self.patient.nik, "tanggalperiksa": date, "kodepoli": kodepoli}
                self.accepted(
                    RecordKind.BOOKING,
                    key,
                    name="POST /bookings",
                    reference=code,
                    provisional=provisional,
                )

    @task(2)
    def queue(self) -> None:
        if not self.bookings:
            return
        code = self.bookings[-1]
        path = f"/bookings/{code}/queue"
        with self.call(
            "GET",
            path,
            params=self._who(),
            name="/bookings/{kodebooking}/queue",
            catch_response=True,
        ) as resp:
            expected = self.queue_numbers.get(code)
            if expected is None or self.outcome_of(resp, None) is not Outcome.SERVED:
                return
            shown = self.json_of(resp).get("angkaantrean")
            if str(shown) != str(expected):  # none at all, as a client that swallows an error
                self.wrong(
                    resp,
                    f"the queue status of booking {code} does not show its queue number",
                    said="no queue number" if shown is None else f"angkaantrean {shown}",
                    truth=f"angkaantrean {expected} (the booking's confirmation)",
                )

    @task(2)
    def lab_results(self) -> None:
        with self.call(
            "GET", "/lab-results", params=self._who(), name="/lab-results", catch_response=True
        ) as resp:
            results = self.json_of(resp).get("results") if resp.status_code == 200 else None
            if not isinstance(results, list):
                results = []
            if self.outcome_of(resp, None) is Outcome.SERVED:
                shown = [str(r.get("id")) for r in results if isinstance(r, dict)]
                true = list(self.truth.lab_result_ids(self.patient.nik))
                if sorted(shown) != sorted(true):  # in any order, but all of them and no other
                    self.wrong(
                        resp,
                        f"the lab results shown are not the patient's {len(true)}",
                        said=", ".join(map(str, shown)) or "no results",
                        truth=", ".join(true),
                    )
                    return
        if results and isinstance(results[0], dict) and "id" in results[0]:
            with self.call(
                "GET",
                f"/lab-results/{results[0]['id']}/document",
                params=self._who(),
                name="/lab-results/{id}/document",
                catch_response=True,
            ) as doc:
                outcome = self.outcome_of(doc, None)
                content = doc.content or b""
                if outcome is Outcome.FAILED or (outcome is Outcome.DEGRADED and not content):
                    return  # an error, or a marked placeholder: honest either way
                if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-1024:]:
                    self.wrong(
                        doc,
                        "the lab report is not a whole PDF (cut short or not a PDF)",
                        said=f"{len(content)} bytes, starting {content[:8]!r}",
                        truth="a PDF from %PDF- to %%EOF",
                    )

    @task(2)
    def certificate(self) -> None:
        with self.call(
            "GET",
            f"/certificates/{self.patient.nik}",
            params={"tglLahir": self.patient.tglLahir},
            name="/certificates/{nik}",
            catch_response=True,
        ) as resp:
            outcome = self.outcome_of(resp, None)
            body = self.json_of(resp)
            if outcome is Outcome.FAILED or (
                outcome is Outcome.DEGRADED and not body.get("certificate")
            ):
                return  # an error, or a marked answer without a certificate: honest either way
            problem = self.truth.verify_certificate(body, nik=self.patient.nik)
            if problem is not None:
                self.wrong(
                    resp,
                    f"a certificate shown that is not the patient's signed one: {problem}",
                    said=resp.text[:200],
                    truth="the patient's certificate, signed with the published Ed25519 key",
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
                answer = self.json_of(resp)
                receipt = answer.get("receipt")
                resi = receipt.get("nomorResi") if isinstance(receipt, dict) else None
                # stored to send later (202, "stored"), or marked degraded: a pending receipt
                provisional = (
                    self.outcome_of(resp, None) is Outcome.DEGRADED
                    or resp.status_code == 202
                    or answer.get("status") in ("stored", "pending")
                )
                if not resi and not provisional:
                    self.wrong(resp, "a declaration accepted without a receipt number")
                    return
                key = {
                    "nik": self.patient.nik,
                    "tanggalPerjalanan": date,
                    "nomorPenerbangan": flight,
                }
                self.accepted(
                    RecordKind.SUBMISSION,
                    key,
                    name="POST /declarations",
                    reference=str(resi or ""),
                    provisional=provisional,
                )


def _practice_hours(schedules: Any) -> dict[str, str]:
    """{kodedokter: jadwal} of the schedules a client showed (jadwaldokter entries)."""
    if not isinstance(schedules, list):
        return {}
    return {
        str(entry.get("kodedokter")): str(entry.get("jadwal") or "")
        for entry in schedules
        if isinstance(entry, dict)
    }


def _hours_text(hours: dict[str, str]) -> str:
    if not hours:
        return "no practice slots"
    return ", ".join(
        f"dokter {code}: {jadwal or '(empty)'}" for code, jadwal in sorted(hours.items())
    )


def _participant(patient: Patient | None) -> str:
    if patient is None:
        return "not a participant"
    return f"statusPeserta {patient.statusPeserta.kode} {patient.statusPeserta.keterangan}"
