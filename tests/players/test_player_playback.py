"""QueuePlayerTask through the service: start, play, pause, seek, speed, states, controls."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta

import pytest
from player_support import Rig, engine_for, tracks

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceRepeatMode,
    BackgroundAudioTask,
    MediaAction,
    MediaControl,
    MediaItem,
    TaskError,
)
from audio_service._service._background import active_core
from audio_service._surfaces._linux._mpris import MprisServer
from audio_service.players import EngineError, MemoryEngine, QueuePlayerTask
from audio_session import AudioSession, AudioSessionConfiguration, MemoryBackend
from audio_session.testing import wait_until

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


S = timedelta(seconds=1)
READY = AudioProcessingState.READY


def queue_params(items: list[MediaItem]) -> dict[str, object]:
    return {"queue": [{"id": item.id, "title": item.title} for item in items]}


async def started(
    rig: Rig, items: list[MediaItem], engine: MemoryEngine | None = None, **options: object
) -> tuple[QueuePlayerTask, MemoryEngine]:
    engine = engine if engine is not None else engine_for(items)
    task = QueuePlayerTask(engine, session=rig.session, **options)  # type: ignore[arg-type]
    await rig.start(task, {"queue": items})
    await task.settle()
    return task, engine


# ---------------------------------------------------------------------- start


async def test_start_loads_the_first_item_paused_and_publishes_it(rig: Rig) -> None:
    items = tracks(3)
    _task, engine = await started(rig, items)
    client = rig.client
    assert client.queue == items
    assert client.current_media_item == items[0]
    state = client.playback_state
    assert state.processing_state is READY
    assert not state.playing
    assert state.queue_index == 0
    assert engine.calls[:2] == [("open", ()), ("load", (items[0].id, timedelta(0), False))]
    assert rig.backend.configuration == AudioSessionConfiguration.music()
    assert not rig.backend.is_active  # nothing plays yet


async def test_params_queue_may_be_dicts_and_the_engine_fills_the_duration(rig: Rig) -> None:
    items = [MediaItem(id="file:///a.ogg", title="A"), MediaItem(id="file:///b.ogg", title="B")]
    engine = MemoryEngine({"file:///a.ogg": 42 * S})
    task = QueuePlayerTask(engine, session=rig.session)
    await rig.start(task, queue_params(items))
    item = rig.client.current_media_item
    assert item is not None
    assert item.duration == 42 * S
    assert rig.client.queue[0].duration == 42 * S
    # A known duration makes the item seekable.
    assert MediaAction.SEEK in rig.client.playback_state.actions


async def test_a_bad_params_queue_fails_the_start(rig: Rig) -> None:
    task = QueuePlayerTask(MemoryEngine(), session=rig.session)
    with pytest.raises(TaskError, match=r"params\['queue'\]\[0\]"):
        await rig.start(task, {"queue": [{"title": "no id"}]})


async def test_without_an_engine_the_base_class_says_what_to_do(rig: Rig) -> None:
    with pytest.raises(TaskError, match="create_engine"):
        await rig.start(QueuePlayerTask(session=rig.session))


def test_constructor_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="engine"):
        QueuePlayerTask(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_speed"):
        QueuePlayerTask(max_speed=math.inf)
    with pytest.raises(TypeError, match="handle_interruptions"):
        QueuePlayerTask(handle_interruptions=1)  # type: ignore[arg-type]


async def test_an_empty_start_is_idle(rig: Rig) -> None:
    task = QueuePlayerTask(MemoryEngine(), session=rig.session)
    await rig.start(task)
    state = rig.client.playback_state
    assert state.processing_state is AudioProcessingState.IDLE
    assert rig.client.current_media_item is None
    await rig.client.play()  # nothing to play: no error, nothing happens
    assert not rig.client.playback_state.playing
    assert MediaAction.SEEK not in state.actions


async def test_a_given_configuration_is_applied(rig: Rig) -> None:
    task = QueuePlayerTask(
        MemoryEngine(),
        session=rig.session,
        session_configuration=AudioSessionConfiguration.speech(),
    )
    await rig.start(task)
    assert rig.session.configuration == AudioSessionConfiguration.speech()


# ------------------------------------------------------------- play and pause


async def test_play_activates_the_session_and_pause_keeps_it(rig: Rig) -> None:
    items = tracks(3)
    _, engine = await started(rig, items)
    client = rig.client
    await client.play()
    assert rig.backend.is_active
    assert engine.playing
    state = client.playback_state
    assert state.playing
    assert state.processing_state is READY
    assert MediaControl.pause in state.controls
    assert MediaControl.play not in state.controls
    await client.pause()
    assert not engine.playing
    state = client.playback_state
    assert not state.playing
    assert MediaControl.play in state.controls
    assert rig.backend.is_active  # interruptions keep coming while paused


async def test_click_toggles(rig: Rig) -> None:
    _, engine = await started(rig, tracks(2))
    await rig.client.click()
    assert engine.playing
    await rig.client.click()
    assert not engine.playing


async def test_denied_activation_leaves_it_paused_and_says_why(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    _, engine = await started(rig, tracks(2))
    rig.backend.grant_activation = False
    with caplog.at_level(logging.WARNING, logger="audio_service.players"):
        await rig.client.play()
    assert not engine.playing
    assert not rig.client.playback_state.playing
    assert "denied" in caplog.text
    rig.backend.grant_activation = True
    await rig.client.play()
    assert engine.playing


async def test_controls_and_actions_follow_the_queue_position(rig: Rig) -> None:
    items = tracks(3)
    await started(rig, items)
    client = rig.client
    state = client.playback_state
    assert state.controls == (MediaControl.play, MediaControl.stop, MediaControl.skip_to_next)
    for action in (
        MediaAction.SEEK,
        MediaAction.SEEK_FORWARD,
        MediaAction.SEEK_BACKWARD,
        MediaAction.SKIP_TO_QUEUE_ITEM,
        MediaAction.SET_REPEAT_MODE,
        MediaAction.SET_SHUFFLE_MODE,
        MediaAction.SET_SPEED,
        MediaAction.PLAY_PAUSE,
    ):
        assert action in state.actions, action
    await client.skip_to_next()
    state = client.playback_state
    assert state.controls == (
        MediaControl.skip_to_previous,
        MediaControl.play,
        MediaControl.stop,
        MediaControl.skip_to_next,
    )
    # The compact notification shows previous, play and next.
    assert state.android_compact_action_indices == (0, 1, 3)
    await client.skip_to_next()
    assert client.playback_state.controls == (
        MediaControl.skip_to_previous,
        MediaControl.play,
        MediaControl.stop,
    )


# -------------------------------------------------------------------- seeking


async def test_seek_is_clamped_to_the_duration_and_rebases_the_position(rig: Rig) -> None:
    items = tracks(2)
    _, engine = await started(rig, items)
    client = rig.client
    await client.seek_to(timedelta(minutes=1))
    assert engine.position() == timedelta(minutes=1)
    assert client.playback_state.update_position == timedelta(minutes=1)
    await client.seek_to(timedelta(hours=1))
    assert engine.calls[-1] == ("seek", (timedelta(minutes=3),))
    assert client.playback_state.update_position == timedelta(minutes=3)


async def test_fast_forward_and_rewind_stay_within_the_item(rig: Rig) -> None:
    _, engine = await started(rig, tracks(1))
    client = rig.client
    await client.fast_forward()
    assert engine.position() == 10 * S
    await client.rewind()
    await client.rewind()
    assert engine.position() == timedelta(0)
    await client.seek_to(timedelta(minutes=3) - 5 * S)
    await client.fast_forward()
    assert engine.position() == timedelta(minutes=3)


async def test_holding_seek_forward_jumps_until_released(rig: Rig) -> None:
    task, engine = await started(rig, tracks(1))
    await rig.client.seek_forward(True)
    await wait_until(lambda: engine.position() >= 10 * S, "the first jump")
    await rig.client.seek_forward(False)
    await task.settle()
    assert len(task._background) == 0  # the hold loop ended: nothing moves the position now
    held = engine.position()
    assert held >= 10 * S
    await rig.client.seek_backward(True)
    await rig.client.seek_backward(False)
    await task.settle()
    assert engine.position() < held


# ---------------------------------------------------------------------- speed


async def test_speed_is_applied_and_published(rig: Rig) -> None:
    _, engine = await started(rig, tracks(1))
    await rig.client.set_speed(1.5)
    assert engine.speed == 1.5
    assert rig.client.playback_state.speed == 1.5


@pytest.mark.parametrize("speed", [math.nan, math.inf, -1.0])
async def test_speeds_that_are_no_number_never_leave_the_client(rig: Rig, speed: float) -> None:
    _, engine = await started(rig, tracks(1))
    with pytest.raises(ValueError, match="speed"):
        await rig.client.set_speed(speed)
    assert engine.speed == 1.0


@pytest.mark.parametrize("speed", [0.0, 4.5])
async def test_speeds_out_of_range_are_a_task_error_and_change_nothing(
    rig: Rig, speed: float
) -> None:
    _, engine = await started(rig, tracks(1))
    with pytest.raises(TaskError, match=f"speed must be .* not {speed}"):
        await rig.client.set_speed(speed)
    assert engine.speed == 1.0
    assert rig.client.playback_state.speed == 1.0
    await rig.client.set_speed(4.0)  # still usable; max_speed itself is allowed
    assert engine.speed == 4.0


async def test_the_callback_checks_speed_itself() -> None:
    task = QueuePlayerTask(MemoryEngine(), max_speed=2.0)
    for bad in (math.nan, math.inf, 0.0, 2.5):
        with pytest.raises(ValueError, match="speed"):
            await task.on_set_speed(bad)
    with pytest.raises(TypeError, match="speed"):
        await task.on_set_speed("fast")  # type: ignore[arg-type]


async def test_speed_and_volume_given_before_the_engine_opens_are_applied() -> None:
    engine = MemoryEngine()
    session = await AudioSession.create(MemoryBackend())
    try:
        task = QueuePlayerTask(engine, session=session)
        await task.on_set_speed(2.0)
        await task.on_set_volume(3.0)  # more than the maximum is the maximum
        await task.on_start({"queue": tracks(1)})
        assert engine.speed == 2.0
        assert engine.volume == 1.0
        await task.on_set_volume(0.5)
        assert engine.volume == 0.5
        with pytest.raises(ValueError, match="volume"):
            await task.on_set_volume(math.nan)
        await task._release()
        assert engine.closed
    finally:
        await session.close()


# -------------------------------------------------------------------- states


async def test_buffering_is_published(rig: Rig) -> None:
    _, engine = await started(rig, tracks(1))
    await rig.client.play()
    engine.set_buffering(True)
    assert rig.client.playback_state.processing_state is AudioProcessingState.BUFFERING
    assert rig.client.playback_state.playing
    engine.set_buffering(False)
    assert rig.client.playback_state.processing_state is READY


async def test_an_engine_failure_is_an_error_state_and_play_retries(rig: Rig) -> None:
    items = tracks(2)
    _, engine = await started(rig, items)
    client = rig.client
    await client.play()
    await client.seek_to(20 * S)
    engine.fail("network lost")
    state = client.playback_state
    assert state.processing_state is AudioProcessingState.ERROR
    assert state.error_message == "network lost"
    assert not state.playing
    await client.play()
    loads = [args for name, args in engine.calls if name == "load"]
    source, position, play = loads[-1]
    assert source == items[0].id
    assert position >= 20 * S
    assert play
    state = client.playback_state
    assert state.processing_state is READY
    assert state.error_message is None


async def test_a_source_that_cannot_be_opened_is_an_error_and_next_still_works(
    rig: Rig,
) -> None:
    items = tracks(3)
    engine = engine_for(items, unplayable={items[1].id})
    await started(rig, items, engine)
    client = rig.client
    await client.play()
    await client.skip_to_next()
    state = client.playback_state
    assert state.processing_state is AudioProcessingState.ERROR
    assert "Track 2" in (state.error_message or "")
    assert client.current_media_item == items[1]
    assert state.queue_index == 1
    await client.skip_to_next()
    state = client.playback_state
    assert state.processing_state is READY
    assert state.playing
    assert engine.source == items[2].id
    assert engine.playing


class FailingResolver(QueuePlayerTask):
    async def resolve_source(self, item: MediaItem) -> str:
        if item.id.endswith("2.ogg"):
            raise EngineError("no such file")
        return await super().resolve_source(item)


async def test_resolve_source_failures_are_errors_too(rig: Rig) -> None:
    items = tracks(2)
    task = FailingResolver(engine_for(items), session=rig.session)
    await rig.start(task, {"queue": items})
    await rig.client.skip_to_next()
    state = rig.client.playback_state
    assert state.processing_state is AudioProcessingState.ERROR
    assert "no such file" in (state.error_message or "")


async def test_the_source_is_the_uri_extra_when_given(rig: Rig) -> None:
    item = MediaItem(id="episode-1", title="Episode", extras={"uri": "https://x/e1.mp3"})
    _, engine = await started(rig, [item], MemoryEngine())
    assert engine.source == "https://x/e1.mp3"


# ------------------------------------------------------------------ browsing


async def test_browsing_the_root_lists_the_queue(rig: Rig) -> None:
    items = tracks(2)
    await started(rig, items)
    assert await rig.client.load_children() == items
    assert await rig.client.load_children("recent") == [items[0]]
    assert await rig.client.load_children("elsewhere") == []


# ---------------------------------------------------------------------- stop


async def test_stop_releases_the_engine_and_the_session(rig: Rig) -> None:
    _, engine = await started(rig, tracks(2))
    await rig.client.play()
    assert rig.backend.is_active
    await rig.client.stop()
    assert not rig.client.running
    assert engine.methods()[-2:] == ["stop", "close"]
    assert engine.closed
    assert not rig.backend.is_active


# ------------------------------------------------------------- serialisation


class CheckingEngine(MemoryEngine):
    """Fails a test if any engine call starts while a load is under way."""

    def __init__(self, durations: dict[str, timedelta]) -> None:
        super().__init__(durations)
        self.loading = False
        self.overlaps: list[str] = []

    async def load(self, source: str, *, position: timedelta, play: bool) -> None:
        if self.loading:
            self.overlaps.append("load")
        self.loading = True
        try:
            # A load that takes a few loop iterations: the other requests arrive meanwhile.
            for _ in range(10):
                await asyncio.sleep(0)
            await super().load(source, position=position, play=play)
        finally:
            self.loading = False

    def _check(self, name: str) -> None:
        if self.loading:
            self.overlaps.append(name)

    async def seek(self, position: timedelta) -> None:
        self._check("seek")
        await super().seek(position)

    async def play(self) -> None:
        self._check("play")
        await super().play()

    async def pause(self) -> None:
        self._check("pause")
        await super().pause()

    async def preload(self, source: str | None) -> None:
        self._check("preload")
        await super().preload(source)


async def test_concurrent_requests_never_interleave_with_a_load(rig: Rig) -> None:
    items = tracks(5)
    engine = CheckingEngine({item.id: timedelta(minutes=3) for item in items})
    task, _ = await started(rig, items, engine)
    client = rig.client
    await asyncio.gather(
        client.play(),
        client.skip_to_next(),
        client.seek_to(30 * S),
        client.skip_to_queue_item(items[3].id),
        client.pause(),
        client.seek_to(10 * S),
        client.play(),
        client.skip_to_previous(),
    )
    await task.settle()
    assert engine.overlaps == []
    # Whatever the order, what is published is what the engine holds.
    current = client.current_media_item
    assert current is not None
    assert engine.source == current.id
    assert client.playback_state.playing == engine.playing


async def test_a_load_superseded_while_resolving_never_reaches_the_engine(rig: Rig) -> None:
    items = tracks(4)
    entered, gate = asyncio.Event(), asyncio.Event()

    class SlowResolver(QueuePlayerTask):
        async def resolve_source(self, item: MediaItem) -> str:
            if item.id == items[1].id:
                entered.set()
                await gate.wait()
            return await super().resolve_source(item)

    engine = engine_for(items)
    task = SlowResolver(engine, session=rig.session)
    await rig.start(task, {"queue": items})
    slow = asyncio.ensure_future(rig.client.skip_to_queue_item(items[1].id))
    await entered.wait()
    await rig.client.skip_to_queue_item(items[2].id)
    gate.set()
    await slow
    await task.settle()
    loaded = [args[0] for name, args in engine.calls if name == "load"]
    assert items[1].id not in loaded
    assert engine.source == items[2].id
    assert rig.client.current_media_item == items[2]


async def test_requests_made_while_an_item_loads_apply_to_it(rig: Rig) -> None:
    items = tracks(2)
    entered, gate = asyncio.Event(), asyncio.Event()

    class SlowResolver(QueuePlayerTask):
        async def resolve_source(self, item: MediaItem) -> str:
            if item.id == items[1].id:
                entered.set()
                await gate.wait()
            return await super().resolve_source(item)

    engine = engine_for(items)
    task = SlowResolver(engine, session=rig.session)
    await rig.start(task, {"queue": items})
    skip = asyncio.ensure_future(rig.client.skip_to_next())
    await entered.wait()
    async with asyncio.timeout(5):  # the client sees the load under way (published before it)
        async for state in rig.client.playback_state_stream:
            if state.processing_state is AudioProcessingState.LOADING:
                break
    await rig.client.seek_to(30 * S)
    await rig.client.play()
    gate.set()
    await skip
    assert engine.source == items[1].id
    assert engine.playing
    assert engine.position() >= 30 * S
    assert rig.client.playback_state.processing_state is READY


async def test_mpris_capabilities_come_out_of_the_published_state(rig: Rig) -> None:
    items = tracks(2)
    await started(rig, items)
    core = active_core()
    assert core is not None
    # Read only: never put on a bus.
    mpris = MprisServer(core, identity="Test player").transport
    assert mpris.can_play()
    assert mpris.can_seek()
    assert mpris.can_go_next()
    assert not mpris.can_go_previous()
    assert mpris.rate_range() == (0.25, 4.0)
    assert mpris.playback_status() == "Paused"
    await rig.client.play()
    assert mpris.playback_status() == "Playing"
    await rig.client.skip_to_next()
    assert mpris.can_go_previous()
    assert not mpris.can_go_next()
    await rig.client.set_repeat_mode(AudioServiceRepeatMode.ALL)
    assert mpris.can_go_next()
    assert mpris.loop_status() == "Playlist"
