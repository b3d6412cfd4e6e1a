"""The client's copy of a service's state: replaying streams, the position, applied events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from datetime import timedelta
from typing import Any

from audio_service._model._events import (
    CustomEvent,
    EncodedQueueChanged,
    MediaItemChanged,
    QueueChanged,
    ReceivedEvent,
    ServiceSnapshot,
    StateChanged,
)
from audio_service._model._models import MediaItem, PlaybackState
from audio_service._model._position import Clock, position_period
from audio_service._model._queue import MediaQueue, apply
from audio_session._checks import is_int
from audio_session._stream import Stream, StreamController, Subscription

__all__ = ["ServiceMirror"]

_log = logging.getLogger("audio_service")

_ZERO = timedelta(0)


class ServiceMirror:
    """What one client knows of the service it follows, and the streams that publish it.

    The client owns the connection and feeds this its events; the values
    outlive a connection (the streams keep the last values after a disconnect).
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.state = PlaybackState(update_time=clock())
        self.media_item: MediaItem | None = None
        self.queue = MediaQueue()
        self.state_ctl = StreamController[PlaybackState](
            "playback_state", replay=True, initial=self.state
        )
        self.media_item_ctl = StreamController[MediaItem | None](
            "current_media_item", replay=True, initial=None
        )
        self.queue_ctl = StreamController[MediaQueue]("queue", replay=True, initial=self.queue)
        self.running_ctl = StreamController[bool]("running", replay=True, initial=False)
        self.custom_event_ctl = StreamController[Any]("custom_event")
        self.children_ctl = StreamController[tuple[MediaItem, ...]](
            "browse_media_children", replay=True, initial=()
        )
        self.seek_target: timedelta | None = None
        self._seek_token = 0
        # The controllers whose ticker runs (strong: a running ticker keeps its stream alive).
        self.position_controllers: set[_PositionController] = set()
        self._position_streams: weakref.WeakSet[_PositionController] = weakref.WeakSet()
        self._position_stream: Stream[timedelta] | None = None

    # ----------------------------------------------------------------- events

    def apply(self, event: ReceivedEvent) -> bool:
        """Apply a state event; False for the events about the service's lifecycle."""
        if isinstance(event, StateChanged):
            # publish_state's body, without its frame: the event of every request comes here.
            state = self.state = event.state
            self.state_ctl.add(state)
            if self.position_controllers:
                self.position_changed()
        elif isinstance(event, QueueChanged | EncodedQueueChanged):
            try:
                self.queue = apply(event.ops, self.queue)
            except ValueError as error:  # items a newer service sent that this version cannot read
                _log.error("ignoring an unreadable queue edit from the service: %s", error)
                return True
            if len(self.queue) != event.length:
                _log.error(
                    "queue mirror out of step: %d items here, %d in the service",
                    len(self.queue),
                    event.length,
                )
            self.queue_ctl.add(self.queue)
        elif isinstance(event, MediaItemChanged):
            self.publish_media_item(event.media_item)
        elif isinstance(event, CustomEvent):
            self.custom_event_ctl.add(event.event)
        else:
            return False
        return True

    def load_snapshot(self, snapshot: ServiceSnapshot) -> None:
        """Take the state, item and queue a new connection starts with."""
        self.publish_state(snapshot.state)
        self.publish_media_item(snapshot.media_item)
        self.queue = MediaQueue(snapshot.queue)
        self.queue_ctl.add(self.queue)

    def set_running(self, running: bool) -> None:
        if running != self.running_ctl.latest:
            self.running_ctl.add(running)

    def reset(self) -> None:
        """Back to what no running service looks like (except ``running``, the caller's)."""
        self.seek_target = None
        self.publish_state(PlaybackState(update_time=self.clock()))
        self.publish_media_item(None)
        self.queue = MediaQueue()
        self.queue_ctl.add(self.queue)
        self.children_ctl.add(())

    def publish_state(self, state: PlaybackState) -> None:
        self.state = state
        self.state_ctl.add(state)
        if self.position_controllers:  # none runs unless a position stream has a listener
            self.position_changed()

    def publish_media_item(self, media_item: MediaItem | None) -> None:
        self.media_item = media_item
        self.media_item_ctl.add(media_item)
        self.position_changed()

    def end_subscriptions(self) -> None:
        """End every subscription, so that no listener task outlives the connection."""
        self.seek_target = None
        controllers: tuple[StreamController[Any], ...] = (
            self.state_ctl,
            self.media_item_ctl,
            self.queue_ctl,
            self.running_ctl,
            self.custom_event_ctl,
            self.children_ctl,
            *self._position_streams,
        )
        for controller in controllers:
            controller.end_subscriptions()
        self.position_changed()  # their tickers see no listener left and end

    # --------------------------------------------------------------- position

    @property
    def position(self) -> timedelta:
        if self.seek_target is not None:
            return self.seek_target
        media_item = self.media_item
        duration = media_item.duration if media_item is not None else None
        return self.state.position_at(self.clock(), duration)

    def duration(self) -> timedelta | None:
        return self.media_item.duration if self.media_item is not None else None

    def position_advancing(self) -> bool:
        if self.seek_target is not None or not self.state.advancing:
            return False
        duration = self.duration()
        return duration is None or self.position < duration

    def position_changed(self) -> None:
        for controller in tuple(self.position_controllers):
            controller.changed()

    def begin_seek(self, position: timedelta) -> int:
        """Show ``position`` until :meth:`end_seek` with the token returned."""
        self._seek_token += 1
        self.seek_target = position
        self.position_changed()
        return self._seek_token

    def end_seek(self, token: int) -> None:
        # A later seek owns the target now; only the latest one may clear it.
        if self._seek_token == token:
            self.seek_target = None
            self.position_changed()

    @property
    def position_stream(self) -> Stream[timedelta]:
        if self._position_stream is None:
            self._position_stream = self.create_position_stream(
                None,
                steps=800,
                min_period=timedelta(milliseconds=16),
                max_period=timedelta(milliseconds=200),
            )
        return self._position_stream

    def create_position_stream(
        self,
        period: timedelta | None,
        *,
        steps: int,
        min_period: timedelta,
        max_period: timedelta,
    ) -> Stream[timedelta]:
        if period is not None:
            min_period = max_period = period
        for name, value in (("min_period", min_period), ("max_period", max_period)):
            if not isinstance(value, timedelta):
                raise TypeError(f"{name} must be a datetime.timedelta, not {value!r}")
            if value <= _ZERO:
                raise ValueError(f"{name} must be positive, not {value}")
        if min_period > max_period:
            raise ValueError(f"min_period {min_period} is longer than max_period {max_period}")
        if not is_int(steps) or steps < 1:
            raise ValueError(f"steps must be a positive int, not {steps!r}")
        controller = _PositionController(self, steps, min_period, max_period)
        self._position_streams.add(controller)
        return controller.stream


class _PositionController(StreamController[timedelta]):
    """A replaying position stream whose ticker runs only while someone listens.

    The ticker sleeps on an event: a state, item or seek change wakes it; while
    the position advances it also wakes every period. When the last listener
    leaves it ends.
    """

    def __init__(
        self,
        mirror: ServiceMirror,
        steps: int,
        min_period: timedelta,
        max_period: timedelta,
    ) -> None:
        super().__init__("position", replay=True)
        self._mirror = mirror
        self._steps = steps
        self._min_period = min_period
        self._max_period = max_period
        self._wake: asyncio.Event | None = None
        self._driver: asyncio.Task[None] | None = None

    def _attach(self, steps: list[Any], maxsize: int | None) -> Subscription[Any]:
        # A new listener must get the position of now, not the one of the last listening.
        self._refresh()
        subscription = super()._attach(steps, maxsize)
        if self._driver is None or self._driver.done():
            self._driver = asyncio.get_running_loop().create_task(
                self._drive(), name="audio_service position ticker"
            )
        return subscription

    def _detach(self, subscription: Subscription[Any]) -> None:
        super()._detach(subscription)
        if not self.has_listener and self._wake is not None:
            self._wake.set()

    def changed(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _refresh(self) -> None:
        position = self._mirror.position
        if not self.stream.has_value or self.stream.value != position:
            self.add(position)

    async def _drive(self) -> None:
        wake = asyncio.Event()
        self._wake = wake
        mirror = self._mirror
        mirror.position_controllers.add(self)
        try:
            while self.has_listener:
                self._refresh()
                wake.clear()
                if mirror.position_advancing():
                    period = position_period(
                        mirror.duration(),
                        steps=self._steps,
                        min_period=self._min_period,
                        max_period=self._max_period,
                    )
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(period):
                            await wake.wait()
                else:
                    await wake.wait()
        finally:
            mirror.position_controllers.discard(self)
            self._wake = None
