"""QueuePlayerTask's queue: gapless next, completion, repeat, shuffle, edits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from player_support import Rig, engine_for, track, tracks

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
    TaskError,
)
from audio_service.players import MemoryEngine, QueuePlayerTask
from audio_session.testing import wait_until

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


READY = AudioProcessingState.READY


async def playing(
    rig: Rig, items: list[MediaItem], engine: MemoryEngine | None = None
) -> tuple[QueuePlayerTask, MemoryEngine]:
    engine = engine if engine is not None else engine_for(items)
    task = QueuePlayerTask(engine, session=rig.session)
    await rig.start(task, {"queue": items})
    await rig.client.play()
    await task.settle()
    return task, engine


def loads(engine: MemoryEngine) -> list[str]:
    return [args[0] for name, args in engine.calls if name == "load"]


# ------------------------------------------------------------------- gapless


async def test_the_next_item_is_preloaded_and_follows_without_a_load(rig: Rig) -> None:
    items = tracks(3)
    task, engine = await playing(rig, items)
    assert engine.preloaded == items[1].id
    engine.finish()
    client = rig.client
    assert client.current_media_item == items[1]
    state = client.playback_state
    assert state.queue_index == 1
    assert state.playing
    assert state.processing_state is READY
    assert state.update_position < timedelta(seconds=1)
    assert loads(engine) == [items[0].id]  # gapless: the engine went on by itself
    await task.settle()
    assert engine.preloaded == items[2].id


async def test_the_end_of_the_queue_completes_at_the_end_of_the_item(rig: Rig) -> None:
    items = tracks(2)
    task, engine = await playing(rig, items)
    engine.finish()
    await task.settle()
    assert engine.preloaded is None  # nothing after the last item
    engine.finish()
    state = rig.client.playback_state
    assert state.processing_state is AudioProcessingState.COMPLETED
    assert not state.playing
    assert state.update_position == items[1].duration
    assert rig.client.current_media_item == items[1]
    assert MediaControl.skip_to_next not in state.controls
    # Play after the end starts the queue again.
    await rig.client.play()
    assert engine.source == items[0].id
    assert engine.playing
    assert rig.client.playback_state.processing_state is READY


async def test_seeking_after_the_end_reloads_the_item_paused(rig: Rig) -> None:
    items = tracks(1)
    _, engine = await playing(rig, items)
    engine.finish()
    await rig.client.seek_to(timedelta(minutes=1))
    assert engine.source == items[0].id
    assert not engine.playing
    assert engine.position() == timedelta(minutes=1)
    state = rig.client.playback_state
    assert state.processing_state is READY
    assert not state.playing


async def test_without_a_preload_the_end_loads_the_next_item(rig: Rig) -> None:
    items = tracks(2)
    task, engine = await playing(rig, items)
    engine.preloaded = None  # as if the preload had not arrived in time
    engine.finish()
    await task.settle()
    assert engine.source == items[1].id
    assert engine.playing
    assert rig.client.current_media_item == items[1]


async def test_a_playing_item_ends_by_itself(rig: Rig) -> None:
    items = [track(1, minutes=0.0005), track(2, minutes=0.0005)]
    task, engine = await playing(rig, items)
    await task.settle()
    await wait_until(
        lambda: rig.client.playback_state.processing_state is AudioProcessingState.COMPLETED,
        "the queue to play through",
    )
    assert rig.client.current_media_item == items[1]
    assert loads(engine) == [items[0].id]


# -------------------------------------------------------------------- repeat


async def test_repeat_one_replays_but_skipping_still_moves(rig: Rig) -> None:
    items = tracks(3)
    task, engine = await playing(rig, items)
    await rig.client.set_repeat_mode(AudioServiceRepeatMode.ONE)
    await task.settle()
    assert engine.preloaded == items[0].id
    engine.finish()
    assert rig.client.current_media_item == items[0]
    assert rig.client.playback_state.repeat_mode is AudioServiceRepeatMode.ONE
    await rig.client.skip_to_next()
    assert rig.client.current_media_item == items[1]
    await task.settle()
    assert engine.preloaded == items[1].id


@pytest.mark.parametrize("mode", [AudioServiceRepeatMode.ALL, AudioServiceRepeatMode.GROUP])
async def test_repeat_all_wraps_around(rig: Rig, mode: AudioServiceRepeatMode) -> None:
    items = tracks(2)
    task, engine = await playing(rig, items)
    await rig.client.set_repeat_mode(mode)
    assert MediaControl.skip_to_previous in rig.client.playback_state.controls
    await rig.client.skip_to_next()
    await task.settle()
    assert engine.preloaded == items[0].id
    engine.finish()
    assert rig.client.current_media_item == items[0]
    await rig.client.skip_to_previous()
    assert rig.client.current_media_item == items[1]
    assert rig.client.playback_state.repeat_mode is mode


async def test_previous_at_the_start_restarts_the_item(rig: Rig) -> None:
    items = tracks(2)
    _, engine = await playing(rig, items)
    await rig.client.seek_to(timedelta(minutes=1))
    await rig.client.skip_to_previous()
    assert rig.client.current_media_item == items[0]
    assert engine.position() < timedelta(seconds=1)


# ------------------------------------------------------------------- shuffle


async def test_shuffle_plays_every_item_once_starting_with_the_current_one(rig: Rig) -> None:
    items = tracks(8)
    task, _engine = await playing(rig, items)
    await rig.client.skip_to_queue_item(items[3].id)
    await rig.client.set_shuffle_mode(AudioServiceShuffleMode.ALL)
    order = task.play_order
    assert sorted(order) == list(range(8))
    assert order[0] == 3
    assert rig.client.playback_state.shuffle_mode is AudioServiceShuffleMode.ALL
    assert rig.client.queue == items  # the queue itself keeps its order
    visited = [3]
    for _ in range(7):
        await rig.client.skip_to_next()
        visited.append(rig.client.playback_state.queue_index)  # type: ignore[arg-type]
    assert visited == list(order)
    assert MediaControl.skip_to_next not in rig.client.playback_state.controls
    await task.settle()
    await rig.client.skip_to_previous()
    assert rig.client.playback_state.queue_index == order[-2]
    await rig.client.set_shuffle_mode(AudioServiceShuffleMode.NONE)
    assert task.play_order == tuple(range(8))


async def test_shuffle_preloads_in_shuffled_order(rig: Rig) -> None:
    items = tracks(6)
    task, engine = await playing(rig, items)
    await rig.client.set_shuffle_mode(AudioServiceShuffleMode.ALL)
    await task.settle()
    assert engine.preloaded == items[task.play_order[1]].id
    engine.finish()
    assert rig.client.playback_state.queue_index == task.play_order[1]


async def test_items_added_while_shuffled_are_still_to_come(rig: Rig) -> None:
    items = tracks(4)
    task, _ = await playing(rig, items)
    await rig.client.set_shuffle_mode(AudioServiceShuffleMode.ALL)
    await rig.client.add_queue_items([track(5), track(6)])
    order = task.play_order
    assert sorted(order) == list(range(6))
    assert order[0] == 0
    await rig.client.remove_queue_item(items[2])
    assert sorted(task.play_order) == list(range(5))


async def test_items_inserted_before_the_current_one_while_shuffled(rig: Rig) -> None:
    items = tracks(4)
    task, _ = await playing(rig, items)
    await rig.client.set_shuffle_mode(AudioServiceShuffleMode.ALL)
    await rig.client.add_queue_item_at(track(9), 0)  # used to raise: 0 was not in the order
    assert rig.client.playback_state.queue_index == 1
    order = task.play_order
    assert sorted(order) == list(range(5))
    assert order[0] == 1  # the current item, moved up by one, is still first
    await rig.client.skip_to_queue_item(items[2].id)
    await rig.client.add_queue_item_at(track(8), 1)
    assert rig.client.playback_state.queue_index == 4
    assert task.play_order.index(4) < task.play_order.index(1)  # still to come after item 2


# --------------------------------------------------------------------- edits


async def test_adding_items(rig: Rig) -> None:
    items = tracks(2)
    _task, engine = await playing(rig, items)
    client = rig.client
    await client.add_queue_item(track(3))
    await client.add_queue_items([track(4), track(5)])
    assert [item.id for item in client.queue] == [track(n).id for n in range(1, 6)]
    await client.add_queue_item_at(track(0), 0)
    assert client.queue[0] == track(0)
    # The current item moved with the insertion and keeps playing.
    assert client.playback_state.queue_index == 1
    assert client.current_media_item == items[0]
    assert engine.source == items[0].id
    with pytest.raises(TaskError, match="index must be within"):
        await client.add_queue_item_at(track(9), 99)
    assert len(client.queue) == 6


async def test_adding_to_an_empty_queue_makes_the_first_item_current(rig: Rig) -> None:
    engine = MemoryEngine()
    task = QueuePlayerTask(engine, session=rig.session)
    await rig.start(task)
    await rig.client.add_queue_items(tracks(2))
    assert rig.client.current_media_item == track(1)
    assert rig.client.playback_state.queue_index == 0
    await rig.client.play()
    assert engine.source == track(1).id
    assert engine.playing


async def test_removing_items(rig: Rig) -> None:
    items = tracks(4)
    task, engine = await playing(rig, items)
    client = rig.client
    await client.skip_to_queue_item(items[1].id)
    await client.remove_queue_item(items[0])
    assert client.playback_state.queue_index == 0
    assert client.current_media_item == items[1]
    # Removing the current item goes on with the next one, still playing.
    await client.remove_queue_item(items[1])
    assert client.current_media_item == items[2]
    assert engine.source == items[2].id
    assert engine.playing
    await task.settle()
    assert engine.preloaded == items[3].id
    await client.remove_queue_item(items[3])
    await task.settle()
    assert engine.preloaded is None
    with pytest.raises(TaskError, match="no queue item"):
        await client.remove_queue_item(items[0])


async def test_removing_the_last_item_stops(rig: Rig) -> None:
    items = tracks(1)
    _, engine = await playing(rig, items)
    await rig.client.remove_queue_item(items[0])
    assert rig.client.current_media_item is None
    state = rig.client.playback_state
    assert state.processing_state is AudioProcessingState.IDLE
    assert not state.playing
    assert engine.source is None


async def test_replacing_the_queue_keeps_the_current_item_playing(rig: Rig) -> None:
    items = tracks(3)
    task, engine = await playing(rig, items)
    await rig.client.skip_to_next()
    new = [track(7), items[1], track(8)]
    await rig.client.update_queue(new)
    assert rig.client.queue == new
    assert rig.client.playback_state.queue_index == 1
    assert engine.source == items[1].id
    assert engine.playing
    assert loads(engine) == [items[0].id, items[1].id]
    await task.settle()
    assert engine.preloaded == track(8).id


async def test_replacing_the_queue_without_the_current_item_moves_to_the_first(
    rig: Rig,
) -> None:
    items = tracks(2)
    _, engine = await playing(rig, items)
    await rig.client.update_queue([track(7), track(8)])
    assert rig.client.current_media_item == track(7)
    assert engine.source == track(7).id
    assert engine.playing
    await rig.client.update_queue([])
    assert rig.client.current_media_item is None
    assert rig.client.playback_state.processing_state is AudioProcessingState.IDLE


async def test_updating_an_item_republishes_it(rig: Rig) -> None:
    items = tracks(2)
    await playing(rig, items)
    renamed = items[0].copy_with(title="Renamed")
    await rig.client.update_media_item(renamed)
    item = rig.client.current_media_item
    assert item is not None
    assert item.title == "Renamed"
    assert rig.client.queue[0].title == "Renamed"
    with pytest.raises(TaskError, match="no queue item"):
        await rig.client.update_media_item(track(9))


async def test_play_from_media_id_and_prepare(rig: Rig) -> None:
    items = tracks(3)
    task = QueuePlayerTask(engine := engine_for(items), session=rig.session)
    await rig.start(task, {"queue": items})
    await rig.client.prepare_from_media_id(items[2].id)
    assert engine.source == items[2].id
    assert not engine.playing
    await rig.client.play_from_media_id(items[1].id)
    assert engine.source == items[1].id
    assert engine.playing
    with pytest.raises(TaskError, match="no queue item has the media_id 'nope'"):
        await rig.client.play_from_media_id("nope")
    await rig.client.prepare()  # already loaded: nothing to do
    assert loads(engine).count(items[1].id) == 1


async def test_play_media_item_inserts_after_the_current_one(rig: Rig) -> None:
    items = tracks(2)
    _, engine = await playing(rig, items)
    extra = track(5)
    await rig.client.play_media_item(extra)
    assert [item.id for item in rig.client.queue] == [items[0].id, extra.id, items[1].id]
    assert rig.client.current_media_item == extra
    assert engine.source == extra.id
    await rig.client.play_media_item(items[1].copy_with(title="Again"))
    current = rig.client.current_media_item
    assert current == items[1]
    assert current is not None
    assert current.title == "Again"
    assert len(rig.client.queue) == 3


async def test_play_from_uri_names_the_item_from_the_uri_then_from_its_tags(rig: Rig) -> None:
    items = tracks(1)
    task, engine = await playing(rig, items)
    uri = "https://radio.example/live/Morning%20Show.mp3"
    await rig.client.play_from_uri(uri, {"source": "test"})
    item = rig.client.current_media_item
    assert item is not None
    assert item.id == uri
    assert item.title == "Morning Show"
    assert item.extras == {"source": "test", "uri": uri}
    assert engine.source == uri
    assert engine.playing
    engine.emit_tags({"title": "The Morning Show", "artist": "DJ", "album": "Live"})
    await task.settle()
    item = rig.client.current_media_item
    assert item is not None
    assert (item.title, item.artist, item.album) == ("The Morning Show", "DJ", "Live")
    assert rig.client.queue[1].title == "The Morning Show"


async def test_tags_never_override_what_the_app_said(rig: Rig) -> None:
    items = tracks(1)
    task, engine = await playing(rig, items)
    engine.emit_tags({"title": "Other", "artist": "Other", "genre": "Jazz"})
    await task.settle()
    item = rig.client.current_media_item
    assert item is not None
    assert (item.title, item.artist, item.genre) == ("Track 1", "The Testers", "Jazz")


async def test_skip_to_an_unknown_item_is_an_error_and_changes_nothing(rig: Rig) -> None:
    items = tracks(2)
    _, engine = await playing(rig, items)
    with pytest.raises(TaskError, match="media_id"):
        await rig.client.skip_to_queue_item("missing")
    assert engine.source == items[0].id
    assert engine.playing
    assert rig.client.playback_state.processing_state is READY


async def test_stop_playback_keeps_the_service_and_play_starts_the_item_again(rig: Rig) -> None:
    from audio_service._service._background import active_core
    from audio_service._service._requests import StopPlayback

    items = tracks(2)
    task, engine = await playing(rig, items)
    await rig.client.skip_to_next()
    await rig.client.seek_to(timedelta(seconds=30))
    core = active_core()
    assert core is not None
    await core.handle(StopPlayback())
    state = rig.client.playback_state
    assert (state.playing, state.processing_state) == (False, AudioProcessingState.IDLE)
    assert state.update_position == timedelta(0)
    assert not engine.playing
    assert rig.client.running
    assert rig.client.current_media_item == items[1]
    await rig.client.play()
    await task.settle()
    assert engine.source == items[1].id
    assert engine.playing
    assert engine.position() < timedelta(seconds=1)
    assert rig.client.playback_state.processing_state is READY
