"""Background rounds: one bounded round every `interval` seconds until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(
    interval: float, stop: asyncio.Event, round_: Callable[[], Awaitable[object]], *, what: str
) -> None:
    """Run `round_` now and then every `interval` seconds until `stop` is set.

    A round that raises is logged and the next one runs: a bug in one round must not end the
    background work for the rest of the client's life.
    """
    while not stop.is_set():
        try:
            await round_()
        except Exception:
            log.exception("%s round failed", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
