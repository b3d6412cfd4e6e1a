"""One task per key, shared by everyone who asks for it while it runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["SharedTasks"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class SharedTasks(Generic[K, T]):
    """Concurrent requests for the same key share one task (a download, a render).

    The task is cancelled when the last of its callers is, so nobody pays for
    work nobody waits for; a caller that is cancelled alone leaves it running
    for the others.
    """

    def __init__(self) -> None:
        self._entries: dict[K, tuple[asyncio.Task[T], list[int]]] = {}

    async def run(self, key: K, start: Callable[[], Coroutine[Any, Any, T]], name: str) -> T:
        """The result of the task for ``key``, started with ``start()`` if none runs."""
        entry = self._entries.get(key)
        if entry is None:
            task = asyncio.get_running_loop().create_task(start(), name=name)
            entry = (task, [0])
            self._entries[key] = entry
            task.add_done_callback(lambda done: self._settled(key, done))
        task, waiters = entry
        waiters[0] += 1
        try:
            return await asyncio.shield(task)
        finally:
            waiters[0] -= 1
            if waiters[0] == 0 and not task.done():
                task.cancel()

    async def cancel_all(self) -> None:
        """Cancel every task under way and wait for them to end."""
        tasks = [task for task, _ in self._entries.values()]
        for task in tasks:
            # One cancellation each: a task already winding down (its last caller left) may be
            # waiting for its cleanup, such as asyncio reaping a killed process, and a second
            # cancel would cut that wait short and leave the process a zombie.
            if not task.cancelling():
                task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    def __len__(self) -> int:
        return len(self._entries)

    def _settled(self, key: K, task: asyncio.Task[T]) -> None:
        if self._entries.get(key, (None,))[0] is task:
            del self._entries[key]
        if not task.cancelled():
            # Retrieved here so that a task nobody awaits any more is not logged as lost.
            task.exception()
