"""Loopback safety and port helpers.

The harness injects faults and load; pointed at a production host it would repeat incident 1.
So every host it touches must be in 127.0.0.0/8 (or ::1) unless the user names it explicitly.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from harness.errors import PortBusyError, UnsafeTargetError

LOOPBACK_HOST = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8 and ::1 given as addresses; names, even `localhost`, are not trusted."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_loopback(url_or_host: str, *, allowed_hosts: Iterable[str] = ()) -> str:
    """The host of `url_or_host`; UnsafeTargetError unless it is loopback or explicitly allowed."""
    host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
    if not host:
        raise UnsafeTargetError(
            f"cannot find a host in {url_or_host!r}; give a URL like http://127.0.0.1:8080"
        )
    if is_loopback(host) or host in set(allowed_hosts):
        return host
    raise UnsafeTargetError(
        f"refusing to touch {host!r}: the harness only targets 127.0.0.0/8 unless you allow a host "
        f"explicitly (--allow-host {host}); never inject faults into production"
    )


def free_port(host: str = LOOPBACK_HOST) -> int:
    """A port that is free right now on `host` (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int, host: str = LOOPBACK_HOST) -> list[int]:
    """`count` distinct ports free right now: all sockets stay bound until all are chosen."""
    with contextlib.ExitStack() as stack:
        socks = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            for _ in range(count)
        ]
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def port_is_free(port: int, host: str = LOOPBACK_HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def ensure_port_free(port: int, host: str = LOOPBACK_HOST, *, what: str = "") -> None:
    if not port_is_free(port, host):
        raise PortBusyError(host, port, what)
