"""The same user as plain_hello.py on HarnessUser: every request recorded per second.

Needs the load config (a LoadConfig as JSON): benchmarks/scenario_engine.py passes it to the
master with `--harness-config`, as harness/load/runner.py does; workers get it from the master.
"""

from __future__ import annotations

from locust import constant, task

from harness.load.users import HarnessUser


class RecordedHello(HarnessUser):
    wait_time = constant(0)

    @task
    def hello(self) -> None:
        self.call("GET", "/", name="/", timeout=10)
