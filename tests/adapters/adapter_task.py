"""A small background task for the sync client and adapter tests (imported by name by hosts)."""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import timedelta
from typing import Any

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
)

ITEMS = [
    MediaItem(
        id=f"episode-{i}",
        title=f"Episode {i}",
        artist="The Testers",
        album="Adapter Cast",
        duration=timedelta(minutes=30),
    )
    for i in range(3)
]


class AdapterTask(BackgroundAudioTask):
    """Publishes what each request asks for, so clients can check what arrived."""

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await AudioServiceBackground.set_queue(ITEMS)
        await AudioServiceBackground.set_media_item(ITEMS[0])
        await AudioServiceBackground.set_state(
            controls=[MediaControl.play, MediaControl.skip_to_next],
            processing_state=AudioProcessingState.READY,
            queue_index=0,
        )

    async def on_play(self) -> None:
        await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self) -> None:
        await AudioServiceBackground.set_state(playing=False)

    async def on_seek_to(self, position: timedelta) -> None:
        await AudioServiceBackground.set_state(position=position)

    async def on_set_speed(self, speed: float) -> None:
        await AudioServiceBackground.set_state(speed=speed)

    async def on_skip_to_next(self) -> None:
        queue = AudioServiceBackground.queue
        index = (AudioServiceBackground.state.queue_index or 0) + 1
        if index < len(queue):
            await AudioServiceBackground.set_media_item(queue[index])
            await AudioServiceBackground.set_state(queue_index=index, position=timedelta(0))

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "sleep":
            await asyncio.sleep(arguments)
            return "slept"
        if name == "boom":
            raise ValueError("the task refused")
        if name == "events":
            for value in range(arguments):
                await AudioServiceBackground.send_custom_event(value)
            return arguments
        if name == "where":
            return {"pid": os.getpid(), "thread": threading.current_thread().name}
        return {"name": name, "arguments": arguments}


def entrypoint() -> None:
    AudioServiceBackground.run(AdapterTask)
