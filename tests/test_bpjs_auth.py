"""The BPJS signature check, against the real mock process."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from mock_services.common.dataset import generate
from tests.bpjs_protocol import ANTREAN, VCLAIM, BpjsClient, running_bpjs, sign, signed_headers

pytestmark = pytest.mark.integration

SKEW = 60
CARD = next(p for p in generate(1).patients if p.aktif).noKartu
PESERTA = f"{VCLAIM}/Peserta/nokartu/{CARD}/tglSEP/2025-10-27"


@pytest.fixture(scope="module")
def bpjs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BpjsClient]:
    logs = tmp_path_factory.mktemp("bpjs-auth")
    with running_bpjs(logs, extra=("--max-skew", str(SKEW))) as client:
        yield client


def _assert_auth_error(reply_code: object, message: str, *, expect: str) -> None:
    assert reply_code in ("401", 401)
    assert expect in message


def test_signed_request_is_accepted_and_decrypts(bpjs: BpjsClient) -> None:
    reply = bpjs.get(PESERTA)
    assert reply.status == 200
    assert reply.meta == {"code": "200", "message": "OK"}
    assert reply.payload()["peserta"]["noKartu"] == CARD


def test_bad_signature_is_rejected_with_a_clear_envelope(bpjs: BpjsClient) -> None:
    headers = signed_headers()
    headers["X-signature"] = sign(secret="not-the-secret", timestamp=headers["X-timestamp"])
    reply = bpjs.get(PESERTA, headers=headers)
    assert reply.status == 200
    assert reply.body["response"] is None
    _assert_auth_error(reply.code, reply.meta["message"], expect="invalid X-signature")


@pytest.mark.parametrize("missing", ["X-cons-id", "X-timestamp", "X-signature", "user_key"])
def test_each_missing_header_is_named(bpjs: BpjsClient, missing: str) -> None:
    headers = {k: v for k, v in signed_headers().items() if k != missing}
    reply = bpjs.get(PESERTA, headers=headers)
    assert reply.status == 200
    _assert_auth_error(reply.code, reply.meta["message"], expect=f"missing header {missing}")


def test_wrong_user_key_and_cons_id_are_rejected(bpjs: BpjsClient) -> None:
    headers = {**signed_headers(), "user_key": "someone-else"}
    reply = bpjs.get(PESERTA, headers=headers)
    _assert_auth_error(reply.code, reply.meta["message"], expect="user_key")
    other = signed_headers(cons_id="9999")
    reply = bpjs.get(PESERTA, headers=other)
    _assert_auth_error(reply.code, reply.meta["message"], expect="X-cons-id")


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_header_names_match_in_any_case(bpjs: BpjsClient, case: object) -> None:
    assert callable(case)
    headers = {case(k): v for k, v in signed_headers().items()}
    reply = bpjs.get(PESERTA, headers=headers)
    assert reply.code == "200", reply.body
    assert reply.payload()["peserta"]["noKartu"] == CARD


@pytest.mark.parametrize("offset", [-(SKEW - 20), SKEW - 20])
def test_timestamp_inside_the_skew_window_is_accepted(bpjs: BpjsClient, offset: int) -> None:
    reply = bpjs.get(PESERTA, timestamp=str(int(time.time()) + offset))
    assert reply.code == "200", reply.body
    assert reply.payload()["peserta"]["noKartu"] == CARD  # the key uses the client's timestamp


@pytest.mark.parametrize(("offset", "word"), [(-(SKEW + 60), "behind"), (SKEW + 60, "ahead of")])
def test_timestamp_outside_the_skew_window_is_rejected(
    bpjs: BpjsClient, offset: int, word: str
) -> None:
    reply = bpjs.get(PESERTA, timestamp=str(int(time.time()) + offset))
    _assert_auth_error(reply.code, reply.meta["message"], expect=f"{word} the server clock")
    assert f"allowed: {SKEW} s" in reply.meta["message"]


def test_non_numeric_timestamp_is_rejected(bpjs: BpjsClient) -> None:
    headers = signed_headers("2025-10-27T08:00:00")
    reply = bpjs.get(PESERTA, headers=headers)
    _assert_auth_error(reply.code, reply.meta["message"], expect="Unix time in whole seconds")


def test_antrean_auth_errors_use_its_own_envelope(bpjs: BpjsClient) -> None:
    reply = bpjs.get(f"{ANTREAN}/ref/poli", headers={})
    assert reply.status == 200
    assert set(reply.body) == {"metadata", "response"}
    assert reply.body["metadata"]["code"] == 401
    assert isinstance(reply.body["metadata"]["message"], str)
