"""What the Qt and GTK adapters share: which stream feeds which UI notification.

A :class:`Feeds` follows the client's streams through a runner and tells a
:class:`FeedSink` (the toolkit's object, which turns each call into a signal) on
the GUI thread. Requests go out without blocking the GUI; a failure comes
back as :meth:`FeedSink.failed`, and the connection is re-checked after each
lifecycle request and each change of ``running`` (a lost host ends both).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from audio_service._adapters._runners import Cancellable, Request, Runner
from audio_service._model._models import MediaItem, PlaybackState
from audio_service._model._queue import MediaQueue

__all__ = ["POSITION_PERIODS", "FeedSink", "Feeds"]

_log = logging.getLogger("audio_service")

#: The adapters' position rate: one step per pixel of a 1000-pixel slider,
#: at most 20 and at least 4 updates a second while playing.
POSITION_PERIODS = (timedelta(milliseconds=50), timedelta(milliseconds=250))


class FeedSink(Protocol):
    def playback_state(self, state: PlaybackState) -> None: ...
    def media_item(self, item: MediaItem | None) -> None: ...
    def queue(self, queue: MediaQueue) -> None: ...
    def custom_event(self, event: Any) -> None: ...
    def running(self, running: bool) -> None: ...
    def connection(self, connected: bool) -> None: ...
    def position(self, position: timedelta) -> None: ...
    def failed(self, request: str, error: BaseException) -> None: ...


class Feeds:
    """Follows one client for one toolkit object, from construction until :meth:`close`."""

    def __init__(self, runner: Runner, sink: FeedSink) -> None:
        self.runner = runner
        self._sink = sink
        self._connected = False
        self._closed = False
        low, high = POSITION_PERIODS
        self._listeners: list[Cancellable] = [
            runner.listen(lambda c: c.playback_state_stream, sink.playback_state, latest_only=True),
            runner.listen(lambda c: c.current_media_item_stream, sink.media_item, latest_only=True),
            runner.listen(lambda c: c.queue_stream, sink.queue, latest_only=True),
            runner.listen(lambda c: c.custom_event_stream, sink.custom_event, latest_only=False),
            runner.listen(lambda c: c.running_stream, self._running, latest_only=True),
            runner.listen(
                lambda c: c.create_position_stream(steps=1000, min_period=low, max_period=high),
                sink.position,
                latest_only=True,
            ),
        ]

    @property
    def connected(self) -> bool:
        return self._connected

    def _running(self, running: bool) -> None:
        self._sink.running(running)
        self._check_connection()

    def _check_connection(self) -> None:
        connected = self.runner.client.connected
        if connected != self._connected and not self._closed:
            self._connected = connected
            self._sink.connection(connected)

    def request(
        self, name: str, request: Request, then: Callable[[Any], object] | None = None
    ) -> None:
        """Send ``request``, not waiting; ``then(result)`` on the GUI thread when it succeeded."""
        if self._closed:
            raise RuntimeError(f"cannot {name}: the adapter was closed")

        def done(result: Any, error: BaseException | None) -> None:
            self._check_connection()
            if error is not None:
                if not self._closed:
                    self._sink.failed(name, error)
            elif then is not None:
                try:
                    then(result)
                except Exception:
                    _log.exception("the result handler of %s raised", name)

        self.runner.submit(request, done)

    def close(self) -> None:
        """Stop following the client and end its threads (the service plays on)."""
        if self._closed:
            return
        self._closed = True
        for listener in self._listeners:
            listener.cancel()
        self.runner.close()
