"""``AudioServiceWidget``: connected for the span of an ``async with``; the service plays on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import adapter_task
import pytest

from audio_service import AudioServiceClient, AudioServiceWidget, NotConnectedError
from audio_service._connect._inprocess import InProcessLauncher


@pytest.fixture
async def owner() -> AsyncIterator[AudioServiceClient]:
    """A client that starts the service in-process and stops it at the end."""
    client = AudioServiceClient()
    client.in_process_launcher = InProcessLauncher(stop_grace=0.05)
    assert await client.start(adapter_task.entrypoint, in_process=True, mpris=False)
    yield client
    await client.stop()
    await client.disconnect()


async def test_connects_on_entry_and_disconnects_on_exit(owner: AudioServiceClient) -> None:
    ui = AudioServiceClient()
    async with AudioServiceWidget(in_process=True, client=ui) as service:
        assert service is ui
        assert ui.connected
        assert ui.running
        await ui.play()
        assert ui.playback_state.playing
    assert not ui.connected
    with pytest.raises(NotConnectedError):
        await ui.pause()
    assert owner.running
    assert owner.playback_state.playing, "the service played on"

    async def broken_window() -> None:
        async with AudioServiceWidget(in_process=True, client=ui):
            assert ui.current_media_item is not None
            raise RuntimeError("the window broke")

    with pytest.raises(RuntimeError, match="the window broke"):
        await broken_window()
    assert not ui.connected, "disconnected although the block raised"
