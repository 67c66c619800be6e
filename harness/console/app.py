"""The console's web app: the page, and the JSON API behind it.

    GET    /                         the page (needs ?token=)
    GET    /api/stack                the `harness up` stack: services, proxies, faults, client
    GET    /api/catalogue            fault kinds by layer, each field with default and bounds
    GET    /api/faults               every active fault, described
    POST   /api/faults               {"target", "kind", "attributes": {k: v}, "for": "10s"}
    DELETE /api/faults/{target}      heal one service (or `client`)
    DELETE /api/faults               heal everything
    GET    /api/scenarios            the library's incidents and blocks (and --scenario-dir's)
    GET    /api/runs                 runs started from the console, newest first
    POST   /api/runs                 {"scenario", "client"}: start one
    GET    /api/runs/{id}/events     Server-Sent Events: the run's events as JSON
    POST   /api/runs/{id}/stop       stop it (its faults healed, its processes stopped)
    GET    /reports/{path}           a run's report files

Every request needs the console's token: `?token=` or `Authorization: Bearer`. A request that
changes something (POST, DELETE) is refused from another origin (its Origin header), and every
request whose Host header is not the console's own (DNS rebinding). Errors are
`{"error": "<the CLI's one line>", "field": "<attribute it names, if any>"}` with status 400
(bad input), 404, 409 (no stack) or 503 (the stack did not answer).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from harness import paths
from harness.console.catalogue import catalogue
from harness.console.runs import ConsoleRuns
from harness.durations import parse_duration
from harness.errors import HarnessError, UsageError
from harness.faults import RestartFault
from harness.scenario.loader import find_scenario_files
from harness.scenario.types import CLIENT, Target
from harness.stack import state
from harness.stack.cli import attach, stack_status
from harness.stack.topology import service_name
from harness.stack.words import parse_fault
from harness.yamlmodel import read_yaml

EVENT_POLL_S: Final = 0.2
MUTATING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Console:
    token: str
    origin: str
    """http://host:port, what the page is served from."""
    runs: ConsoleRuns
    scenario_dirs: tuple[Path, ...]
    hosts: frozenset[str]
    """Host headers accepted: the console's own address (and localhost for 127.0.0.1)."""
    state_dir: Path = field(default_factory=paths.state_dir)
    stopping: threading.Event = field(default_factory=threading.Event)
    """Set when the console is asked to stop: event streams end, so shutdown is not held."""
    timers: dict[tuple[str, str], threading.Timer] = field(default_factory=dict)
    """Faults injected with a duration, by (target, kind), until removed."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, target: str, kind: str, seconds: float, applied: Any) -> None:
        timer = threading.Timer(seconds, self._end_timed, args=(target, kind, applied))
        timer.daemon = True
        with self._lock:
            old = self.timers.pop((target, kind), None)
            self.timers[(target, kind)] = timer
        if old is not None:  # the fault it timed was replaced by this one
            old.cancel()
        timer.start()

    def forget_timed(self, target: str | None = None) -> None:
        """Healed: the timers of `target` (None: every target) have nothing left to end."""
        with self._lock:
            keys = [k for k in self.timers if target is None or k[0] == target]
            for key in keys:
                self.timers.pop(key).cancel()

    def end_timed_faults(self) -> None:
        """End now every fault whose duration has not run out (the console is stopping)."""
        with self._lock:
            pending = list(self.timers.items())
            self.timers.clear()
        for (target, kind), timer in pending:
            timer.cancel()
            try:
                _remove_later(self, timer.args[2])  # type: ignore[index]
            except Exception as exc:  # one stack error must not keep the others
                print(f"harness: could not remove {kind} on {target}: {exc}", file=sys.stderr)

    def forget_timed_kind(self, target: str, kind: str) -> None:
        with self._lock:
            timer = self.timers.pop((target, kind), None)
        if timer is not None:
            timer.cancel()

    def _end_timed(self, target: str, kind: str, applied: Any) -> None:
        with self._lock:
            self.timers.pop((target, kind), None)
        _remove_later(self, applied)


def _error(message: str, status: int, *, fault_field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "field": fault_field}, status_code=status)


def _named_field(message: str, names: list[str]) -> str | None:
    """The attribute an error message is about, so the page can show it by that field."""
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"(^|[\s'])({re.escape(name)})(=|'|\s|:)", message):
            return name
    return None


def build_app(console: Console) -> Starlette:
    def token_of(request: Request) -> str:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.query_params.get("token", "")

    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.headers.get("host", "") not in console.hosts:
            return _error("unknown Host: open the console at the URL it printed", 403)
        if not hmac.compare_digest(token_of(request).encode(), console.token.encode()):
            return _error(
                "missing or wrong token: open the URL `harness console` printed (with ?token=)",
                401,
            )
        origin = request.headers.get("origin")
        origins = {f"http://{host}" for host in console.hosts}
        if request.method in MUTATING and origin is not None and origin not in origins:
            return _error(f"refused: a change from another origin ({origin})", 403)
        return await call_next(request)

    def with_stack(action: Callable[[Any, Any], Response]) -> Response:
        info = state.read(console.state_dir)
        if info is None or not info.owner_alive():
            return _error("no stack is running: start one with `harness up`", 409)
        try:
            with attach(info, console.state_dir) as stack:
                return action(info, stack)
        except UsageError as exc:
            return _error(str(exc), 400)
        except HarnessError as exc:
            return _error(str(exc), 503)

    def page(request: Request) -> Response:
        html = resources.files("harness.console").joinpath("page.html").read_text("utf-8")
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    def get_stack(request: Request) -> Response:
        return with_stack(
            lambda info, stack: JSONResponse(stack_status(info, stack).model_dump(mode="json"))
        )

    def get_catalogue(request: Request) -> Response:
        return JSONResponse(catalogue())

    def get_faults(request: Request) -> Response:
        return with_stack(lambda info, stack: JSONResponse({"active": stack.active()}))

    async def post_fault(request: Request) -> Response:
        body = await _json(request)
        if isinstance(body, Response):
            return body
        return await asyncio.to_thread(_inject, console, body, with_stack)

    def delete_faults(request: Request) -> Response:
        target = request.path_params.get("target")

        def heal(info: Any, stack: Any) -> Response:
            names: list[Target] = [s.name for s in info.services]
            if target == CLIENT:
                names = [CLIENT]
            elif target:
                names = [info.service(target).name]
            elif info.client is not None:
                names.append(CLIENT)
            healed = {str(name): stack.heal(name) for name in names}
            for name in names:
                console.forget_timed(str(name))
            return JSONResponse({"healed": healed})

        return with_stack(heal)

    def get_scenarios(request: Request) -> Response:
        found = []
        for folder in console.scenario_dirs:
            for path in find_scenario_files([folder]):
                found.append(_scenario_entry(path, folder))
        return JSONResponse({"scenarios": found})

    def get_runs(request: Request) -> Response:
        return JSONResponse({"runs": [run.summary() for run in console.runs.all()]})

    async def post_run(request: Request) -> Response:
        body = await _json(request)
        if isinstance(body, Response):
            return body
        try:
            run = await asyncio.to_thread(
                console.runs.start, str(body.get("scenario", "")), str(body.get("client", ""))
            )
        except UsageError as exc:
            return _error(str(exc), 400)
        return JSONResponse(run.summary(), status_code=201)

    def stop_run(request: Request) -> Response:
        run = console.runs.get(request.path_params["run_id"])
        if run is None:
            return _error("no such run", 404)
        if not console.runs.stop(run.id):
            return _error("this run is another process's (`harness run --ui`): stop it there", 409)
        return JSONResponse({"stopping": request.path_params["run_id"]})

    async def run_events(request: Request) -> Response:
        run = console.runs.get(request.path_params["run_id"])
        if run is None:
            return _error("no such run", 404)

        try:  # a reconnecting EventSource resumes after the last event it had
            sent = int(request.headers.get("last-event-id", "0"))
        except ValueError:
            sent = 0

        async def stream() -> AsyncIterator[str]:
            nonlocal sent
            yield "retry: 1000\n\n"
            while not console.stopping.is_set():
                alive = run.alive()  # read before the file: nothing written is missed
                lines = run.lines(sent)
                for line in lines:
                    sent += 1
                    if line["event"] == "RunFinished":  # a copy: the run keeps what was read
                        line = {**line, "report": run.report_href(line["run_dir"])}
                    yield f"id: {sent}\nevent: run\ndata: {_dumps(line)}\n\n"
                if not alive:
                    yield f"event: end\ndata: {_dumps(run.summary())}\n\n"
                    return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(EVENT_POLL_S)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    def report_file(request: Request) -> Response:
        root = console.runs.report_dir.resolve()
        path = (root / request.path_params["path"]).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return _error("no such report file", 404)
        # on the console's origin, a report file may run nothing and read no token
        headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
        return FileResponse(path, headers=headers)

    return Starlette(
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)],
        routes=[
            Route("/", page),
            Route("/api/stack", get_stack),
            Route("/api/catalogue", get_catalogue),
            Route("/api/faults", get_faults, methods=["GET"]),
            Route("/api/faults", post_fault, methods=["POST"]),
            Route("/api/faults", delete_faults, methods=["DELETE"]),
            Route("/api/faults/{target}", delete_faults, methods=["DELETE"]),
            Route("/api/scenarios", get_scenarios),
            Route("/api/runs", get_runs, methods=["GET"]),
            Route("/api/runs", post_run, methods=["POST"]),
            Route("/api/runs/{run_id}/events", run_events),
            Route("/api/runs/{run_id}/stop", stop_run, methods=["POST"]),
            Route("/reports/{path:path}", report_file),
        ],
    )


async def _json(request: Request) -> dict[str, Any] | Response:
    try:
        body = await request.json()
    except ValueError:
        return _error("the body must be a JSON object", 400)
    if not isinstance(body, dict):
        return _error("the body must be a JSON object", 400)
    return body


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _scenario_entry(path: Path, folder: Path) -> dict[str, Any]:
    try:
        raw, _ = read_yaml(path)
    except HarnessError:
        raw = {}
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "path": str(path),
        "name": str(data.get("name", path.stem)),
        "title": str(data.get("title", "")),
        "incident": data.get("incident"),
        "block": "blocks" in path.relative_to(folder).parts,
    }


StackAction = Callable[[Any, Any], Response]


def _inject(
    console: Console, body: dict[str, Any], with_stack: Callable[[StackAction], Response]
) -> Response:
    target_raw = str(body.get("target", ""))
    kind = str(body.get("kind", ""))
    raw = body.get("attributes") or {}
    if not isinstance(raw, dict):
        return _error("attributes must be an object of name: value", 400)
    words = [f"{k}={v}" for k, v in raw.items() if v is not None and str(v) != ""]
    try:
        target: Target = CLIENT if target_raw == CLIENT else service_name(target_raw)
        fault = parse_fault(kind, words)
        seconds = None
        if body.get("for") is not None and str(body["for"]).strip() != "":
            try:
                seconds = parse_duration(str(body["for"]))
            except ValueError as exc:
                raise UsageError(f"--for {body['for']!r}: {exc}") from None
        if isinstance(fault, RestartFault) and seconds is not None:
            raise UsageError("restart is instantaneous (stopped and started at once); drop --for")
    except UsageError as exc:
        message = str(exc)
        named = "for" if message.startswith("--for") else _named_field(message, list(raw))
        return _error(message, 400, fault_field=named)

    def apply(info: Any, stack: Any) -> Response:
        if target == CLIENT and info.client is None:
            raise UsageError(
                "no client under test in this stack: start it with the stack, "
                "`harness up --client FILE`"
            )
        if target != CLIENT:
            info.service(target)
        applied = stack.apply(target, fault, replace=True)
        if seconds is not None:
            console.timed(str(target), fault.kind, seconds, applied)
        else:
            console.forget_timed_kind(str(target), fault.kind)  # replaced: no end any more
        return JSONResponse(
            {"applied": applied.describe(), "target": str(target), "for": seconds}, status_code=201
        )

    return with_stack(apply)


def _remove_later(console: Console, applied: Any) -> None:
    info = state.read(console.state_dir)
    if info is None or not info.owner_alive():
        return
    with attach(info, console.state_dir) as stack:
        stack.remove(applied)


__all__ = ["Console", "build_app"]
