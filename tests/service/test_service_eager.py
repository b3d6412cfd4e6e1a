"""A request's callback starts in the call that submits it: answered there when it does not wait.

The IPC host and MPRIS submit from a transport's read callback (not from a task),
which is where the first step runs at once; these tests submit from a plain
``call_soon`` callback for the same reason.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import pytest

from audio_service import AudioServiceBackground, BackgroundAudioTask
from audio_service._service._core import ServiceCore, ServicePhase
from audio_service._service._eager import start_eagerly
from audio_service._service._requests import CustomAction, Pause, Play, Request, Stop
from audio_session.testing import wait_until

pytestmark = pytest.mark.usefixtures("no_leftover_service")


class _Task(BackgroundAudioTask):
    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.seen: list[str] = []
        self.current: asyncio.Task[Any] | None = None

    async def on_play(self) -> None:
        self.current = asyncio.current_task()
        async with asyncio.timeout(5):  # needs a current task: refused outside one
            await AudioServiceBackground.set_state(playing=True)
        self.seen.append("play")

    async def on_pause(self) -> None:
        self.seen.append("pause begins")
        await self.release.wait()
        await AudioServiceBackground.set_state(playing=False)
        self.seen.append("pause ends")

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "fail":
            raise ValueError("refused")
        return name


class _Outcome:
    """What a submit's settle received, and whether it came before submit returned."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, BaseException | None]] = []
        self.inside_submit: bool | None = None
        self.done = asyncio.Event()

    def __call__(self, value: Any, error: BaseException | None) -> None:
        self.calls.append((value, error))
        self.done.set()


async def _submit_from_a_callback(core: ServiceCore, request: Request) -> _Outcome:
    outcome = _Outcome()
    submitted = asyncio.Event()

    def submit() -> None:
        core.submit(request, outcome)
        outcome.inside_submit = bool(outcome.calls)
        submitted.set()

    asyncio.get_running_loop().call_soon(submit)
    await submitted.wait()
    return outcome


async def _started() -> tuple[ServiceCore, _Task]:
    task = _Task()
    core = ServiceCore(task, stop_grace=30.0)
    await core.start()
    return core, task


async def test_a_callback_that_does_not_wait_is_answered_inside_submit() -> None:
    core, task = await _started()
    try:
        outcome = await _submit_from_a_callback(core, Play())
        assert outcome.inside_submit
        assert outcome.calls == [(None, None)]
        assert core.state.playing
        # It ran as a task of its own, current while it ran, so asyncio.timeout worked.
        assert task.current is not None
        assert task.current.get_name() == "audio_service play"
        assert task.current.done()
        assert not core._inflight
    finally:
        await core.shutdown()


async def test_a_failing_callback_is_answered_with_its_error_inside_submit() -> None:
    core, _ = await _started()
    try:
        outcome = await _submit_from_a_callback(core, CustomAction(name="fail"))
        assert outcome.inside_submit
        ((value, error),) = outcome.calls
        assert value is None
        assert "refused" in str(error)
        assert core.running
    finally:
        await core.shutdown()


async def test_a_callback_that_waits_goes_on_as_a_task_and_holds_up_nothing() -> None:
    core, task = await _started()
    try:
        pause = await _submit_from_a_callback(core, Pause())
        assert not pause.inside_submit
        assert task.seen == ["pause begins"]
        assert len(core._inflight) == 1
        play = await _submit_from_a_callback(core, Play())
        assert play.inside_submit, "the next request waited for the one that waits"
        task.release.set()
        await pause.done.wait()
        assert pause.calls == [(None, None)]
        assert task.seen == ["pause begins", "play", "pause ends"]
        assert not core._inflight
    finally:
        await core.shutdown()


async def test_stop_from_the_first_step_shuts_down_without_waiting_for_itself() -> None:
    core, _ = await _started()
    outcome = await _submit_from_a_callback(core, Stop())
    # stop_grace is 30 s: waiting for its own callback would hold the shutdown that long.
    async with asyncio.timeout(5):
        await outcome.done.wait()
        await core.wait_stopped()
    assert core.phase is ServicePhase.STOPPED
    assert outcome.calls == [(None, None)]


async def test_started_from_inside_a_task_it_still_runs_to_its_end() -> None:
    steps: list[str] = []

    async def work(then: Callable[[], None]) -> str:
        steps.append("first")
        await asyncio.sleep(0)
        then()
        return "done"

    task = start_eagerly(asyncio.get_running_loop(), work(lambda: steps.append("second")))
    # From inside a task 3.11 starts it in the next iteration, 3.12 at once: either way
    # it runs each step once and ends with its result.
    assert await task == "done"
    assert steps == ["first", "second"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 starts eagerly by itself")
async def test_a_loop_with_a_task_factory_gets_its_own_task_started_as_usual() -> None:
    loop = asyncio.get_running_loop()
    made: list[asyncio.Task[Any]] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        made.append(task)
        return task

    steps: list[str] = []

    async def work() -> str:
        steps.append("first")
        return "done"

    started: list[asyncio.Task[str]] = []
    seen: list[list[str]] = []

    def start() -> None:
        started.append(start_eagerly(loop, work(), name="eager?"))
        seen.append(list(steps))

    loop.set_task_factory(factory)
    try:
        loop.call_soon(start)
        await wait_until(lambda: bool(started))
        (task,) = started
        assert made == [task]
        assert task.get_name() == "eager?"
        assert await task == "done"
    finally:
        loop.set_task_factory(None)
    assert seen == [[]]  # its first step ran in a later iteration, as the factory's task's do
    assert steps == ["first"]


async def test_without_a_task_factory_the_first_step_runs_inside_the_call() -> None:
    loop = asyncio.get_running_loop()
    steps: list[str] = []

    async def work() -> None:
        steps.append("first")
        await asyncio.sleep(0)
        steps.append("second")

    seen: list[list[str]] = []

    def start() -> None:
        task = start_eagerly(loop, work(), name="eager")
        seen.append(list(steps))
        tasks.append(task)

    tasks: list[asyncio.Task[None]] = []
    loop.call_soon(start)
    await wait_until(lambda: bool(tasks))
    await tasks[0]
    assert seen == [["first"]]  # the first step ran before start_eagerly returned
    assert steps == ["first", "second"]
    assert tasks[0].get_name() == "eager"
