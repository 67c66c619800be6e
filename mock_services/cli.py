"""`python -m mock_services <service>|dataset`: start one mock, or print the shared dataset."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from mock_services.common import dataset
from mock_services.common.serve import ServeError, serve
from mock_services.common.service import CommonOptions, ServiceDefinition

# Imported lazily so that starting one service does not import the others.
SERVICES = {
    "bpjs": "mock_services.bpjs",
    "erm": "mock_services.erm",
    "patient-app": "mock_services.patient_app",
}


def load_service(name: str) -> ServiceDefinition:
    module = importlib.import_module(SERVICES[name])
    service: ServiceDefinition = module.SERVICE
    return service


def _available() -> dict[str, ServiceDefinition]:
    found = {}
    for name in SERVICES:
        try:
            found[name] = load_service(name)
        except ModuleNotFoundError as exc:
            if exc.name != SERVICES[name]:  # a real import error inside the service: show it
                raise
    return found


def build_parser(services: dict[str, ServiceDefinition]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mock_services",
        description="Mock health backends (BPJS VClaim/Antrean RS, ERM, patient app) with "
        "application-level fault injection under /__admin.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{service|dataset}")
    for name, service in services.items():
        sp = sub.add_parser(name, help=service.summary, description=service.summary)
        sp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        sp.add_argument("--port", type=int, default=service.default_port)
        sp.add_argument("--seed", type=int, default=dataset.DEFAULT_SEED, help="dataset seed")
        sp.add_argument("--db", type=Path, default=None, help="SQLite file (default: in memory)")
        sp.add_argument(
            "--allow-remote",
            action="store_true",
            help="allow binding a non-loopback address (never point fault injection at production)",
        )
        sp.add_argument("--log-level", default="warning", choices=["debug", "info", "warning"])
        sp.add_argument(
            "--tls-cert",
            type=Path,
            default=None,
            metavar="PEM",
            help="serve HTTPS with this certificate (with --tls-key; default: plain HTTP)",
        )
        sp.add_argument("--tls-key", type=Path, default=None, metavar="PEM", help="its private key")
        service.add_arguments(sp)
    ds = sub.add_parser("dataset", help="print the seeded dataset as JSON")
    ds.add_argument("--seed", type=int, default=dataset.DEFAULT_SEED)
    ds.add_argument("--patients", type=int, default=dataset.DEFAULT_PATIENTS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # Starting one service imports only that one: a broken sibling cannot stop it.
    services = (
        {words[0]: load_service(words[0])} if words and words[0] in SERVICES else _available()
    )
    args = build_parser(services).parse_args(words)
    if args.command == "dataset":
        text = json.dumps(dataset.generate(args.seed, args.patients).to_json(), indent=1)
        try:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into `head`
            sys.stderr.close()
        return 0
    service = services[args.command]
    options = CommonOptions.from_args(args)
    try:
        app = service.build_app(options, args)
        serve(
            app,
            host=options.host,
            port=options.port,
            allow_remote=options.allow_remote,
            log_level=options.log_level,
            tls_cert=options.tls_cert,
            tls_key=options.tls_key,
        )
    except ServeError as exc:
        print(f"mock_services {service.name}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0
