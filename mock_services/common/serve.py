"""Serving a mock with uvicorn, on loopback unless the user explicitly allows otherwise; over
HTTPS when given a certificate and its key (the harness issues them: harness/stack/tls.py)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp


class ServeError(Exception):
    """A bad host or a busy port: reported as one line, exit code 2 or 3."""

    def __init__(self, message: str, *, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def check_host(host: str, *, allow_remote: bool) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not allow_remote:
        raise ServeError(
            f"refusing to bind {host!r}: mocks listen on loopback (e.g. 127.0.0.1) unless you "
            "pass --allow-remote",
            exit_code=2,
        )


def check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ServeError(
                f"cannot listen on {host}:{port} ({exc.strerror}); stop what uses it or pass "
                "another --port",
                exit_code=3,
            ) from exc


def check_tls(cert: Path | None, key: Path | None) -> None:
    if (cert is None) != (key is None):
        raise ServeError(
            "HTTPS needs both --tls-cert and --tls-key (PEM files); give both, or neither for "
            "plain HTTP",
            exit_code=2,
        )
    for path in (cert, key):
        if path is not None and not path.is_file():
            raise ServeError(f"no such file: {path}; give an existing PEM file", exit_code=2)


def serve(
    app: ASGIApp,
    *,
    host: str,
    port: int,
    allow_remote: bool,
    log_level: str,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> None:
    check_host(host, allow_remote=allow_remote)
    check_tls(tls_cert, tls_key)
    check_port(host, port)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        http="httptools",
        loop="uvloop",
        lifespan="off",
        timeout_graceful_shutdown=2,
        ssl_certfile=None if tls_cert is None else str(tls_cert),
        ssl_keyfile=None if tls_key is None else str(tls_key),
    )
