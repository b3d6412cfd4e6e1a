"""The service core: dispatch, errors, lifecycle, publishing and observers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaItem,
    PlaybackState,
    ServiceNotRunningError,
    TaskError,
)
from audio_service._model._events import (
    ChildrenChanged,
    CustomEvent,
    MediaItemChanged,
    QueueChanged,
    ServiceEvent,
    ServiceSnapshot,
    ServiceStarted,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._queue import QueueSplice, QueueUpdate
from audio_service._service._core import ServiceCore, ServicePhase
from audio_service._service._requests import CustomAction, LoadChildren, Pause, Play, SeekTo, Stop
from service_support import REQUEST_TABLE, FakeClock, RecordingTask, item, request_made_by

pytestmark = pytest.mark.usefixtures("no_leftover_service")


async def started(task: BackgroundAudioTask, **options: Any) -> ServiceCore:
    core = ServiceCore(task, **options)
    await core.start({"k": "v"})
    return core


@pytest.mark.parametrize(("method", "args", "callback", "expected"), REQUEST_TABLE)
async def test_every_request_reaches_its_callback_with_its_arguments(
    method: str, args: tuple[Any, ...], callback: str, expected: tuple[Any, ...]
) -> None:
    task = RecordingTask()
    core = await started(task)
    try:
        request = await request_made_by(method, args)
        await core.handle(request)
        assert task.calls[-1] == (callback, expected)
        assert len(task.calls) == 2  # on_start, then exactly this callback
    finally:
        await core.shutdown()


async def test_on_start_gets_the_params_and_start_waits_for_it() -> None:
    task = RecordingTask()
    core = await started(task)
    assert task.started
    assert task.calls == [("on_start", ({"k": "v"},))]
    assert core.running
    assert core.phase is ServicePhase.RUNNING
    await core.shutdown()
    with pytest.raises(RuntimeError, match="started once"):
        await core.start()


async def test_results_come_back_to_the_caller() -> None:
    core = await started(RecordingTask())
    try:
        result = await core.handle(CustomAction(name="echo", arguments={"a": [1]}))
        assert result == {"name": "echo", "arguments": {"a": [1]}}
        children = await core.handle(LoadChildren(parent_media_id="root"))
        assert children == [item("root/child")]
        assert await core.handle(Play()) is None
    finally:
        await core.shutdown()


async def test_a_raising_callback_is_a_task_error_and_the_service_keeps_running() -> None:
    task = RecordingTask()
    core = await started(task)
    try:
        with pytest.raises(TaskError) as caught:
            await core.handle(CustomAction(name="fail", arguments=7))
        error = caught.value
        assert error.request == "custom_action"
        assert error.error_type == "LookupError"
        assert error.info.message == "no action 7"
        assert "on_custom_action" in error.remote_traceback
        assert isinstance(error.__cause__, LookupError)
        assert core.running
        await core.handle(Play())
        assert task.calls[-1] == ("on_play", ())
    finally:
        await core.shutdown()


class _BadChildren(BackgroundAudioTask):
    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        return ["not an item"]  # type: ignore[list-item]


async def test_load_children_must_return_media_items() -> None:
    core = await started(_BadChildren())
    try:
        with pytest.raises(TaskError, match="non-MediaItem"):
            await core.handle(LoadChildren())
    finally:
        await core.shutdown()


class _Blocking(BackgroundAudioTask):
    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.events: list[str] = []
        self.cancelled = False
        # What the tests wait for instead of sleeping: a callback began, or ended.
        self.starting = asyncio.Event()
        self.playing = asyncio.Event()
        self.played = asyncio.Event()

    async def on_start(self, params: dict[str, Any] | None) -> None:
        self.starting.set()
        if params and params.get("slow"):
            await self.release.wait()
        self.events.append("started")

    async def on_play(self) -> None:
        self.events.append("play begins")
        self.playing.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.events.append("play ends")
        self.played.set()

    async def on_pause(self) -> None:
        self.events.append("pause")


async def _ticks(count: int = 10) -> None:
    """Let the loop run ``count`` iterations (no I/O here: what can happen, happens)."""
    for _ in range(count):
        await asyncio.sleep(0)


async def test_requests_are_concurrent_so_pause_is_not_held_up_by_play() -> None:
    task = _Blocking()
    core = await started(task)
    try:
        play = asyncio.create_task(core.handle(Play()))
        await task.playing.wait()
        await core.handle(Pause())
        assert task.events == ["started", "play begins", "pause"]
        task.release.set()
        await play
        assert task.events[-1] == "play ends"
    finally:
        await core.shutdown()


async def test_requests_made_during_on_start_wait_for_it() -> None:
    task = _Blocking()
    core = ServiceCore(task)
    start = asyncio.create_task(core.start({"slow": True}))
    await task.starting.wait()
    assert core.phase is ServicePhase.STARTING
    pause = asyncio.create_task(core.handle(Pause()))
    await _ticks()
    assert task.events == []
    task.release.set()
    await start
    await pause
    assert task.events == ["started", "pause"]
    await core.shutdown()


async def test_stop_releases_callers_in_flight_and_cancels_their_callbacks() -> None:
    task = _Blocking()
    core = await started(task, stop_grace=0.01)
    play = asyncio.create_task(core.handle(Play()))
    await task.playing.wait()
    assert await core.handle(Stop()) is None
    assert await play is None
    assert task.cancelled
    assert core.phase is ServicePhase.STOPPED
    with pytest.raises(ServiceNotRunningError, match="play"):
        await core.handle(Play())
    with pytest.raises(ServiceNotRunningError, match="set_state"):
        core.set_state(playing=True)


async def test_callbacks_get_a_grace_period_to_finish_at_stop() -> None:
    task = _Blocking()
    core = await started(task, stop_grace=5.0)
    play = asyncio.create_task(core.handle(Play()))
    await task.playing.wait()
    stop = asyncio.create_task(core.handle(Stop()))
    assert await play is None  # released at once, before the callback ends
    task.release.set()  # the callback finishes by itself within the grace period
    await stop
    assert task.events[-1] == "play ends"
    assert not task.cancelled


class _FailingStart(BackgroundAudioTask):
    async def on_start(self, params: dict[str, Any] | None) -> None:
        raise OSError("no audio device")


async def test_a_failing_on_start_is_a_task_error_and_the_service_is_stopped() -> None:
    core = ServiceCore(_FailingStart())
    with pytest.raises(TaskError, match="no audio device") as caught:
        await core.start()
    assert caught.value.request == "start"
    assert core.phase is ServicePhase.STOPPED
    assert not AudioServiceBackground.running


class _Stubborn(BackgroundAudioTask):
    async def on_stop(self) -> None:
        pass  # forgets to call super


async def test_an_on_stop_without_super_keeps_the_service_running() -> None:
    core = await started(_Stubborn())
    await core.handle(Stop())
    assert core.running
    await core.shutdown()
    assert core.phase is ServicePhase.STOPPED


async def test_only_one_service_runs_per_process() -> None:
    core = await started(RecordingTask())
    try:
        with pytest.raises(RuntimeError, match="already running"):
            await ServiceCore(RecordingTask()).start()
    finally:
        await core.shutdown()


async def test_shutdown_is_idempotent_and_resets_and_closes_everything(clock: FakeClock) -> None:
    core = await started(RecordingTask(), clock=clock)
    core.set_media_item(item("a"))
    core.set_queue([item("a"), item("b")])
    core.set_state(playing=True, processing_state=AudioProcessingState.READY)
    states = core.playback_state_stream.subscribe()
    await asyncio.gather(core.shutdown(), core.shutdown())
    await core.shutdown()
    assert core.state == PlaybackState(update_time=clock.now)
    assert core.media_item is None
    assert len(core.queue) == 0
    seen = [state async for state in states]
    assert seen[-1].processing_state is AudioProcessingState.IDLE
    assert core.running_stream.value is False


# -------------------------------------------------------------- publishing


async def test_observers_see_a_snapshot_then_every_event_in_order(clock: FakeClock) -> None:
    core = await started(RecordingTask(), clock=clock)
    events: list[ServiceEvent] = []
    snapshot = core.snapshot()
    remove = core.observe(events.append)
    a, b = item("a"), item("b")
    core.set_queue([a])
    core.set_queue([a, b])
    core.set_media_item(b)
    state = core.set_state(playing=True)
    core.send_custom_event({"n": 1})
    core.notify_children_changed()
    core.update_queue_item(0, item("a", "new"))
    assert isinstance(snapshot, ServiceSnapshot)
    assert snapshot.running
    assert events == [
        QueueChanged(ops=(QueueSplice(0, 0, (a,)),), length=1),
        QueueChanged(ops=(QueueSplice(1, 0, (b,)),), length=2),
        MediaItemChanged(media_item=b),
        StateChanged(state=state),
        CustomEvent(event={"n": 1}),
        ChildrenChanged(parent_media_id="root"),
        QueueChanged(ops=(QueueUpdate(0, item("a", "new")),), length=2),
    ]
    remove()
    remove()
    core.send_custom_event(2)
    assert len(events) == 7
    late: list[ServiceEvent] = []
    core.observe(late.append)
    await core.shutdown()
    assert late == [ServiceStopped()]


async def test_a_raising_observer_is_logged_and_does_not_disturb_the_task(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = await started(RecordingTask())
    seen: list[ServiceEvent] = []

    def broken(event: ServiceEvent) -> None:
        raise RuntimeError("observer bug")

    core.observe(broken)
    core.observe(seen.append)
    core.set_state(playing=True)
    assert len(seen) == 1
    assert "observer" in caplog.text
    await core.shutdown()


async def test_started_event_reaches_observers_attached_during_start() -> None:
    task = _Blocking()
    core = ServiceCore(task)
    events: list[ServiceEvent] = []
    start = asyncio.create_task(core.start({"slow": True}))
    await task.starting.wait()
    assert core.snapshot().running is False
    core.observe(events.append)
    task.release.set()
    await start
    assert events == [ServiceStarted()]
    await core.shutdown()


async def test_a_bad_queue_edit_changes_nothing() -> None:
    core = await started(RecordingTask())
    try:
        core.set_queue([item("a")])
        with pytest.raises(IndexError):
            core.apply_queue_ops([QueueSplice(0, 1), QueueUpdate(0, item("x"))])
        assert [entry.id for entry in core.queue] == ["a"]
        with pytest.raises(TypeError, match="MediaItem"):
            core.set_queue([item("a"), "b"])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="media_item"):
            core.set_media_item("a")  # type: ignore[arg-type]
        core.splice_queue(1, 0, [item("b")])
        assert [entry.id for entry in core.queue] == ["a", "b"]
    finally:
        await core.shutdown()


async def test_streams_of_the_core_replay_latest_values() -> None:
    core = await started(RecordingTask())
    try:
        core.set_media_item(item("m"))
        core.set_queue([item("m")])
        assert core.media_item_stream.value == item("m")
        assert list(core.queue_stream.value) == [item("m")]
        assert core.running_stream.value is True
        events = core.custom_event_stream.subscribe()
        children = core.children_changed_stream.subscribe()
        core.send_custom_event("hello")
        core.notify_children_changed("albums")
        assert await events.__anext__() == "hello"
        assert await children.__anext__() == "albums"
    finally:
        await core.shutdown()


async def test_a_cancelled_caller_does_not_cancel_the_callback() -> None:
    task = _Blocking()
    core = await started(task)
    try:
        play = asyncio.create_task(core.handle(Play()))
        await task.playing.wait()
        play.cancel()
        with pytest.raises(asyncio.CancelledError):
            await play
        task.release.set()
        await task.played.wait()
        assert task.events[-1] == "play ends"
        assert not task.cancelled
    finally:
        await core.shutdown()


async def test_seek_to_reaches_the_task_with_a_timedelta() -> None:
    task = RecordingTask()
    core = await started(task)
    try:
        await core.handle(SeekTo(position=timedelta(milliseconds=1500)))
        assert task.calls[-1] == ("on_seek_to", (timedelta(seconds=1.5),))
    finally:
        await core.shutdown()
