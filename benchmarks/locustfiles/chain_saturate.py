"""The built-in front-desk and app-patient users without think time (chain throughput benchmark).

Same requests, same recording as harness.load.locustfile; only the wait between tasks is gone, so
a handful of users keeps the whole chain busy. Named by benchmarks/clients/resilient-saturate.yaml.
"""

from __future__ import annotations

from locust import constant

from harness.load.locustfile import AppPatient, FrontDeskStaff


class BusyFrontDesk(FrontDeskStaff):
    wait_time = constant(0)


class BusyAppPatient(AppPatient):
    wait_time = constant(0)
