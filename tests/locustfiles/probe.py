"""A minimal locustfile on the harness's base user, for testing the load layer itself.

It reads public patient-app endpoints, and records one accepted item per user so the accepted
records can be checked.
"""

from __future__ import annotations

from locust import constant_pacing, task

from harness.load.users import HarnessUser, Outcome, RecordKind


class Prober(HarnessUser):
    wait_time = constant_pacing(0.05)

    def on_start(self) -> None:
        _, patient = self.next_patient()
        self.accepted(
            RecordKind.BOOKING,
            {"nik": patient.nik, "tanggalperiksa": "2025-03-25", "kodepoli": "INT"},
            reference="probe",
        )

    @task
    def facility(self) -> None:
        self.call("GET", "/api/v1/facility", name="/api/v1/facility")

    @task
    def polyclinics(self) -> None:
        with self.call(
            "GET", "/api/v1/polyclinics", name="/api/v1/polyclinics", catch_response=True
        ) as resp:
            if resp.status_code == 200:
                self.classify(resp, Outcome.DEGRADED)  # pretend: served from a cache
