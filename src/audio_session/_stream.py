"""The one stream type shared by ``audio_session`` and ``audio_service``.

A :class:`StreamController` is the write side, owned by whoever produces values.
Its :class:`Stream` is the read side handed to apps: iterate it with ``async for``
or attach a callback with :meth:`Stream.listen`.

Every subscription has its own bounded buffer, so a slow listener never delays
the producer or the other listeners. When a buffer is full the oldest value is
dropped and counted: replaying ("value") streams only ever need the latest
value, and event streams would rather lose an old event than grow without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar, cast

__all__ = ["Stream", "StreamController", "Subscription"]

_log = logging.getLogger(__name__)

T = TypeVar("T")
U = TypeVar("U")

#: How many values an event-stream subscription buffers before dropping the oldest.
DEFAULT_BUFFER = 1024

_MISSING: Any = object()

# A per-subscription step: returns (keep, value). Steps are created per
# subscription so that stateful ones such as ``distinct`` see only their own history.
_Step = Callable[[Any], tuple[bool, Any]]
_StepFactory = Callable[[], _Step]


class Subscription(Generic[T]):
    """One listener's view of a stream: an async iterator that can be cancelled.

    Obtained from :meth:`Stream.subscribe` (or ``async for`` over a stream) and
    from :meth:`Stream.listen`, where a task feeds each value to the callback.
    """

    def __init__(self, controller: StreamController[Any], steps: list[_Step], maxsize: int) -> None:
        self._controller = controller
        self._steps = steps
        self._buffer: deque[T] = deque(maxlen=maxsize)
        self._waiter: asyncio.Future[None] | None = None
        self._cancelled = False
        # Ended by its controller (StreamController.end_subscriptions), the stream still open.
        self._ending = False
        self._task: asyncio.Task[None] | None = None
        #: Values dropped because this subscription's buffer was full.
        self.dropped = 0

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called or the stream was closed and drained."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop receiving values. Safe to call more than once, from a callback too."""
        if self._cancelled:
            return
        self._cancelled = True
        self._buffer.clear()
        self._controller._detach(self)
        self._wake()
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()

    def _push(self, value: Any) -> None:
        for step in self._steps:
            keep, value = step(value)
            if not keep:
                return
        if len(self._buffer) == self._buffer.maxlen:
            self.dropped += 1
            # Replaying streams conflate by design; only lost events are worth a warning.
            if not self._controller.replay and (self.dropped == 1 or self.dropped % 1000 == 0):
                _log.warning(
                    "a slow listener of %s dropped %d value(s)", self._controller.name, self.dropped
                )
        self._buffer.append(cast(T, value))
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        while True:
            if self._buffer:
                return self._buffer.popleft()
            if self._cancelled or self._ending or self._controller.closed:
                self._cancelled = True
                self._controller._detach(self)
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


class Stream(Generic[T]):
    """The read side of a stream of values of type ``T``.

    A replaying stream (``StreamController(replay=True)``) gives each new
    listener the latest value first; an event stream gives only what comes after.
    """

    def __init__(self, controller: StreamController[Any], factories: tuple[_StepFactory, ...]):
        self._controller = controller
        self._factories = factories

    @property
    def has_value(self) -> bool:
        """True when this replaying stream holds a value that passes its filters."""
        return self._latest() is not _MISSING

    @property
    def value(self) -> T:
        """The latest value of a replaying stream; :class:`LookupError` when there is none."""
        latest = self._latest()
        if latest is _MISSING:
            raise LookupError(f"{self._controller.name} has no value yet")
        return cast(T, latest)

    def _latest(self) -> Any:
        latest = self._controller._latest
        if latest is _MISSING:
            return _MISSING
        for factory in self._factories:
            keep, latest = factory()(latest)
            if not keep:
                return _MISSING
        return latest

    def subscribe(self, *, maxsize: int | None = None) -> Subscription[T]:
        """A new subscription, to be iterated with ``async for`` and cancelled when done."""
        return self._controller._attach([f() for f in self._factories], maxsize)

    def __aiter__(self) -> AsyncIterator[T]:
        return self.subscribe()

    def listen(
        self,
        callback: Callable[[T], object],
        *,
        on_error: Callable[[BaseException], object] | None = None,
        maxsize: int | None = None,
    ) -> Subscription[T]:
        """Call ``callback`` (plain or ``async``) with each value, in order, from a task.

        An exception raised by the callback is logged (or given to ``on_error``)
        and the subscription carries on. Must be called with an event loop running.
        """
        # Looked up first: without a running loop, no subscription may be left attached.
        loop = asyncio.get_running_loop()
        subscription = self.subscribe(maxsize=maxsize)
        subscription._task = loop.create_task(
            _feed(subscription, callback, on_error), name=f"listener of {self._controller.name}"
        )
        return subscription

    async def first(self, predicate: Callable[[T], bool] | None = None) -> T:
        """The next value (for a replaying stream: the latest one) that satisfies ``predicate``."""
        with self.subscribe() as subscription:
            async for value in subscription:
                if predicate is None or predicate(value):
                    return value
        raise EOFError(f"{self._controller.name} closed before a matching value")

    def map(self, transform: Callable[[T], U]) -> Stream[U]:
        """A stream of ``transform(value)`` for each value."""

        def factory() -> _Step:
            return lambda value: (True, transform(value))

        return Stream(self._controller, (*self._factories, factory))

    def where(self, predicate: Callable[[T], bool]) -> Stream[T]:
        """A stream of the values that satisfy ``predicate``."""

        def factory() -> _Step:
            return lambda value: (predicate(value), value)

        return Stream(self._controller, (*self._factories, factory))

    def distinct(self) -> Stream[T]:
        """A stream that skips a value equal to the one it delivered just before."""

        def factory() -> _Step:
            previous: list[Any] = [_MISSING]

            def step(value: Any) -> tuple[bool, Any]:
                if previous[0] is not _MISSING and previous[0] == value:
                    return False, value
                previous[0] = value
                return True, value

            return step

        return Stream(self._controller, (*self._factories, factory))


async def _feed(
    subscription: Subscription[T],
    callback: Callable[[T], object],
    on_error: Callable[[BaseException], object] | None,
) -> None:
    async for value in subscription:
        try:
            result = callback(value)
            if inspect.isawaitable(result):
                await cast(Awaitable[object], result)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if on_error is None:
                _log.exception("a listener of %s raised", subscription._controller.name)
            else:
                try:
                    on_error(error)
                except Exception:
                    _log.exception(
                        "the error handler of a %s listener raised", subscription._controller.name
                    )


class StreamController(Generic[T]):
    """The write side of a :class:`Stream`: :meth:`add` values, :meth:`close` when done.

    ``replay=True`` makes a "value" stream (each new listener first gets the latest
    value; it keeps only the newest value per slow listener). ``maxsize`` bounds
    each subscription's buffer.
    """

    def __init__(
        self,
        name: str = "stream",
        *,
        replay: bool = False,
        initial: T = _MISSING,
        maxsize: int | None = None,
        on_listen: Callable[[], object] | None = None,
    ) -> None:
        if initial is not _MISSING and not replay:
            raise ValueError("only a replaying stream can have an initial value")
        self.name = name
        self.replay = replay
        self._latest: Any = initial
        self._maxsize = maxsize if maxsize is not None else (1 if replay else DEFAULT_BUFFER)
        if self._maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {self._maxsize}")
        self._subscriptions: list[Subscription[Any]] = []
        self._on_listen = on_listen
        self.closed = False
        self.stream: Stream[T] = Stream(self, ())

    @property
    def has_listener(self) -> bool:
        return bool(self._subscriptions)

    @property
    def latest(self) -> T:
        """The last value added (replaying streams only); :class:`LookupError` before one."""
        return self.stream.value

    def add(self, value: T) -> None:
        """Deliver ``value`` to every listener without waiting for any of them."""
        if self.closed:
            raise RuntimeError(f"{self.name} is closed")
        if self.replay:
            self._latest = value
        if not self._subscriptions:
            return  # the usual case of a state's stream in a host: no tuple made for nobody
        for subscription in tuple(self._subscriptions):
            try:
                subscription._push(value)
            except Exception:
                # A failing map/where step belongs to one listener; it must not stop the others.
                _log.exception("a filter of a %s listener raised", self.name)

    def end_subscriptions(self) -> None:
        """End every current subscription; the stream stays open and keeps its latest value.

        Each ``async for`` loop (and ``listen`` task) finishes after the values it
        has buffered; later subscriptions work as before.
        """
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            subscription._ending = True
            subscription._wake()

    def close(self) -> None:
        """End the stream: listeners finish after the values already buffered."""
        if self.closed:
            return
        self.closed = True
        for subscription in tuple(self._subscriptions):
            subscription._wake()

    def _attach(self, steps: list[_Step], maxsize: int | None) -> Subscription[Any]:
        size = self._maxsize if maxsize is None else maxsize
        if size < 1:
            raise ValueError(f"maxsize must be at least 1, not {size}")
        subscription: Subscription[Any] = Subscription(self, steps, size)
        if self.replay and self._latest is not _MISSING:
            subscription._push(self._latest)
        if not self.closed:
            self._subscriptions.append(subscription)
            if self._on_listen is not None and len(self._subscriptions) == 1:
                try:
                    self._on_listen()
                except Exception:
                    # The subscription is attached already; raising would orphan it.
                    _log.exception("the on_listen hook of %s raised", self.name)
        return subscription

    def _detach(self, subscription: Subscription[Any]) -> None:
        with contextlib.suppress(ValueError):
            self._subscriptions.remove(subscription)
