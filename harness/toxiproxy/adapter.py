"""The adapter: the only code in the harness that talks to toxiproxy.

It is built on toxiproxy-python (the design card's client) and covers that library's gaps:

- the library keeps the server's host and port as class attributes of `APIConsumer`, shared by the
  whole process: every library call here binds them under one lock, so two clients for two
  servers never cross;
- it has no timeouts: every library call runs on a daemon thread joined with this client's
  timeout, so a hung server gives ToxiproxyUnavailableError instead of a hung harness;
- it turns a 500 (a busy listen port on create or enable) into a KeyError or ignores it, and it
  cannot update a toxic: proxy creation, enabling, reset, toxic update and reads that need the
  error body or the toxics go through httpx against the same REST API;
- its exceptions (ProxyExists, NotFound, InvalidToxic, requests errors) are translated here, in
  one place, into the harness error tree (harness.toxiproxy.errors).

    with ToxiproxyClient("http://127.0.0.1:8474") as toxiproxy:
        with toxiproxy.proxy("bpjs", listen="127.0.0.1:18201", upstream="127.0.0.1:18101"):
            with toxiproxy.fault("bpjs", Toxic.build("latency", {"latency": 500})):
                ...  # clients of 127.0.0.1:18201 see +500 ms
            # the toxic is gone here, whatever happened inside
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists
from toxiproxy.server import Toxiproxy as LibraryServer

from harness.errors import PortBusyError, ToxiproxyError
from harness.net import LOOPBACK_HOST, require_loopback
from harness.process import wait_until
from harness.toxiproxy.errors import (
    InvalidFaultError,
    ToxiproxyConflictError,
    ToxiproxyNotFoundError,
    ToxiproxyUnavailableError,
)
from harness.toxiproxy.faults import Down, NetworkFault, Stream, Toxic, ToxicType

DEFAULT_API_PORT = 8474
DEFAULT_URL = f"http://{LOOPBACK_HOST}:{DEFAULT_API_PORT}"
DEFAULT_TIMEOUT = 5.0

T = TypeVar("T")

# toxiproxy-python keeps the server address on the APIConsumer class; see the module docstring.
_LIBRARY_LOCK = threading.Lock()
_BUSY = re.compile(r"listen tcp (?P<host>[^ ]+):(?P<port>\d+): bind: address already in use")


class ToxicState(BaseModel):
    """A toxic as the server reports it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    type: str
    stream: Stream
    toxicity: float
    attributes: dict[str, int] = Field(default_factory=dict)

    def as_fault(self) -> Toxic:
        """This toxic as a harness fault value (built-in toxic types only)."""
        return Toxic.build(
            self.type,
            self.attributes,
            stream=self.stream,
            toxicity=self.toxicity,
            name=self.name,
        )


class ProxyState(BaseModel):
    """A proxy as the server reports it: `status --json` prints exactly these fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicState, ...] = ()

    @property
    def listen_port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    @property
    def url(self) -> str:
        """The base URL an HTTP client uses to reach the upstream through this proxy."""
        return f"http://{self.listen}"


@dataclass(frozen=True)
class AppliedFault:
    """A network fault applied to one proxy; `ToxiproxyClient.remove` takes it away again."""

    proxy: str
    fault: NetworkFault

    def describe(self) -> str:
        return f"{self.proxy}: {self.fault.describe()}"


class ToxiproxyClient:
    """A client for one toxiproxy server on loopback, with timeouts and typed errors.

    Use it as a context manager (or call `close()`) to release its HTTP connection pool.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        host = require_loopback(url, allowed_hosts=allowed_hosts)
        self.host = host
        self.port = urlsplit(url if "://" in url else f"http://{url}").port or DEFAULT_API_PORT
        self.url = f"http://{host}:{self.port}"
        self.timeout = timeout
        self._allowed_hosts = tuple(allowed_hosts)
        # trust_env=False: an HTTP(S)_PROXY meant for the internet must not capture loopback calls.
        self._http = httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"ToxiproxyClient({self.url!r})"

    # -- server ---------------------------------------------------------------------------------

    def version(self) -> str:
        """The server's version string, e.g. "2.12.0"."""
        response = self._request("GET", "/version", what="report its version")
        try:
            body = response.json()
        except ValueError:
            return response.text.strip()  # toxiproxy before 2.6 answered in plain text
        return str(body["version"]) if isinstance(body, dict) and "version" in body else str(body)

    def is_ready(self) -> bool:
        try:
            self.version()
        except ToxiproxyError:
            return False
        return True

    def wait_ready(self, *, timeout: float = 10.0) -> None:
        try:
            wait_until(self.is_ready, timeout=timeout, what=f"toxiproxy at {self.url}")
        except TimeoutError as exc:
            raise ToxiproxyUnavailableError(
                f"toxiproxy at {self.url} did not answer within {timeout:g}s; start it "
                "(`harness up`) or point TOXIPROXY_URL at a running server"
            ) from exc

    def reset(self) -> None:
        """Remove every toxic and enable every proxy (toxiproxy's POST /reset)."""
        self._request("POST", "/reset", what="reset")

    def clear(self) -> None:
        """Delete every proxy and with it every toxic: the state a crashed run may have left."""
        self._library("delete all proxies", lambda: LibraryServer().destroy_all())

    # -- proxies --------------------------------------------------------------------------------

    def proxies(self) -> tuple[ProxyState, ...]:
        """Every proxy on the server with its toxics, sorted by name."""
        body = self._request("GET", "/proxies", what="list proxies").json()
        states = (ProxyState.model_validate(raw) for raw in body.values())
        return tuple(sorted(states, key=lambda state: state.name))

    def get_proxy(self, name: str) -> ProxyState:
        body = self._request("GET", f"/proxies/{name}", what=f"show proxy {name!r}").json()
        return ProxyState.model_validate(body)

    def create_proxy(self, name: str, *, listen: str, upstream: str) -> ProxyState:
        """Create an enabled proxy. A taken listen port raises PortBusyError naming it."""
        for address in (listen, upstream):
            require_loopback(address.rsplit(":", 1)[0], allowed_hosts=self._allowed_hosts)
        body = self._request(
            "POST",
            "/proxies",
            json={"name": name, "listen": listen, "upstream": upstream, "enabled": True},
            what=f"create proxy {name!r} on {listen}",
        ).json()
        return ProxyState.model_validate(body)

    def delete_proxy(self, name: str) -> None:
        self._library(f"delete proxy {name!r}", lambda: bool(self._library_proxy(name).destroy()))

    def disable(self, name: str) -> None:
        """Stop the proxy listening: new connections are refused, open ones are cut."""
        self._library(f"disable proxy {name!r}", lambda: self._library_proxy(name).disable())

    def enable(self, name: str) -> None:
        """Listen again. If something took the port meanwhile, PortBusyError names it."""
        # Through httpx: the library ignores the 500 toxiproxy answers when the port is taken.
        self._request(
            "PATCH", f"/proxies/{name}", json={"enabled": True}, what=f"enable proxy {name!r}"
        )

    @contextlib.contextmanager
    def proxy(self, name: str, *, listen: str, upstream: str) -> Iterator[ProxyState]:
        """A proxy for the duration of the block; deleted at the end whatever happened."""
        state = self.create_proxy(name, listen=listen, upstream=upstream)
        try:
            yield state
        finally:
            with contextlib.suppress(ToxiproxyNotFoundError):
                self.delete_proxy(name)

    # -- toxics ---------------------------------------------------------------------------------

    def toxics(self, proxy: str) -> tuple[ToxicState, ...]:
        def call() -> tuple[ToxicState, ...]:
            found = self._library_proxy(proxy).toxics()
            return tuple(_toxic_state(toxic) for toxic in found.values())

        return self._library(f"list the toxics of {proxy!r}", call)

    def add_toxic(self, proxy: str, toxic: Toxic) -> ToxicState:
        """Add a validated toxic; a toxic of the same name on that proxy raises a conflict."""

        def call() -> ToxicState:
            library_proxy = self._library_proxy(proxy)
            library_proxy.add_toxic(
                name=toxic.name,
                type=str(toxic.type),
                stream=str(toxic.stream),
                toxicity=toxic.toxicity,
                attributes=dict(toxic.attributes),
            )
            added = library_proxy.get_toxic(toxic.name)
            if added is None:
                raise ToxiproxyError(f"toxiproxy accepted toxic {toxic.name!r} but did not keep it")
            return _toxic_state(added)

        return self._library(f"add {toxic.describe()} to {proxy!r}", call)

    def update_toxic(
        self,
        proxy: str,
        name: str,
        *,
        attributes: Mapping[str, int] | None = None,
        toxicity: float | None = None,
    ) -> ToxicState:
        """Change a toxic in place (the library cannot): the merged result is validated first."""
        current = next((t for t in self.toxics(proxy) if t.name == name), None)
        if current is None:
            raise ToxiproxyNotFoundError(f"proxy {proxy!r} has no toxic {name!r}")
        wanted = Toxic.build(
            current.type,
            {**current.attributes, **(attributes or {})},
            stream=current.stream,
            toxicity=current.toxicity if toxicity is None else toxicity,
            name=name,
        )
        body = {"attributes": dict(wanted.attributes), "toxicity": wanted.toxicity}
        answer = self._request(
            "PATCH",
            f"/proxies/{proxy}/toxics/{name}",
            json=body,
            what=f"update toxic {name!r} of {proxy!r}",
        ).json()
        return ToxicState.model_validate(answer)

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._library(
            f"remove toxic {name!r} from {proxy!r}",
            lambda: bool(self._library_proxy(proxy).destroy_toxic(name)),
        )

    # -- faults ---------------------------------------------------------------------------------

    def apply(self, proxy: str, fault: NetworkFault) -> AppliedFault:
        """Apply a network fault to a proxy; keep the result to `remove` it later."""
        if isinstance(fault, Down):
            self.disable(proxy)
        else:
            self.add_toxic(proxy, fault)
        return AppliedFault(proxy, fault)

    def remove(self, applied: AppliedFault) -> None:
        """Take an applied fault away. Idempotent: a fault already gone is not an error."""
        with contextlib.suppress(ToxiproxyNotFoundError):
            if isinstance(applied.fault, Down):
                self.enable(applied.proxy)
            else:
                self.remove_toxic(applied.proxy, applied.fault.name)

    @contextlib.contextmanager
    def fault(self, proxy: str, fault: NetworkFault) -> Iterator[AppliedFault]:
        """A network fault for the duration of the block; removed at the end whatever happened."""
        applied = self.apply(proxy, fault)
        try:
            yield applied
        finally:
            self.remove(applied)

    def heal(self, proxy: str) -> list[str]:
        """Remove every toxic from a proxy and enable it; returns what was removed."""
        state = self.get_proxy(proxy)
        healed = [f"{toxic.type} ({toxic.name})" for toxic in state.toxics]
        for toxic in state.toxics:
            with contextlib.suppress(ToxiproxyNotFoundError):
                self.remove_toxic(proxy, toxic.name)
        if not state.enabled:
            self.enable(proxy)
            healed.append("down")
        return healed

    # -- plumbing -------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, what: str, json: Mapping[str, object] | None = None
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.TimeoutException as exc:
            raise ToxiproxyUnavailableError(
                f"toxiproxy at {self.url} did not {what} within {self.timeout:g}s"
            ) from exc
        except httpx.TransportError as exc:
            raise ToxiproxyUnavailableError(
                f"cannot reach toxiproxy at {self.url} to {what} ({exc}); start it with "
                "`harness up` or point TOXIPROXY_URL at a running server"
            ) from exc
        if response.status_code >= 400:
            raise _http_error(response.status_code, _error_text(response), what=what)
        return response

    def _library_proxy(self, name: str) -> Any:
        """The library's Proxy object for `name`; call only inside `_library`."""
        found = LibraryServer().get_proxy(name)
        if found is None:
            raise ToxiproxyNotFoundError(f"toxiproxy at {self.url} has no proxy named {name!r}")
        return found

    def _library(self, what: str, call: Callable[[], T]) -> T:
        """Run one toxiproxy-python call against this server, bounded by the timeout."""
        outcome: list[T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                outcome.append(call())
            except BaseException as exc:  # handed to the caller's thread below
                failure.append(exc)

        with _LIBRARY_LOCK:
            APIConsumer.host, APIConsumer.port = self.host, self.port
            worker = threading.Thread(target=run, name=f"toxiproxy: {what}", daemon=True)
            worker.start()
            worker.join(self.timeout)
        if worker.is_alive():
            # The thread stays blocked until the server answers or dies; it is a daemon.
            raise ToxiproxyUnavailableError(
                f"toxiproxy at {self.url} did not {what} within {self.timeout:g}s"
            )
        if failure:
            raise _library_error(failure[0], what=what, url=self.url) from failure[0]
        return outcome[0]


def _toxic_state(toxic: Any) -> ToxicState:
    return ToxicState(
        name=toxic.name,
        type=toxic.type,
        stream=toxic.stream,
        toxicity=toxic.toxicity,
        attributes=toxic.attributes,
    )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return response.text.strip()


def _http_error(status: int, text: str, *, what: str) -> Exception:
    busy = _BUSY.search(text)
    if busy:
        return PortBusyError(busy["host"], int(busy["port"]), what="a toxiproxy proxy")
    if status == 404:
        return ToxiproxyNotFoundError(f"cannot {what}: {text}")
    if status == 409:
        return ToxiproxyConflictError(
            f"cannot {what}: {text}; remove the existing one first (`harness heal`)"
        )
    if status == 400:
        return InvalidFaultError(f"toxiproxy rejected the request to {what}: {text}")
    return ToxiproxyError(f"toxiproxy could not {what}: {text} (HTTP {status})")


def _library_error(exc: BaseException, *, what: str, url: str) -> BaseException:
    """Translate toxiproxy-python's exceptions, in this one place, into the harness tree."""
    if isinstance(exc, ToxiproxyError | InvalidFaultError):
        return exc
    raw = exc.args[0] if exc.args else b""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else ""
    if isinstance(exc, NotFound):
        return _http_error(404, _json_error(text) or "not found", what=what)
    if isinstance(exc, ProxyExists):
        return _http_error(409, _json_error(text) or "already exists", what=what)
    if isinstance(exc, InvalidToxic):
        return _http_error(400, _json_error(text) or "invalid toxic", what=what)
    if isinstance(exc, KeyError):
        # The library reads fields out of an error body it did not check: a 500 from the server.
        return ToxiproxyError(f"toxiproxy at {url} answered an error to: {what}")
    if isinstance(exc, OSError):  # requests' exceptions derive from OSError
        return ToxiproxyUnavailableError(
            f"cannot reach toxiproxy at {url} to {what} ({exc}); start it with `harness up` "
            "or point TOXIPROXY_URL at a running server"
        )
    return exc


def _json_error(text: str) -> str:
    match = re.search(r'"error"\s*:\s*"(?P<message>[^"]*)"', text)
    return match["message"] if match else text.strip()


__all__ = [
    "DEFAULT_API_PORT",
    "DEFAULT_URL",
    "AppliedFault",
    "ProxyState",
    "Stream",
    "ToxicState",
    "ToxicType",
    "ToxiproxyClient",
]
