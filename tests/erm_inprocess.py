"""The ERM mock in this process: the app `python -m mock_services erm` serves, reached through
Starlette's TestClient instead of a socket.

`erm_in_process()` builds the app the way the command line does (the same parser, flags and
`build_app`; seed 1 and an in-memory database unless told otherwise, as `tests.conftest.mock_spec`
starts the process) and runs it on one event loop of its own, in a thread (an anyio blocking
portal), as uvicorn serves it from one loop; without lifespan events, as the mock is served with
`lifespan="off"`. Every client made for it sends its requests into that loop, and an app error
comes back as the 500 OperationOutcome a real client would get, not as an exception.

What needs a real process stays on `tests.erm_support.start_erm`: a kill or a restart, a response
cut short on the connection, a client library that opens its own connections.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.types import ASGIApp

from mock_services.cli import build_parser, load_service
from mock_services.common.service import CommonOptions
from tests.erm_support import get_token

with warnings.catch_warnings():
    # Starlette 1.x prefers its `httpx2` package and says so with a StarletteDeprecationWarning
    # (pytest turns every warning into an error); the project pins httpx, which TestClient still
    # runs on. Matched by its message: the class does not exist in the starlette lower bound.
    warnings.filterwarnings("ignore", "Using `httpx`", UserWarning)
    # At the starlette lower bound (0.41) TestClient names anyio.abc.BlockingPortal, an alias newer
    # anyio deprecates; the mocks themselves never touch it.
    warnings.filterwarnings("ignore", "The anyio.abc.BlockingPortal alias", DeprecationWarning)
    from starlette.testclient import TestClient

BASE_URL = "http://testserver"  # TestClient's default: what the app sees as its base URL
SEED = 1  # what tests.conftest.mock_spec starts the process with


def build_erm_app(
    *, seed: int = SEED, db: Path | None = None, extra: tuple[str, ...] = ()
) -> ASGIApp:
    """The ASGI app `python -m mock_services erm --seed SEED [--db DB] EXTRA...` serves."""
    argv = ["erm", "--seed", str(seed), *extra]
    if db is not None:
        argv += ["--db", str(db)]
    service = load_service("erm")
    args = build_parser({"erm": service}).parse_args(argv)
    return service.build_app(CommonOptions.from_args(args), args)


def _test_client(
    app: ASGIApp, portal: BlockingPortal, headers: dict[str, str] | None = None
) -> TestClient:
    client = TestClient(
        app,
        base_url=BASE_URL,
        raise_server_exceptions=False,  # a server answers a crash with a 500, it raises nothing
        headers=dict(headers or {}),  # TestClient adds its user-agent to the dict it is given
        follow_redirects=False,  # httpx's default, which the real-process tests used
    )
    # TestClient sends every request through a portal it has been given: the app's one loop.
    client.portal = portal
    return client


@dataclass(frozen=True)
class InProcessMock:
    """The app, its loop, and a client without credentials (what module-level httpx calls were).

    The clients are TestClients, typed as the httpx.Client they are (for mypy, TestClient derives
    from `httpx2`, which is not installed).
    """

    app: ASGIApp
    portal: BlockingPortal
    http: httpx.Client

    @property
    def url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    @contextmanager
    def client(self, headers: dict[str, str] | None = None) -> Iterator[httpx.Client]:
        with closing(_test_client(self.app, self.portal, headers)) as client:
            yield client


@dataclass(frozen=True)
class InProcessERM:
    """`tests.erm_support.ERM`, in this process: the mock and a token it issued."""

    mock: InProcessMock
    token: str

    @property
    def url(self) -> str:
        return self.mock.url

    @property
    def app(self) -> ASGIApp:
        return self.mock.app

    @property
    def portal(self) -> BlockingPortal:
        return self.mock.portal

    @property
    def http(self) -> httpx.Client:
        return self.mock.http

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @contextmanager
    def client(self) -> Iterator[httpx.Client]:
        with self.mock.client(self.auth) as client:
            yield client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request without the token (an admin call, a token request)."""
        return self.http.request(method, path, **kwargs)


@contextmanager
def serve_erm_in_process(
    *, seed: int = SEED, db: Path | None = None, extra: tuple[str, ...] = ()
) -> Iterator[InProcessMock]:
    """A fresh ERM app (fresh state) for the block, like `start_mock("erm", ...)`."""
    app = build_erm_app(seed=seed, db=db, extra=extra)
    with start_blocking_portal() as portal, closing(_test_client(app, portal)) as http:
        yield InProcessMock(app=app, portal=portal, http=http)


@contextmanager
def erm_in_process(
    *, seed: int = SEED, db: Path | None = None, extra: tuple[str, ...] = ()
) -> Iterator[InProcessERM]:
    """A fresh ERM app and a token from it, like `start_erm(start_mock, ...)`."""
    with serve_erm_in_process(seed=seed, db=db, extra=extra) as mock:
        yield InProcessERM(mock=mock, token=get_token(mock.http))
