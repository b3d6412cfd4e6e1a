"""An asyncio event loop on a private thread, driven by blocking calls from other threads.

The synchronous client runs the asyncio client here: every blocking call hands a
coroutine to this loop and waits on a plain lock, the cheapest thing a thread
can block on (``concurrent.futures.Future`` adds a condition and its bookkeeping
to each round trip). :meth:`LoopThread.stop` ends the loop the way
``asyncio.run`` does, so no task is left pending and no thread is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from audio_service._errors import NotConnectedError

__all__ = ["LoopThread"]

_log = logging.getLogger("audio_service")

T = TypeVar("T")

#: How long stop() lets the loop's tasks end by themselves before cancelling them.
_SETTLE = 1.0
#: How long stop() lets the loop's remaining tasks finish after cancelling them.
_STOP_GRACE = 5.0


class _Waiter(Generic[T]):
    """One blocking call: the task on the loop, and a lock the caller blocks on."""

    __slots__ = ("_coroutine", "_error", "_lock", "_pending", "_result", "task")

    def __init__(self, coroutine: Coroutine[Any, Any, T], pending: set[_Waiter[Any]]) -> None:
        self._coroutine = coroutine
        self._pending = pending
        self._lock = threading.Lock()
        self._lock.acquire()
        self._result: T | None = None
        self._error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None
        pending.add(self)

    async def run(self) -> None:
        # The lock is released in the task's own last step: a done-callback would
        # cost one more turn of the loop, holding the GIL the caller waits for.
        try:
            self._result = await self._coroutine
        except asyncio.CancelledError:
            self._error = NotConnectedError("the call was cancelled: the client is closing")
            raise
        except BaseException as error:
            self._error = error  # the caller re-raises it; the task ends quietly
        finally:
            self._release()

    def _release(self) -> None:
        if self in self._pending:
            self._pending.discard(self)
            self._lock.release()

    def settle(self) -> None:
        """At stop, for a call whose task never ran its first step (cancelled or never begun)."""
        self._coroutine.close()
        self._error = NotConnectedError("the call was cancelled: the client is closing")
        self._release()

    def wait(self, timeout: float | None) -> bool:
        return self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0))

    def outcome(self) -> T:
        error = self._error
        if error is not None:
            self._error = None  # no reference cycle through the traceback
            raise error
        return self._result  # type: ignore[return-value]

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


class LoopThread:
    """Owns one event loop on one daemon thread, started on first use, restartable after stop."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pending: set[_Waiter[Any]] = set()

    @property
    def running(self) -> bool:
        return self._loop is not None

    def in_loop_thread(self) -> bool:
        thread = self._thread
        return thread is not None and thread.ident == threading.get_ident()

    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, starting its thread when it is not running."""
        loop = self._loop
        if loop is not None:
            return loop
        with self._guard:
            if self._loop is None:
                self._start()
            assert self._loop is not None
            return self._loop

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        # A daemon thread: the interpreter joins non-daemon threads *before* atexit
        # handlers run, so a client nobody closed would hang the exit; the owner's
        # atexit hook stops and joins this one instead.
        thread = threading.Thread(target=run, name=self._name, daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None) -> T:
        """Run ``coroutine`` on the loop and block until it ends; its result or exception.

        On timeout the coroutine is cancelled and :class:`TimeoutError` raised.
        """
        if self.in_loop_thread():
            coroutine.close()
            raise RuntimeError("a blocking call from the client's own loop thread would deadlock")
        loop = self.loop()
        waiter: _Waiter[T] = _Waiter(coroutine, self._pending)

        def begin() -> None:
            waiter.task = loop.create_task(waiter.run())

        try:
            loop.call_soon_threadsafe(begin)
        except RuntimeError:  # the loop closed in between: a concurrent stop()
            waiter.settle()
        if not waiter.wait(timeout):
            loop.call_soon_threadsafe(waiter.cancel)
            raise TimeoutError(f"no answer within {timeout} s")
        return waiter.outcome()

    def submit(
        self,
        coroutine: Coroutine[Any, Any, T],
        done: Callable[[T | None, BaseException | None], object],
    ) -> None:
        """Run ``coroutine`` on the loop without waiting; ``done(result, error)`` on the loop."""
        loop = self.loop()

        def finished(task: asyncio.Task[T]) -> None:
            if task.cancelled():
                done(None, NotConnectedError("the call was cancelled: the client is closing"))
            elif (error := task.exception()) is not None:
                done(None, error)
            else:
                done(task.result(), None)

        def begin() -> None:
            loop.create_task(coroutine).add_done_callback(finished)

        loop.call_soon_threadsafe(begin)

    def run(self, function: Callable[[], T], timeout: float | None = None) -> T:
        """Call ``function`` on the loop thread (it needs a running loop) and return its result."""
        if self.in_loop_thread():
            return function()

        async def call() -> T:
            return function()

        return self.call(call(), timeout)

    def post(self, function: Callable[[], object]) -> None:
        """Call ``function`` on the loop thread soon, if the loop runs; never blocks."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # closed by a concurrent stop()
                loop.call_soon_threadsafe(function)

    def stop(self, before: Callable[[], Coroutine[Any, Any, None]] | None = None) -> None:
        """Run ``before()``, cancel every task left, end the loop and join its thread."""
        if self.in_loop_thread():
            raise RuntimeError("the client cannot be closed from its own loop thread")
        with self._guard:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None:
                return
            try:
                future = asyncio.run_coroutine_threadsafe(_wind_down(before), loop)
                future.result(timeout=_STOP_GRACE * 2)
            except Exception:
                _log.exception("the client's loop did not wind down cleanly")
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
            self._loop = self._thread = None
            # Calls whose task never started (cancelled first, or queued too late).
            for waiter in tuple(self._pending):
                waiter.settle()


async def _wind_down(before: Callable[[], Coroutine[Any, Any, None]] | None) -> None:
    """What ``asyncio.run`` does at its end: cancel and await every other task."""
    if before is not None:
        try:
            await before()
        except Exception:
            _log.exception("closing the client failed")
    me = asyncio.current_task()
    loop = asyncio.get_running_loop()
    # What the service does after a stop (a store writing its last state, a bus
    # connection closing) gets a moment to end by itself; the rest is cancelled.
    others = [task for task in asyncio.all_tasks() if task is not me]
    if others:
        await asyncio.wait(others, timeout=_SETTLE)
    # Closing one task may start another (a connection's close): repeat until quiet.
    for _ in range(10):
        tasks = [task for task in asyncio.all_tasks() if task is not me]
        if not tasks:
            break
        for task in tasks:
            task.cancel()
        done, pending = await asyncio.wait(tasks, timeout=_STOP_GRACE)
        for task in done:
            if not task.cancelled() and (error := task.exception()) is not None:
                _log.warning("a task raised while the client closed: %r", error)
        if pending:
            _log.warning("%d task(s) ignored their cancellation at close", len(pending))
            break
    await loop.shutdown_asyncgens()
    await loop.shutdown_default_executor()
