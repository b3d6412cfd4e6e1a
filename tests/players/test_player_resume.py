"""Media resumption: a new service picks up the queue, item and position the last one saved."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from player_support import Rig, engine_for, track, tracks

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceRepeatMode,
    BackgroundAudioTask,
    MediaItem,
)
from audio_service._service._persistence import SavedSession, SessionStore, store_path
from audio_service.players import MemoryEngine, QueuePlayerTask

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


APP_ID = "org.example.resume"
AT = timedelta(seconds=42)


async def saved() -> SavedSession | None:
    store = SessionStore(store_path(APP_ID))
    try:
        return store.load()
    finally:
        await store.close()


async def listen_and_stop(rig: Rig, items: list[MediaItem]) -> None:
    """A first run: play the second item to 42 s, repeat all, pause, stop."""
    task = QueuePlayerTask(engine_for(items), session=rig.session)
    await rig.start(task, {"queue": items}, app_id=APP_ID)
    client = rig.client
    await client.skip_to_queue_item(items[1].id)
    await client.play()
    await client.set_repeat_mode(AudioServiceRepeatMode.ALL)
    await client.set_speed(1.25)
    await client.pause()
    await client.seek_to(AT)
    await rig.stop()
    session = None
    for _ in range(200):
        # The store writes from a worker thread once the service has stopped.
        session = await saved()
        if session is not None and session.media_item == items[1] and session.position == AT:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the session was not saved: {session!r}")


async def test_the_saved_item_is_loaded_paused_at_the_saved_position(rig: Rig) -> None:
    items = tracks(3)
    await listen_and_stop(rig, items)
    engine = engine_for(items)
    task = QueuePlayerTask(engine, session=rig.session)
    await rig.start(task, app_id=APP_ID)
    client = rig.client
    assert client.queue == items
    assert client.current_media_item == items[1]
    state = client.playback_state
    assert state.queue_index == 1
    assert not state.playing
    assert state.processing_state is AudioProcessingState.READY
    assert state.update_position == AT
    assert state.repeat_mode is AudioServiceRepeatMode.ALL
    assert state.speed == 1.25
    assert ("load", (items[1].id, AT, False)) in engine.calls
    assert engine.speed == 1.25
    await client.play()
    assert engine.playing
    assert engine.position() >= AT


async def test_a_queue_in_params_wins_over_the_saved_session(rig: Rig) -> None:
    # The app said what to play: the saved item and position must not override it.
    items = tracks(3)
    await listen_and_stop(rig, items)
    new_queue = [track(9), *items]
    engine = engine_for(new_queue)
    await rig.start(
        QueuePlayerTask(engine, session=rig.session), {"queue": new_queue}, app_id=APP_ID
    )
    assert rig.client.queue == new_queue
    assert rig.client.current_media_item == new_queue[0]
    assert rig.client.playback_state.queue_index == 0
    assert engine.position() == timedelta(0)


async def test_start_with_resume_false_starts_fresh_and_still_saves(rig: Rig) -> None:
    items = tracks(3)
    await listen_and_stop(rig, items)
    engine = engine_for(items)
    await rig.start(QueuePlayerTask(engine, session=rig.session), app_id=APP_ID, resume=False)
    assert rig.client.queue == [], "nothing resumed"
    assert rig.client.current_media_item is None
    assert (await saved()) is not None, "the saved session is kept for a later start"


async def test_a_queue_without_the_saved_item_starts_at_its_beginning(rig: Rig) -> None:
    items = tracks(3)
    await listen_and_stop(rig, items)
    other = [track(7), track(8)]
    engine = engine_for(other)
    await rig.start(QueuePlayerTask(engine, session=rig.session), {"queue": other}, app_id=APP_ID)
    assert rig.client.current_media_item == other[0]
    assert engine.position() == timedelta(0)


async def test_a_saved_item_that_no_longer_plays_is_an_error_not_a_failed_start(
    rig: Rig,
) -> None:
    items = tracks(2)
    await listen_and_stop(rig, items)
    engine = MemoryEngine(unplayable={items[1].id})
    await rig.start(QueuePlayerTask(engine, session=rig.session), app_id=APP_ID)
    state = rig.client.playback_state
    assert state.processing_state is AudioProcessingState.ERROR
    assert rig.client.current_media_item == items[1]
    await rig.client.skip_to_next()  # repeat all was saved: wraps to the first
    assert engine.source == items[0].id
