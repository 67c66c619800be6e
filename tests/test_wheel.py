"""The wheel, installed into a fresh virtualenv, replays a built-in scenario from an empty folder.

As a team adopting the harness would: `pip install health-resilience-harness`, then `harness list`
and `harness run NAME --client NAME` from their own folder, with no checkout anywhere. The wheel is
built from this tree (`python -m build --wheel --no-isolation`) and installed without its
dependencies into a new virtualenv, which borrows them from the test's own environment through a
.pth file (a directory on sys.path, so the checkout's editable-install hook in it is never run).
Toxiproxy is found where a user keeps tools, the per-user cache folder. About a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.toxiproxy.install import CLI_NAME, PINNED_VERSION, SERVER_NAME, locate

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Installed:
    venv: Path
    wheel: Path
    home: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(base / "dist"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "warning" not in (built.stdout + built.stderr).lower(), built.stdout + built.stderr
    (wheel,) = (base / "dist").glob("*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "borrowed-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    subprocess.run([*pip, "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300)
    # Toxiproxy as `harness toxiproxy install` leaves it for a user: in the per-user cache.
    home = base / "home"
    tools = home / ".cache" / "health-resilience-harness" / "bin"
    tools.mkdir(parents=True)
    provision = locate()
    assert provision is not None, "run `make toxiproxy` first"
    assert provision.server is not None, "TOXIPROXY_URL is set: this test needs the binary"
    shutil.copy2(provision.server, tools / SERVER_NAME)
    if provision.cli is not None:
        shutil.copy2(provision.cli, tools / CLI_NAME)
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env |= {"HOME": str(home), "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    return Installed(venv=venv, wheel=wheel, home=home, env=env)


def test_the_wheel_carries_the_library_license_and_metadata(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = next(wheel.read(n) for n in names if n.endswith(".dist-info/METADATA"))
    library = "harness/library/"
    for scenario in ROOT.joinpath("scenarios").rglob("*.yaml"):
        assert library + scenario.relative_to(ROOT).as_posix() in names
    for shipped in (
        "examples/ci/github-actions.yml",
        "examples/clients/resilient.yaml",
        "examples/reference_client/__main__.py",
        "examples/bpjs_client.py",
        "docs/incidents/incident-1.md",
    ):
        assert library + shipped in names
    assert {
        "harness/schemas/scenario.schema.json",
        "harness/schemas/journal.schema.json",
        "harness/scaffold/templates/locustfile.py",
    } <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    text = metadata.decode()
    assert "License-Expression: MIT" in text
    assert "Classifier: Framework :: Pytest" in text
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_from_an_empty_folder_the_installed_harness_lists_and_replays_the_library(
    installed: Installed, tmp_path: Path
) -> None:
    where = installed.run("python", "-c", "import harness; print(harness.__file__)", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.venv), "not the wheel's harness"

    version = installed.run("harness", "--version", cwd=tmp_path)
    assert version.stdout.split() == [
        "harness",
        _wheel_version(installed.wheel),
        "(toxiproxy",
        f"{PINNED_VERSION})",
    ]

    tools = installed.run("harness", "toxiproxy", "install", cwd=tmp_path)
    assert tools.returncode == 0, tools.stderr
    assert str(installed.home / ".cache" / "health-resilience-harness" / "bin") in tools.stdout

    listed = installed.run("harness", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert {"bpjs-outage", "incident-2-erm-down", "block-latency-spike"} <= set(rows)
    assert Path(rows["bpjs-outage"]["path"]).is_relative_to(installed.venv)

    # A team's own repository, scaffolded from the wheel's templates and pipelines, validates.
    team = tmp_path / "team"
    scaffolded = installed.run("harness", "init", str(team), cwd=tmp_path)
    assert scaffolded.returncode == 0, scaffolded.stderr
    checked = installed.run(
        "harness",
        "validate",
        "resilience/scenarios",
        "--client",
        "resilience/client.yaml",
        cwd=team,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "warning" not in checked.stdout
    workflow = (team / ".github/workflows/resilience.yml").read_text(encoding="utf-8")
    assert f'HARNESS_VERSION: "{_wheel_version(installed.wheel)}"' in workflow
    shutil.rmtree(team)

    # A built-in block by its short name, against the built-in resilient reference client, which
    # runs from the wheel's library too.
    done = installed.run(
        "harness",
        "run",
        "latency-spike",
        "--client",
        "resilient",
        "--report-dir",
        "reports",
        "--inconclusive",
        "pass",
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (journal_path,) = tmp_path.glob("reports/*/journal.json")
    journal = json.loads(journal_path.read_text(encoding="utf-8"))
    assert [c["id"] for c in journal["checks"] if c["status"] == "fail"] == []
    assert Path(journal["scenario_path"]).is_relative_to(installed.venv)
    assert journal["versions"]["harness"] == _wheel_version(installed.wheel)
    # Nothing else is left in the user's folder (.state: the run's pid files, for the reaper).
    assert {p.name for p in tmp_path.iterdir()} <= {"reports", ".state"}


def _wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def test_the_sdist_holds_every_tracked_file(tmp_path: Path) -> None:
    """Everything the test suite reads (tests, examples, scenarios, docs, the Makefile, .ci/run,
    constraints.txt) is a tracked file: the sdist holds them all, and nothing untracked."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an unpacked sdist): no tracked files to compare with")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "warning" not in (built.stdout + built.stderr).lower(), built.stdout + built.stderr
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        root, *_ = archive.getnames()
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    tracked_files = {name for name in tracked if name and (ROOT / name).is_file()}
    assert tracked_files - names == set()
    assert {n for n in names if n != "PKG-INFO" and (ROOT / n).is_file()} <= tracked_files
    assert root.startswith("health_resilience_harness-")
