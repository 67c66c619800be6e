"""ERM FHIR R4 API: Patient, Encounter, Observation, validated as FHIR R4.

The app `python -m mock_services erm` serves, in this process (tests.erm_inprocess); URLs the
server builds from the request use the test client's base URL, `erm.url`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.erm_inprocess import InProcessERM, erm_in_process
from tests.erm_support import (
    FHIR,
    FHIR_JSON,
    IHS_SYSTEM,
    NIK_SYSTEM,
    assert_fhir_r4,
    assert_operation_outcome,
    encounter_body,
    encounter_system,
    patient,
    vital_sign,
)

pytestmark = pytest.mark.unit


@pytest.fixture
def erm() -> Iterator[InProcessERM]:
    with erm_in_process() as running:
        yield running


def test_metadata_advertises_the_token_url_without_a_token(erm: InProcessERM) -> None:
    response = erm.http.get(f"{FHIR}/metadata")
    assert response.status_code == 200
    body = response.json()
    assert_fhir_r4(body)
    assert body["fhirVersion"] == "4.0.1"
    oauth = body["rest"][0]["security"]["extension"][0]
    assert oauth["extension"][0] == {"url": "token", "valueUri": f"{erm.url}/oauth2/v1/accesstoken"}


def test_patient_search_by_nik(erm: InProcessERM) -> None:
    p = patient(3)
    with erm.client() as client:
        response = client.get(f"{FHIR}/Patient", params={"identifier": f"{NIK_SYSTEM}|{p.nik}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    bundle = response.json()
    assert_fhir_r4(bundle)
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 1)
    resource = bundle["entry"][0]["resource"]
    assert resource["id"] == p.ihs_number
    assert bundle["entry"][0]["fullUrl"] == f"{erm.url}{FHIR}/Patient/{p.ihs_number}"
    systems = {i["system"]: i["value"] for i in resource["identifier"]}
    assert systems == {NIK_SYSTEM: p.nik, IHS_SYSTEM: p.ihs_number}
    assert resource["name"][0]["text"] == p.nama
    assert resource["birthDate"] == p.tglLahir
    assert resource["gender"] == ("female" if p.sex == "P" else "male")


def test_patient_search_with_no_match_is_total_zero_not_404(erm: InProcessERM) -> None:
    with erm.client() as client:
        for identifier in (f"{NIK_SYSTEM}|9999999999999999", "https://other.example/id|1"):
            response = client.get(f"{FHIR}/Patient", params={"identifier": identifier})
            assert response.status_code == 200
            bundle = response.json()
            assert_fhir_r4(bundle)
            assert bundle["total"] == 0
            assert "entry" not in bundle
        by_ihs = client.get(
            f"{FHIR}/Patient", params={"identifier": f"{IHS_SYSTEM}|{patient().ihs_number}"}
        )
        assert by_ihs.json()["total"] == 1
        missing = client.get(f"{FHIR}/Patient")
        assert_operation_outcome(missing, status=400, code="required", text="identifier=")


def test_patient_read_and_not_found(erm: InProcessERM) -> None:
    p = patient(5)
    with erm.client() as client:
        response = client.get(f"{FHIR}/Patient/{p.ihs_number}")
        assert response.status_code == 200
        body = response.json()
        assert_fhir_r4(body)
        assert body["id"] == p.ihs_number
        unknown = client.get(f"{FHIR}/Patient/P000")
        assert_operation_outcome(unknown, status=404, code="not-found", text="Patient P000")


def test_encounter_lifecycle_with_status_history(erm: InProcessERM) -> None:
    p = patient(1)
    with erm.client() as client:
        created = client.post(f"{FHIR}/Encounter", json=encounter_body(p))
        assert created.status_code == 201, created.text
        encounter = created.json()
        assert_fhir_r4(encounter)
        eid = encounter["id"]
        assert created.headers["location"].endswith(f"/Encounter/{eid}/_history/1")
        assert encounter["identifier"][0]["system"] == encounter_system()
        assert encounter["statusHistory"] == [
            {"status": "arrived", "period": {"start": "2025-10-27T08:00:00+07:00"}}
        ]
        assert client.get(f"{FHIR}/Encounter/{eid}").json() == encounter

        in_progress = client.put(
            f"{FHIR}/Encounter/{eid}", json={**encounter, "status": "in-progress"}
        )
        assert in_progress.status_code == 200, in_progress.text
        body = in_progress.json()
        assert_fhir_r4(body)
        assert [h["status"] for h in body["statusHistory"]] == ["arrived", "in-progress"]
        assert "end" in body["statusHistory"][0]["period"]
        assert body["meta"]["versionId"] == "2"

        finished = client.patch(
            f"{FHIR}/Encounter/{eid}",
            json=[{"op": "replace", "path": "/status", "value": "finished"}],
            headers={"Content-Type": "application/json-patch+json"},
        )
        assert finished.status_code == 200, finished.text
        body = finished.json()
        assert_fhir_r4(body)
        assert [h["status"] for h in body["statusHistory"]] == [
            "arrived",
            "in-progress",
            "finished",
        ]
        assert body["period"]["end"]
        assert client.get(f"{FHIR}/Encounter/{eid}").json()["status"] == "finished"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), "finished"),  # arrived -> finished skips in-progress
        (("in-progress",), "arrived"),  # backwards
        (("in-progress", "finished"), "in-progress"),  # out of a final state
    ],
)
def test_illegal_encounter_transitions_are_rejected(
    erm: InProcessERM, path: tuple[str, ...], target: str
) -> None:
    with erm.client() as client:
        encounter = client.post(f"{FHIR}/Encounter", json=encounter_body(patient(2))).json()
        for status in path:
            step = client.put(
                f"{FHIR}/Encounter/{encounter['id']}", json={**encounter, "status": status}
            )
            assert step.status_code == 200
            encounter = step.json()
        response = client.put(
            f"{FHIR}/Encounter/{encounter['id']}", json={**encounter, "status": target}
        )
        assert_operation_outcome(response, status=422, code="business-rule", text="transition")
        assert client.get(f"{FHIR}/Encounter/{encounter['id']}").json() == encounter


def test_encounter_search_by_subject_and_date(erm: InProcessERM) -> None:
    a, b = patient(1), patient(2)
    with erm.client() as client:
        for who, start, ident in (
            (a, "2025-10-27T08:00:00+07:00", "R1"),
            (a, "2025-10-28T09:00:00+07:00", "R2"),
            (b, "2025-10-27T10:00:00+07:00", "R3"),
        ):
            assert (
                client.post(
                    f"{FHIR}/Encounter", json=encounter_body(who, start=start, ident=ident)
                ).status_code
                == 201
            )
        by_subject = client.get(f"{FHIR}/Encounter", params={"subject": f"Patient/{a.ihs_number}"})
        bundle = by_subject.json()
        assert_fhir_r4(bundle)
        assert bundle["total"] == 2
        both = client.get(
            f"{FHIR}/Encounter", params={"subject": a.ihs_number, "date": "2025-10-28"}
        ).json()
        assert [e["resource"]["identifier"][0]["value"] for e in both["entry"]] == ["R2"]
        day = client.get(f"{FHIR}/Encounter", params={"date": "eq2025-10-27"}).json()
        assert day["total"] == 2
        bad = client.get(f"{FHIR}/Encounter", params={"date": "27-10-2025"})
        assert_operation_outcome(bad, status=400, text="yyyy-mm-dd")


def test_encounter_create_rejects_bad_input(erm: InProcessERM) -> None:
    p = patient(1)
    with erm.client() as client:
        cases = [
            ({**encounter_body(p), "subject": {"reference": "Patient/P0"}}, 422, "no such Patient"),
            ({**encounter_body(p), "status": "finished"}, 422, "starts as 'arrived'"),
            (
                {**encounter_body(p), "identifier": [{"system": "http://x", "value": "1"}]},
                422,
                "sys-ids.kemkes.go.id/encounter/",
            ),
            ({**encounter_body(p), "class": {"code": "XYZ"}}, 422, "AMB"),
            ({**encounter_body(p), "period": {"start": "yesterday"}}, 400, "dateTime"),
            ({"resourceType": "Patient"}, 400, "invalid request"),
        ]
        for body, status, text in cases:
            assert_operation_outcome(
                client.post(f"{FHIR}/Encounter", json=body), status=status, text=text
            )
        broken = client.post(
            f"{FHIR}/Encounter", content=b"{not json", headers={"Content-Type": FHIR_JSON}
        )
        assert_operation_outcome(broken, status=400)
        missing = client.put(f"{FHIR}/Encounter/nope", json=encounter_body(p))
        assert_operation_outcome(missing, status=404, code="not-found")


def test_observation_vital_sign(erm: InProcessERM) -> None:
    p = patient(4)
    with erm.client() as client:
        encounter = client.post(f"{FHIR}/Encounter", json=encounter_body(p)).json()
        created = client.post(
            f"{FHIR}/Observation", json=vital_sign(p, encounter_id=encounter["id"])
        )
        assert created.status_code == 201, created.text
        observation = created.json()
        assert_fhir_r4(observation)
        assert observation["code"]["coding"][0] == {
            "system": "http://loinc.org",
            "code": "8867-4",
            "display": "Heart rate",
        }
        assert client.get(f"{FHIR}/Observation/{observation['id']}").json() == observation
        not_vital = vital_sign(p)
        not_vital["code"] = {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}
        assert_operation_outcome(
            client.post(f"{FHIR}/Observation", json=not_vital), status=422, text="vital-sign"
        )
        no_encounter = vital_sign(p, encounter_id="00000000-0000-0000-0000-000000000000")
        assert_operation_outcome(
            client.post(f"{FHIR}/Observation", json=no_encounter), status=422, code="not-found"
        )
        no_value = {k: v for k, v in vital_sign(p).items() if k != "valueQuantity"}
        assert_operation_outcome(
            client.post(f"{FHIR}/Observation", json=no_value), status=422, code="required"
        )


def test_unknown_route_and_method_are_operation_outcomes(erm: InProcessERM) -> None:
    with erm.client() as client:
        assert_operation_outcome(
            client.get("/fhir-r4/v1/Condition/1"), status=404, code="not-found"
        )
        assert_operation_outcome(
            client.delete(f"{FHIR}/Patient/{patient().ihs_number}"),
            status=405,
            code="not-supported",
        )
