"""The same user as plain_facility.py on HarnessUser: every request recorded per second.

Needs the load config (a LoadConfig as JSON): benchmarks/scenario_engine.py passes it with
`--harness-config`, as harness/load/runner.py does.
"""

from __future__ import annotations

from locust import constant, task

from harness.load.users import HarnessUser


class RecordedFacility(HarnessUser):
    wait_time = constant(0)

    @task
    def facility(self) -> None:
        self.call("GET", "/api/v1/facility", name="/api/v1/facility", timeout=10)
