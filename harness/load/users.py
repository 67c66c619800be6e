"""Base user classes for locustfiles: dataset access and outcome recording (locust side).

Import this only from a locustfile: it imports locust, which monkey-patches the process.

Every request of every user class in a locust process the harness starts is recorded, per second
of its start, as served, degraded or failed, in the `harness-requests/1` log the checks read
(harness.results.timeline): the runner loads this module into each of them
(harness/load/harness_recording.py), so a plain `HttpUser` of a team's existing locustfile counts
too. The default classification works for any client that marks fallback answers (client file:
degraded marker):

- an exception (connection refused, reset, timeout), or a status outside 2xx: failed;
- a 2xx carrying the degraded marker (a header, or a true top-level JSON field): degraded;
- any other 2xx: served.

Override `outcome_of` for a client with other conventions, or set one request's outcome with
`self.classify(response, Outcome.DEGRADED)` inside a `catch_response=True` block. Tell the checks
what a patient was told was accepted with `self.accepted(kind, key, ...)`; they then prove that it
reached the backend exactly once. A user that stays a plain `HttpUser` calls the same recording
API as functions: `classify`, `record_accepted`, `record_wrong` (with `shared_truth()` to judge by).

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
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Final, TextIO

import gevent
from locust import HttpUser, events
from locust.env import Environment
from locust.runners import STATE_MISSING, MasterRunner, Runner, WorkerRunner
from requests import Response

from harness.load.config import CONFIG_DEST, CONFIG_OPTION, LoadConfig
from harness.load.truth import Truth
from harness.results.ledger import RecordKind
from harness.results.timeline import Header, RequestRecorder, WorkerEvent
from harness.results.vocabulary import Outcome
from mock_services.common.dataset import Dataset, Patient, generate

__all__ = [
    "HarnessUser",
    "Outcome",
    "RecordKind",
    "Truth",
    "classify",
    "load_config",
    "record_accepted",
    "record_wrong",
    "shared_dataset",
    "shared_truth",
]

USER_KEY: Final = "harness_user"
OUTCOME_KEY: Final = "harness_outcome"
LINES_MESSAGE: Final = "harness_lines"  # worker -> master: {"source", "lines", "final"}
STOP_MESSAGE: Final = "harness_stop"  # master -> worker: stop your users, ship your final mark
FLUSH_INTERVAL_S: Final = 1.0
WATCH_INTERVAL_S: Final = 1.0
FINAL_GRACE_S: Final = 15.0  # beyond the stop timeout: how long a master waits for final marks
_HEADER: Final = '{"record":"header"'


class _Outbox:
    """A worker's lines not yet shipped to the master (the recorder's sink)."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def put(self, line: str) -> None:
        self._lines.append(line)

    def take(self) -> list[str]:
        lines, self._lines = self._lines, []
        return lines


class _Workers:
    """What a master knows of its workers: who joined, who shipped a final mark, who was lost."""

    def __init__(self) -> None:
        self.sources: dict[str, str] = {}  # locust node id -> our source name
        self.joined: dict[str, float] = {}  # source -> Unix time
        self.final: set[str] = set()
        self.lost: set[str] = set()

    def pending(self) -> list[str]:
        """Sources still expected to ship a final mark."""
        return sorted(set(self.sources.values()) - self.final - self.lost)


class _State:
    """This process's config and recorder (standalone, worker) or log file (master)."""

    config: LoadConfig | None = None
    recorder: RequestRecorder | None = None
    dataset: Dataset | None = None
    truth: Truth | None = None
    runner: Runner | None = None
    outbox: ClassVar[_Outbox] = _Outbox()
    finished = False  # a worker shipped its final mark: no more periodic flushes
    master_log: TextIO | None = None
    workers: ClassVar[_Workers] = _Workers()


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


def shared_truth() -> Truth:
    """The truth the mocks of this run hold (harness.load.truth), built once per process."""
    if _State.truth is None:
        _State.truth = Truth(shared_dataset())
    return _State.truth


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


def classify(response: Any, outcome: Outcome) -> None:
    """Set the outcome of a request made with catch_response=True (before the block ends)."""
    response.request_meta["context"][OUTCOME_KEY] = outcome


def record_wrong(response: Any, reason: str, *, said: str = "", truth: str = "") -> None:
    """Classify an answer as wrong: it contradicts the truth (call inside the request's
    `catch_response=True` block). `reason` says how, in a line; `said` and `truth` quote what
    the client said and what was true. A few examples per request name reach the journal."""
    classify(response, Outcome.WRONG)
    recorder = _State.recorder
    if recorder is not None:
        meta = response.request_meta
        name = f"{meta.get('request_type', '')} {meta.get('name', '')}".strip()
        recorder.wrong(name, at=time.time(), reason=reason, said=said, truth=truth)


def record_accepted(
    kind: RecordKind,
    key: Mapping[str, str],
    *,
    name: str = "",
    idempotency_key: str | None = None,
    reference: str | None = None,
    provisional: bool = False,
) -> None:
    """Record what the patient was told was accepted, keyed as the backend keys it.

    `reference` is what the patient was given (queue number, booking code, receipt); once the
    run is over it must match the backend's ledger, unless `provisional` (the answer said the
    reference is provisional: offline, pending, marked degraded), else it is a wrong answer.

    `key` holds exactly the kind's natural-key fields under the ledger's names
    (`harness.results.ledger.NATURAL_KEYS`: a booking's date is `tanggalperiksa`), or is empty
    when `idempotency_key` is given. The run refuses any other key when it reads the request
    log (exit 2): see docs/custom-load.md.
    """
    recorder = _State.recorder
    if recorder is not None:
        recorder.accepted(
            kind,
            key,
            at=time.time(),
            name=name,
            idempotency_key=idempotency_key,
            reference=reference,
            provisional=provisional,
        )


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
        # Its config arrives with the master's first spawn message (see _on_test_start).
        runner.register_message(STOP_MESSAGE, _on_stop_request)
        return
    config = _configure(environment)
    for user_class in environment.user_classes:
        count = config.user_counts.get(user_class.__name__)
        if count is not None:
            user_class.fixed_count = count
    config.out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(runner, MasterRunner):
        runner.register_message(LINES_MESSAGE, _on_lines)
        _listen(environment.events.worker_connect, _on_worker_connect)
    # gevent's timers count from the event loop's cached clock, last read when the loop was made
    # (at `import locust`), before the locustfiles' imports: seconds ago on a busy machine. Read
    # now, the `--run-time` timer locust starts next ends the load on time, not that much early.
    gevent.get_hub().loop.update_now()


def _on_test_start(environment: Environment, **_: Any) -> None:
    """The users start: the run's clock starts here, unless the runner fixed t0 beforehand."""
    runner = environment.runner
    if _State.recorder is not None or _State.master_log is not None:
        return  # a second start (locust re-spawning): one clock, one log per run
    if isinstance(runner, WorkerRunner):
        config = _configure(environment)  # from the master's spawn message, t0 included
        source = f"worker-{runner.worker_index}"
        _State.recorder = RequestRecorder(
            None, t0=config.clock(), source=source, sink=_State.outbox.put
        )
        gevent.spawn(_flush_forever)
        return
    config = load_config()
    if config.t0 is None:
        # Workers read the config from the spawn messages sent right after this event.
        _State.config = config = config.model_copy(update={"t0": time.time()})
        setattr(environment.parsed_options, CONFIG_DEST, config.model_dump_json())
    if isinstance(runner, MasterRunner):
        # Workers, local or remote, ship their lines here; one file holds them all.
        log = (config.out_dir / "requests-master.jsonl").open("a", encoding="utf-8")
        log.write(Header(t0=config.clock(), source="master").model_dump_json() + "\n")
        _State.master_log = log
        for source, at in sorted(_State.workers.joined.items()):
            _write_master(_joined(source, at))
        gevent.spawn(_watch_workers, runner)
        return
    path = config.out_dir / "requests-local.jsonl"
    _State.recorder = RequestRecorder(path, t0=config.clock(), source="local")
    gevent.spawn(_flush_forever)


def _flush_forever() -> None:
    # Ends at the final mark, or when the process quits (`quitting` closes the recorder).
    while _State.recorder is not None and not _State.finished:
        gevent.sleep(FLUSH_INTERVAL_S)
        if not _State.finished:
            _flush(time.time())


def _flush(now: float | None) -> None:
    """Write (standalone) or ship (worker) the seconds before `now`; everything if None."""
    recorder = _State.recorder
    if recorder is None:
        return
    recorder.flush(now)
    runner = _State.runner
    if not isinstance(runner, WorkerRunner):
        return
    final = now is None
    lines = _State.outbox.take()  # before any send yields to the periodic flush
    if final:
        _State.finished = True  # no periodic flush from here on
        # locust's own counts first, so that the master holds them once it has our final mark
        data: dict[str, Any] = {}
        _fire(runner.environment.events.report_to_master, client_id=runner.client_id, data=data)
        runner.send_message("stats", data)
    if lines:
        runner.send_message(
            LINES_MESSAGE, {"source": recorder.source, "lines": lines, "final": final}
        )


def _on_test_stop(environment: Environment, **_: Any) -> None:
    # A worker: this runs before it tells the master it stopped, so nothing recorded is lost.
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        _await_final_marks(runner)
    else:
        _flush(None)


def _on_stop_request(environment: Environment, **_: Any) -> None:
    # Stopping fires test_stop, which ships the final mark; a worker already stopped ships it now.
    if environment.runner is not None:
        environment.runner.stop()
    if not _State.finished:
        _flush(None)


def _await_final_marks(runner: MasterRunner) -> None:
    """Ask every worker to stop and wait (bounded) until each shipped its final mark or was lost.

    locust's own quit gives workers 0.5 s to send their last report; on a busy machine that loses
    the last seconds of records (and of locust's own counts), so the master waits here first.
    """
    if _State.master_log is None:
        return  # quitting after an interrupt: the log is closed, nothing to wait for
    for client in runner.clients.all:
        runner.send_message(STOP_MESSAGE, None, client_id=client.id)
    deadline = time.monotonic() + (runner.environment.stop_timeout or 0) + FINAL_GRACE_S
    while _State.workers.pending() and time.monotonic() < deadline:
        gevent.sleep(0.1)


def _on_worker_connect(client_id: str, **_: Any) -> None:
    runner = _State.runner
    if not isinstance(runner, MasterRunner) or client_id in _State.workers.sources:
        return
    source = f"worker-{runner.worker_indexes.get(client_id, -1)}"  # given with the ack
    _State.workers.sources[client_id] = source
    _State.workers.joined[source] = now = time.time()
    if _State.master_log is not None:  # joined after the start; the others once it starts
        _write_master(_joined(source, now))


def _joined(source: str, at: float) -> str:
    t = max(0.0, at - load_config().clock())
    return WorkerEvent(source=source, event="joined", t=t).model_dump_json()


def _watch_workers(runner: MasterRunner) -> None:
    """Record a worker lost (missing heartbeats, or gone) before it shipped its final mark.

    locust can take a busy worker for missing and see it again later: then the master waits for
    its final mark again (the journal still says it was lost for a while).
    """
    workers = _State.workers
    while _State.master_log is not None:
        gevent.sleep(WATCH_INTERVAL_S)
        for client_id, source in list(workers.sources.items()):
            if source in workers.final:
                continue
            client = runner.clients.get(client_id)
            missing = client is None or client.state == STATE_MISSING
            if missing and source not in workers.lost:
                workers.lost.add(source)
                event = WorkerEvent(source=source, event="lost", t=_since_t0())
                _write_master(event.model_dump_json())
            elif not missing:
                workers.lost.discard(source)


def _on_lines(environment: Environment, msg: Any, **_: Any) -> None:
    data = msg.data or {}
    source = str(data.get("source", ""))
    _State.workers.sources.setdefault(msg.node_id, source)
    # The master's own header holds t0; the workers' are dropped (pydantic writes `record` first).
    _write_master(*(line for line in data.get("lines", ()) if not line.startswith(_HEADER)))
    if data.get("final"):
        _State.workers.final.add(source)


def _write_master(*lines: str) -> None:
    log = _State.master_log
    if log is None or not lines:
        return
    log.write("".join(line + "\n" for line in lines))
    log.flush()


def _since_t0() -> float:
    return max(0.0, time.time() - load_config().clock())


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


def _fire(hook: Any, **kwargs: Any) -> None:
    hook.fire(**kwargs)


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

    @property
    def truth(self) -> Truth:
        """What the mocks know to be true: patients, schedules, the certificate key
        (harness.load.truth); judge an answer by it and call `wrong` when they disagree."""
        return shared_truth()

    def outcome_of(self, response: Response | None, exception: BaseException | None) -> Outcome:
        """How one answer looked to the patient; override for a client with other conventions."""
        return default_outcome(response, exception)

    def classify(self, response: Any, outcome: Outcome) -> None:
        """Set the outcome of a request made with catch_response=True (before the block ends)."""
        classify(response, outcome)

    def json_of(self, response: Any) -> dict[str, Any]:
        """The answer's JSON object, or {} when it is not JSON or not an object. Use it inside a
        `catch_response=True` block: an exception raised there (a `.json()` on a malformed body)
        drops the request from every count, the very answer a check should have judged."""
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def wrong(self, response: Any, reason: str, *, said: str = "", truth: str = "") -> None:
        """Classify an answer as wrong: it contradicts the truth (call inside the request's
        `catch_response=True` block). `reason` says how, in a line; `said` and `truth` quote what
        the client said and what was true. A few examples per request name reach the journal."""
        record_wrong(response, reason, said=said, truth=truth)

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
        provisional: bool = False,
    ) -> None:
        """Record what the patient was told was accepted (`record_accepted`)."""
        record_accepted(
            kind,
            key,
            name=name,
            idempotency_key=idempotency_key,
            reference=reference,
            provisional=provisional,
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
