"""Base user classes for locustfiles: dataset access and outcome recording (locust side).

Import this only from a locustfile: it imports locust, which monkey-patches the process.

Every request a `HarnessUser` makes is recorded, per second of its start, as served, degraded or
failed, in the `harness-requests/1` log the checks read (harness.results.timeline). The default
classification works for any client that marks fallback answers (client file: degraded marker):

- an exception (connection refused, reset, timeout), or a status outside 2xx: failed;
- a 2xx carrying the degraded marker (a header, or a true top-level JSON field): degraded;
- any other 2xx: served.

Override `outcome_of` for a client with other conventions, or set one request's outcome with
`self.classify(response, Outcome.DEGRADED)` inside a `catch_response=True` block. Tell the checks
what a patient was told was accepted with `self.accepted(kind, key, ...)`; they then prove that it
reached the backend exactly once.

    class Registrar(HarnessUser):
        @task
        def register(self) -> None:
            patient = self.next_patient()
            with self.call("POST", "/api/visits", json={...}, catch_response=True) as resp:
                if resp.status_code == 201:
                    self.accepted(RecordKind.REGISTRATION, {"nik": patient.nik, ...})
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Final, TextIO

import gevent
from locust import HttpUser, events
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner
from requests import Response

from harness.load.config import CONFIG_DEST, CONFIG_OPTION, LoadConfig
from harness.results.ledger import RecordKind
from harness.results.timeline import Header, RequestRecorder
from harness.results.vocabulary import Outcome
from mock_services.common.dataset import Dataset, Patient, generate

__all__ = ["HarnessUser", "Outcome", "RecordKind", "load_config", "shared_dataset"]

USER_KEY: Final = "harness_user"
OUTCOME_KEY: Final = "harness_outcome"
LINES_MESSAGE: Final = "harness_lines"
FLUSH_INTERVAL_S: Final = 1.0


class _State:
    """This process's config and recorder (standalone, worker) or log file (master)."""

    config: LoadConfig | None = None
    recorder: RequestRecorder | None = None
    dataset: Dataset | None = None
    runner: Runner | None = None
    outgoing: ClassVar[list[str]] = []  # a worker's lines not yet shipped to the master
    master_log: TextIO | None = None


def load_config() -> LoadConfig:
    if _State.config is None:
        raise RuntimeError(
            f"no load config: harness locustfiles run under `harness run`, which passes "
            f"{CONFIG_OPTION} to locust (workers receive it from their master)"
        )
    return _State.config


def shared_dataset() -> Dataset:
    """The same seeded dataset the mocks serve (mock_services.common.dataset)."""
    if _State.dataset is None:
        config = load_config()
        _State.dataset = generate(config.seed, config.patients)
    return _State.dataset


def default_outcome(response: Response | None, exception: BaseException | None) -> Outcome:
    if exception is not None or response is None:
        return Outcome.FAILED
    if not 200 <= response.status_code < 300:
        return Outcome.FAILED
    marker = load_config().degraded_marker
    if marker is None:
        return Outcome.SERVED
    body: Any = None
    if marker.json_field is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
    return Outcome.DEGRADED if marker.matches(response.headers, body) else Outcome.SERVED


def _on_parser(parser: Any, **_: Any) -> None:
    parser.add_argument(
        CONFIG_OPTION,
        default="",
        help="the harness's load config (JSON); set by `harness run`, forwarded to workers",
    )


def _configure(environment: Environment) -> LoadConfig:
    text = getattr(environment.parsed_options, CONFIG_DEST, "") or ""
    _State.config = LoadConfig.model_validate_json(text) if text else LoadConfig.from_env()
    return _State.config


def _on_init(environment: Environment, **_: Any) -> None:
    _State.runner = runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return  # its config arrives with the master's first spawn message (see _on_test_start)
    config = _configure(environment)
    for user_class in environment.user_classes:
        count = config.user_counts.get(user_class.__name__)
        if count is not None:
            user_class.fixed_count = count
    config.out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(runner, MasterRunner):
        # Workers, local or remote, ship their lines here; one file holds them all.
        _State.master_log = (config.out_dir / "requests-master.jsonl").open("a", encoding="utf-8")
        _State.master_log.write(Header(t0=config.t0, source="master").model_dump_json() + "\n")
        runner.register_message(LINES_MESSAGE, _on_lines)
        return
    path = config.out_dir / "requests-local.jsonl"
    _State.recorder = RequestRecorder(path, t0=config.t0, source="local")
    gevent.spawn(_flush_forever)


def _on_test_start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if not isinstance(runner, WorkerRunner) or _State.recorder is not None:
        return
    config = _configure(environment)
    source = f"worker-{runner.worker_index}"
    _State.recorder = RequestRecorder(
        None, t0=config.t0, source=source, sink=_State.outgoing.append
    )
    gevent.spawn(_flush_forever)


def _flush_forever() -> None:
    # Ends when the process quits (the greenlet dies with it; `quitting` closes the recorder).
    while _State.recorder is not None:
        gevent.sleep(FLUSH_INTERVAL_S)
        _flush(time.time())


def _flush(now: float | None) -> None:
    recorder = _State.recorder
    if recorder is None:
        return
    recorder.flush(now)
    runner = _State.runner
    if isinstance(runner, WorkerRunner) and _State.outgoing:
        lines, _State.outgoing = _State.outgoing, []
        runner.send_message(LINES_MESSAGE, {"lines": lines})


def _on_test_stop(**_: Any) -> None:
    # On a worker this runs before it tells the master it stopped: nothing recorded is lost.
    _flush(None)


def _on_lines(environment: Environment, msg: Any, **_: Any) -> None:
    log = _State.master_log
    if log is None:
        return
    for line in msg.data.get("lines", ()):
        if json.loads(line).get("record") != "header":  # the master's own header holds t0
            log.write(line + "\n")
    log.flush()


def _on_request(
    request_type: str,
    name: str,
    response_time: float,
    response: Response | None = None,
    context: Mapping[str, Any] | None = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    recorder = _State.recorder
    if recorder is None:
        return
    ctx = context or {}
    outcome = ctx.get(OUTCOME_KEY)
    if not isinstance(outcome, Outcome):
        user = ctx.get(USER_KEY)
        if isinstance(user, HarnessUser):
            outcome = user.outcome_of(response, exception)
        else:
            outcome = default_outcome(response, exception)
    started = start_time if start_time is not None else time.time() - response_time / 1000
    recorder.request(f"{request_type} {name}", outcome, latency_ms=response_time, started=started)


def _on_quitting(**_: Any) -> None:
    recorder, _State.recorder = _State.recorder, None
    if recorder is not None:
        recorder.close()
    log, _State.master_log = _State.master_log, None
    if log is not None:
        log.close()


def _listen(hook: Any, handler: Callable[..., None]) -> None:
    hook.add_listener(handler)  # locust's EventHook is untyped


_listen(events.init_command_line_parser, _on_parser)
_listen(events.init, _on_init)
_listen(events.test_start, _on_test_start)
_listen(events.test_stop, _on_test_stop)
_listen(events.request, _on_request)
_listen(events.quitting, _on_quitting)


class HarnessUser(HttpUser):
    """A locust user whose requests and accepted records feed the harness's checks."""

    abstract = True
    _patients: ClassVar[Iterator[tuple[int, Patient]] | None] = None

    def context(self) -> dict[str, Any]:
        return {USER_KEY: self}

    @property
    def config(self) -> LoadConfig:
        return load_config()

    @property
    def dataset(self) -> Dataset:
        return shared_dataset()

    def outcome_of(self, response: Response | None, exception: BaseException | None) -> Outcome:
        """How one answer looked to the patient; override for a client with other conventions."""
        return default_outcome(response, exception)

    def classify(self, response: Any, outcome: Outcome) -> None:
        """Set the outcome of a request made with catch_response=True (before the block ends)."""
        response.request_meta["context"][OUTCOME_KEY] = outcome

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """self.client.request with the patient's patience as the timeout (unless given)."""
        kwargs.setdefault("timeout", self.config.patience_s)
        return self.client.request(method, path, **kwargs)

    def accepted(
        self,
        kind: RecordKind,
        key: Mapping[str, str],
        *,
        name: str = "",
        idempotency_key: str | None = None,
        reference: str | None = None,
    ) -> None:
        """Record what the patient was told was accepted, keyed as the backend keys it."""
        recorder = _State.recorder
        if recorder is not None:
            recorder.accepted(
                kind,
                key,
                at=time.time(),
                name=name,
                idempotency_key=idempotency_key,
                reference=reference,
            )

    def next_patient(self) -> tuple[int, Patient]:
        """(round, patient): patients in turn, this process's share only (workers do not overlap).

        `round` counts how often the list wrapped; mix it into dates so that keys stay unique.
        """
        cls = HarnessUser
        if cls._patients is None:
            runner = self.environment.runner
            index, workers = 0, 1
            if isinstance(runner, WorkerRunner):
                index = runner.worker_index
                workers = max(1, int(getattr(self.environment.parsed_options, "expect_workers", 1)))
            cls._patients = _patient_cycle(self.dataset, index, workers)
        return next(cls._patients)


def _patient_cycle(data: Dataset, index: int, workers: int) -> Iterator[tuple[int, Patient]]:
    share = [p for i, p in enumerate(data.patients) if i % workers == index % workers]
    for round_ in itertools.count():
        for patient in share:
            yield round_, patient
