"""A client's own locustfile, written on the harness's base user (docs/custom-load.md).

This one drives the reference client's front desk as a clinic with walk-in patients would: each
walk-in is registered, then the desk looks the registration up again. It shows the three things a
locustfile of your own gives the checks:

- requests made through `self.call` (or `self.client`) are recorded per second as served,
  degraded or failed;
- `outcome_of` decides what "degraded" means for your API: here a registration answered with
  `"offline": true` in its JSON body, even if a header were missing;
- `self.accepted(...)` tells the checks what the patient was told was accepted, keyed as the
  backend (the ERM ledger) keys it, so that "nothing lost, nothing twice" can be proven; with
  the queue number the patient was given as `reference`, held against the ERM's once synced
  unless the answer said it is provisional (an offline number: `provisional=True`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from locust import between, task
from requests import Response

from harness.load.users import HarnessUser, Outcome, RecordKind


class WalkInPatient(HarnessUser):
    wait_time = between(0.5, 1.0)

    def outcome_of(self, response: Response | None, exception: BaseException | None) -> Outcome:
        outcome = super().outcome_of(response, exception)  # status codes and the X-Degraded header
        if outcome is Outcome.SERVED and response is not None and _offline(response):
            return Outcome.DEGRADED
        return outcome

    @task
    def walk_in(self) -> None:
        round_, patient = self.next_patient()
        key = {
            "nik": patient.nik,
            "tanggal": (
                dt.date.fromisoformat(self.config.visit_date) + dt.timedelta(round_)
            ).isoformat(),
            "kodepoli": "INT",
        }
        with self.call(
            "POST", "/registrations", json=key, name="/registrations", catch_response=True
        ) as resp:
            body = _json(resp)
            if resp.status_code != 201 or body.get("status") != "registered":
                return
            self.accepted(
                RecordKind.REGISTRATION,
                key,
                name="POST /registrations",
                # once synced, the number the ERM calls; an offline number is provisional
                reference=str(body.get("erm_nomorantrean") or body.get("nomorantrean")),
                provisional=self.outcome_of(resp, None) is Outcome.DEGRADED,
            )
        registration_id = body.get("registration_id")
        if registration_id:
            self.call("GET", f"/registrations/{registration_id}", name="/registrations/{id}")


def _json(response: Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _offline(response: Response) -> bool:
    return _json(response).get("offline") is True
