"""Helpers for the ERM mock's tests: start it, get a token, build requests, validate FHIR R4.

`start_erm` starts the real process; `tests.erm_inprocess` serves the same app in the test's own
process, for the tests that need no process of their own.

FHIR validation uses an independent model library, `fhir.resources` (its R4B models: version 8
ships R5 as the default package plus R4B and STU3; R4B changed none of the elements the ERM serves
from R4 4.0.1), never the mock's own code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fhir.resources.R4B import get_fhir_model_class

from mock_services.common.dataset import Dataset, Patient, generate
from service_contract import credentials
from tests.conftest import RunningMock, StartMock

CLIENT_ID = credentials.ERM_CLIENT_ID
CLIENT_SECRET = credentials.ERM_CLIENT_SECRET
NIK_SYSTEM = "https://fhir.kemkes.go.id/id/nik"
IHS_SYSTEM = "https://fhir.kemkes.go.id/id/ihs-number"
FHIR = "/fhir-r4/v1"
VISITS = "/api/v1/visits"
FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class ERM:
    mock: RunningMock
    token: str

    @property
    def url(self) -> str:
        return self.mock.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @contextmanager
    def client(self) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, headers=self.auth, timeout=30) as client:
            yield client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request without the token (an admin call, a token request)."""
        return httpx.request(method, f"{self.url}{path}", **kwargs)


def get_token(
    server: str | httpx.Client, *, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET
) -> str:
    """A token from the mock at the URL `server`, or through the client `server` (its base URL)."""
    params = {"grant_type": "client_credentials"}
    data = {"client_id": client_id, "client_secret": secret}
    if isinstance(server, str):
        response = httpx.post(
            f"{server}/oauth2/v1/accesstoken", params=params, data=data, timeout=30
        )
    else:
        response = server.post("/oauth2/v1/accesstoken", params=params, data=data)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def start_erm(start_mock: StartMock, *, db: Path | None = None, extra: tuple[str, ...] = ()) -> ERM:
    mock = start_mock("erm", db=db, extra=extra)
    return ERM(mock=mock, token=get_token(mock.url))


def dataset() -> Dataset:
    return generate(1)


def patient(index: int = 0) -> Patient:
    return dataset().patients[index]


def visit_body(p: Patient, *, tanggal: str = "2025-10-27", kodepoli: str = "INT") -> dict[str, Any]:
    return {"nik": p.nik, "tanggal": tanggal, "kodepoli": kodepoli}


def register(
    client: httpx.Client, body: dict[str, Any], *, key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(VISITS, json=body, headers=headers)


def encounter_system() -> str:
    return f"http://sys-ids.kemkes.go.id/encounter/{dataset().facility.organization_id}"


def encounter_body(
    p: Patient, *, start: str = "2025-10-27T08:00:00+07:00", ident: str | None = "REG-1"
) -> dict[str, Any]:
    org = dataset().facility.organization_id
    body: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "arrived",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory",
        },
        "subject": {"reference": f"Patient/{p.ihs_number}", "display": p.nama},
        "participant": [
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "v3-ParticipationType",
                                "code": "ATND",
                            }
                        ]
                    }
                ],
                "individual": {"reference": "Practitioner/N10000001"},
            }
        ],
        "period": {"start": start},
        "location": [{"location": {"reference": "Location/b017aa54-f1df-4ec2-9d84-8823815d7228"}}],
        "serviceProvider": {"reference": f"Organization/{org}"},
    }
    if ident is not None:
        body["identifier"] = [{"system": encounter_system(), "value": ident}]
    return body


def vital_sign(p: Patient, *, encounter_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                        "display": "Vital Signs",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]
        },
        "subject": {"reference": f"Patient/{p.ihs_number}"},
        "effectiveDateTime": "2025-10-27T08:10:00+07:00",
        "valueQuantity": {
            "value": 80,
            "unit": "beats/minute",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
    }
    if encounter_id is not None:
        body["encounter"] = {"reference": f"Encounter/{encounter_id}"}
    return body


def assert_fhir_r4(payload: dict[str, Any]) -> None:
    """Parse `payload` with fhir.resources' R4B model for its resourceType (raises if invalid)."""
    model = get_fhir_model_class(payload["resourceType"])
    model.model_validate(payload)


def assert_operation_outcome(
    response: httpx.Response, *, status: int, code: str | None = None, text: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert_fhir_r4(body)
    issue = body["issue"][0]
    assert issue["severity"] == "error"
    if code is not None:
        assert issue["code"] == code
    if text is not None:
        assert text in issue["details"]["text"]
    return body
