"""A podcast player: the ready-made mpv player plays a queue in its own process.

    python podcast_player.py episode1.mp3 https://example.com/episode2.mp3

It plays the queue to its end, printing each state, then stops the service.
Needs libmpv (``apt install libmpv2``) and ``pip install 'audio-service-kit[mpv]'``.
"""

import asyncio
import sys
from datetime import timedelta

from audio_service import AudioProcessingState, AudioService, AudioServiceBackground, MediaItem
from audio_service.players.mpv import MpvPlayerTask


def entrypoint():
    # Top level of the module: the background process imports it by name.
    AudioServiceBackground.run(MpvPlayerTask)


async def main(uris):
    # A queue in params is a fresh start; without one the player resumes where the
    # last run stopped (resume=False turns that off).
    queue = [MediaItem(id=uri, title=f"Episode {n}") for n, uri in enumerate(uris, 1)]
    await AudioService.start(entrypoint, {"queue": queue}, app_id="org.example.Podcasts")
    AudioService.playback_state_stream.listen(
        lambda state: print(state.processing_state.name, "playing" if state.playing else "paused")
    )
    await AudioService.play()
    await AudioService.seek_to(timedelta(seconds=0.2))
    await AudioService.playback_state_stream.first(
        lambda state: state.processing_state is AudioProcessingState.COMPLETED
    )
    await AudioService.stop()  # without it the service plays on after this script exits
    await AudioService.disconnect()


if __name__ == "__main__":
    # The guard matters: the background process imports this file to find entrypoint(),
    # and must not run main() there a second time.
    asyncio.run(main(sys.argv[1:]))
