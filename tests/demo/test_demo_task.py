"""The demo task itself: browse tree, playing any catalogue id, its custom actions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from demo_support import Harness, memory_entrypoint

from audio_service import MEDIA_ROOT_ID, TaskError
from audio_service._api._client import AudioServiceClient
from audio_service.demo._catalogue import ARTICLE_ID, Catalogue
from audio_session import AudioSession
from audio_session._memory_backend import MemoryBackend


@pytest.fixture
async def client(shared_catalogue: Catalogue) -> AsyncIterator[AudioServiceClient]:
    session = await AudioSession.create(MemoryBackend())
    Harness.session = session
    Harness.catalogue = shared_catalogue
    Harness.tasks.clear()
    client = AudioServiceClient()
    params = {"catalogue": str(shared_catalogue.directory)}
    assert await client.start(memory_entrypoint, params, in_process=True, mpris=False)
    yield client
    if client.running:
        await client.stop()
    await client.disconnect()
    await session.close()


async def test_the_browse_tree_has_music_and_spoken_folders(
    client: AudioServiceClient, shared_catalogue: Catalogue
) -> None:
    root = await client.load_children(MEDIA_ROOT_ID)
    assert [(i.id, i.playable) for i in root] == [("music", False), ("spoken", False)]
    assert await client.load_children("music") == list(shared_catalogue.music)
    spoken = await client.load_children("spoken")
    assert [i.id for i in spoken] == ["spoken/welcome", "spoken/interruptions", ARTICLE_ID]
    # The queue holds the music, then the episodes; the reader waits with the article.
    assert [i.id for i in client.queue] == [i.id for i in shared_catalogue.playlist]
    reader = Harness.tasks[-1].handlers["reader"]
    assert reader.queue[0].id == f"{ARTICLE_ID}#0"
    assert (reader.queue[0].extras or {})["text"] == "Hello from the reader."


async def test_any_catalogue_id_plays_in_the_right_player(
    client: AudioServiceClient, shared_catalogue: Catalogue
) -> None:
    task = Harness.tasks[-1]
    await client.play_from_media_id(ARTICLE_ID)
    assert task.current_name == "reader"
    assert client.playback_state.playing
    assert client.current_media_item is not None
    assert client.current_media_item.id == f"{ARTICLE_ID}#0"

    await client.play_from_media_id("spoken")  # a folder, as MPRIS ActivatePlaylist sends it
    assert task.current_name == "music"
    assert client.current_media_item is not None
    assert client.current_media_item.id == "spoken/welcome"
    assert client.playback_state.playing
    assert not task.handlers["reader"].playing, "the reader was paused by the switch"

    await client.play_from_media_id(shared_catalogue.music[2].id)
    assert client.current_media_item.id == shared_catalogue.music[2].id

    with pytest.raises(TaskError):
        await client.play_from_media_id("no/such/item")


async def test_info_and_probe_describe_the_service(client: AudioServiceClient) -> None:
    info = await client.custom_action("demo_info")
    assert info["handler"] == "music"
    assert info["handlers"] == ["music", "reader"]
    assert isinstance(info["pid"], int)
    probe = await client.custom_action("demo_probe")
    assert probe["engine_position"] == 0.0
    assert probe["item"] == client.queue[0].id
    assert probe["playing"] is False
    assert await client.custom_action("switch_handler", "reader") == "reader"
    assert (await client.custom_action("demo_probe"))["handler"] == "reader"
