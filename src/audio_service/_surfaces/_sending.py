"""Fire-and-forget requests from the media-control surfaces (clicks, keys, notification)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable

from audio_service._service._requests import Request
from audio_session._tasks import BackgroundTasks

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
        self._tasks = BackgroundTasks(log, f"a request {source}")

    def send(self, request: Request) -> None:
        try:
            outcome = self._dispatch(request)
        except Exception:
            self._log.exception("dispatching %s %s raised", request, self._source)
            return
        if inspect.isawaitable(outcome):
            self._tasks.spawn(outcome)

    async def wait(self) -> None:
        """Wait until the awaitables ``dispatch`` returned so far have finished."""
        await self._tasks.wait()
