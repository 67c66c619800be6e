"""The BPJS mock's own settings: credentials, path prefixes and the allowed clock skew."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from mock_services.common.serve import ServeError
from service_contract import credentials

DEFAULT_VCLAIM_PREFIX = "/vclaim-rest"
DEFAULT_ANTREAN_PREFIX = "/antreanrs"
DEFAULT_MAX_SKEW = 300  # seconds either side of the server clock


@dataclass(frozen=True, kw_only=True)
class BpjsConfig:
    cons_id: str = credentials.BPJS_CONS_ID
    secret: str = credentials.BPJS_SECRET
    user_key: str = credentials.BPJS_USER_KEY
    vclaim_prefix: str = DEFAULT_VCLAIM_PREFIX
    antrean_prefix: str = DEFAULT_ANTREAN_PREFIX
    max_skew: int = DEFAULT_MAX_SKEW


def _prefix(value: str) -> str:
    """'/vclaim-rest/' and 'vclaim-rest' both mean '/vclaim-rest'; '' and '/' mean the root."""
    stripped = value.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("BPJS credentials and paths")
    # The development credentials (service_contract.credentials) unless a flag says otherwise.
    group.add_argument(
        "--cons-id", default=credentials.BPJS_CONS_ID, help="X-cons-id (default %(default)s)"
    )
    group.add_argument(
        "--secret",
        default=credentials.BPJS_SECRET,
        help="signature secret (default %(default)s)",
    )
    group.add_argument(
        "--user-key", default=credentials.BPJS_USER_KEY, help="user_key (default %(default)s)"
    )
    group.add_argument(
        "--vclaim-prefix",
        default=DEFAULT_VCLAIM_PREFIX,
        help="VClaim v2 base path (default %(default)s; the real dev path is /vclaim-rest-dev)",
    )
    group.add_argument(
        "--antrean-prefix",
        default=DEFAULT_ANTREAN_PREFIX,
        help="Antrean RS base path (default %(default)s)",
    )
    group.add_argument(
        "--max-skew",
        type=int,
        default=DEFAULT_MAX_SKEW,
        metavar="SECONDS",
        help="accepted difference between X-timestamp and the server clock (default %(default)s)",
    )


def from_args(args: argparse.Namespace) -> BpjsConfig:
    if args.max_skew < 0:
        raise ServeError("--max-skew must be 0 or more seconds", exit_code=2)
    vclaim, antrean = _prefix(args.vclaim_prefix), _prefix(args.antrean_prefix)
    if vclaim == antrean:
        raise ServeError(
            f"--vclaim-prefix and --antrean-prefix must differ (both are {vclaim or '/'!r})",
            exit_code=2,
        )
    return BpjsConfig(
        cons_id=args.cons_id,
        secret=args.secret,
        user_key=args.user_key,
        vclaim_prefix=vclaim,
        antrean_prefix=antrean,
        max_skew=args.max_skew,
    )
