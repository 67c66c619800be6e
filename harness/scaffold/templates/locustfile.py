"""The patients and staff the harness sends to your client: locust users on HarnessUser.

Written by `harness init`. The harness's built-in users (FrontDeskStaff, AppPatient,
EhacTraveller) speak the harness's reference client's API; this file speaks yours. REPLACE the
paths and bodies below with your API's, and add a class per kind of user (a patient app, a
clinic's front desk, ...). A scenario's `load.users` names these classes with their counts.

What each call tells the checks (the harness's docs/custom-load.md has the whole list):

- every request made with `self.call` (or `self.client`) is recorded per second as served,
  degraded (your client's degraded marker, client.yaml), failed or wrong: the served-rate,
  latency, time-to-served and recovery checks read that;
- `self.accepted(...)` says what a patient was told was accepted, keyed as the backend's ledger
  keys it, so that `nothing_lost` and `no_duplicates` can prove it reached the backend once;
- `self.wrong(...)` marks an answer that contradicts what the mocks know (`self.truth`).

Parse answers with `self.json_of(resp)` inside `catch_response=True`: an exception raised there
drops the request from every count.
"""

from __future__ import annotations

import datetime as dt

from locust import between, task

from harness.load.users import HarnessUser, Outcome, RecordKind


class FrontDeskClerk(HarnessUser):
    """A clinic clerk registering walk-in patients, then looking the registration up again."""

    wait_time = between(0.5, 1.5)  # seconds between one clerk's patients

    @task
    def register_walk_in(self) -> None:
        round_, patient = self.next_patient()  # this user's patient, never shared with another
        visit_date = dt.date.fromisoformat(self.config.visit_date) + dt.timedelta(days=round_)
        # The ERM ledger's natural key of a visit: the fields `nothing_lost` matches it by.
        key = {"nik": patient.nik, "tanggal": visit_date.isoformat(), "kodepoli": "INT"}
        with self.call(
            "POST",
            "/registrations",  # REPLACE with your API's registration endpoint and body
            json={"nik": patient.nik, "tanggal": key["tanggal"], "kodepoli": key["kodepoli"]},
            name="POST /registrations",
            catch_response=True,
        ) as resp:
            if resp.status_code not in (200, 201):
                return  # failed: already recorded as such
            body = self.json_of(resp)
            number = body.get("nomorantrean")  # the queue number the patient was given
            self.accepted(
                RecordKind.REGISTRATION,
                key,
                name="POST /registrations",
                # held against the ERM's number once synced, unless your client said it is
                # provisional (an offline number, marked degraded)
                reference=None if number is None else str(number),
                provisional=self.outcome_of(resp, None) is Outcome.DEGRADED,
            )
        registration_id = body.get("id")
        if registration_id:
            self.call("GET", f"/registrations/{registration_id}", name="GET /registrations/{id}")
