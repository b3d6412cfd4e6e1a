"""The demo's Textual UI, driven with Textual's pilot against an in-process demo service.

The service is the real DemoTask (music + reader handlers, browse tree, event
forwarding) over MemoryEngine players and a MemoryBackend session, so every key
and button can be checked where it lands: in the engine and the task.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from demo_support import Harness, memory_entrypoint
from textual.widgets import OptionList, Static

from audio_service import AudioServiceRepeatMode, AudioServiceShuffleMode
from audio_service._api._client import AudioServiceClient
from audio_service.demo._app import DemoApp
from audio_service.demo._catalogue import Catalogue
from audio_service.players import MemoryEngine
from audio_session import AudioDevice, AudioDeviceType, AudioInterruptionType, AudioSession
from audio_session._memory_backend import MemoryBackend
from audio_session.testing import wait_until

SPEAKER = AudioDevice("speaker", "Speaker", is_output=True, type=AudioDeviceType.BUILT_IN_SPEAKER)
HEADPHONES = AudioDevice("hp", "Headphones", is_output=True, type=AudioDeviceType.WIRED_HEADPHONES)
SIZE = (150, 48)


@pytest.fixture
async def service(
    shared_catalogue: Catalogue,
) -> AsyncIterator[tuple[AudioServiceClient, MemoryBackend]]:
    backend = MemoryBackend(devices=[SPEAKER])
    session = await AudioSession.create(backend)
    Harness.session = session
    Harness.catalogue = shared_catalogue
    Harness.tasks.clear()
    client = AudioServiceClient()
    started = await client.start(
        memory_entrypoint,
        {"catalogue": str(shared_catalogue.directory)},
        in_process=True,
        mpris=False,
    )
    assert started
    yield client, backend
    if client.running:
        await client.stop()
    await client.disconnect()
    await session.close()


def music_engine() -> MemoryEngine:
    assert Harness.music_engine is not None
    return Harness.music_engine


def current_id(client: AudioServiceClient) -> str | None:
    item = client.current_media_item
    return item.id if item is not None else None


async def test_keys_reach_the_service(
    service: tuple[AudioServiceClient, MemoryBackend], shared_catalogue: Catalogue
) -> None:
    client, _ = service
    playlist = [item.id for item in shared_catalogue.playlist]
    app = DemoApp(client, environment=["private servers"], greeting="hello")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await app.settle()
        await wait_until(lambda: music_engine().playing, "the engine playing")
        assert client.playback_state.playing

        await pilot.press("n")
        await app.settle()
        assert current_id(client) == playlist[1]
        assert music_engine().source == (shared_catalogue.playlist[1].extras or {})["uri"]
        await pilot.press("p")
        await app.settle()
        assert current_id(client) == playlist[0]

        await pilot.press("right")
        await app.settle()
        assert music_engine().position() >= timedelta(seconds=10)
        await pilot.press("left")
        await app.settle()
        assert music_engine().position() < timedelta(seconds=10)

        await pilot.press("s", "r")
        await app.settle()
        assert client.playback_state.shuffle_mode is AudioServiceShuffleMode.ALL
        assert client.playback_state.repeat_mode is AudioServiceRepeatMode.ALL
        await pilot.press("r")
        await app.settle()
        assert client.playback_state.repeat_mode is AudioServiceRepeatMode.ONE

        await pilot.press("plus")
        await app.settle()
        assert music_engine().speed == 1.25
        await pilot.press("minus", "minus")
        await app.settle()
        assert music_engine().speed == 0.75

        await pilot.press("t")
        await app.settle()
        assert Harness.tasks[-1].current_name == "reader"
        await wait_until(lambda: app.handler_name == "reader", "the UI showing the reader")
        assert (current_id(client) or "").startswith("spoken/article#")
        assert not music_engine().playing, "switching paused the music"
        await pilot.pause()
        assert str(app.query_one("#title", Static).render()) == "Hello from the reader."
        album = str(app.query_one("#album", Static).render())
        assert album == "A note about this demo \u00b7 Sentence 1 of 5"
        await pilot.press("m")
        await app.settle()
        assert Harness.tasks[-1].current_name == "music"
        # The switch paused the music; it waits where it was.
        assert not client.playback_state.playing
        assert current_id(client) == playlist[0]
        await pilot.pause()
        status = str(app.query_one("#status", Static).render())
        assert "[music] paused" in status
        modes = str(app.query_one("#modes", Static).render())
        assert "shuffle on" in modes
        assert "repeat one" in modes
        assert "0.75x" in modes


async def test_buttons_queue_jump_and_now_playing(
    service: tuple[AudioServiceClient, MemoryBackend], shared_catalogue: Catalogue
) -> None:
    client, _ = service
    playlist = shared_catalogue.playlist
    app = DemoApp(client)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#toggle_play")
        await app.settle()
        await wait_until(lambda: music_engine().playing, "the play button playing")
        await pilot.click("#next")
        await app.settle()
        assert current_id(client) == playlist[1].id

        queue = app.query_one("#queue", OptionList)
        await wait_until(lambda: queue.option_count == len(playlist), "the queue listed")
        queue.focus()
        queue.highlighted = 4
        await pilot.press("enter")
        await app.settle()
        assert current_id(client) == playlist[4].id, "selecting a queue row jumps there"
        assert music_engine().source == (playlist[4].extras or {})["uri"]
        await pilot.pause()
        assert "\u25b6" in str(queue.get_option_at_index(4).prompt)
        assert str(app.query_one("#title", Static).render()) == playlist[4].title
        assert str(app.query_one("#artist", Static).render()) == playlist[4].artist
        art = app.query_one("#art", Static).render()
        assert "\u2580" in str(art), "the cover is drawn with half blocks"

        await pilot.click("#reader")
        await app.settle()
        assert Harness.tasks[-1].current_name == "reader"
        await pilot.click("#faster")
        await app.settle()
        assert client.playback_state.speed == 1.25


async def test_the_log_shows_session_events_and_state_changes(
    service: tuple[AudioServiceClient, MemoryBackend],
) -> None:
    client, backend = service
    app = DemoApp(client, greeting="started the demo service")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await app.settle()
        await wait_until(lambda: client.playback_state.playing, "playing")

        def logged(text: str) -> Callable[[], bool]:
            return lambda: any(text in line for line in app.log_lines)

        backend.interrupt(AudioInterruptionType.PAUSE)
        await wait_until(logged("interruption begins: pause"), "the interruption logged")
        await wait_until(logged("paused"), "the pause it caused logged")
        backend.end_interruption(AudioInterruptionType.PAUSE)
        await wait_until(logged("interruption ends: pause"), "its end logged")
        await wait_until(lambda: client.playback_state.playing, "resumed")

        backend.add_devices(HEADPHONES)
        await wait_until(logged("devices: added Headphones"), "the new device logged")
        backend.become_noisy()
        await wait_until(logged("becoming noisy"), "becoming noisy logged")
        await wait_until(lambda: not client.playback_state.playing, "paused by becoming noisy")
        await pilot.press("t")
        await wait_until(logged("switched to the reader player"), "the switch logged")
        assert any("started the demo service" in line for line in app.log_lines)
        assert any("now: " in line for line in app.log_lines)


async def test_quit_leaves_the_service_playing(
    service: tuple[AudioServiceClient, MemoryBackend],
) -> None:
    client, _ = service
    app = DemoApp(client)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await app.settle()
        await wait_until(lambda: client.playback_state.playing, "playing")
        await pilot.press("q")
        await pilot.pause()
    assert app.outcome == "quit"
    assert client.running
    assert client.playback_state.playing
    assert music_engine().playing


async def test_x_stops_the_service(service: tuple[AudioServiceClient, MemoryBackend]) -> None:
    client, _ = service
    app = DemoApp(client)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await pilot.pause()
        await wait_until(lambda: not client.running, "the service stopped")
    assert app.outcome == "stop"
    assert music_engine().closed
