"""Free ports: never handed out twice while the first taker may still be starting."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.net import free_port, free_ports

pytestmark = pytest.mark.integration  # binds sockets; one test starts other processes


def test_ports_are_distinct_and_not_handed_out_again() -> None:
    first = free_ports(20)
    assert len(set(first)) == 20
    again = free_ports(20) + [free_port() for _ in range(20)]
    assert len(set(again)) == 40
    assert not set(first) & set(again)  # even though every one of them is free again now


def test_other_processes_are_not_given_the_same_ports() -> None:
    code = "from harness.net import free_ports; print(*free_ports(30))"
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout.split()
        for _ in range(3)
    ]
    ports = [int(port) for output in outputs for port in output]
    assert len(ports) == 90
    assert len(set(ports)) == 90
