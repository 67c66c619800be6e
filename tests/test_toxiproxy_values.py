"""Network faults are validated values: bad input gives an error naming what is wrong."""

from __future__ import annotations

import pytest

from harness.errors import ExitCode
from harness.toxiproxy.errors import InvalidFaultError
from harness.toxiproxy.faults import (
    NETWORK_FAULT_NAMES,
    TOXIC_ATTRIBUTES,
    Down,
    Stream,
    Toxic,
    ToxicType,
    parse_network_fault,
)

pytestmark = pytest.mark.unit


def test_every_built_in_toxic_and_down_is_offered() -> None:
    assert set(NETWORK_FAULT_NAMES) == {
        "latency",
        "bandwidth",
        "slow_close",
        "timeout",
        "reset_peer",
        "slicer",
        "limit_data",
        "down",
    }
    assert set(TOXIC_ATTRIBUTES) == set(ToxicType)


def test_defaults_are_filled_in_and_the_name_follows_toxiproxy() -> None:
    toxic = Toxic.build("latency", {"latency": 250})
    assert dict(toxic.attributes) == {"latency": 250, "jitter": 0}
    assert toxic.stream is Stream.DOWNSTREAM
    assert toxic.toxicity == 1.0
    assert toxic.name == "latency_downstream"
    slicer = Toxic.build("slicer", {"average_size": 64}, stream="upstream")
    assert dict(slicer.attributes) == {"average_size": 64, "size_variation": 0, "delay": 0}
    assert slicer.name == "slicer_upstream"


def test_values_are_frozen_and_comparable() -> None:
    a = Toxic.build("bandwidth", {"rate": 8})
    b = Toxic(type=ToxicType.BANDWIDTH, attributes={"rate": 8})
    assert a == b
    assert hash(a) == hash(b)
    assert Down() == Down()
    with pytest.raises(AttributeError):
        a.toxicity = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        a.attributes["rate"] = 1  # type: ignore[index]


def test_unknown_attribute_is_named_with_the_allowed_ones() -> None:
    with pytest.raises(InvalidFaultError) as caught:
        Toxic.build("latency", {"latency": 100, "jiter": 5})
    message = str(caught.value)
    assert "'jiter'" in message
    assert "latency (ms, required)" in message
    assert "jitter (ms, default 0)" in message
    assert caught.value.exit_code is ExitCode.USAGE


def test_missing_required_attribute_is_named() -> None:
    with pytest.raises(InvalidFaultError, match=r"limit_data needs bytes=<bytes>"):
        Toxic.build("limit_data")


@pytest.mark.parametrize(
    ("toxic_type", "attributes", "expected"),
    [
        ("latency", {"latency": -1}, r"latency=-1 must be at least 0 ms"),
        ("bandwidth", {"rate": 0}, r"rate=0 must be at least 1 KB/s"),
        ("slicer", {"average_size": 0}, r"average_size=0 must be at least 1"),
        ("timeout", {"timeout": 1.5}, r"timeout=1.5 must be a whole number of ms"),
        ("reset_peer", {"timeout": True}, r"timeout=True must be a whole number"),
    ],
)
def test_bad_attribute_values_are_rejected(
    toxic_type: str, attributes: dict[str, int], expected: str
) -> None:
    with pytest.raises(InvalidFaultError, match=expected):
        Toxic.build(toxic_type, attributes)


def test_bad_stream_toxicity_and_type() -> None:
    with pytest.raises(InvalidFaultError, match=r"stream='sideways'.*downstream.*upstream"):
        Toxic.build("latency", {"latency": 1}, stream="sideways")
    with pytest.raises(InvalidFaultError, match=r"toxicity=1.5 must be between 0 and 1"):
        Toxic.build("latency", {"latency": 1}, toxicity=1.5)
    with pytest.raises(InvalidFaultError, match=r"unknown network fault 'lag'.*latency.*down"):
        Toxic.build("lag", {"latency": 1})


def test_parse_from_command_line_words() -> None:
    fault = parse_network_fault(
        "latency", {"latency": "300", "jitter": "20", "stream": "upstream", "toxicity": "0.5"}
    )
    assert fault == Toxic.build(
        "latency", {"latency": 300, "jitter": 20}, stream="upstream", toxicity=0.5
    )
    assert parse_network_fault("down", {}) == Down()


def test_parse_errors_name_the_word() -> None:
    with pytest.raises(InvalidFaultError, match=r"latency latency='fast' must be a whole number"):
        parse_network_fault("latency", {"latency": "fast"})
    with pytest.raises(InvalidFaultError, match=r"bandwidth has no attribute 'speed'.*rate"):
        parse_network_fault("bandwidth", {"speed": "1"})
    with pytest.raises(InvalidFaultError, match=r"down takes no attributes \(got seconds\)"):
        parse_network_fault("down", {"seconds": "3"})
    with pytest.raises(InvalidFaultError, match=r"toxicity='most' must be a number"):
        parse_network_fault("timeout", {"toxicity": "most"})


def test_with_attributes_validates_again() -> None:
    toxic = Toxic.build("latency", {"latency": 100})
    assert toxic.with_attributes({"jitter": 10}).attributes["jitter"] == 10
    with pytest.raises(InvalidFaultError, match="'rate'"):
        toxic.with_attributes({"rate": 1})
