"""Helpers shared by the service tests: a fake clock, a recording task, entrypoints, a table."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, ClassVar

from audio_service import (
    AudioServiceBackground,
    AudioServiceClient,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    BackgroundAudioTask,
    MediaButton,
    MediaItem,
    Rating,
    RatingStyle,
)
from audio_service._service._requests import Request


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def item(media_id: str, title: str | None = None, **fields: Any) -> MediaItem:
    return MediaItem(
        id=media_id, title=title if title is not None else f"title {media_id}", **fields
    )


ITEM_A = item("a", duration=timedelta(minutes=3))
ITEM_B = item("b", duration=timedelta(minutes=4))
RATING = Rating.new_star_rating(RatingStyle.RANGE_3_STARS, 2)


class RecordingTask(BackgroundAudioTask):
    """Records every callback with its arguments; custom actions echo or raise."""

    instances: ClassVar[list[RecordingTask]] = []

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.started = False
        RecordingTask.instances.append(self)

    def _record(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))

    async def on_start(self, params: dict[str, Any] | None) -> None:
        self._record("on_start", params)
        await asyncio.sleep(0)
        self.started = True

    async def on_stop(self) -> None:
        self._record("on_stop")
        await super().on_stop()

    async def on_close(self) -> None:
        self._record("on_close")

    async def on_task_removed(self) -> None:
        self._record("on_task_removed")

    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        self._record("on_load_children", parent_media_id)
        return [item(f"{parent_media_id}/child")]

    async def on_click(self, button: MediaButton) -> None:
        self._record("on_click", button)

    async def on_prepare(self) -> None:
        self._record("on_prepare")

    async def on_prepare_from_media_id(self, media_id: str) -> None:
        self._record("on_prepare_from_media_id", media_id)

    async def on_play(self) -> None:
        self._record("on_play")

    async def on_play_from_media_id(self, media_id: str) -> None:
        self._record("on_play_from_media_id", media_id)

    async def on_play_media_item(self, media_item: MediaItem) -> None:
        self._record("on_play_media_item", media_item)

    async def on_play_from_uri(self, uri: str, extras: dict[str, Any] | None) -> None:
        self._record("on_play_from_uri", uri, extras)

    async def on_play_from_search(self, query: str, extras: dict[str, Any] | None) -> None:
        self._record("on_play_from_search", query, extras)

    async def on_pause(self) -> None:
        self._record("on_pause")

    async def on_seek_to(self, position: timedelta) -> None:
        self._record("on_seek_to", position)

    async def on_fast_forward(self) -> None:
        self._record("on_fast_forward")

    async def on_rewind(self) -> None:
        self._record("on_rewind")

    async def on_seek_forward(self, begin: bool) -> None:
        self._record("on_seek_forward", begin)

    async def on_seek_backward(self, begin: bool) -> None:
        self._record("on_seek_backward", begin)

    async def on_set_speed(self, speed: float) -> None:
        self._record("on_set_speed", speed)

    async def on_set_volume(self, volume: float) -> None:
        self._record("on_set_volume", volume)

    async def on_set_rating(self, rating: Rating, extras: dict[str, Any] | None) -> None:
        self._record("on_set_rating", rating, extras)

    async def on_set_repeat_mode(self, repeat_mode: AudioServiceRepeatMode) -> None:
        self._record("on_set_repeat_mode", repeat_mode)

    async def on_set_shuffle_mode(self, shuffle_mode: AudioServiceShuffleMode) -> None:
        self._record("on_set_shuffle_mode", shuffle_mode)

    async def on_skip_to_next(self) -> None:
        self._record("on_skip_to_next")

    async def on_skip_to_previous(self) -> None:
        self._record("on_skip_to_previous")

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        self._record("on_skip_to_queue_item", media_id)

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        self._record("on_add_queue_item", media_item)

    async def on_add_queue_items(self, media_items: list[MediaItem]) -> None:
        self._record("on_add_queue_items", media_items)

    async def on_add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        self._record("on_add_queue_item_at", media_item, index)

    async def on_remove_queue_item(self, media_item: MediaItem) -> None:
        self._record("on_remove_queue_item", media_item)

    async def on_update_queue(self, queue: list[MediaItem]) -> None:
        self._record("on_update_queue", queue)

    async def on_update_media_item(self, media_item: MediaItem) -> None:
        self._record("on_update_media_item", media_item)

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        self._record("on_custom_action", name, arguments)
        if name == "fail":
            raise LookupError(f"no action {arguments!r}")
        if name == "opaque":
            return object()
        if name == "emit_opaque":
            await AudioServiceBackground.send_custom_event(object())
            return None
        if name == "emit":
            await AudioServiceBackground.send_custom_event(arguments)
            return None
        if name == "children_changed":
            await AudioServiceBackground.notify_children_changed(arguments)
            return None
        return {"name": name, "arguments": arguments}


class CapturingConnection:
    """A connection that records requests instead of sending them."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    async def attach(self, on_event: Any) -> None:
        raise AssertionError("not used")

    async def request(self, request: Request) -> Any:
        self.requests.append(request)
        return None

    async def close(self) -> None:
        pass


async def request_made_by(method: str, args: tuple[Any, ...]) -> Request:
    """The request object a client method builds for ``args``."""
    client = AudioServiceClient()
    connection = CapturingConnection()
    client._connected = True
    client._connection = connection
    await getattr(client, method)(*args)
    (request,) = connection.requests
    return request


def recording_entrypoint() -> None:
    AudioServiceBackground.run(RecordingTask)


def last_task() -> RecordingTask:
    return RecordingTask.instances[-1]


#: (client method, its arguments, the callback it must reach, that callback's arguments).
REQUEST_TABLE: list[tuple[str, tuple[Any, ...], str, tuple[Any, ...]]] = [
    ("play", (), "on_play", ()),
    ("pause", (), "on_pause", ()),
    ("prepare", (), "on_prepare", ()),
    ("prepare_from_media_id", ("m1",), "on_prepare_from_media_id", ("m1",)),
    ("play_from_media_id", ("m2",), "on_play_from_media_id", ("m2",)),
    ("play_media_item", (ITEM_A,), "on_play_media_item", (ITEM_A,)),
    ("play_from_uri", ("file:///x.ogg", {"k": 1}), "on_play_from_uri", ("file:///x.ogg", {"k": 1})),
    ("play_from_search", ("jazz",), "on_play_from_search", ("jazz", None)),
    ("seek_to", (timedelta(seconds=53),), "on_seek_to", (timedelta(seconds=53),)),
    ("skip_to_next", (), "on_skip_to_next", ()),
    ("skip_to_previous", (), "on_skip_to_previous", ()),
    ("skip_to_queue_item", ("b",), "on_skip_to_queue_item", ("b",)),
    ("fast_forward", (), "on_fast_forward", ()),
    ("rewind", (), "on_rewind", ()),
    ("seek_forward", (True,), "on_seek_forward", (True,)),
    ("seek_backward", (False,), "on_seek_backward", (False,)),
    ("add_queue_item", (ITEM_A,), "on_add_queue_item", (ITEM_A,)),
    ("add_queue_item_at", (ITEM_B, 3), "on_add_queue_item_at", (ITEM_B, 3)),
    ("add_queue_items", ([ITEM_A, ITEM_B],), "on_add_queue_items", ([ITEM_A, ITEM_B],)),
    ("remove_queue_item", (ITEM_B,), "on_remove_queue_item", (ITEM_B,)),
    ("update_queue", ([ITEM_B, ITEM_A],), "on_update_queue", ([ITEM_B, ITEM_A],)),
    ("update_media_item", (ITEM_A,), "on_update_media_item", (ITEM_A,)),
    ("click", (), "on_click", (MediaButton.MEDIA,)),
    ("click", (MediaButton.NEXT,), "on_click", (MediaButton.NEXT,)),
    (
        "set_repeat_mode",
        (AudioServiceRepeatMode.ALL,),
        "on_set_repeat_mode",
        (AudioServiceRepeatMode.ALL,),
    ),
    (
        "set_shuffle_mode",
        (AudioServiceShuffleMode.GROUP,),
        "on_set_shuffle_mode",
        (AudioServiceShuffleMode.GROUP,),
    ),
    ("set_rating", (RATING, {"why": "x"}), "on_set_rating", (RATING, {"why": "x"})),
    ("set_speed", (1.5,), "on_set_speed", (1.5,)),
    ("set_volume", (0.25,), "on_set_volume", (0.25,)),
    ("custom_action", ("echo", [1, "two"]), "on_custom_action", ("echo", [1, "two"])),
    ("load_children", ("albums",), "on_load_children", ("albums",)),
    ("task_removed", (), "on_task_removed", ()),
    ("close", (), "on_close", ()),
]
