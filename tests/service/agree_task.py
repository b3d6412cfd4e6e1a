"""The task of ``test_modes_agree``: records every callback, imported by name in the host."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import msgspec

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaAction,
    MediaControl,
    MediaItem,
)
from service_support import RecordingTask

#: The queue every scenario starts from (``reset``).
BASE_QUEUE = (
    MediaItem(id="base-0", title="Base 0", album="Agree", duration=timedelta(minutes=3)),
    MediaItem(id="base-1", title="Base 1", album="Agree", extras={"n": 1}),
    MediaItem(id="base-2", title="Base 2", artist="Someone"),
)

#: What ``on_load_children`` answers, by parent id.
CHILDREN = {
    "root": [
        MediaItem(id="albums", title="Albums", playable=False),
        MediaItem(id="base-0", title="Base 0", duration=timedelta(minutes=3)),
    ],
    "albums": [],
}

_CONTROLS = {"play": MediaControl.play, "pause": MediaControl.pause, "stop": MediaControl.stop}


class TaskFailure(Exception):
    """An app-defined error a callback raises."""


_ERRORS: dict[str, type[Exception]] = {
    "ValueError": ValueError,
    "KeyError": KeyError,
    "TaskFailure": TaskFailure,
}


def describe(value: Any) -> Any:
    """``value`` as plain data that keeps every type name, nested ones included.

    Two modes agree on a value only if they agree on its type too (a tuple that
    became a list, or a MediaItem that became a dict, shows).
    """
    if isinstance(value, list | tuple):
        return [type(value).__name__, [describe(item) for item in value]]
    if isinstance(value, dict):
        return [type(value).__name__, {str(key): describe(item) for key, item in value.items()}]
    return [type(value).__name__, msgspec.to_builtins(value)]


class AgreeTask(RecordingTask):
    """Records each callback (types included) and edits the queue as the request says.

    The callbacks that only record come from :class:`RecordingTask`; this class
    changes the record format and adds the behaviour both modes must agree on.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[Any]] = []

    def _record(self, callback: str, *arguments: Any) -> None:
        self.calls.append([callback, *(describe(argument) for argument in arguments)])

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await self._reset()

    async def _reset(self) -> None:
        self.calls.clear()
        await AudioServiceBackground.set_queue(BASE_QUEUE)
        await AudioServiceBackground.set_media_item(BASE_QUEUE[0])
        await AudioServiceBackground.set_state(
            processing_state=AudioProcessingState.READY,
            playing=False,
            controls=[MediaControl.play, MediaControl.pause],
            android_compact_action_indices=None,
            system_actions=[MediaAction.SEEK],
            position=timedelta(0),
            buffered_position=timedelta(0),
            speed=1.0,
            error_code=None,
            error_message=None,
            repeat_mode=AudioServiceRepeatMode.NONE,
            shuffle_mode=AudioServiceShuffleMode.NONE,
            captioning_enabled=False,
            queue_index=0,
        )

    async def on_stop(self) -> None:
        await AudioServiceBackground.send_custom_event({"stopping": True})
        await super().on_stop()

    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        self._record("on_load_children", parent_media_id)
        return CHILDREN[parent_media_id]

    async def on_play_from_search(self, query: str, extras: dict[str, Any] | None) -> None:
        self._record("on_play_from_search", query, extras)
        if query == "fail":
            raise LookupError(f"nothing matches {query!r}")

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        self._record("on_add_queue_item", media_item)
        queue = AudioServiceBackground.queue
        await AudioServiceBackground.splice_queue(len(queue), 0, [media_item])

    async def on_add_queue_items(self, media_items: list[MediaItem]) -> None:
        self._record("on_add_queue_items", media_items)
        queue = AudioServiceBackground.queue
        await AudioServiceBackground.splice_queue(len(queue), 0, media_items)

    async def on_add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        self._record("on_add_queue_item_at", media_item, index)
        await AudioServiceBackground.splice_queue(index, 0, [media_item])

    async def on_remove_queue_item(self, media_item: MediaItem) -> None:
        self._record("on_remove_queue_item", media_item)
        index = AudioServiceBackground.queue.index_of(media_item.id)
        if index is not None:
            await AudioServiceBackground.splice_queue(index, 1)

    async def on_update_queue(self, queue: list[MediaItem]) -> None:
        self._record("on_update_queue", queue)
        await AudioServiceBackground.set_queue(queue)

    async def on_update_media_item(self, media_item: MediaItem) -> None:
        self._record("on_update_media_item", media_item)
        index = AudioServiceBackground.queue.index_of(media_item.id)
        if index is not None:
            await AudioServiceBackground.update_queue_item(index, media_item)
        current = AudioServiceBackground.media_item
        if current is not None and current.id == media_item.id:
            await AudioServiceBackground.set_media_item(media_item)

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "calls":
            return self.calls
        if name == "pid":
            return os.getpid()
        if name == "reset":
            await self._reset()
            return None
        self._record("on_custom_action", name, arguments)
        if name == "raise":
            kind, message = arguments
            raise _ERRORS[kind](message)
        if name == "emit":
            for event in arguments:
                await AudioServiceBackground.send_custom_event(event)
            return len(arguments)
        if name == "set_state":
            await AudioServiceBackground.set_state(**_state_changes(arguments))
            return None
        if name == "set_media_item":
            item = msgspec.convert(arguments, MediaItem | None)
            await AudioServiceBackground.set_media_item(item)
            return None
        if name == "queue":
            return [[item.id, item.title] for item in AudioServiceBackground.queue]
        return {"name": name, "arguments": arguments}


def _state_changes(fields: dict[str, Any]) -> dict[str, Any]:
    """``set_state`` keyword arguments from their plain-data form (as a custom action sends)."""
    changes = dict(fields)
    for name in ("position", "buffered_position"):
        if name in changes:
            changes[name] = timedelta(milliseconds=changes[name])
    if "controls" in changes:
        changes["controls"] = [_CONTROLS[control] for control in changes["controls"]]
    if "system_actions" in changes:
        changes["system_actions"] = [MediaAction(action) for action in changes["system_actions"]]
    if "processing_state" in changes:
        changes["processing_state"] = AudioProcessingState(changes["processing_state"])
    if "repeat_mode" in changes:
        changes["repeat_mode"] = AudioServiceRepeatMode(changes["repeat_mode"])
    if "shuffle_mode" in changes:
        changes["shuffle_mode"] = AudioServiceShuffleMode(changes["shuffle_mode"])
    return changes


def entrypoint() -> None:
    AudioServiceBackground.run(AgreeTask)
