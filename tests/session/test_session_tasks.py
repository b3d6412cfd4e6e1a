"""BackgroundTasks: kept while running, gone when done, failures always logged."""

from __future__ import annotations

import asyncio
import logging

import pytest

from audio_session._tasks import BackgroundTasks

_log = logging.getLogger("test.background")


async def test_a_task_is_kept_until_it_ends_and_its_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks(_log, "the test's work")
    gate = asyncio.Event()

    async def fail() -> None:
        await gate.wait()
        raise RuntimeError("broken")

    task = tasks.spawn(fail(), name="failing")
    assert len(tasks) == 1
    assert list(tasks) == [task]
    with caplog.at_level(logging.ERROR, logger="test.background"):
        gate.set()
        await tasks.wait()
    assert len(tasks) == 0
    [record] = caplog.records
    assert record.getMessage() == "the test's work failed: broken"
    assert record.exc_info is not None


async def test_wait_includes_work_started_while_waiting() -> None:
    tasks = BackgroundTasks(_log)
    done: list[str] = []

    async def second() -> None:
        done.append("second")

    async def first() -> None:
        tasks.spawn(second())
        done.append("first")

    tasks.spawn(first())
    await tasks.wait()
    assert done == ["first", "second"]


async def test_cancel_spares_the_calling_task_and_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = BackgroundTasks(_log)
    forever = tasks.spawn(asyncio.Event().wait())

    async def stopper() -> str:
        tasks.cancel()
        await asyncio.sleep(0)  # still running after cancelling the others
        return "finished"

    own = tasks.spawn(stopper())
    with caplog.at_level(logging.ERROR, logger="test.background"):
        assert await own == "finished"
        await tasks.cancel_and_wait()
    assert forever.cancelled()
    assert len(tasks) == 0
    assert caplog.records == []


async def test_a_future_under_way_is_kept_as_it_is() -> None:
    tasks = BackgroundTasks(_log)
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    assert tasks.spawn(future) is future
    future.set_result(3)
    await tasks.wait()
    assert len(tasks) == 0
