"""A background task for the power tests, also imported by name in host processes.

Skipping passes through LOADING (``playing`` stays true), as a real player's
track change does; ``journal`` records pauses in the order they happen.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
)

ITEMS = [MediaItem(id=f"track-{i}", title=f"Track {i}", album="Power") for i in range(3)]


class PowerTask(BackgroundAudioTask):
    #: What the task did, in order (shared with the test in in-process mode).
    journal: list[str] | None = None
    #: Seconds ``on_pause`` takes (a player that fades out, say).
    pause_takes = 0.0

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await AudioServiceBackground.set_queue(ITEMS)
        await AudioServiceBackground.set_media_item(ITEMS[0])
        await AudioServiceBackground.set_state(
            controls=[MediaControl.play, MediaControl.pause],
            processing_state=AudioProcessingState.READY,
            queue_index=0,
        )

    def _note(self, entry: str) -> None:
        if self.journal is not None:
            self.journal.append(entry)

    async def on_play(self) -> None:
        self._note("task: play")
        await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self) -> None:
        if self.pause_takes:
            await asyncio.sleep(self.pause_takes)
        await AudioServiceBackground.set_state(playing=False)
        self._note("task: paused")

    async def on_skip_to_next(self) -> None:
        index = (AudioServiceBackground.state.queue_index or 0) + 1
        await AudioServiceBackground.set_state(
            processing_state=AudioProcessingState.LOADING, queue_index=index
        )
        await AudioServiceBackground.set_media_item(ITEMS[index % len(ITEMS)])
        await AudioServiceBackground.set_state(
            processing_state=AudioProcessingState.READY, position=timedelta(0)
        )

    async def on_seek_to(self, position: timedelta) -> None:
        await AudioServiceBackground.set_state(processing_state=AudioProcessingState.BUFFERING)
        await AudioServiceBackground.set_state(
            processing_state=AudioProcessingState.READY, position=position
        )

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "pid":
            return os.getpid()
        return None


def entrypoint() -> None:
    AudioServiceBackground.run(PowerTask)
