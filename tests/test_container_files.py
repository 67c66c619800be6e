"""The container path (Dockerfile, compose.yaml, .dockerignore) starts what `harness up` starts.

Docker is not needed: compose.yaml is read as YAML and the Dockerfile instruction by instruction,
and every expected value comes from the harness's own code: the topology `harness up` builds
(ports, seed), the arguments it gives each mock (`mock_arguments`) and toxiproxy
(`server_arguments`), the proxies it creates (`proxy_route`) and the pinned toxiproxy version.
A changed port, flag, seed or version fails here until the files follow it.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from ruamel.yaml import YAML

from harness.cli import build_parser
from harness.net import LOOPBACK_HOST, is_loopback
from harness.scenario.types import ServiceName
from harness.stack.topology import (
    MOCK_MODULE,
    ServicePorts,
    Topology,
    mock_arguments,
    proxy_route,
)
from harness.toxiproxy.install import PINNED_VERSION
from harness.toxiproxy.server import server_arguments

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

HARNESS_UP = Topology()
"""What `harness up` starts with no options (test_harness_up_starts_the_default_topology)."""
ALL_INTERFACES = "0.0.0.0"
"""Where a process listens inside its container: the stack's network and published ports."""
TOXIPROXY = "toxiproxy"
TOXIPROXY_HOST = "toxiproxy-host"  # the host-network profile, for TOXIPROXY_URL
TOXIPROXY_IMAGE = f"ghcr.io/shopify/toxiproxy:{PINNED_VERSION}"
PUBLISH_HOST_VARIABLE = "HARNESS_PUBLISH_HOST"
_INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::-(?P<default>[^}]*))?\}")


# -- reading the files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """One `HOST:PUBLISHED:TARGET` port of a compose service, its variables at their defaults."""

    host: str
    published: int
    target: int
    variables: tuple[str, ...]


def _compose() -> dict[str, Any]:
    # YAML 1.2 as Compose reads it; the safe loader resolves the file's anchors and `<<` merges.
    data: dict[str, Any] = YAML(typ="safe", pure=True).load(COMPOSE.read_text(encoding="utf-8"))
    return data


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = _compose()["services"][name]
    return service


def _published(service: dict[str, Any]) -> set[Published]:
    found = set()
    for raw in service.get("ports", []):
        assert isinstance(raw, str), f"write ports as HOST:PUBLISHED:TARGET strings, not {raw!r}"
        variables = tuple(m["name"] for m in _INTERPOLATION.finditer(raw))
        defaults = [m["default"] for m in _INTERPOLATION.finditer(raw)]
        assert None not in defaults, f"{raw!r}: every variable needs a default (${{NAME:-...}})"
        text = _INTERPOLATION.sub(lambda m: m["default"], raw)
        host, published, target = text.rsplit(":", 2)
        found.add(Published(host, int(published), int(target), variables))
    return found


def _loopback_ports(*ports: int) -> set[Published]:
    """Each port published on the same port of the host's loopback, unless the user names
    another address."""
    return {Published(LOOPBACK_HOST, p, p, (PUBLISH_HOST_VARIABLE,)) for p in ports}


def _mount_target(service: dict[str, Any], source: str) -> PurePosixPath:
    for volume in service["volumes"]:
        name, _, target = volume.partition(":")
        if name == source:
            return PurePosixPath(target.split(":")[0])
    raise AssertionError(f"no volume {source!r} mounted in {service}")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def words(self) -> list[str]:
        """The arguments in exec form (a JSON list) or shell form, as a list of words."""
        if self.arguments.startswith("["):
            words: list[str] = json.loads(self.arguments)
            return words
        return shlex.split(self.arguments)


def _dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, comments dropped and continued lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append(Instruction(keyword.upper(), arguments.strip()))
    return instructions


def _instructions(keyword: str) -> list[Instruction]:
    return [i for i in _dockerfile() if i.keyword == keyword]


def _run_lines() -> list[str]:
    return [line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines() if "RUN " in line]


def _build_inputs() -> set[str]:
    """What `pip install .` reads (pyproject.toml): the readme, the license files, the packages and
    the library the wheel carries (hatchling's force-include sources)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project, wheel = pyproject["project"], pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    return {
        "pyproject.toml",
        project["readme"],
        *project["license-files"],
        *wheel["packages"],
        *wheel["force-include"],
    }


# -- the premise ------------------------------------------------------------------------------


def test_harness_up_starts_the_default_topology() -> None:
    args = build_parser().parse_args(["up"])
    assert args.seed == HARNESS_UP.seed
    assert args.toxiproxy_port == HARNESS_UP.toxiproxy_port
    assert args.port == []  # every service on its default ports
    assert args.services.split(",") == [str(s.service) for s in HARNESS_UP.services]
    assert not args.tls


def test_compose_runs_toxiproxy_and_every_mock() -> None:
    services = _compose()["services"]
    assert set(services) == {TOXIPROXY, TOXIPROXY_HOST, *map(str, ServiceName)}


# -- toxiproxy --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [TOXIPROXY, TOXIPROXY_HOST])
def test_toxiproxy_is_the_pinned_official_image(name: str) -> None:
    assert _service(name)["image"] == TOXIPROXY_IMAGE


def test_toxiproxy_serves_its_api_on_the_harness_port_with_the_proxies_config() -> None:
    toxiproxy = _service(TOXIPROXY)
    (config,) = toxiproxy["configs"]
    expected = server_arguments(port=HARNESS_UP.toxiproxy_port, host=ALL_INTERFACES)
    assert toxiproxy["command"] == [*expected, "-config", config["target"]]


def test_toxiproxy_config_holds_the_proxies_harness_up_creates() -> None:
    compose = _compose()
    (config,) = _service(TOXIPROXY)["configs"]
    proxies = json.loads(compose["configs"][config["source"]]["content"])
    routes = [
        proxy_route(s, listen_host=ALL_INTERFACES, upstream_host=str(s.service))
        for s in HARNESS_UP.services
    ]
    assert proxies == [
        {"name": r.name, "listen": r.listen, "upstream": r.upstream, "enabled": True}
        for r in routes
    ]
    # Each upstream is reached by the name of the compose service that runs that mock.
    assert {p["upstream"].rsplit(":", 1)[0] for p in proxies} <= set(compose["services"])


def test_toxiproxy_publishes_its_api_and_every_proxy_on_loopback() -> None:
    ports = [HARNESS_UP.toxiproxy_port, *(s.proxy_port for s in HARNESS_UP.services)]
    assert _published(_service(TOXIPROXY)) == _loopback_ports(*ports)


def test_toxiproxy_healthcheck_asks_its_own_api() -> None:
    test = _service(TOXIPROXY)["healthcheck"]["test"]
    assert test[test.index("--host") + 1] == f"http://{LOOPBACK_HOST}:{HARNESS_UP.toxiproxy_port}"


def test_host_network_toxiproxy_is_the_server_the_harness_would_start() -> None:
    """On the host's network, with the flags the harness starts its own server with: what
    TOXIPROXY_URL=http://127.0.0.1:8474 `harness run` / `harness up` need."""
    service = _service(TOXIPROXY_HOST)
    assert service["profiles"]  # never part of a plain `docker compose up`
    assert service["network_mode"] == "host"
    assert service["command"] == server_arguments(port=HARNESS_UP.toxiproxy_port)
    assert "ports" not in service  # nothing to publish: it is on the host already


# -- the mocks --------------------------------------------------------------------------------


@pytest.mark.parametrize("ports", HARNESS_UP.services, ids=lambda p: str(p.service))
def test_mock_runs_with_the_arguments_harness_up_gives_it(ports: ServicePorts) -> None:
    mock = _service(str(ports.service))
    db_dir = _mount_target(mock, "mock-db")
    assert mock["command"] == mock_arguments(
        ports, seed=HARNESS_UP.seed, db_dir=db_dir, host=ALL_INTERFACES
    )
    assert "--allow-remote" in mock["command"]  # the mock refuses 0.0.0.0 without it


@pytest.mark.parametrize("ports", HARNESS_UP.services, ids=lambda p: str(p.service))
def test_mock_publishes_its_direct_port_on_loopback(ports: ServicePorts) -> None:
    assert _published(_service(str(ports.service))) == _loopback_ports(ports.mock_port)


@pytest.mark.parametrize("ports", HARNESS_UP.services, ids=lambda p: str(p.service))
def test_mock_healthcheck_asks_what_harness_up_waits_for(ports: ServicePorts) -> None:
    assert _service(str(ports.service))["healthcheck"]["test"][-1] == ports.health_url


def test_the_mocks_share_one_image_built_from_the_dockerfile() -> None:
    mocks = [_service(str(s.service)) for s in HARNESS_UP.services]
    assert len({m["image"] for m in mocks}) == 1
    for mock in mocks:
        build = mock["build"]
        context = build if isinstance(build, str) else build["context"]
        dockerfile = "Dockerfile" if isinstance(build, str) else build["dockerfile"]
        assert (COMPOSE.parent / context / dockerfile).resolve() == DOCKERFILE


def test_every_published_port_is_on_loopback_unless_a_user_names_a_host() -> None:
    for name, service in _compose()["services"].items():
        for port in _published(service):
            assert is_loopback(port.host), f"{name} publishes {port} beyond loopback"
            assert port.variables == (PUBLISH_HOST_VARIABLE,), f"{name}: {port}"


# -- the image --------------------------------------------------------------------------------


def test_image_is_python_slim_of_a_version_the_project_supports() -> None:
    (base,) = _instructions("FROM")
    match = re.fullmatch(r"python:(\d+)\.(\d+)-slim", base.arguments)
    assert match, base
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lowest = re.fullmatch(r">=(\d+)\.(\d+)", pyproject["project"]["requires-python"])
    assert lowest, "requires-python is no longer >=X.Y: update this check"
    assert (int(match[1]), int(match[2])) >= (int(lowest[1]), int(lowest[2]))


def test_image_installs_the_project_and_starts_a_mock() -> None:
    (entrypoint,) = _instructions("ENTRYPOINT")
    assert entrypoint.words() == ["python", "-m", MOCK_MODULE]
    assert any("pip install" in run.arguments for run in _instructions("RUN"))


def test_image_exposes_the_mock_ports() -> None:
    (expose,) = _instructions("EXPOSE")
    assert sorted(map(int, expose.words())) == sorted(s.mock_port for s in HARNESS_UP.services)


def test_image_copies_what_pip_install_needs_and_the_build_context_holds_only_that() -> None:
    copied = {word for copy in _instructions("COPY") for word in copy.words()[:-1]}
    # ...and the exact versions it installs them at, as `make install` does.
    assert copied == {*_build_inputs(), "constraints.txt"}
    assert any("pip install -c /src/constraints.txt" in run for run in _run_lines())
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"  # everything out, then back in only what the image copies
    assert {line[1:] for line in lines if line.startswith("!")} == copied
