"""Plain locust (no harness recording): GET / of the bare Starlette app, with no think time.

The baseline of the recording-cost benchmark (benchmarks/scenario_engine.py --recording); its
twin recorded_hello.py is the same user on the harness's HarnessUser.
"""

from __future__ import annotations

from locust import HttpUser, constant, task


class PlainHello(HttpUser):
    wait_time = constant(0)

    @task
    def hello(self) -> None:
        self.client.request("GET", "/", name="/", timeout=10)
