"""SwitchingTask: one service, a music player and a reader, switched without restarting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from player_support import Rig, engine_for, tracks

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaItem,
    TaskError,
)
from audio_service.players import MemoryEngine, QueuePlayerTask, SwitchingTask
from audio_session import AudioSessionConfiguration

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


SENTENCES = [MediaItem(id=f"article#{n}", title=f"Sentence {n}") for n in range(1, 4)]


class Players:
    def __init__(
        self, rig: Rig, initial: str = "music", kind: type[SwitchingTask] = SwitchingTask
    ) -> None:
        self.songs = tracks(3)
        self.music_engine = engine_for(self.songs)
        self.reader_engine = MemoryEngine(default_duration=timedelta(seconds=5))
        self.music = QueuePlayerTask(self.music_engine, session=rig.session)
        self.reader = QueuePlayerTask(
            self.reader_engine,
            session=rig.session,
            session_configuration=AudioSessionConfiguration.speech(),
        )
        self.task = kind({"music": self.music, "reader": self.reader}, initial)


@pytest.fixture
async def players(rig: Rig) -> Players:
    players = Players(rig)
    await rig.start(players.task, {"queue": players.songs})
    return players


async def test_only_the_current_player_gets_the_params_and_publishes(
    rig: Rig, players: Players
) -> None:
    client = rig.client
    assert client.queue == players.songs
    assert client.current_media_item == players.songs[0]
    assert players.task.current is players.music
    assert players.task.current_name == "music"
    assert players.music.publishing
    assert not players.reader.publishing
    assert len(players.reader.queue) == 0
    assert rig.session.configuration == AudioSessionConfiguration.music()


async def test_switching_keeps_each_players_queue_and_position(rig: Rig, players: Players) -> None:
    client = rig.client
    await client.skip_to_queue_item(players.songs[1].id)
    await client.play()
    await client.seek_to(timedelta(seconds=30))
    assert await client.custom_action("switch_handler", "reader") == "reader"
    assert not players.music_engine.playing
    assert rig.session.configuration == AudioSessionConfiguration.speech()
    # The reader's (empty) world is what clients see now.
    assert len(client.queue) == 0
    assert client.current_media_item is None
    assert client.playback_state.processing_state is AudioProcessingState.IDLE
    await client.add_queue_items(SENTENCES)
    await client.play()
    assert players.reader_engine.source == SENTENCES[0].id
    assert players.reader_engine.playing
    assert players.music.queue == players.songs
    assert await client.custom_action("switch_handler", "music") == "music"
    assert not players.reader_engine.playing
    assert client.queue == players.songs
    assert client.current_media_item == players.songs[1]
    state = client.playback_state
    assert state.queue_index == 1
    assert not state.playing
    # It played on a little between the seek and the switch.
    assert timedelta(seconds=30) <= state.update_position < timedelta(seconds=31)
    assert rig.session.configuration == AudioSessionConfiguration.music()
    await players.task.switch_to("reader")
    assert client.queue == SENTENCES
    assert client.current_media_item == SENTENCES[0]


async def test_an_inactive_player_publishes_nothing(rig: Rig, players: Players) -> None:
    client = rig.client
    await client.play()
    await players.task.switch_to("reader")
    await client.add_queue_items(SENTENCES)
    seen = (client.playback_state, client.current_media_item, client.queue)
    # The music engine reports things while the reader is current.
    players.music_engine.finish()
    players.music_engine.emit_tags({"title": "Other"})
    players.music_engine.set_buffering(True)
    await players.music.settle()
    assert (client.playback_state, client.current_media_item, client.queue) == seen
    assert players.music.queue_index == 1  # it moved on, quietly
    await players.task.switch_to("music")
    assert client.current_media_item == players.songs[1]


async def test_requests_go_to_the_current_player(rig: Rig, players: Players) -> None:
    await players.task.switch_to("reader")
    await rig.client.add_queue_items(SENTENCES)
    await rig.client.set_speed(2.0)
    await rig.client.play()
    assert players.reader_engine.speed == 2.0
    assert players.music_engine.speed == 1.0
    assert await rig.client.load_children() == SENTENCES


async def test_switching_errors(rig: Rig, players: Players) -> None:
    with pytest.raises(TaskError, match="no handler is named 'podcasts'"):
        await rig.client.custom_action("switch_handler", "podcasts")
    assert await rig.client.custom_action("switch_handler", "music") == "music"
    assert rig.client.queue == players.songs
    with pytest.raises(ValueError, match=r"unknown custom action 'anything else'.*switch_handler"):
        await rig.client.custom_action("anything else")


async def test_stop_releases_every_player_once(rig: Rig, players: Players) -> None:
    await rig.client.play()
    await rig.client.stop()
    assert not rig.client.running
    assert players.music_engine.closed
    assert players.reader_engine.calls == [("close", ())]  # never needed, never opened
    assert not rig.session.is_active


def test_constructor_checks() -> None:
    music = QueuePlayerTask(MemoryEngine())
    with pytest.raises(ValueError, match="non-empty"):
        SwitchingTask({}, "music")
    with pytest.raises(ValueError, match="initial must be one of"):
        SwitchingTask({"music": music}, "reader")
    with pytest.raises(TypeError, match="QueuePlayerTask"):
        SwitchingTask({"music": BackgroundAudioTask()}, "music")  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="already belongs"):
        SwitchingTask({"a": music, "b": music}, "a")
    SwitchingTask({"music": music}, "music")
    with pytest.raises(ValueError, match="already belongs"):
        SwitchingTask({"music": music}, "music")


async def test_a_player_without_its_own_configuration_gets_music(rig: Rig) -> None:
    players = Players(rig, "reader")
    await rig.start(players.task)
    assert rig.session.configuration == AudioSessionConfiguration.speech()
    await players.task.switch_to("music")
    assert rig.session.configuration == AudioSessionConfiguration.music()


def test_every_request_names_a_callback_a_switching_task_can_route() -> None:
    from audio_service._service._requests import REQUEST_TYPES

    for tag, cls in REQUEST_TYPES.items():
        callback = f"on_{tag}"
        assert callable(getattr(BackgroundAudioTask, callback)), cls
        assert cls.__struct_config__.tag == tag


class Counting(SwitchingTask):
    """Overrides one callback: that request stays here, the others still reach the player."""

    skips = 0

    async def on_skip_to_next(self) -> None:
        self.skips += 1
        await self.current.on_skip_to_next()


async def test_a_subclass_override_handles_its_request_itself(rig: Rig) -> None:
    players = Players(rig, kind=Counting)
    task = players.task
    assert isinstance(task, Counting)
    await rig.start(task, {"queue": players.songs})
    await rig.client.skip_to_next()
    assert task.skips == 1
    assert rig.client.playback_state.queue_index == 1
    await rig.client.skip_to_previous()  # not overridden: straight to the player
    assert task.skips == 1
    assert rig.client.playback_state.queue_index == 0
