"""A background task for host-mode tests, imported by name in the host process."""

from __future__ import annotations

import asyncio
import builtins
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


class RecordingTask(BackgroundAudioTask):
    async def on_start(self, params: dict[str, Any] | None) -> None:
        self.saved = AudioServiceBackground.saved_session
        self.exit_delay = float(params.get("exit_delay", 0)) if params else 0.0
        if params and params.get("fail"):
            raise RuntimeError("on_start was told to fail")
        items = [MediaItem(id=f"track-{i}", title=f"Track {i}", album="Host") for i in range(3)]
        await AudioServiceBackground.set_queue(items)
        await AudioServiceBackground.set_media_item(items[0])
        await AudioServiceBackground.set_state(
            controls=[MediaControl.play, MediaControl.pause],
            processing_state=AudioProcessingState.READY,
        )

    async def on_stop(self) -> None:
        # A task that takes a while to wind down (an engine releasing its output, say).
        if self.exit_delay:
            await asyncio.sleep(self.exit_delay)
        await super().on_stop()

    async def on_play(self) -> None:
        await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self) -> None:
        await AudioServiceBackground.set_state(playing=False)

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        await AudioServiceBackground.set_queue([*AudioServiceBackground.queue, media_item])

    async def on_seek_to(self, position: timedelta) -> None:
        await AudioServiceBackground.set_state(position=position)

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        queue = AudioServiceBackground.queue
        index = next(i for i, item in enumerate(queue) if item.id == media_id)
        await AudioServiceBackground.set_media_item(queue[index])
        await AudioServiceBackground.set_state(queue_index=index, position=timedelta(0))

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "saved":
            saved = self.saved
            if saved is None:
                return None
            return {
                "queue": [item.id for item in saved.queue],
                "media_item": saved.media_item.id if saved.media_item else None,
                "position": saved.position.total_seconds(),
                "queue_index": saved.queue_index,
            }
        if name == "big_queue":
            await AudioServiceBackground.set_queue(big_queue(arguments))
            return len(AudioServiceBackground.queue)
        if name == "pid":
            return os.getpid()
        if name == "boom":
            raise ValueError("the task refused")
        if name == "raise":
            kind = CustomError if arguments == "custom" else getattr(builtins, arguments)
            raise kind("raised on request")
        if name == "event":
            await AudioServiceBackground.send_custom_event({"echo": arguments})
        if name == "edits":
            count, size = arguments
            for number in range(count):
                items = [
                    MediaItem(id=f"edit-{number}-{i}", title=f"Edit {number} {i}", album="Edits")
                    for i in range(size)
                ]
                length = len(AudioServiceBackground.queue)
                await AudioServiceBackground.splice_queue(length, 0, items)
            return len(AudioServiceBackground.queue)
        if name == "burst":
            count, size = arguments
            for number in range(count):
                await AudioServiceBackground.send_custom_event({"n": number, "data": b"x" * size})
            return count
        return {"name": name, "arguments": arguments}


class CustomError(Exception):
    """An exception type of the app's own."""


def exits_at_import() -> None:
    # The host process dies before it can report: the launcher must say where to look.
    os._exit(3)


def entrypoint() -> None:
    AudioServiceBackground.run(RecordingTask)


def big_queue(size: int) -> list[MediaItem]:
    return [MediaItem(id=f"item-{i}", title=f"Item {i}", album="Big") for i in range(size)]
