"""Patient-app login (username/password, NIK + birth date), token expiry and refresh."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.process import wait_until
from tests.conftest import StartMock
from tests.patient_app_support import API, active_patients, bearer, login, running_patient_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    logs = tmp_path_factory.mktemp("patient-app-auth")
    with running_patient_app(logs, extra=("--token-ttl", "1")) as (_, client):
        yield client


def test_login_with_username_and_password(app: httpx.Client) -> None:
    patient = active_patients()[3]
    data = login(app, patient)
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == 1
    assert data["patient"]["nik"] == patient.nik
    assert data["accessToken"].count(".") == 2
    assert data["refreshToken"] != data["accessToken"]


def test_login_with_nik_and_birth_date(app: httpx.Client) -> None:
    patient = active_patients()[5]
    response = app.post(
        f"{API}/auth/login", json={"nik": patient.nik, "tglLahir": patient.tglLahir}
    )
    assert response.status_code == 200
    assert response.json()["data"]["patient"]["nama"] == patient.nama


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody", "password": "x"},
        {"username": "__right_user__", "password": "wrong"},
        {"nik": "__right_nik__", "tglLahir": "1900-01-01"},
    ],
)
def test_wrong_credentials_are_401_in_the_envelope(app: httpx.Client, body: dict[str, str]) -> None:
    patient = active_patients()[0]
    body = {
        k: v.replace("__right_user__", patient.username).replace("__right_nik__", patient.nik)
        for k, v in body.items()
    }
    response = app.post(f"{API}/auth/login", json=body)
    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "code": "INVALID_CREDENTIALS",
        "message": "wrong username/password or NIK/birth date; check and retry",
        "data": None,
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "give either username and password, or nik and tglLahir"),
        ({"username": "a", "password": "b", "nik": "1" * 16, "tglLahir": "2000-01-01"}, "either"),
        ({"nik": "123", "tglLahir": "2000-01-01"}, "nik"),
        ({"nik": "1" * 16, "tglLahir": "yesterday"}, "tglLahir"),
        ({"username": "a", "password": "b", "extra": 1}, "extra"),
    ],
)
def test_bad_login_bodies_get_a_clear_400(
    app: httpx.Client, body: dict[str, object], fragment: str
) -> None:
    response = app.post(f"{API}/auth/login", json=body)
    assert response.status_code == 400
    envelope = response.json()
    assert envelope["success"] is False
    assert envelope["code"] == "INVALID_REQUEST"
    assert fragment in envelope["message"]


def test_non_json_login_body_is_a_400_not_a_crash(app: httpx.Client) -> None:
    response = app.post(
        f"{API}/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"


def test_missing_and_garbage_bearer_tokens_are_401(app: httpx.Client) -> None:
    missing = app.get(f"{API}/profile")
    assert missing.status_code == 401
    assert missing.json()["code"] == "UNAUTHORIZED"
    assert "Authorization: Bearer" in missing.json()["message"]
    garbage = app.get(f"{API}/profile", headers=bearer("a.b.c"))
    assert garbage.status_code == 401
    assert garbage.json()["code"] == "UNAUTHORIZED"


def test_access_token_expires_and_refresh_gives_a_working_one(app: httpx.Client) -> None:
    patient = active_patients()[7]
    tokens = login(app, patient)
    first = app.get(f"{API}/profile", headers=bearer(tokens["accessToken"]))
    # A loaded machine may take over the 1 s TTL to get here; then the token is already expired.
    assert first.status_code in (200, 401)
    if first.status_code == 200:
        assert first.json()["data"]["nik"] == patient.nik

    def expired() -> bool:
        response = app.get(f"{API}/profile", headers=bearer(tokens["accessToken"]))
        return response.status_code == 401 and response.json()["code"] == "TOKEN_EXPIRED"

    wait_until(expired, timeout=15, interval=0.2, what="the 1 s access token to expire")

    refreshed = app.post(f"{API}/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()["data"]
    assert fresh["accessToken"] != tokens["accessToken"]
    assert fresh["refreshToken"] != tokens["refreshToken"]

    # The new token works at least once before it too expires; retry a fresh refresh if the machine
    # was too slow for the 1 s lifetime.
    def profile_ok() -> bool:
        nonlocal fresh
        response = app.get(f"{API}/profile", headers=bearer(fresh["accessToken"]))
        if response.status_code == 200:
            return bool(response.json()["data"]["nik"] == patient.nik)
        again = app.post(f"{API}/auth/refresh", json={"refreshToken": fresh["refreshToken"]})
        assert again.status_code == 200, again.text
        fresh = again.json()["data"]
        return False

    wait_until(profile_ok, timeout=15, interval=0.05, what="a refreshed token to be accepted")


def test_refresh_token_is_single_use(app: httpx.Client) -> None:
    tokens = login(app, active_patients()[8])
    first = app.post(f"{API}/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert first.status_code == 200
    second = app.post(f"{API}/auth/refresh", json={"refreshToken": tokens["refreshToken"]})
    assert second.status_code == 401
    assert second.json()["code"] == "INVALID_REFRESH_TOKEN"
    assert "already used" in second.json()["message"]


def test_access_token_is_not_a_refresh_token(app: httpx.Client) -> None:
    tokens = login(app, active_patients()[9])
    response = app.post(f"{API}/auth/refresh", json={"refreshToken": tokens["accessToken"]})
    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_REFRESH_TOKEN"
    assert "access token was given" in response.json()["message"]


def test_tokens_from_another_secret_are_rejected(start_mock: StartMock) -> None:
    one = start_mock("patient-app", extra=("--token-secret", "one"))
    two = start_mock("patient-app", extra=("--token-secret", "two"))
    with httpx.Client(base_url=one.url) as first, httpx.Client(base_url=two.url) as second:
        token = login(first, active_patients()[0])["accessToken"]
        response = second.get(f"{API}/profile", headers=bearer(token))
    assert response.status_code == 401
    assert response.json()["message"] == "token signature is invalid"
