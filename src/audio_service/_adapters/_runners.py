"""How a GUI adapter reaches the client: through the sync client's thread, or the GUI's own loop.

Both runners give the adapter the same three things: send a request without
blocking the GUI (its outcome comes back on the GUI thread), follow a stream
with a callback on the GUI thread, and read the latest values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from audio_service._adapters._blocking import SyncAudioServiceClient as SyncClient
from audio_service._api._client import AudioServiceClient
from audio_session._stream import Stream

__all__ = ["LoopRunner", "Request", "Runner", "ThreadRunner"]

T = TypeVar("T")

#: A request as a function of the asyncio client, e.g. ``lambda client: client.play()``.
Request = Callable[[AudioServiceClient], Coroutine[Any, Any, Any]]
Done = Callable[[Any, BaseException | None], object]


class Cancellable(Protocol):
    def cancel(self) -> object: ...


class Runner(Protocol):
    @property
    def client(self) -> AudioServiceClient:
        """The asyncio client, for reading its latest values."""
        ...

    def submit(self, request: Request, done: Done) -> None: ...

    def listen(
        self,
        source: Callable[[AudioServiceClient], Stream[T]],
        callback: Callable[[T], object],
        *,
        latest_only: bool,
    ) -> Cancellable: ...

    def close(self) -> None: ...


class ThreadRunner:
    """Through a sync client: requests run on its loop thread, outcomes on ``dispatcher``."""

    def __init__(self, sync_client: SyncClient) -> None:
        self.sync_client = sync_client

    @property
    def client(self) -> AudioServiceClient:
        return self.sync_client.asyncio_client

    def submit(self, request: Request, done: Done) -> None:
        self.sync_client.submit(request, done)

    def listen(
        self,
        source: Callable[[AudioServiceClient], Stream[T]],
        callback: Callable[[T], object],
        *,
        latest_only: bool,
    ) -> Cancellable:
        client = self.client
        stream = self.sync_client._stream(lambda: source(client), latest_only=latest_only)
        return stream.listen(callback)

    def close(self) -> None:
        self.sync_client.close()


class LoopRunner:
    """On the asyncio loop that already runs on the GUI thread (qasync): no thread at all."""

    def __init__(self, client: AudioServiceClient) -> None:
        self._client = client
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def client(self) -> AudioServiceClient:
        return self._client

    def submit(self, request: Request, done: Done) -> None:
        task = self._loop.create_task(request(self._client))
        self._tasks.add(task)

        def finished(task: asyncio.Task[Any]) -> None:
            self._tasks.discard(task)
            if task.cancelled():
                return
            error = task.exception()
            done(None if error is not None else task.result(), error)

        task.add_done_callback(finished)

    def listen(
        self,
        source: Callable[[AudioServiceClient], Stream[T]],
        callback: Callable[[T], object],
        *,
        latest_only: bool,
    ) -> Cancellable:
        return source(self._client).listen(callback)

    def close(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
