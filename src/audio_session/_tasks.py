"""Background tasks that are kept until they end, and whose failures are logged.

asyncio keeps only a weak reference to a task, so a task started and forgotten may
be collected mid-flight, and an exception nobody retrieves is reported late, from a
finalizer, if at all. Every component that starts work in the background keeps its
tasks here: a strong reference while they run, one log line when one fails, and
one place to cancel them all (or wait for them) when the component ends.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

__all__ = ["BackgroundTasks"]

T = TypeVar("T")


class BackgroundTasks:
    """A set of running tasks: :meth:`spawn` starts one, and it leaves the set when done.

    A task that ends with an exception other than cancellation is logged on
    ``logger`` as "``what`` failed".
    """

    __slots__ = ("_logger", "_tasks", "_what")

    def __init__(self, logger: logging.Logger, what: str = "a background task") -> None:
        self._logger = logger
        self._what = what
        self._tasks: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[T], *, name: str | None = None) -> asyncio.Future[T]:
        """Run ``work`` (a coroutine, or a future already under way) and keep it until it ends."""
        if inspect.iscoroutine(work):
            task: asyncio.Future[T] = asyncio.get_running_loop().create_task(work, name=name)
        else:
            task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def cancel(self) -> None:
        """Cancel every task, except the one calling (it may be one of them)."""
        current = asyncio.current_task()
        for task in tuple(self._tasks):
            if task is not current:
                task.cancel()

    async def cancel_and_wait(self) -> None:
        """Cancel every task (but the calling one) and wait until they have ended."""
        self.cancel()
        current = asyncio.current_task()
        others = [task for task in self._tasks if task is not current]
        if others:
            await asyncio.wait(others)

    async def wait(self) -> None:
        """Wait until no task is left, including those started while waiting."""
        current = asyncio.current_task()
        while others := [task for task in self._tasks if task is not current]:
            await asyncio.wait(others)

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[asyncio.Future[Any]]:
        return iter(tuple(self._tasks))

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._logger.error("%s failed: %s", self._what, error, exc_info=error)
