"""A real third-party BPJS VClaim client from PyPI, `bpjs-bridging` (import name `bpjs`), used
unchanged against the stack's BPJS proxy under latency and downtime."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bpjs.bpjs import Bridging  # type: ignore[import-untyped]

from examples.resilience_tests.conftest import FIRST_DAY

if TYPE_CHECKING:
    from harness.pytest_plugin import Chaos, Stack

LATENCY_MS = 1500
GENEROUS_LOWER_BOUND_S = 1.4  # below the injected 1.5 s: machine noise can only add time
SHORT_TIMEOUT_S = 0.5


def test_bpjs_bridging_waits_out_latency_and_returns_downtime_as_an_error_dict(
    harness_stack: Stack, chaos: Chaos, nik: str
) -> None:
    """Finding for teams using bpjs-bridging 0.1.0 (`Bridging.request`):

    - Latency: it waits. Its timeout is a per-call argument defaulting to 30 s, so a slow BPJS
      costs each caller up to 30 s; 1.5 s of latency is simply waited out, with the right answer.
      Given a shorter `timeout=`, it gives up and says so in an error dict.
    - Downtime: it never raises. Connection refused comes back as
      `{"metaData": {"code": 503, "message": "Gagal terhubung ke BPJS: ..."}, "response": None}`
      and a timeout as code 504 "BPJS terlalu lama merespons". No retries, no breaker.
    - The codes change type: BPJS's own are strings ("200"), the library's are ints (503, 504),
      so `meta["code"] == 200` misses every success and `meta["code"] == "200"` is the only
      safe test. Callers must check the code on every call; there is no exception to catch.
    """
    vclaim: Any = Bridging(
        {
            "consid": harness_stack.bpjs.cons_id,
            "secret": harness_stack.bpjs.secret,
            "user_key": harness_stack.bpjs.user_key,
            "host": harness_stack.bpjs.vclaim_url,
        },
        "vclaim",
    )
    path = f"Peserta/nik/{nik}/tglSEP/{FIRST_DAY.isoformat()}"
    healthy = vclaim.request(path)
    assert healthy["metaData"] == {"code": "200", "message": "OK"}
    assert healthy["response"]["peserta"]["nik"] == nik

    with chaos.fault("bpjs", "latency", latency=LATENCY_MS):
        started = time.monotonic()
        slow = vclaim.request(path)  # the library's default timeout: 30 s
        waited = time.monotonic() - started
        cut_short = vclaim.request(path, timeout=SHORT_TIMEOUT_S)
    assert slow == healthy
    assert waited >= GENEROUS_LOWER_BOUND_S
    assert cut_short == {
        "metaData": {"code": 504, "message": "BPJS terlalu lama merespons"},
        "response": None,
    }

    with chaos.fault("bpjs", "down"):
        down = vclaim.request(path)
    assert down["response"] is None
    assert down["metaData"]["code"] == 503
    assert down["metaData"]["message"].startswith("Gagal terhubung ke BPJS: ")
