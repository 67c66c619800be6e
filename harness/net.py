"""Loopback safety and port helpers.

The harness injects faults and load; pointed at a production host it would repeat incident 1.
So every host it touches must be in 127.0.0.0/8 (or ::1) unless the user names it explicitly.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from harness.errors import InfrastructureError, PortBusyError, UnsafeTargetError

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


PORT_HOLD_S: Final = 120.0  # a port handed out is not handed out again for this long
_MAX_SOCKETS: Final = 256


def free_port(host: str = LOOPBACK_HOST) -> int:
    """A port that is free right now on `host` (the OS picks it); see `free_ports`."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = LOOPBACK_HOST) -> list[int]:
    """`count` distinct ports free right now: all sockets stay bound until all are chosen.

    A port is handed to a process that binds it a moment later (a mock importing its framework,
    a client starting). In that window another harness process on this machine (a parallel run,
    an xdist worker) could be given the same port by the OS, and a readiness check would then
    pass against the wrong server. So every port handed out is noted in a machine-wide register
    (a file under the temp dir, locked) and not handed out again by any harness process for
    PORT_HOLD_S seconds.
    """
    with contextlib.ExitStack() as stack, _register() as taken:
        chosen: list[int] = []
        for _ in range(_MAX_SOCKETS):
            if len(chosen) == count:
                break
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))  # kept bound: the OS will not give this port again meanwhile
            port = int(sock.getsockname()[1])
            if port not in taken:
                chosen.append(port)
        if len(chosen) < count:
            raise InfrastructureError(
                f"found only {len(chosen)} of {count} free ports on {host}; stop other runs or "
                "wait a couple of minutes"
            )
        now = time.time()
        taken.update(dict.fromkeys(chosen, now))
        return chosen


@contextlib.contextmanager
def _register() -> Iterator[dict[int, float]]:
    """The ports handed out in the last PORT_HOLD_S seconds, locked for this process meanwhile."""
    path = Path(tempfile.gettempdir()) / f"harness-ports-{os.getuid()}.json"
    with path.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raw = {}
            now = time.time()
            taken = {
                int(port): float(at)
                for port, at in (raw.items() if isinstance(raw, dict) else ())
                if now - float(at) < PORT_HOLD_S
            }
            yield taken
            scratch = path.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(json.dumps({str(p): at for p, at in taken.items()}), "utf-8")
            scratch.replace(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
