"""Fire-and-forget requests from the media-control surfaces (clicks, keys, notification)."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

from audio_service._service._requests import Request

__all__ = ["Dispatch", "RequestSender"]

#: Receives each request; may return an awaitable (e.g. ``ServiceCore.handle``).
Dispatch = Callable[[Request], object]


class RequestSender:
    """Sends requests to ``dispatch`` without waiting for them.

    A surface reacts to a button at once and must not stop on a request that
    fails: a failure is logged (naming ``source``), and the awaitables
    ``dispatch`` returns are kept until they end so none is garbage-collected
    mid-flight.
    """

    def __init__(self, dispatch: Dispatch, source: str, log: logging.Logger) -> None:
        self._dispatch = dispatch
        self._source = source
        self._log = log
        self._tasks: set[asyncio.Future[Any]] = set()

    def send(self, request: Request) -> None:
        try:
            outcome = self._dispatch(request)
        except Exception:
            self._log.exception("dispatching %s %s raised", request, self._source)
            return
        if inspect.isawaitable(outcome):
            task = asyncio.ensure_future(outcome)
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    async def wait(self) -> None:
        """Wait until the awaitables ``dispatch`` returned so far have finished."""
        while self._tasks:
            await asyncio.wait(tuple(self._tasks))

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._log.warning("a request %s failed: %s", self._source, task.exception())
