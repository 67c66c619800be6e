"""The patient-app mock's own command-line flags, beyond the common ones."""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass

DEFAULT_TOKEN_TTL = 900.0
DEFAULT_REFRESH_TTL = 7 * 24 * 3600.0
DEFAULT_MINUTES_PER_PATIENT = 10


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 365 * 24 * 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds between 0 and one year")
    return value


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of minutes") from None
    if not 1 <= value <= 120:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 to 120 minutes")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token-ttl",
        type=_positive_seconds,
        default=DEFAULT_TOKEN_TTL,
        help=f"access-token lifetime in seconds (default {DEFAULT_TOKEN_TTL:g})",
    )
    parser.add_argument(
        "--refresh-ttl",
        type=_positive_seconds,
        default=DEFAULT_REFRESH_TTL,
        help=f"refresh-token lifetime in seconds (default {DEFAULT_REFRESH_TTL:g})",
    )
    parser.add_argument(
        "--token-secret",
        default=None,
        help="HMAC secret for tokens (default: a development secret derived from --seed)",
    )
    parser.add_argument(
        "--minutes-per-patient",
        type=_minutes,
        default=DEFAULT_MINUTES_PER_PATIENT,
        help="consultation length used for queue estimates (default "
        f"{DEFAULT_MINUTES_PER_PATIENT})",
    )


@dataclass(frozen=True, kw_only=True)
class PatientAppOptions:
    token_ttl: float = DEFAULT_TOKEN_TTL
    refresh_ttl: float = DEFAULT_REFRESH_TTL
    token_secret: bytes
    minutes_per_patient: int = DEFAULT_MINUTES_PER_PATIENT

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, seed: int) -> PatientAppOptions:
        secret: str | None = args.token_secret
        return cls(
            token_ttl=args.token_ttl,
            refresh_ttl=args.refresh_ttl,
            token_secret=secret.encode() if secret else dev_secret("token", seed),
            minutes_per_patient=args.minutes_per_patient,
        )


def dev_secret(purpose: str, seed: int) -> bytes:
    """A development secret derived from the seed, so restarts keep tokens and signatures valid."""
    return hashlib.sha256(f"patient-app-mock:{purpose}:{seed}".encode()).digest()
