"""The three builds and the settings they read from the environment.

Upstream URLs and credentials come from environment variables, because the harness templates them
from its proxy URLs (examples/clients/*.yaml):

    BPJS_URL            base of the BPJS service; the client appends /vclaim-rest and /antreanrs
    ERM_URL             base of the ERM (OAuth2 at /oauth2/v1/accesstoken, visits at /api/v1)
    PATIENT_APP_URL     base of the patient-app backend (/api/v1)
    BPJS_CONS_ID, BPJS_SECRET, BPJS_USER_KEY, ERM_CLIENT_ID, ERM_CLIENT_SECRET
                        credentials; default: the mocks' documented development values
    CLIENT_DB           resilient build: SQLite file for its cache and outbox (default: a temp file)
    CA_BUNDLE           a PEM file of the CA(s) to trust for https:// upstreams, e.g. the harness's
                        {ca_bundle}; empty or unset: the system's trust store
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from examples.bpjs_client import Credentials as BpjsCredentials

# The mocks' development credentials (service_contract/credentials.py), written out: this client
# stands alone, as a hospital's own would, and imports nothing of the harness or the mocks.
DEV_BPJS_CONS_ID = "1000"
DEV_BPJS_SECRET = "mock-secret"
DEV_BPJS_USER_KEY = "mock-user-key"
DEV_ERM_CLIENT_ID = "erm-dev-client"
DEV_ERM_CLIENT_SECRET = "erm-dev-secret"

VCLAIM_PATH = "/vclaim-rest"
ANTREAN_PATH = "/antreanrs"


class Build(StrEnum):
    """naive: no timeouts, retries, cache or outbox. resilient: all of them. lenient: timeouts
    only, and failed or drifted reads shown as normal (empty) answers (see builds.py)."""

    NAIVE = "naive"
    RESILIENT = "resilient"
    LENIENT = "lenient"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    build: Build
    bpjs_url: str
    erm_url: str
    patient_app_url: str
    bpjs: BpjsCredentials
    erm_client_id: str
    erm_client_secret: str
    db_path: Path | None  # None: a temporary file, removed at shutdown
    ca_bundle: Path | None = None  # None: https:// upstreams are verified with the system's CAs
    replay_interval: float = 1.0  # seconds between outbox replay / verification rounds


def _url(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(
            f"{name} is not set: give the upstream's base URL, e.g. {name}=http://127.0.0.1:18201"
        )
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name}={value!r} is not an http(s) URL, e.g. http://127.0.0.1:18201")
    return value.rstrip("/")


def _ca_bundle(env: Mapping[str, str]) -> Path | None:
    value = env.get("CA_BUNDLE", "").strip()
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise ConfigError(
            f"CA_BUNDLE={value!r} is not a file: give the PEM file of the CA to trust, or leave "
            "it empty for the system's trust store"
        )
    return path


def settings_from_env(
    build: Build, env: Mapping[str, str] | None = None, *, replay_interval: float = 1.0
) -> Settings:
    """Settings for `build` from `env` (default: os.environ); ConfigError names what is wrong."""
    env = os.environ if env is None else env
    db = env.get("CLIENT_DB", "").strip()
    return Settings(
        ca_bundle=_ca_bundle(env),
        build=build,
        bpjs_url=_url(env, "BPJS_URL"),
        erm_url=_url(env, "ERM_URL"),
        patient_app_url=_url(env, "PATIENT_APP_URL"),
        bpjs=BpjsCredentials(
            cons_id=env.get("BPJS_CONS_ID") or DEV_BPJS_CONS_ID,
            secret=env.get("BPJS_SECRET") or DEV_BPJS_SECRET,
            user_key=env.get("BPJS_USER_KEY") or DEV_BPJS_USER_KEY,
        ),
        erm_client_id=env.get("ERM_CLIENT_ID") or DEV_ERM_CLIENT_ID,
        erm_client_secret=env.get("ERM_CLIENT_SECRET") or DEV_ERM_CLIENT_SECRET,
        db_path=Path(db) if db else None,
        replay_interval=replay_interval,
    )
