"""Your own background task: it overrides the callbacks it supports and publishes state.

This one plays nothing audible (put your engine where the comments say); it shows
the audio session's part: focus on play, and pausing for calls and unplugged headphones.
"""

import asyncio

from audio_service import (
    AudioProcessingState,
    AudioService,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
)
from audio_session import AudioInterruptionType, AudioSession, AudioSessionConfiguration

PAUSING = (AudioInterruptionType.PAUSE, AudioInterruptionType.UNKNOWN)  # not DUCK
EPISODE = MediaItem(id="ep1", title="Hey Jude", album="Example Cast")


class PodcastTask(BackgroundAudioTask):
    async def on_start(self, params):
        self.session = await AudioSession.instance()
        await self.session.configure(AudioSessionConfiguration.speech())
        self.session.interruption_event_stream.listen(self.interrupted)  # calls, prompts
        self.session.becoming_noisy_event_stream.listen(self.unplugged)  # headphones out
        await AudioServiceBackground.set_media_item(EPISODE)
        await AudioServiceBackground.set_state(
            processing_state=AudioProcessingState.READY, controls=[MediaControl.play]
        )

    async def interrupted(self, event):  # AudioInterruptionEvent(begin, type)
        if event.begin and event.type in PAUSING:
            await self.on_pause()

    async def unplugged(self, _):
        await self.on_pause()

    async def on_play(self):
        if await self.session.set_active(True):  # audio focus: other apps pause or duck
            # (start your engine here)
            await AudioServiceBackground.set_state(
                playing=True, controls=[MediaControl.pause, MediaControl.stop]
            )

    async def on_pause(self):
        # (pause your engine here)
        await AudioServiceBackground.set_state(playing=False, controls=[MediaControl.play])


def entrypoint():
    AudioServiceBackground.run(PodcastTask)


async def main():
    await AudioService.start(entrypoint, app_id="org.example.OwnTask")
    await AudioService.play()
    print("playing:", AudioService.playback_state.playing)
    await AudioService.pause()
    print("playing:", AudioService.playback_state.playing)
    await AudioService.stop()


if __name__ == "__main__":
    asyncio.run(main())
