"""The background task the ``bench_service_*`` benchmarks run in a host process.

The host imports it by name (``benchmarks.service_task``), so it stays free of
anything but ``audio_service``: what it imports counts in the idle host's RSS.
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


class BenchTask(BackgroundAudioTask):
    """Paused, no player: every callback only publishes what a real task would."""

    def __init__(self) -> None:
        super().__init__()
        # How on_add_queue_item_at publishes: "splice" (the cheap path for long
        # queues) or "set_queue" (what most apps write: edit a list, publish it).
        self.insert_mode = "splice"

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await AudioServiceBackground.set_state(
            controls=[MediaControl.play, MediaControl.pause],
            processing_state=AudioProcessingState.READY,
            playing=False,
        )

    async def on_play(self) -> None:
        await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self) -> None:
        await AudioServiceBackground.set_state(playing=False)

    async def on_update_queue(self, queue: list[MediaItem]) -> None:
        await AudioServiceBackground.set_queue(queue)

    async def on_add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        if self.insert_mode == "splice":
            await AudioServiceBackground.splice_queue(index, 0, [media_item])
        else:
            items = list(AudioServiceBackground.queue)
            items.insert(index, media_item)
            await AudioServiceBackground.set_queue(items)

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "pid":
            return os.getpid()
        if name == "states":
            # Many state changes, the loop served between batches as a real player's would be.
            for step in range(int(arguments)):
                await AudioServiceBackground.set_state(position=timedelta(milliseconds=step))
                if step % 200 == 199:
                    await asyncio.sleep(0)
            return arguments
        if name == "events":
            count, size = arguments
            for step in range(int(count)):
                await AudioServiceBackground.send_custom_event(
                    {"n": step, "data": b"x" * int(size)}
                )
                if step % 10 == 9:
                    await asyncio.sleep(0)
            return count
        if name == "insert_mode":
            if arguments not in ("splice", "set_queue"):
                raise ValueError(f"insert_mode must be 'splice' or 'set_queue', not {arguments!r}")
            self.insert_mode = arguments
            return arguments
        raise ValueError(f"unknown custom action {name!r}")


def entrypoint() -> None:
    AudioServiceBackground.run(BenchTask)
