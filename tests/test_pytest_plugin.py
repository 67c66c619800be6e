"""The pytest plugin, tested the way users meet it: pytest sessions run by pytester in their own
processes, which load the plugin through its pytest11 entry point and start the real stack."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from harness.process import wait_until
from service_contract.credentials import BPJS_CONS_ID, BPJS_SECRET, ERM_CLIENT_ID
from tests.conftest import UNRELATED_PLUGINS
from tests.process_support import kill_watchdogs_of

pytest_plugins = ("pytester",)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each inner session keeps its pid records apart from other runs on this machine."""
    state = tmp_path / "state"
    monkeypatch.setenv("HARNESS_STATE_DIR", str(state))
    for name in (
        "HARNESS_SEED", "HARNESS_SERVICES", "HARNESS_CLIENT", "HARNESS_TIME_SCALE", "HARNESS_TLS",
        "HARNESS_INCONCLUSIVE",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return state


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *UNRELATED_PLUGINS, *args)


# -- options, ini keys, environment ---------------------------------------------------------------

SHOW_SETTINGS = """
    from harness.pytest_plugin import settings_of

    def test_settings(pytestconfig):
        s = settings_of(pytestconfig)
        print("SETTINGS", s.seed, ",".join(s.services), s.time_scale, ",".join(s.allowed_hosts))
"""


def settings_line(result: pytest.RunResult) -> str:
    lines = [line[line.index("SETTINGS ") :] for line in result.outlines if "SETTINGS " in line]
    assert lines, result.stdout.str()
    return lines[0]


def test_options_are_listed_in_their_own_group_with_ini_keys(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    assert result.ret == 0
    text = result.stdout.str()
    assert "harness resilience:" in text
    for option in (
        "--harness-seed",
        "--harness-services",
        "--harness-client",
        "--harness-report-dir",
        "--harness-time-scale",
        "--harness-allow-host",
        "--harness-tls",
        "--harness-inconclusive",
    ):
        assert option in text
    for ini in (
        "harness_seed", "harness_services", "harness_allow_hosts", "harness_time_scale",
        "harness_tls", "harness_inconclusive",
    ):  # fmt: skip
        assert f"{ini} (string)" in text


@pytest.mark.e2e
def test_command_line_beats_environment_beats_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(SHOW_SETTINGS)
    pytester.makeini(
        "[pytest]\nharness_seed = 7\nharness_services = erm\nharness_time_scale = 30\n"
    )

    from_ini = run(pytester, "-s")
    assert settings_line(from_ini) == "SETTINGS 7 erm 30.0 "

    monkeypatch.setenv("HARNESS_SEED", "8")
    monkeypatch.setenv("HARNESS_ALLOW_HOSTS", "10.0.0.5, staging.local")
    from_env = run(pytester, "-s")
    assert settings_line(from_env) == "SETTINGS 8 erm 30.0 10.0.0.5,staging.local"

    from_cli = run(
        pytester, "-s", "--harness-seed=9", "--harness-services=bpjs,patient-app",
        "--harness-allow-host=10.0.0.6",
    )  # fmt: skip
    assert settings_line(from_cli) == "SETTINGS 9 bpjs,patient-app 30.0 10.0.0.6"
    assert "harness: seed 9, services bpjs,patient-app" in from_cli.stdout.str()  # the header


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("--harness-seed=abc", "harness: --harness-seed='abc': the seed is a whole number"),
        ("env:HARNESS_SERVICES=bpjs,pharmacy", "the environment variable HARNESS_SERVICES="),
        ("ini:harness_time_scale = -2", "the ini key harness_time_scale='-2': the time scale"),
        ("env:HARNESS_TLS=maybe", "HARNESS_TLS='maybe': write true or false"),
        (
            "ini:harness_inconclusive = ignore",
            "the ini key harness_inconclusive='ignore': choose one of: error, fail, pass",
        ),
    ],
)
def test_a_bad_value_is_one_usage_error_naming_its_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str, expected: str
) -> None:
    pytester.makepyfile(SHOW_SETTINGS)
    args: list[str] = []
    if where.startswith("env:"):
        name, value = where.removeprefix("env:").split("=", 1)
        monkeypatch.setenv(name, value)
    elif where.startswith("ini:"):
        pytester.makeini(f"[pytest]\n{where.removeprefix('ini:')}\n")
    else:
        args.append(where)
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = result.stderr.str()
    assert expected in errors
    assert "Traceback" not in errors
    if "pharmacy" in where:
        assert "unknown service 'pharmacy'; choose from: bpjs, erm, patient-app" in errors


def test_the_inconclusive_policy_comes_from_cli_then_environment_then_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        from harness.pytest_plugin import settings_of

        def test_policy(pytestconfig):
            print("POLICY", settings_of(pytestconfig).inconclusive.value)
        """
    )

    def policy(*args: str) -> str:
        result = run(pytester, "-s", *args)
        lines = [line[line.index("POLICY ") :] for line in result.outlines if "POLICY " in line]
        assert lines, result.stdout.str()
        return lines[0]

    assert policy() == "POLICY error"
    pytester.makeini("[pytest]\nharness_inconclusive = fail\n")
    assert policy() == "POLICY fail"
    monkeypatch.setenv("HARNESS_INCONCLUSIVE", "pass")
    assert policy() == "POLICY pass"
    assert policy("--harness-inconclusive=error") == "POLICY error"


# -- the session stack --------------------------------------------------------------------------


@pytest.mark.e2e
def test_the_stack_starts_once_per_session_with_urls_credentials_and_dataset(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    seen = tmp_path / "seen.jsonl"
    pytester.makepyfile(
        f"""
        import json
        import httpx
        import pytest

        @pytest.mark.parametrize("n", [1, 2])
        def test_stack(harness_stack, n):
            health = httpx.get(harness_stack.url("bpjs") + "/__admin/health").json()
            assert health["seed"] == 5
            patient = harness_stack.dataset.patients[0]
            with open({str(seen)!r}, "a") as out:
                out.write(json.dumps({{
                    "urls": [harness_stack.url(s) for s in ("bpjs", "erm", "patient-app")],
                    "direct": harness_stack.direct_url("erm"),
                    "env": harness_stack.env(),
                    "vclaim": harness_stack.bpjs.vclaim_url,
                    "cons_id": harness_stack.bpjs.cons_id,
                    "erm_client": harness_stack.erm.client_id,
                    "nik": patient.nik,
                }}) + "\\n")
        """
    )
    result = run(pytester, "--harness-seed=5")
    result.assert_outcomes(passed=2)
    first, second = (json.loads(line) for line in seen.read_text().splitlines())
    assert first == second  # one stack for the session
    assert all(url.startswith("http://127.0.0.1:") for url in first["urls"])
    assert len(set(first["urls"])) == 3
    assert first["direct"] not in first["urls"]  # the mock itself, not its proxy
    assert first["vclaim"] == first["urls"][0] + "/vclaim-rest"
    assert first["env"]["BPJS_URL"] == first["urls"][0]
    assert first["env"]["ERM_URL"] == first["urls"][1]
    assert first["env"]["PATIENT_APP_URL"] == first["urls"][2]
    assert (first["cons_id"], first["erm_client"]) == (BPJS_CONS_ID, ERM_CLIENT_ID)
    assert first["env"]["BPJS_SECRET"] == BPJS_SECRET

    from mock_services.common.dataset import generate

    assert first["nik"] == generate(5).patients[0].nik
    for url in first["urls"]:  # stopped with the session
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/__admin/health", timeout=2)


@pytest.mark.e2e
def test_only_the_chosen_services_are_started(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_services(harness_stack):
            assert [str(s) for s in harness_stack.services] == ["erm"]
            harness_stack.url("bpjs")
        """
    )
    result = run(pytester, "--harness-services=erm")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the session stack has no bpjs mock (started: erm)*"])


@pytest.mark.e2e
def test_with_harness_tls_the_mocks_serve_https_that_only_the_sessions_ca_vouches_for(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_https(harness_stack, chaos):
            url = harness_stack.url("erm") + "/fhir-r4/v1/metadata"
            assert url.startswith("https://127.0.0.1:")
            assert harness_stack.direct_url("erm").startswith("https://")
            ca = str(harness_stack.ca_bundle)
            assert harness_stack.env()["CA_BUNDLE"] == ca
            assert requests.get(url, verify=ca, timeout=10).status_code == 200
            with chaos.fault("erm", "http_error", status=503):  # the admin API, over HTTPS
                assert requests.get(url, verify=ca, timeout=10).status_code == 503
            assert harness_stack.ledger("erm")["visits"] == []
            try:
                requests.get(url, timeout=10)  # the system's trust store
            except requests.exceptions.SSLError as exc:
                print("REFUSED", "CERTIFICATE_VERIFY_FAILED" in str(exc))
        """
    )
    monkeypatch.setenv("HARNESS_TLS", "true")
    result = run(pytester, "-s", "--harness-services=erm")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*services erm, HTTPS*", "*REFUSED True*"])


# -- chaos: faults for a block or for the test; teardown healing ----------------------------------


@pytest.mark.e2e
def test_chaos_applies_network_and_app_faults_for_a_block_or_the_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def health(url):
            return httpx.get(url + "/__admin/health", timeout=5)

        def test_block_and_test_long(harness_stack, chaos):
            bpjs = harness_stack.url("bpjs")
            with chaos.fault("bpjs", "down") as down:
                assert chaos.active() == ["bpjs: down (connections refused)"]
                with pytest.raises(httpx.ConnectError):
                    health(bpjs)
            assert not down.active and chaos.active() == []
            assert health(bpjs).status_code == 200
            chaos.fault("erm", "http_error", status=503, route="/fhir/*")
            chaos.fault("erm", "latency", latency=50)
            assert httpx.get(harness_stack.url("erm") + "/fhir/Patient").status_code == 503
            assert harness_stack.stats("erm")["requests"]["GET /fhir/Patient"] == 1
            assert harness_stack.ledger("erm", nik="0")["visits"] == []

        def test_the_next_test_starts_clean(harness_stack, chaos):
            answer = httpx.get(harness_stack.direct_url("erm") + "/__admin/faults").json()
            assert answer["faults"] == []
            toxics = httpx.get(harness_stack.toxiproxy_url + "/proxies/erm/toxics").json()
            assert toxics == []

        def test_heal_removes_everything_of_a_service(harness_stack, chaos):
            chaos.fault("patient-app", "maintenance", retry_after=60)
            healed = chaos.heal("patient-app")
            assert healed == ["patient-app: maintenance retry_after=60 on *"]
            assert chaos.active() == []
        """
    )
    run(pytester).assert_outcomes(passed=3)


@pytest.mark.e2e
def test_a_killed_mock_is_started_again_when_its_fault_ends(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        def test_kill(harness_stack, chaos):
            erm = harness_stack.direct_url("erm") + "/__admin/health"
            with chaos.fault("erm", "kill"):
                with pytest.raises(httpx.ConnectError):
                    httpx.get(erm, timeout=5)
            assert httpx.get(erm, timeout=5).status_code == 200
        """
    )
    run(pytester).assert_outcomes(passed=1)


@pytest.mark.e2e
def test_a_fault_left_around_chaos_is_healed_and_fails_the_test_with_what_to_do(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_leaks_an_app_fault(harness_stack):
            admin = harness_stack.direct_url("erm") + "/__admin/faults"
            httpx.post(admin, json={"kind": "http_error", "params": {"status": 502}})

        def test_leaks_a_toxic(harness_stack):
            httpx.post(
                harness_stack.toxiproxy_url + "/proxies/bpjs/toxics",
                json={"name": "slow", "type": "latency", "attributes": {"latency": 10}},
            ).raise_for_status()

        def test_after_them_the_stack_is_clean(harness_stack):
            assert httpx.get(harness_stack.url("erm") + "/fhir/Patient").status_code != 502
            proxy = httpx.get(harness_stack.toxiproxy_url + "/proxies/bpjs").json()
            assert proxy["toxics"] == []
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_leaks_an_app_fault*",
            "harness chaos: left on the stack after the test (now healed): "
            "erm: app: http_error status=502 on [*]. *apply faults with chaos.fault(...)*",
            "*ERROR at teardown of test_leaks_a_toxic*",
            "harness chaos: left on the stack after the test (now healed): "
            "bpjs: network: latency (slow).*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


@pytest.mark.e2e
def test_a_wrong_fault_fails_the_test_with_the_allowed_values(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_typo(chaos):
            chaos.fault("bpjs", "latencyy", latency=10)

        def test_bad_attribute(chaos):
            chaos.fault("erm", "http_error", code=503)
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*chaos.fault('bpjs', 'latencyy'): unknown fault 'latencyy'; choose one of: network:*",
            "*chaos.fault('erm', 'http_error'): http_error has no attribute 'code'; allowed: *",
        ]
    )


# -- the fault marker ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_the_fault_marker_holds_for_the_whole_test_and_stacks(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        pytestmark = pytest.mark.fault("erm", "http_error", status=504, route="/fhir/Patient*")

        @pytest.mark.fault("bpjs", "down")
        def test_marked(harness_stack, chaos):
            assert sorted(chaos.active()) == [
                "bpjs: down (connections refused)", "erm: http_error status=504 on /fhir/Patient*"
            ]
            assert httpx.get(harness_stack.url("erm") + "/fhir/Patient").status_code == 504
            with pytest.raises(httpx.ConnectError):
                httpx.get(harness_stack.url("bpjs") + "/__admin/health")

        def test_module_marker_only(harness_stack, chaos):
            assert chaos.active() == ["erm: http_error status=504 on /fhir/Patient*"]
            assert httpx.get(harness_stack.url("bpjs") + "/__admin/health").status_code == 200

        @pytest.mark.fault("bpjs")
        def test_bad_marker(harness_stack):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.fault('bpjs',): give the service and the fault kind*"]
    )


# -- the scenario marker --------------------------------------------------------------------------

MINI_SCENARIO = """\
name: mini-bpjs-down
title: BPJS refuses connections for 6 s
description: A short BPJS outage under front-desk load, for the plugin's tests.
tags: [test]
stack: {services: [bpjs, erm, patient-app], seed: 3}
load:
  users: {FrontDeskStaff: 12}
  spawn_rate: 12
  duration: 16s
timeline:
  steps:
    - {at: 5s, for: 6s, target: bpjs, fault: {kind: down}}
steady_state:
  before: {duration: 2s, min_served_rate: 0.9}
  after: {duration: 14s, min_served_rate: 0.95}
drain: 4s
checks:
  served_rate: {during: 0.9}
  no_duplicates: true
"""


@pytest.mark.e2e
def test_the_scenario_marker_runs_the_file_and_its_checks_are_the_assertions(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makefile(".yaml", mini=MINI_SCENARIO)
    reports = tmp_path / "reports"
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.scenario("mini.yaml", client={str(ROOT / "examples/clients/resilient.yaml")!r})
        def test_resilient(scenario_run):
            assert scenario_run.journal.verdict.value == "pass"
            print("BODY RAN", scenario_run.run_dir)

        @pytest.mark.scenario("mini.yaml")
        def test_naive(scenario_run):
            print("BODY RAN for naive")
        """
    )
    result = run(
        pytester,
        "-s",
        f"--harness-report-dir={reports}",
        f"--harness-client={ROOT / 'examples/clients/naive.yaml'}",
        "--junitxml=junit.xml",
    )
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "BODY RAN " in text
    assert "BODY RAN for naive" not in text  # the checks fail before the body
    result.stdout.fnmatch_lines(
        [
            "*scenario mini-bpjs-down: * checks failed (verdict FAIL, exit 1)",
            "*FAIL *served_rate.during *",  # the result column is as wide as its widest cell
            f"*report: {reports}*report.html",
        ]
    )
    assert len(list(reports.glob("*/report.html"))) == 2
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="harness_report"' in junit


def test_a_missing_scenario_file_is_one_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.scenario("scenarios/nope.yaml")
        def test_missing(scenario_run):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*scenarios/nope.yaml does not exist (paths are relative to*"])


# -- pytest-xdist, and what a killed session leaves -----------------------------------------


@pytest.mark.e2e
def test_xdist_workers_each_get_their_own_stack(pytester: pytest.Pytester, tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    seen.mkdir()
    pytester.makepyfile(
        f"""
        import os
        import httpx
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_fault_in_parallel(harness_stack, chaos, n):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            with open(os.path.join({str(seen)!r}, worker), "a") as out:
                out.write(harness_stack.url("bpjs") + "\\n")
            with chaos.fault("bpjs", "down"):
                with pytest.raises(httpx.ConnectError):
                    httpx.get(harness_stack.url("bpjs") + "/__admin/health")
        """
    )
    result = run(pytester, "-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=6)
    urls = {path.name: set(path.read_text().split()) for path in seen.iterdir()}
    assert len(urls) == 2, urls
    first, second = urls.values()
    assert len(first) == len(second) == 1  # one stack per worker, for its whole session
    assert first != second


def _stack_pids(state_dir: Path) -> list[int]:
    files = list(state_dir.glob("pytest-*.pids.json"))
    return [int(record["pid"]) for f in files for record in json.loads(f.read_text())]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_session_leaves_no_process_behind(
    pytester: pytest.Pytester, tmp_path: Path, sig: signal.Signals
) -> None:
    state_dir = Path(os.environ["HARNESS_STATE_DIR"])
    started = tmp_path / "started"
    pytester.makepyfile(
        f"""
        import pathlib, time

        def test_waits(harness_stack):
            pathlib.Path({str(started)!r}).write_text("yes")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                time.sleep(0.2)
        """
    )
    session = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *UNRELATED_PLUGINS,
            pytester.path,
        ],
        cwd=pytester.path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(started.exists, timeout=60, what="the inner session's stack to be up")
        pids = _stack_pids(state_dir)
        assert len(pids) == 4  # toxiproxy and three mocks
        if sig is signal.SIGKILL:
            # Its watchdog stops them (tests/test_killed_harness.py); without it, the next
            # session must.
            kill_watchdogs_of(session.pid)
        session.send_signal(sig)
        session.wait(timeout=60)
        if sig is signal.SIGKILL:  # nothing could run: the next session reaps them
            assert all(_alive(pid) for pid in pids)
            pytester.makepyfile(test_next="def test_nothing(harness_stack):\n    pass\n")
            run(pytester, "test_next.py").assert_outcomes(passed=1)
        wait_until(
            lambda: not any(_alive(pid) for pid in pids), timeout=30, what="the stack to stop"
        )
        assert _stack_pids(state_dir) == []
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()


@pytest.mark.unit
def test_example_text_in_the_plugin_docstring_names_real_fixtures() -> None:
    import harness.pytest_plugin as plugin

    doc = textwrap.dedent(plugin.__doc__ or "")
    for name in (
        "harness_stack",
        "chaos",
        "scenario_run",
        "pytest.mark.fault",
        "pytest.mark.scenario",
    ):
        assert name in doc
    assert plugin.Stack.__name__ == "Stack"
    assert plugin.Chaos.__name__ == "Chaos"
    with pytest.raises(AttributeError):
        _ = plugin.Nope


@pytest.mark.e2e
def test_harness_client_is_a_target_of_kill_and_pause_and_keeps_its_files(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import datetime as dt

        import httpx
        import pytest

        from harness.process import wait_until
        from mock_services.common import clock

        def test_power_cut(harness_client, harness_stack, chaos):
            patient = harness_stack.dataset.patients[0]
            key = {
                "nik": patient.nik,
                "tanggal": clock.today().isoformat(),
                "kodepoli": harness_stack.dataset.polyclinics[0].kodepoli,
            }
            with chaos.fault("erm", "down"):
                queued = httpx.post(harness_client.url("/registrations"), json=key, timeout=20)
                assert queued.status_code == 201, queued.text
                assert queued.headers["X-Degraded"] == "offline-queue"
                with chaos.fault("client", "kill"):
                    with pytest.raises(httpx.ConnectError):
                        httpx.get(harness_client.url("/health"), timeout=5)
                again = httpx.post(harness_client.url("/registrations"), json=key, timeout=20)
                assert again.json()["nomorantrean"] == queued.json()["nomorantrean"]
            wait_until(
                lambda: len(harness_stack.ledger("erm", nik=patient.nik)["visits"]) == 1,
                timeout=30,
                what="the queued registration in the ERM",
            )

        def test_pause_freezes_it(harness_client, chaos):
            with chaos.fault("client", "pause"):
                with pytest.raises(httpx.ReadTimeout):
                    httpx.get(harness_client.url("/health"), timeout=1)
            assert httpx.get(harness_client.url("/health"), timeout=5).status_code == 200

        def test_a_kill_left_on_is_taken_back_by_chaos(harness_client, chaos):
            chaos.fault("client", "kill")

        def test_after_it_the_client_serves_again(harness_client):
            assert httpx.get(harness_client.url("/health"), timeout=5).status_code == 200
        """
    )
    result = run(pytester, f"--harness-client={ROOT / 'examples/clients/resilient.yaml'}")
    result.assert_outcomes(passed=4)


@pytest.mark.e2e
def test_chaos_on_the_client_without_harness_client_says_how(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_no_client(chaos):
            chaos.fault("client", "kill")
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*chaos.fault('client', 'kill'): no client under test was started*harness_client*"]
    )
