"""How a mock service plugs into `python -m mock_services <name>`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp

from service_contract.services import ServiceName


@dataclass(frozen=True, kw_only=True)
class CommonOptions:
    host: str
    port: int
    seed: int
    db: Path | None  # None: an in-memory database, gone when the process ends
    allow_remote: bool
    log_level: str
    tls_cert: Path | None = None  # with tls_key: serve HTTPS with this certificate (PEM)
    tls_key: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CommonOptions:
        """The options every mock's command line has (mock_services.cli.build_parser)."""
        return cls(
            host=args.host,
            port=args.port,
            seed=args.seed,
            db=args.db,
            allow_remote=args.allow_remote,
            log_level=args.log_level,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
        )


@dataclass(frozen=True, kw_only=True)
class ServiceDefinition:
    """One mock: its name, its own command-line flags and how to build its ASGI app."""

    name: ServiceName
    summary: str
    default_port: int
    add_arguments: Callable[[argparse.ArgumentParser], None]
    build_app: Callable[[CommonOptions, argparse.Namespace], ASGIApp]
