"""A tiny real upstream for the toxiproxy tests: served by uvicorn in its own process.

    python -m uvicorn tests.upstream_app:app --host 127.0.0.1 --port N

GET /hello answers "hello"; GET /bytes/{n} answers n bytes with a Content-Length, so that a
truncated or slowed body is easy to see from the client side.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

PATTERN = b"0123456789abcdef"


def body_of(size: int) -> bytes:
    """The exact body GET /bytes/{size} sends, for comparison in tests."""
    return (PATTERN * (size // len(PATTERN) + 1))[:size]


async def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


async def sized(request: Request) -> Response:
    size = int(request.path_params["size"])
    return Response(body_of(size), media_type="application/octet-stream")


app = Starlette(
    routes=[
        Route("/hello", hello),
        Route("/bytes/{size:int}", sized),
    ]
)
