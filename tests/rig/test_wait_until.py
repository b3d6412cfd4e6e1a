"""wait_until: the one polling helper, for states with no event of their own."""

from __future__ import annotations

import pytest

from audio_session.testing import wait_until


async def test_returns_the_first_true_value_of_a_function() -> None:
    calls: list[int] = []

    def third_time() -> int:
        calls.append(1)
        return len(calls) if len(calls) >= 3 else 0

    assert await wait_until(third_time, "the third call", interval=0) == 3


async def test_accepts_a_coroutine_function() -> None:
    seen = 0

    async def soon() -> str:
        nonlocal seen
        seen += 1
        return "ready" if seen == 2 else ""

    assert await wait_until(soon, interval=0) == "ready"


async def test_names_what_it_waited_for_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"gave up waiting for the door after 0 s \(last: 0\)"):
        await wait_until(lambda: 0, "the door", 0)
