"""ReaderTask for real: espeak-ng renders, libmpv plays on the rig's audio server.

What the audio server itself shows is the proof: the reader's stream plays,
is corked when paused (by the user, or by a phone call another application
starts) and plays again when resumed.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from stream_support import stream_becomes

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceClient,
    BackgroundAudioTask,
)
from audio_service._connect._inprocess import InProcessLauncher
from audio_service.players.tts import EspeakSynthesizer, ReaderTask
from audio_session import AudioSession
from audio_session._linux import LinuxBackend
from audio_session.testing import AudioRig, AudioServer, wait_until

pytest.importorskip("mpv")
pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


# Long sentences (several seconds each), so that none ends while the test looks at it.
ARTICLE = (
    "The first sentence of this article is long enough to keep the reader busy for a while, "
    "which is exactly what the test needs from it. "
    "The second sentence is just as long, because the test skips to it and then watches "
    "the audio server while a phone call interrupts the reading. "
    "The third sentence is only here so that the second one is not the last in the queue, "
    "and it says so at some length."
)


@pytest.fixture
async def reader(
    audio_rig: AudioRig, tmp_path: Path
) -> AsyncIterator[tuple[AudioServiceClient, AudioServer]]:
    assert audio_rig.server is not None
    session = await AudioSession.create(LinuxBackend())
    client = AudioServiceClient()
    client.in_process_launcher = InProcessLauncher(stop_grace=0.5)
    synthesizer = EspeakSynthesizer(cache_dir=tmp_path / "speech")
    TASKS.append(ReaderTask(synthesizer=synthesizer, session=session))
    try:
        assert await client.start(entrypoint, in_process=True, mpris=False)
        yield client, audio_rig.server
    finally:
        TASKS.clear()
        if client.running:
            await client.stop()
        await client.disconnect()
        await session.close()


async def test_reads_pauses_resumes_skips_and_yields_to_a_call(
    reader: tuple[AudioServiceClient, AudioServer],
) -> None:
    client, server = reader
    result = await client.custom_action("read_article", {"text": ARTICLE, "title": "Rig"})
    assert result["items"] == 3
    playing = await stream_becomes(server, False, what="the reader's stream to play")
    assert playing is not None
    assert playing.role == "music"  # speech has no role of its own on the pulse protocol
    state = client.playback_state
    assert state.playing
    assert state.processing_state is AudioProcessingState.READY
    assert state.queue_index == 0
    # libmpv's duration of the WAV matches the header's: the real one, published.
    first = client.queue[0]
    assert first.duration is not None
    assert first.duration.total_seconds() > 3

    # Pause mid-sentence: the server sees the stream corked; play: running again.
    await client.pause()
    await stream_becomes(server, True, what="the stream to be corked by the pause")
    assert not client.playback_state.playing
    assert client.playback_state.queue_index == 0
    await client.play()
    await stream_becomes(server, False, what="the stream to run again")

    # Skip a sentence.
    await client.skip_to_next()
    assert client.playback_state.queue_index == 1
    assert client.current_media_item == client.queue[1]
    await stream_becomes(server, False, what="the second sentence to play")
    await wait_until(
        lambda: client.playback_state.processing_state is AudioProcessingState.READY,
        "the second sentence to be ready",
    )

    # Another application's phone call pauses the reader; its end resumes it.
    call = await server.play("phone")
    await wait_until(lambda: not client.playback_state.playing, "the call to pause the reader")
    await stream_becomes(server, True, what="the stream to be corked during the call")
    call.stop()
    await wait_until(lambda: client.playback_state.playing, "the reader to resume after the call")
    await stream_becomes(server, False, what="the stream to play after the call")
    assert client.playback_state.queue_index == 1

    # Stopping releases the audio output.
    await client.stop()
    await stream_becomes(server, None, what="the stream to go away")
