"""Property-based run of schemathesis over the BPJS mock's OpenAPI schema, against the real process.

Every generated request is signed (the signature rules have their own tests), so generated paths,
bodies and values reach the handlers; both schema-conforming (positive) and schema-violating
(negative) requests are generated. Checks: never a 5xx, and every answer is the JSON envelope of
its prefix, with a code of the right type and a message.

Schemathesis' pytest loader (`schemathesis.pytest.from_fixture`) does not work with pytest 9 yet
(it touches the removed `Function._nodeid`), so the test drives each operation's Hypothesis
strategy itself, which is the same generation engine.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.bpjs_protocol import ANTREAN, signed_headers
from tests.conftest import RunningMock, StartMock

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 15  # per operation and mode: the whole run stays well under a minute


def _assert_envelope(path: str, body: Any) -> None:
    assert isinstance(body, dict), body
    if path.startswith(ANTREAN):
        meta = body["metadata"]
        assert type(meta["code"]) is int, body
        assert set(body) <= {"metadata", "response"}, body
    else:
        meta = body["metaData"]
        assert isinstance(meta["code"], str), body
        assert set(body) == {"metaData", "response"}, body
    assert isinstance(meta["message"], str), body
    assert meta["message"], body


def _fuzz(operation: Any, mode: GenerationMode, base_url: str) -> None:
    strategies = [operation.as_strategy(generation_mode=mode)]
    if mode is GenerationMode.POSITIVE:
        # The schema's examples are real cards, referrals and schedules: they reach success paths.
        strategies += operation.get_strategies_from_examples()

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=signed_headers(), timeout=30)
        note(f"{operation.label} ({mode.value}) -> {response.status_code} {response.text[:300]}")
        case.validate_response(response, checks=[not_a_server_error])
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        assert content_type[0].startswith("application/json"), response.text
        _assert_envelope(operation.path, response.json())

    run()


@pytest.fixture
def bpjs_live(start_mock: StartMock) -> RunningMock:
    return start_mock("bpjs")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_always_an_envelope(
    bpjs_live: RunningMock, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{bpjs_live.url}/openapi.json", timeout=30)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if not result.ok().path.startswith("/__admin")  # the fault admin API is not the service
    ]
    assert len(operations) == 14  # 7 VClaim + 7 Antrean RS
    for operation in operations:
        _fuzz(operation, mode, bpjs_live.url)
    served = httpx.get(f"{bpjs_live.url}/__admin/stats", timeout=10).json()["requests"]
    assert all(served.get(f"{op.method.upper()} {op.path}", 0) >= 5 for op in operations), served
