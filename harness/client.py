"""The client under test: how the harness starts it, wires it to the proxies and talks to it.

A client file (examples/clients/*.yaml) or a scenario's inline `client:` holds a ClientDefinition:

    name: resilient
    command: [python, -m, examples.resilient, --port, "{port}"]   # absent: already running
    env:                                  # the client's own variable names, templated
      BPJS_BASE_URL: "{bpjs_url}/vclaim-rest"
      ERM_URL: "{erm_url}"
    base_url: "http://127.0.0.1:{port}"   # where the load sends patients
    readiness: {path: /health, timeout: 30s}
    degraded_marker: {header: X-Served-From, value: cache}
    locustfile: load.py                   # optional; relative to this file

Placeholders (see TEMPLATE_NAMES) are filled in per run with the proxies' URLs, the client's port,
a work directory, the mocks' development credentials and, when the mocks serve HTTPS
(`stack.tls`), the CA certificate to trust (`{ca_bundle}`, a PEM file; empty without TLS). The
base URL must be on loopback unless the user allows its host explicitly at run time
(`check_target`, harness.net).
"""

from __future__ import annotations

import difflib
import os
import shlex
import string
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, model_validator

from harness.durations import parse_duration
from harness.errors import UnsafeTargetError
from harness.net import require_loopback
from harness.yamlmodel import InvalidFileError, Located, problems_at, read_yaml, validate_data


class TemplateName(StrEnum):
    """Placeholders a client's command, environment and base URL may use."""

    BPJS_URL = "bpjs_url"
    ERM_URL = "erm_url"
    PATIENT_APP_URL = "patient_app_url"
    HOST = "host"
    PORT = "port"
    BASE_URL = "base_url"
    WORK_DIR = "work_dir"
    SEED = "seed"
    CA_BUNDLE = "ca_bundle"
    BPJS_CONS_ID = "bpjs_cons_id"
    BPJS_SECRET = "bpjs_secret"
    BPJS_USER_KEY = "bpjs_user_key"
    ERM_CLIENT_ID = "erm_client_id"
    ERM_CLIENT_SECRET = "erm_client_secret"


TEMPLATE_NAMES: Final[tuple[str, ...]] = tuple(name.value for name in TemplateName)


def template_fields(text: str) -> list[str]:
    """The placeholder names in `text`; ValueError for malformed braces or unknown names."""
    try:
        names = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}; write a literal brace as {{{{ or }}}}") from None
    for name in names:
        if name not in TEMPLATE_NAMES:
            close = difflib.get_close_matches(name, TEMPLATE_NAMES, n=1)
            hint = f"did you mean {{{close[0]}}}? " if close else ""
            raise ValueError(
                f"unknown placeholder {{{name}}} in {text!r}; {hint}"
                f"allowed: {', '.join('{' + n + '}' for n in TEMPLATE_NAMES)}"
            )
    return names


def _check_template(text: str) -> str:
    template_fields(text)
    return text


def render(text: str, values: Mapping[str, str]) -> str:
    """`text` with its placeholders filled from `values` (keys: TEMPLATE_NAMES)."""
    return text.format_map(dict(values))


Template = Annotated[
    str, BeforeValidator(lambda v: _check_template(v) if isinstance(v, str) else v)
]
Seconds = Annotated[
    float, BeforeValidator(parse_duration, json_schema_input_type=str | float), Field(gt=0)
]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
UrlPath = Annotated[str, Field(pattern=r"^/")]


def _split_command(value: Any) -> Any:
    if isinstance(value, str):
        return shlex.split(value)
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Readiness(_Strict):
    """How the harness knows the client is up: GET base_url + path answers below 500."""

    path: UrlPath = Field(
        default="/health", description="GET base_url + path must answer below 500"
    )
    timeout: Seconds = Field(default=30.0, description="how long to wait for it")


class DegradedMarker(_Strict):
    """What marks a response as served in degraded mode (from a cache, an outbox, pending).

    Exactly one of `header` (a response header name) or `json_field` (a dotted path into the JSON
    body, e.g. "meta.source"). With `value`, the header or field must equal it; without, its
    presence is enough (a JSON field must also not be null or false).
    """

    header: str | None = Field(
        default=None, description="a response header that marks degraded answers"
    )
    json_field: str | None = Field(
        default=None, description="a dotted path into the JSON body, e.g. meta.source"
    )
    value: str | None = Field(
        default=None, description="the value it must have; absent: presence is enough"
    )

    @model_validator(mode="after")
    def _one_source(self) -> DegradedMarker:
        if (self.header is None) == (self.json_field is None):
            raise ValueError("give exactly one of header or json_field")
        return self

    def matches(self, headers: Mapping[str, str], body: JsonValue | None) -> bool:
        """True if a response with these headers and parsed JSON body is marked degraded."""
        if self.header is not None:
            wanted = self.header.lower()
            found = next((v for k, v in headers.items() if k.lower() == wanted), None)
            return found is not None and (self.value is None or found == self.value)
        current: JsonValue | None = body
        for part in (self.json_field or "").split("."):
            if not isinstance(current, dict) or part not in current:
                return False
            current = current[part]
        if self.value is None:
            return current is not None and current is not False
        return (
            str(current).lower() == self.value.lower()
            if isinstance(current, bool)
            else (str(current) == self.value)
        )


class ClientDefinition(_Strict):
    """A client under test; see the module docstring for a worked example."""

    name: Annotated[str, Field(min_length=1)] = Field(description="the client's name in reports")
    description: str = Field(default="", description="what this client is")
    command: Annotated[
        tuple[Template, ...] | None,
        BeforeValidator(_split_command, json_schema_input_type=list[str] | str | None),
    ] = Field(
        default=None,
        description="argv to start it (a string is split like a shell); absent: running",
    )
    cwd: str | None = Field(
        default=None,
        description="working directory, relative to the client file",
    )
    env: dict[EnvName, Template] = Field(
        default_factory=dict,
        description="the client's own variable names to templates with placeholders",
    )
    port: Annotated[int, Field(ge=1, le=65_535)] | None = Field(
        default=None,
        description="port it listens on; absent: the harness picks a free one ({port})",
    )
    base_url: Template = Field(
        default="http://127.0.0.1:{port}",
        description="where the load sends patients; loopback unless --allow-host names the host",
    )
    readiness: Readiness = Field(default=Readiness(), description="how the harness knows it is up")
    liveness_path: UrlPath | None = Field(
        default=None,
        description="probed during the run to see the client alive; default: readiness",
    )
    degraded_marker: DegradedMarker | None = Field(
        default=None, description="what marks an answer as served degraded; absent: none is"
    )
    locustfile: str | None = Field(
        default=None, description="the client's own locustfile, relative to the client file"
    )

    @model_validator(mode="after")
    def _port_known(self) -> ClientDefinition:
        if self.command is None and self.port is None and "port" in template_fields(self.base_url):
            raise ValueError(
                "a client the harness does not start needs a known address: give `port` "
                "or a literal base_url such as http://127.0.0.1:8080"
            )
        return self

    @property
    def probe_path(self) -> str:
        return self.liveness_path or self.readiness.path

    def target_issues(self, *, allowed_hosts: tuple[str, ...] = ()) -> list[Located]:
        """Problems with where the load would go: a non-loopback base URL not explicitly allowed."""
        sample = {name: "0" for name in TEMPLATE_NAMES} | {"host": "127.0.0.1", "port": "1"}
        url = render(self.base_url, sample)
        try:
            require_loopback(url, allowed_hosts=allowed_hosts)
        except UnsafeTargetError as exc:  # its message says how to allow the host
            return [Located(loc=("base_url",), message=str(exc))]
        return []


def load_client(
    path: str | os.PathLike[str], *, allowed_hosts: tuple[str, ...] = ()
) -> ClientDefinition:
    """The client file at `path`, validated; InvalidFileError (exit 2) naming line and field.

    Its relative `cwd`, `command` and `locustfile` start from the file's directory when
    `harness.run` is given the path, and from the working directory when given this definition.
    """
    path = Path(path)
    data, node = read_yaml(path)
    client = validate_data(ClientDefinition, data, node=node, path=path)
    issues = client.target_issues(allowed_hosts=allowed_hosts)
    if issues:
        raise InvalidFileError(problems_at(issues, node=node, path=path))
    return client


__all__ = [
    "TEMPLATE_NAMES",
    "ClientDefinition",
    "DegradedMarker",
    "Readiness",
    "TemplateName",
    "load_client",
    "render",
    "template_fields",
]
