"""The synchronous side of the client's streams: callbacks instead of ``async for``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from audio_service._adapters._dispatch import Dispatcher, Relay
from audio_service._adapters._loop import LoopThread
from audio_session._stream import Stream, Subscription

__all__ = ["CallbackStream", "Listener"]

T = TypeVar("T")


class Listener:
    """One callback attached with :meth:`CallbackStream.listen`; :meth:`cancel` detaches it."""

    def __init__(self, relay: Relay[object], subscription: Subscription[object], loop: LoopThread):
        self._relay = relay
        self._subscription = subscription
        self._loop = loop

    @property
    def cancelled(self) -> bool:
        return self._subscription.cancelled or self._relay._cancelled

    def cancel(self) -> None:
        """No more calls after this returns (from any thread; safe to call twice)."""
        self._relay.cancel()
        self._loop.post(self._subscription.cancel)


class CallbackStream(Generic[T]):
    """A stream of the synchronous client: :meth:`listen` calls a function with each value.

    The values are produced on the client's loop thread and handed to the
    listener's dispatcher, which calls the function on its own thread.
    """

    def __init__(
        self,
        source: Callable[[], Stream[T]],
        loop: LoopThread,
        dispatcher: Dispatcher,
        register: Callable[[Listener], None],
        *,
        latest_only: bool,
    ) -> None:
        self._source = source
        self._loop = loop
        self._dispatcher = dispatcher
        self._register = register
        self._latest_only = latest_only
        self._stream: Stream[T] | None = None
        self._guard = threading.Lock()

    def _async_stream(self) -> Stream[T]:
        with self._guard:
            if self._stream is None:
                self._stream = self._source()
            return self._stream

    @property
    def has_value(self) -> bool:
        """True when this replaying stream holds a value."""
        return self._async_stream().has_value

    @property
    def value(self) -> T:
        """The latest value of a replaying stream; :class:`LookupError` when there is none."""
        return self._async_stream().value

    def listen(
        self, callback: Callable[[T], object], *, dispatcher: Dispatcher | None = None
    ) -> Listener:
        """Call ``callback`` with each value (a replaying stream starts with the latest).

        The calls run on ``dispatcher`` (default: the client's), one at a time and
        in order; an exception is logged and the next value still comes.
        """
        relay: Relay[T] = Relay(
            callback, dispatcher or self._dispatcher, latest_only=self._latest_only
        )

        def attach() -> Subscription[T]:
            return self._async_stream().listen(relay.push)

        subscription = self._loop.run(attach)
        listener = Listener(relay, subscription, self._loop)  # type: ignore[arg-type]
        self._register(listener)
        return listener
