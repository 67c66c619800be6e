"""`python -m examples.reference_client --build naive|resilient|lenient --port N` (127.0.0.1).

Exit codes: 0 after a clean shutdown, 2 for bad options or settings (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys

import uvicorn

from examples.reference_client.app import create_app
from examples.reference_client.config import Build, ConfigError, settings_from_env

HOST = "127.0.0.1"  # loopback only: this client exists to be broken on purpose
USAGE_ERROR = 2


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds between 0 and 3600")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m examples.reference_client",
        description="The reference front-office client under test: naive, resilient or lenient. "
        "Upstreams come from BPJS_URL, ERM_URL and PATIENT_APP_URL (see README.md).",
    )
    p.add_argument("--build", required=True, choices=[b.value for b in Build])
    p.add_argument("--port", required=True, type=int, help="port on 127.0.0.1")
    p.add_argument(
        "--replay-interval",
        type=_positive,
        default=1.0,
        metavar="SECONDS",
        help="resilient build: seconds between outbox replay rounds (default %(default)s)",
    )
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not 1 <= args.port <= 65_535:
        print(f"error: --port {args.port} is not a TCP port (1-65535)", file=sys.stderr)
        return USAGE_ERROR
    try:
        settings = settings_from_env(Build(args.build), replay_interval=args.replay_interval)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    uvicorn.run(create_app(settings), host=HOST, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
