"""Property-based run of schemathesis over the ERM mock's OpenAPI schema, against the real process.

Every generated request carries a valid bearer token (token handling has its own tests), so
generated paths, bodies and values reach the handlers; both schema-conforming (positive) and
schema-violating (negative) requests are generated. Checks: never a 5xx, every answer is
`application/fhir+json` (the token endpoint answers plain JSON, as Apigee does), and every error
is a FHIR OperationOutcome with a message.

As in the BPJS run, each operation's Hypothesis strategy is driven directly: schemathesis' pytest
loader does not work with pytest 9 yet.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, note, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.conftest import StartMock
from tests.erm_support import ERM, FHIR_JSON, start_erm

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 10  # per operation and mode: the whole run stays well under a minute
TOKEN_PATH = "/oauth2/v1/accesstoken"


def _check_answer(path: str, status: int, content_type: str, body: Any) -> None:
    if path == TOKEN_PATH and status == 200:
        assert content_type.startswith("application/json")
        return
    assert content_type.startswith(FHIR_JSON), (status, content_type)
    if status >= 400:
        assert body["resourceType"] == "OperationOutcome", body
        assert body["issue"][0]["details"]["text"], body


def _content_type(headers: Any) -> str:
    value = headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) else value)  # schemathesis keeps lists


def _fuzz(operation: Any, mode: GenerationMode, erm: ERM) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        headers = dict(erm.auth)
        if operation.path == TOKEN_PATH:
            headers = {}
        response = case.call(base_url=erm.url, headers=headers, timeout=30)
        note(f"{operation.label} ({mode.value}) -> {response.status_code} {response.text[:300]}")
        case.validate_response(response, checks=[not_a_server_error])
        _check_answer(
            operation.path,
            response.status_code,
            _content_type(response.headers),
            response.json(),
        )

    run()


@pytest.fixture
def erm(start_mock: StartMock) -> ERM:
    return start_erm(start_mock)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_always_fhir(erm: ERM, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{erm.url}/openapi.json", timeout=30)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if not result.ok().path.startswith("/__admin")  # the fault admin API is not the service
    ]
    # token, metadata, Patient x2, Encounter x5, Observation x2, visits x5
    assert len(operations) == 16
    nothing_to_break = []
    for operation in operations:
        try:
            _fuzz(operation, mode, erm)
        except Unsatisfiable:
            # Negative mode needs something to break; an operation without parameters has none.
            assert mode is GenerationMode.NEGATIVE
            nothing_to_break.append(operation.label)
    assert nothing_to_break == (
        [] if mode is GenerationMode.POSITIVE else ["GET /fhir-r4/v1/metadata"]
    )
