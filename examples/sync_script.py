"""A plain script, no asyncio: queue a file, play, seek, print the state, stop.

    pip install 'audio-service-kit[mpv]'
    python examples/sync_script.py [AUDIO_FILE]

Without a file it plays a short tone made on the spot. The player runs in its
own process (the desktop's media controls see it while it plays); the script
waits for the end of the first seconds, then stops it and exits.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from example_media import make_episodes

from audio_service import AudioServiceBackground, MediaItem
from audio_service.players.mpv import MpvPlayerTask
from audio_service.sync import AudioService


def entrypoint() -> None:
    AudioServiceBackground.run(MpvPlayerTask)


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        path = Path(argv[1]).resolve()
        item = MediaItem(id=str(path), title=path.stem)
    else:
        item = make_episodes(Path(tempfile.gettempdir()) / "audio-service-examples")[0]

    AudioService.start(entrypoint, app_id="org.example.SyncScript", identity="Sync script")
    AudioService.update_queue([item])
    AudioService.play()

    # Streams call back on the client's own thread; here they only signal this one.
    two_seconds_in = threading.Event()
    AudioService.position_stream.listen(
        lambda position: position >= timedelta(seconds=2) and two_seconds_in.set()
    )
    AudioService.seek_to(timedelta(seconds=1))
    if not two_seconds_in.wait(timeout=30):
        print("playback did not advance", file=sys.stderr)
        return 1

    state = AudioService.playback_state
    item = AudioService.current_media_item
    print(f"now playing: {item.title if item else None}")
    print(f"playing={state.playing} state={state.processing_state.name} speed={state.speed}")
    print(f"position: {AudioService.position.total_seconds():.1f} s")
    AudioService.stop()
    print("stopped; running:", AudioService.running)
    return 0  # the client's threads end at exit (or call AudioService.close())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
