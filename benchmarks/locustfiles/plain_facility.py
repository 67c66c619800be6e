"""Plain locust (no harness recording): GET /api/v1/facility with no think time.

The baseline of the recording-cost benchmark (benchmarks/scenario_engine.py --recording); its
twin recorded_facility.py is the same user on the harness's HarnessUser.
"""

from __future__ import annotations

from locust import HttpUser, constant, task


class PlainFacility(HttpUser):
    wait_time = constant(0)

    @task
    def facility(self) -> None:
        self.client.request("GET", "/api/v1/facility", name="/api/v1/facility", timeout=10)
