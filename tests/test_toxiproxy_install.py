"""`harness toxiproxy install`: every way of providing the server, and the message when none works.

The release-download path is exercised against a fake release (a stand-in binary that only prints
its version, and a checksums file computed from it) served by a real HTTP server on loopback;
the go-install path runs the real `go install`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from harness.errors import ExitCode
from harness.net import free_port
from harness.process import ProcessSpec, Supervisor, http_ready
from harness.toxiproxy.adapter import ToxiproxyClient
from harness.toxiproxy.errors import ToxiproxyMissingError, ToxiproxyUnavailableError
from harness.toxiproxy.install import (
    CLI_NAME,
    PINNED_VERSION,
    SERVER_NAME,
    Provision,
    Source,
    binary_version,
    install,
    locate,
)
from harness.toxiproxy.release import ReleaseError, parse_checksums, platform_suffix

pytestmark = pytest.mark.integration

ServeRelease = Callable[[Mapping[str, bytes]], str]


def fake_binary(program: str, version: str = PINNED_VERSION) -> bytes:
    return f'#!/bin/sh\necho "{program} version {version}"\n'.encode()


def checksums(files: Mapping[str, bytes]) -> bytes:
    lines = [f"{hashlib.sha256(content).hexdigest()}  {name}" for name, content in files.items()]
    return ("\n".join(lines) + "\n").encode()


def release_files() -> dict[str, str]:
    suffix = platform_suffix()
    return {
        "server": f"{SERVER_NAME}-{suffix}",
        "cli": f"{CLI_NAME}-{suffix}",
    }


@pytest.fixture
def no_tools(tmp_path: Path) -> dict[str, str]:
    """An environment with no Go and no toxiproxy on PATH."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    return {"PATH": str(empty)}


@pytest.fixture
def serve_release(supervisor: Supervisor, tmp_path: Path) -> ServeRelease:
    """Serve files as release v2.12.0 from a real `python -m http.server` on loopback."""

    def serve(files: Mapping[str, bytes]) -> str:
        root = tmp_path / "release"
        (root / f"v{PINNED_VERSION}").mkdir(parents=True)
        for name, content in files.items():
            (root / f"v{PINNED_VERSION}" / name).write_bytes(content)
        port = free_port()
        argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
        supervisor.start(
            ProcessSpec(
                name="fake-release",
                argv=[*argv, "--directory", str(root)],
                ready=http_ready(f"http://127.0.0.1:{port}/"),
            )
        )
        return f"http://127.0.0.1:{port}"

    return serve


def a_good_release() -> dict[str, bytes]:
    names = release_files()
    binaries = {names["server"]: fake_binary(SERVER_NAME), names["cli"]: fake_binary(CLI_NAME)}
    return {**binaries, "checksums.txt": checksums(binaries)}


def test_release_binaries_are_installed_after_their_checksum_matched(
    serve_release: ServeRelease, no_tools: dict[str, str], tmp_path: Path
) -> None:
    files = a_good_release()
    url = serve_release(files)
    bin_dir = tmp_path / "bin"
    provision = install(env=no_tools, bin_dir=bin_dir, release_base_url=url)
    assert provision.source is Source.RELEASE_DOWNLOAD
    assert provision.version == PINNED_VERSION
    assert provision.server == bin_dir / SERVER_NAME
    names = release_files()
    assert (bin_dir / SERVER_NAME).read_bytes() == files[names["server"]]
    assert (bin_dir / CLI_NAME).read_bytes() == files[names["cli"]]
    assert (bin_dir / SERVER_NAME).stat().st_mode & stat.S_IXUSR


def test_install_is_idempotent(
    serve_release: ServeRelease, no_tools: dict[str, str], tmp_path: Path, supervisor: Supervisor
) -> None:
    bin_dir = tmp_path / "bin"
    install(env=no_tools, bin_dir=bin_dir, release_base_url=serve_release(a_good_release()))
    before = (bin_dir / SERVER_NAME).stat()
    supervisor.stop_all()  # no release server any more: a second install must not need one
    again = install(env=no_tools, bin_dir=bin_dir, release_base_url="http://127.0.0.1:9")
    assert again.source is Source.ALREADY_INSTALLED
    after = (bin_dir / SERVER_NAME).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_checksum_mismatch_installs_nothing(
    serve_release: ServeRelease, no_tools: dict[str, str], tmp_path: Path
) -> None:
    files = a_good_release()
    names = release_files()
    published = checksums({names["server"]: b"the real one", names["cli"]: files[names["cli"]]})
    url = serve_release({**files, "checksums.txt": published})
    bin_dir = tmp_path / "bin"
    with pytest.raises(ToxiproxyMissingError) as caught:
        install(env=no_tools, bin_dir=bin_dir, release_base_url=url)
    message = str(caught.value)
    assert f"{names['server']} downloaded from {url}/v{PINNED_VERSION} has SHA-256" in message
    assert "refusing to install it" in message
    assert not (bin_dir / SERVER_NAME).exists()
    assert not (bin_dir / CLI_NAME).exists()


def test_a_binary_missing_from_the_checksums_installs_nothing(
    serve_release: ServeRelease, no_tools: dict[str, str], tmp_path: Path
) -> None:
    files = a_good_release()
    names = release_files()
    only_server = checksums({names["server"]: files[names["server"]]})
    url = serve_release({**files, "checksums.txt": only_server})
    bin_dir = tmp_path / "bin"
    with pytest.raises(ToxiproxyMissingError, match=f"no entry for {names['cli']}"):
        install(env=no_tools, bin_dir=bin_dir, release_base_url=url)
    assert list(bin_dir.glob("toxiproxy-*")) == []


def test_when_nothing_works_one_message_lists_every_way(
    no_tools: dict[str, str], tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ToxiproxyMissingError) as caught:
        install(env=no_tools, bin_dir=tmp_path / "bin", release_base_url=dead)
    message = str(caught.value)
    assert "\n" not in message
    for way in ("Go is not on PATH", "install Go", "TOXIPROXY_SERVER=", "TOXIPROXY_URL=", "PATH"):
        assert way in message
    assert caught.value.exit_code is ExitCode.INFRASTRUCTURE


def test_the_command_exits_3_with_one_line_and_no_traceback(
    no_tools: dict[str, str], tmp_path: Path
) -> None:
    env = {**no_tools, "TOXIPROXY_RELEASE_URL": f"http://127.0.0.1:{free_port()}"}
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "toxiproxy", "install", "--bin-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == ExitCode.INFRASTRUCTURE
    assert done.stderr.startswith("harness: error: could not provide toxiproxy-server 2.12.0")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_an_explicit_binary_is_used_as_is(tmp_path: Path, toxiproxy_binary: Provision) -> None:
    real = toxiproxy_binary.server
    assert real is not None
    found = locate(env={"PATH": "", "TOXIPROXY_SERVER": str(real)}, bin_dir=tmp_path)
    assert found is not None
    assert (found.source, found.server, found.version) == (
        Source.EXPLICIT_BINARY,
        real,
        PINNED_VERSION,
    )
    with pytest.raises(ToxiproxyMissingError, match="TOXIPROXY_SERVER=/nowhere/toxiproxy-server"):
        locate(env={"TOXIPROXY_SERVER": "/nowhere/toxiproxy-server"}, bin_dir=tmp_path)


def test_a_server_on_path_is_used_as_is(tmp_path: Path, toxiproxy_binary: Provision) -> None:
    real = toxiproxy_binary.server
    assert real is not None
    on_path = tmp_path / "somewhere"
    on_path.mkdir()
    (on_path / SERVER_NAME).symlink_to(real)
    found = locate(env={"PATH": str(on_path)}, bin_dir=tmp_path / "bin")
    assert found is not None
    assert (found.source, found.server) == (Source.PATH, on_path / SERVER_NAME)


def test_a_running_server_is_used_as_is(toxiproxy: ToxiproxyClient, tmp_path: Path) -> None:
    provision = install(env={"TOXIPROXY_URL": toxiproxy.url}, bin_dir=tmp_path)
    assert (provision.source, provision.url, provision.version) == (
        Source.RUNNING_SERVER,
        toxiproxy.url,
        PINNED_VERSION,
    )
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ToxiproxyUnavailableError, match="cannot reach toxiproxy"):
        install(env={"TOXIPROXY_URL": f"http://127.0.0.1:{free_port()}"}, bin_dir=tmp_path)


def test_go_install_builds_the_pinned_version_with_the_version_stamped(tmp_path: Path) -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed here; the release-download tests cover this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in (SERVER_NAME, CLI_NAME):  # an older install must be replaced
        (bin_dir / program).write_bytes(fake_binary(program, "2.11.0"))
        (bin_dir / program).chmod(0o755)
    # Go's own environment (module cache, proxy), but no toxiproxy on PATH.
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOXIPROXY")}
    env["PATH"] = str(Path(go).parent)
    provision = install(env=env, bin_dir=bin_dir)
    assert provision.source is Source.GO_INSTALL
    assert binary_version(bin_dir / SERVER_NAME) == PINNED_VERSION
    assert binary_version(bin_dir / CLI_NAME) == PINNED_VERSION
    assert sorted(p.name for p in bin_dir.iterdir()) == [CLI_NAME, SERVER_NAME]


def test_platform_names_and_checksum_parsing() -> None:
    assert platform_suffix(system="Linux", machine="x86_64") == "linux-amd64"
    assert platform_suffix(system="Darwin", machine="arm64") == "darwin-arm64"
    assert platform_suffix(system="Linux", machine="armv7l") == "linux-armv7"
    with pytest.raises(ReleaseError, match="no release binary for Plan9"):
        platform_suffix(system="Plan9", machine="x86_64")
    digest = "a" * 64
    text = f"{digest}  toxiproxy-server-linux-amd64\n{digest} *toxiproxy-cli-linux-amd64\nbad\n"
    assert parse_checksums(text) == {
        "toxiproxy-server-linux-amd64": digest,
        "toxiproxy-cli-linux-amd64": digest,
    }
