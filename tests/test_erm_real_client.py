"""A real FHIR client library, unchanged, against the ERM mock: `fhirclient` (SMART on FHIR's
Python client, FHIR R4 4.0.1 models).

Configuration only: the settings dict (client id, secret, FHIR base). The library reads the
server's CapabilityStatement, finds the token URL in the SMART `oauth-uris` extension, gets a
token with the client-credentials grant (credentials by HTTP Basic) and signs each request with
it; its own R4 models parse every response, so a response that is not valid R4 fails here too.
"""

from __future__ import annotations

import pytest
from fhirclient import client as fhir_client
from fhirclient.models.bundle import Bundle
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRUnauthorizedException

from tests.conftest import StartMock
from tests.erm_support import CLIENT_ID, CLIENT_SECRET, FHIR, IHS_SYSTEM, NIK_SYSTEM, patient

pytestmark = pytest.mark.integration


def connect(url: str, *, secret: str = CLIENT_SECRET) -> fhir_client.FHIRClient:
    smart = fhir_client.FHIRClient(
        settings={"app_id": CLIENT_ID, "app_secret": secret, "api_base": f"{url}{FHIR}/"}
    )
    smart.prepare()  # GET metadata: finds the token endpoint
    smart.authorize()  # client_credentials
    return smart


def test_fhirclient_authenticates_searches_by_nik_and_reads(start_mock: StartMock) -> None:
    mock = start_mock("erm")
    smart = connect(mock.url)
    assert smart.ready
    p = patient(11)

    search = Patient.where(struct={"identifier": f"{NIK_SYSTEM}|{p.nik}"})
    bundles = list(search.perform_iter(smart.server))
    assert len(bundles) == 1  # one page: no "next" link
    bundle = bundles[0]
    assert isinstance(bundle, Bundle)
    assert bundle.type == "searchset"
    assert bundle.total == 1
    found = bundle.entry[0].resource
    assert isinstance(found, Patient)
    assert found.id == p.ihs_number

    read = Patient.read(found.id, smart.server)
    ids = {i.system: i.value for i in read.identifier}
    assert ids == {NIK_SYSTEM: p.nik, IHS_SYSTEM: p.ihs_number}
    assert read.name[0].text == p.nama
    assert read.birthDate.isostring == p.tglLahir

    none = Patient.where(struct={"identifier": f"{NIK_SYSTEM}|0000000000000000"})
    assert list(none.perform_resources_iter(smart.server)) == []


def test_fhirclient_sees_the_401_without_a_valid_secret(start_mock: StartMock) -> None:
    mock = start_mock("erm")
    smart = fhir_client.FHIRClient(
        settings={"app_id": CLIENT_ID, "app_secret": "wrong", "api_base": f"{mock.url}{FHIR}/"}
    )
    smart.prepare()
    with pytest.raises(FHIRUnauthorizedException):
        smart.authorize()
    with pytest.raises(FHIRUnauthorizedException):
        Patient.read(patient().ihs_number, smart.server)
