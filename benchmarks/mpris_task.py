"""The task ``bench_mpris`` runs in a host process: one track, paused, play/pause only.

The host imports it by name (``benchmarks.mpris_task``); like a real player it
publishes an item (MPRIS offers PlayPause only while there is something to play).
"""

from __future__ import annotations

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

TRACK = MediaItem(
    id="bench-track",
    title="Benchmark Track",
    artist="The Benchmarks",
    album="Latency",
    duration=timedelta(minutes=4),
)


class MprisBenchTask(BackgroundAudioTask):
    """Paused, no player: play and pause only publish the state, as a real task does."""

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await AudioServiceBackground.set_media_item(TRACK)
        await AudioServiceBackground.set_state(
            controls=[MediaControl.play],
            processing_state=AudioProcessingState.READY,
            playing=False,
        )

    async def on_play(self) -> None:
        await AudioServiceBackground.set_state(playing=True, controls=[MediaControl.pause])

    async def on_pause(self) -> None:
        await AudioServiceBackground.set_state(playing=False, controls=[MediaControl.play])

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "pid":
            return os.getpid()
        raise ValueError(f"unknown custom action {name!r}")


def entrypoint() -> None:
    AudioServiceBackground.run(MprisBenchTask)
