"""Background tasks that are kept until they end, and whose failures are logged.

asyncio keeps only a weak reference to a task, so a task started and forgotten may
be collected mid-flight, and an exception nobody retrieves is reported late, from a
finalizer, if at all. Every component that starts work in the background keeps its
tasks here: a strong reference while they run, one log line when one fails, and
one place to cancel them all (or wait for them) when the component ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterator
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
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(
        self, coroutine: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> asyncio.Task[T]:
        """Run ``coroutine`` in a task of the running loop, kept here until it ends."""
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
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

    def __iter__(self) -> Iterator[asyncio.Task[Any]]:
        return iter(tuple(self._tasks))

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._logger.error("%s failed", self._what, exc_info=error)
