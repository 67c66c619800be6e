"""The plugin's settings: each from the command line, else the environment, else the ini file.

    option                  environment           ini key               default
    --harness-seed          HARNESS_SEED          harness_seed          1
    --harness-services      HARNESS_SERVICES      harness_services      bpjs,erm,patient-app
    --harness-client        HARNESS_CLIENT        harness_client        (the scenario's own)
    --harness-report-dir    HARNESS_REPORT_DIR    harness_report_dir    reports
    --harness-time-scale    HARNESS_TIME_SCALE    harness_time_scale    (the scenario's own)
    --harness-allow-host    HARNESS_ALLOW_HOSTS   harness_allow_hosts   (none: loopback only)
    --harness-tls           HARNESS_TLS           harness_tls           false (the mocks speak HTTP)
    --harness-inconclusive  HARNESS_INCONCLUSIVE  harness_inconclusive  error (the test fails)

--harness-inconclusive is what an INCONCLUSIVE scenario run (no check failed, one had too little
evidence to pass) makes of its @pytest.mark.scenario test: error or fail, the test fails saying
so and how much evidence was missing (the journal's exit code is 4 or 1); pass, the test passes
with an InconclusiveWarning (exit code 0), the pipeline's choice as `harness run --inconclusive`.

The environment beats the ini file because a CI job sets variables per job while the ini file is
shared by every job; the command line beats both because it is what a person just typed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

import pytest

from harness.results.checks import InconclusivePolicy
from harness.scenario.types import ServiceName

T = TypeVar("T")

GROUP: Final = "harness resilience"


@dataclass(frozen=True)
class _Setting:
    name: str  # the option without its leading dashes, and (with _ for -) the ini key
    env: str
    help: str
    multiple: bool = False  # a repeatable option, a comma list in the environment and ini file
    flag: bool = False  # an option without a value (it means "true"); true/false elsewhere
    ini_key: str = ""  # default: the option's name with underscores

    @property
    def option(self) -> str:
        return f"--{self.name}"

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def ini(self) -> str:
        return self.ini_key or self.dest


_SETTINGS: Final = (
    _Setting("harness-seed", "HARNESS_SEED", "dataset seed of the session stack (default 1)"),
    _Setting(
        "harness-services",
        "HARNESS_SERVICES",
        "comma list of the mocks the session stack starts (default: bpjs,erm,patient-app)",
    ),
    _Setting(
        "harness-client",
        "HARNESS_CLIENT",
        "client definition file for @pytest.mark.scenario tests (default: the scenario's own)",
    ),
    _Setting(
        "harness-report-dir",
        "HARNESS_REPORT_DIR",
        "where @pytest.mark.scenario runs write their reports (default: reports)",
    ),
    _Setting(
        "harness-time-scale",
        "HARNESS_TIME_SCALE",
        "time scale for @pytest.mark.scenario runs (default: the scenario's own)",
    ),
    _Setting(
        "harness-allow-host",
        "HARNESS_ALLOW_HOSTS",
        "a non-loopback host a scenario's client may target (repeatable; default: none)",
        multiple=True,
        ini_key="harness_allow_hosts",
    ),
    _Setting(
        "harness-tls",
        "HARNESS_TLS",
        "serve the session stack's mocks over HTTPS with a CA made for the session "
        "(harness_stack.ca_bundle; default: plain HTTP)",
        flag=True,
    ),
    _Setting(
        "harness-inconclusive",
        "HARNESS_INCONCLUSIVE",
        "what an inconclusive @pytest.mark.scenario run makes of its test: error or fail, the "
        "test fails; pass, it passes with a warning (default: error)",
    ),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", GROUP)
    for setting in _SETTINGS:
        if setting.flag:
            group.addoption(
                setting.option,
                dest=setting.dest,
                action="store_const",
                const="true",
                default=None,
                help=f"{setting.help}; env {setting.env}=true, ini {setting.ini} = true",
            )
        else:
            group.addoption(
                setting.option,
                dest=setting.dest,
                action="append" if setting.multiple else "store",
                default=None,
                metavar="HOST" if setting.multiple else "VALUE",
                help=f"{setting.help}; env {setting.env}, ini {setting.ini}",
            )
        parser.addini(
            setting.ini,
            help=f"{setting.help} (overridden by {setting.env} and {setting.option})",
            type="string",
        )


@dataclass(frozen=True, kw_only=True)
class PluginSettings:
    seed: int = 1
    services: tuple[ServiceName, ...] = tuple(ServiceName)
    client: Path | None = None
    report_dir: Path = Path("reports")
    time_scale: float | None = None
    allowed_hosts: tuple[str, ...] = ()
    tls: bool = False
    inconclusive: InconclusivePolicy = InconclusivePolicy.ERROR


def read_settings(config: pytest.Config, env: Mapping[str, str] = os.environ) -> PluginSettings:
    """The settings in force; a bad value is a pytest.UsageError naming where it came from."""
    raw = {setting.dest: _raw(config, setting, env) for setting in _SETTINGS}
    root = config.rootpath

    def path(value: str) -> Path:
        return root / value  # absolute stays absolute: `/` keeps the right-hand side

    return PluginSettings(
        seed=_parsed(raw["harness_seed"], _seed, 1),
        services=_parsed(raw["harness_services"], _services, tuple(ServiceName)),
        client=_parsed(raw["harness_client"], path, None),
        report_dir=_parsed(raw["harness_report_dir"], path, root / "reports"),
        time_scale=_parsed(raw["harness_time_scale"], _time_scale, None),
        allowed_hosts=_parsed(raw["harness_allow_host"], _hosts, ()),
        tls=_parsed(raw["harness_tls"], _yes_no, False),
        inconclusive=_parsed(raw["harness_inconclusive"], _policy, InconclusivePolicy.ERROR),
    )


_Raw = tuple[str, str] | None  # (value, where it came from)


def _raw(config: pytest.Config, setting: _Setting, env: Mapping[str, str]) -> _Raw:
    given = config.getoption(setting.dest)
    if given is not None:
        return (",".join(given) if setting.multiple else str(given), setting.option)
    if env.get(setting.env, "").strip():
        return env[setting.env].strip(), f"the environment variable {setting.env}"
    ini = str(config.getini(setting.ini)).strip()
    if ini:
        return ini, f"the ini key {setting.ini}"
    return None


def _parsed(raw: _Raw, parse: Callable[[str], T], default: T) -> T:
    if raw is None:
        return default
    value, where = raw
    try:
        return parse(value)
    except ValueError as exc:
        raise pytest.UsageError(f"harness: {where}={value!r}: {exc}") from None


def _seed(value: str) -> int:
    try:
        seed = int(value)
    except ValueError:
        raise ValueError("the seed is a whole number, e.g. 1") from None
    if seed < 0:
        raise ValueError("the seed is a whole number >= 0")
    return seed


def _services(value: str) -> tuple[ServiceName, ...]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    known = ", ".join(ServiceName)
    chosen: list[ServiceName] = []
    for name in names:
        try:
            service = ServiceName(name)
        except ValueError:
            raise ValueError(f"unknown service {name!r}; choose from: {known}") from None
        if service not in chosen:
            chosen.append(service)
    if not chosen:
        raise ValueError(f"name at least one service of: {known}")
    return tuple(chosen)


def _time_scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        raise ValueError(
            "the time scale is a number, e.g. 60 (one minute of incident a second)"
        ) from None
    if not scale > 0:
        raise ValueError("the time scale must be above 0")
    return scale


_YES: Final = ("true", "yes", "on", "1")
_NO: Final = ("false", "no", "off", "0")


def _yes_no(value: str) -> bool:
    word = value.strip().lower()
    if word not in _YES + _NO:
        raise ValueError(f"write true or false (or {', '.join(_YES[1:] + _NO[1:])})")
    return word in _YES


def _policy(value: str) -> InconclusivePolicy:
    try:
        return InconclusivePolicy(value.strip().lower())
    except ValueError:
        raise ValueError(f"choose one of: {', '.join(InconclusivePolicy)}") from None


def _hosts(value: str) -> tuple[str, ...]:
    return tuple(host.strip() for host in value.split(",") if host.strip())
