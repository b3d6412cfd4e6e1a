"""Waiting in a test for a state that has no event of its own."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")


async def wait_until(
    condition: Callable[[], T | Awaitable[T]],
    what: str = "the condition",
    timeout: float = 10.0,
    *,
    interval: float = 0.01,
) -> T:
    """Call ``condition`` until it returns a true value, and return that value.

    For states a test cannot await directly: another process's view (``playerctl``
    output, an audio server's stream list), a count or flag kept by the code under
    test. ``condition`` may be a plain function or a coroutine function; it is
    called at once, then every ``interval`` seconds, letting the event loop run in
    between. After ``timeout`` seconds it raises :class:`AssertionError` naming
    ``what`` and the last value seen.

    Prefer an event where there is one (a stream's next value, a future, an
    ``asyncio.Event`` set by the code under test): waiting on it is exact, where
    polling only bounds the wait.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = condition()
        value: T = await result if inspect.isawaitable(result) else result
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s (last: {value!r})")
        await asyncio.sleep(interval)
