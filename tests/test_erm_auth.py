"""ERM OAuth2 client credentials: the Apigee-style token, its expiry, the 401 OperationOutcome.

The app `python -m mock_services erm` serves (with the test's flags), in this process
(tests.erm_inprocess); the command-line check runs the real command.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time

import pytest

from harness.process import wait_until
from tests.erm_inprocess import erm_in_process, serve_erm_in_process
from tests.erm_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    FHIR,
    NIK_SYSTEM,
    assert_operation_outcome,
    get_token,
    patient,
)

pytestmark = pytest.mark.integration

TOKEN = "/oauth2/v1/accesstoken"


@pytest.mark.unit
def test_token_is_apigee_style_with_string_values() -> None:
    with serve_erm_in_process() as mock:
        before_ms = int(time.time() * 1000)
        response = mock.http.post(
            TOKEN,
            params={"grant_type": "client_credentials"},
            data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "BearerToken"
    assert body["expires_in"] == "3599"
    assert body["client_id"] == CLIENT_ID
    assert body["status"] == "approved"
    assert all(isinstance(v, str) for k, v in body.items() if k != "api_product_list_json")
    assert int(body["issued_at"]) >= before_ms - 1000
    assert len(body["access_token"]) >= 20


@pytest.mark.unit
def test_http_basic_credentials_and_grant_type_in_form() -> None:
    with serve_erm_in_process() as mock:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        response = mock.http.post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        found = mock.http.get(
            f"{FHIR}/Patient/{patient().ihs_number}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert found.status_code == 200


@pytest.mark.unit
def test_bad_credentials_and_grant_get_operation_outcomes() -> None:
    extra = ("--client-id", "clinic-7", "--client-secret", "s3cret")
    with serve_erm_in_process(extra=extra) as mock:
        http = mock.http
        grant = {"grant_type": "client_credentials"}
        wrong = http.post(TOKEN, params=grant, data={"client_id": CLIENT_ID, "client_secret": "x"})
        assert_operation_outcome(wrong, status=401, code="security", text="Invalid client_id")
        missing = http.post(TOKEN, params=grant, data={"client_id": "clinic-7"})
        assert_operation_outcome(missing, status=401, text="Missing client_id or client_secret")
        no_grant = http.post(TOKEN, data={"client_id": "clinic-7", "client_secret": "s3cret"})
        assert_operation_outcome(no_grant, status=400, code="invalid", text="grant_type")
        assert get_token(http, client_id="clinic-7", secret="s3cret")


@pytest.mark.unit
def test_missing_and_invalid_tokens_are_rejected() -> None:
    with erm_in_process() as erm:
        search = f"{FHIR}/Patient"
        params = {"identifier": f"{NIK_SYSTEM}|{patient().nik}"}
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
            response = erm.http.get(search, params=params, headers=headers)
            assert_operation_outcome(
                response, status=401, code="invalid-access-token", text="Invalid Access Token."
            )
            assert response.headers["www-authenticate"].startswith("Bearer")
        visits = erm.http.get("/api/v1/visits", params={"tanggal": "2025-10-27"})
        assert_operation_outcome(visits, status=401, code="invalid-access-token")
        assert erm.http.get(search, params=params, headers=erm.auth).status_code == 200


@pytest.mark.unit
def test_token_expiry_is_honoured() -> None:
    with erm_in_process(extra=("--token-ttl", "1")) as erm:
        url = f"{FHIR}/Patient/{patient().ihs_number}"

        def expired() -> bool:
            return erm.http.get(url, headers=erm.auth).status_code == 401

        wait_until(expired, timeout=20, what="the 1 s token to expire")
        response = erm.http.get(url, headers=erm.auth)
        assert_operation_outcome(
            response, status=401, code="invalid-access-token", text="Access Token Expired."
        )
        # "Expired", not "Invalid": the mock knew the token, so it was valid before its second
        # ran out.
        assert get_token(erm.http) != erm.token


def test_bad_token_ttl_flag_is_a_usage_error() -> None:
    # The command line itself (argparse's exit code and message, no traceback): a real process.
    out = subprocess.run(
        [sys.executable, "-m", "mock_services", "erm", "--token-ttl", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "--token-ttl" in out.stderr
    assert "seconds" in out.stderr
    assert "Traceback" not in out.stderr
