"""Start a task by running its first step at once, in the caller's loop iteration.

A request whose callback finishes without waiting for anything (play, pause, a
seek: they set the state and return) then costs no loop iteration of its own:
it is answered in the iteration that read it, and what it published leaves with
the reply. A callback that does wait goes on as an ordinary task from its first
``await``, so a long callback still never holds up the next request.

Python 3.12 has this built in (``eager_start``). On 3.11 the task is created as
usual and the step it just scheduled is taken off the loop's ready queue and run
here; that reads ``BaseEventLoop._ready``, so any other loop (or a task factory
that schedules differently) simply gets the ordinary, scheduled start.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["start_eagerly"]

T = TypeVar("T")


def start_eagerly(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], *, name: str | None = None
) -> asyncio.Task[T]:
    """A task for ``coro`` whose first step has run (it may be done already).

    Inside that step the task is the current task, as it is in any later one,
    so ``asyncio.timeout`` and ``asyncio.current_task()`` behave as usual.
    """
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, name=name, eager_start=True)
    ready = getattr(loop, "_ready", None)
    # A step cannot run inside another task's step (asyncio refuses to enter a task
    # then): called from a task, the new one starts in the next iteration as usual. A
    # loop with a task factory gets its own kind of task, also started as usual.
    if (
        type(ready) is not deque
        or getattr(loop, "_task_factory", True) is not None
        or asyncio.current_task(loop) is not None
    ):
        return loop.create_task(coro, name=name)
    # What create_task does without a factory, minus its own frame and checks (a closed
    # loop refuses the step Task() schedules all the same).
    task = asyncio.Task(coro, loop=loop, name=name)
    handle = ready[-1]
    if getattr(getattr(handle, "_callback", None), "__self__", None) is task:
        ready.pop()
        # Handle._run's frame left out: a task's step catches what its coroutine raises,
        # and what escapes it (SystemExit, KeyboardInterrupt) Handle._run re-raises too.
        handle._context.run(handle._callback, *handle._args)
    return task
