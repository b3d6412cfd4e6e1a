"""Testing an audio app against a real audio stack: a phone call pauses the player.

Run with ``pytest`` after ``pip install 'audio-service-kit[testing]'``; the rig's
fixtures (``audio_rig`` here) start a private session bus and audio server.
"""

import asyncio

import pytest

from audio_service import (
    AudioProcessingState,
    AudioService,
    AudioServiceBackground,
    BackgroundAudioTask,
)
from audio_session import AudioSession, AudioSessionConfiguration

pytestmark = pytest.mark.asyncio  # pytest-asyncio runs the async tests


class MyPlayer(BackgroundAudioTask):
    async def on_start(self, params):
        self.session = await AudioSession.instance()
        await self.session.configure(AudioSessionConfiguration.music())
        self.session.interruption_event_stream.listen(self.interrupted)
        await AudioServiceBackground.set_state(processing_state=AudioProcessingState.READY)

    async def interrupted(self, event):  # AudioInterruptionEvent(begin, type)
        if event.begin:
            await self.on_pause()

    async def on_play(self):
        if await self.session.set_active(True):  # take audio focus
            await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self):
        await AudioServiceBackground.set_state(playing=False)


def run_my_player():
    AudioServiceBackground.run(MyPlayer)


@pytest.mark.audio_server("pulseaudio")  # or omit it: runs on PulseAudio and PipeWire
async def test_my_player_pauses_for_a_call(audio_rig):
    await AudioService.start(run_my_player, in_process=True, app_id="org.example.MyPlayer")
    try:
        await AudioService.play()
        assert AudioService.playback_state.playing
        assert "org.example.MyPlayer" in await audio_rig.playerctl("-l")  # on the private bus
        call = await audio_rig.server.play("phone")  # another app's phone-role stream
        async with asyncio.timeout(10):
            await AudioService.playback_state_stream.first(lambda state: not state.playing)
        call.stop()
    finally:
        await AudioService.stop()
        await AudioService.disconnect()
