"""One message per client request, and how each reaches its task callback.

A request is a frozen msgspec Struct tagged with its name (``{"type": "seek_to",
"position": ...}``), so the same object is built by the client, sent over the
wire when the task runs in another process, and handed to :meth:`invoke` by the
service core. Construction and decoding validate the arguments.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, get_args

import msgspec

from audio_service._model._models import (
    MEDIA_ROOT_ID,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaButton,
    MediaItem,
    Rating,
    check_duration,
    check_media_items,
    check_speed,
)
from audio_session._checks import check_str, is_int, is_number
from audio_session._enums import coerce_enum

if TYPE_CHECKING:
    from audio_service._service._task import BackgroundAudioTask

__all__ = [
    "REQUEST_TYPES",
    "AddQueueItem",
    "AddQueueItemAt",
    "AddQueueItems",
    "Click",
    "Close",
    "CustomAction",
    "FastForward",
    "LoadChildren",
    "Pause",
    "Play",
    "PlayFromMediaId",
    "PlayFromSearch",
    "PlayFromUri",
    "PlayMediaItem",
    "Prepare",
    "PrepareFromMediaId",
    "RemoveQueueItem",
    "Request",
    "Rewind",
    "SeekBackward",
    "SeekForward",
    "SeekTo",
    "SetRating",
    "SetRepeatMode",
    "SetShuffleMode",
    "SetSpeed",
    "SetVolume",
    "SkipToNext",
    "SkipToPrevious",
    "SkipToQueueItem",
    "Stop",
    "StopPlayback",
    "TaskRemoved",
    "UnitRequest",
    "UpdateMediaItem",
    "UpdateQueue",
]


def _check_item(value: object, field: str = "media_item") -> None:
    if not isinstance(value, MediaItem):
        raise TypeError(f"{field} must be a MediaItem, not {value!r}")


def _check_extras(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise TypeError(f"extras must be a dict with str keys or None, not {value!r}")


def _items(struct: msgspec.Struct, field: str) -> None:
    value = getattr(struct, field)
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{field} must be a sequence of MediaItem, not {value!r}")
    items = tuple(value)
    check_media_items(items, f"{field} must be a MediaItem")
    msgspec.structs.force_setattr(struct, field, items)


class _Request(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    #: What a successful call returns (used to decode a reply from another process).
    result_type: ClassVar[Any] = None

    @property
    def method(self) -> str:
        """The request's name on the wire, e.g. ``"seek_to"``."""
        return str(self.__struct_config__.tag)

    @property
    def callback(self) -> str:
        """The task callback that handles it, e.g. ``"on_seek_to"``."""
        return "on_" + self.method

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        """Call the task's callback for this request."""
        raise NotImplementedError


class Play(_Request, frozen=True, tag="play"):
    """Start or resume playback."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_play()


class Pause(_Request, frozen=True, tag="pause"):
    """Pause playback."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_pause()


class Stop(_Request, frozen=True, tag="stop"):
    """Stop playback and end the task."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_stop()


class StopPlayback(_Request, frozen=True, tag="stop_playback"):
    """Stop playback and keep the service (MPRIS ``Stop``, the desktop's Stop key)."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_stop_playback()


class Prepare(_Request, frozen=True, tag="prepare"):
    """Prepare playback without starting it."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_prepare()


class PrepareFromMediaId(_Request, frozen=True, tag="prepare_from_media_id"):
    """Prepare the item with ``media_id``."""

    media_id: str

    def __post_init__(self) -> None:
        check_str(self.media_id, "media_id")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_prepare_from_media_id(self.media_id)


class PlayFromMediaId(_Request, frozen=True, tag="play_from_media_id"):
    """Play the item with ``media_id``."""

    media_id: str

    def __post_init__(self) -> None:
        check_str(self.media_id, "media_id")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_play_from_media_id(self.media_id)


class PlayMediaItem(_Request, frozen=True, tag="play_media_item"):
    """Play ``media_item``."""

    media_item: MediaItem

    def __post_init__(self) -> None:
        _check_item(self.media_item)

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_play_media_item(self.media_item)


class PlayFromUri(_Request, frozen=True, tag="play_from_uri"):
    """Play the media at ``uri`` (MPRIS ``OpenUri``)."""

    uri: str
    extras: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        check_str(self.uri, "uri")
        _check_extras(self.extras)

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_play_from_uri(self.uri, self.extras)


class PlayFromSearch(_Request, frozen=True, tag="play_from_search"):
    """Play what best matches ``query``."""

    query: str
    extras: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        check_str(self.query, "query")
        _check_extras(self.extras)

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_play_from_search(self.query, self.extras)


class SkipToNext(_Request, frozen=True, tag="skip_to_next"):
    """Skip to the next queue item."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_skip_to_next()


class SkipToPrevious(_Request, frozen=True, tag="skip_to_previous"):
    """Skip to the previous queue item."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_skip_to_previous()


class SkipToQueueItem(_Request, frozen=True, tag="skip_to_queue_item"):
    """Skip to the queue item with ``media_id``."""

    media_id: str

    def __post_init__(self) -> None:
        check_str(self.media_id, "media_id")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_skip_to_queue_item(self.media_id)


class FastForward(_Request, frozen=True, tag="fast_forward"):
    """Jump forward by the fast-forward interval."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_fast_forward()


class Rewind(_Request, frozen=True, tag="rewind"):
    """Jump back by the rewind interval."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_rewind()


class SeekTo(_Request, frozen=True, tag="seek_to"):
    """Seek to ``position``."""

    position: timedelta

    def __post_init__(self) -> None:
        check_duration(self.position, "position")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_seek_to(self.position)


class SeekForward(_Request, frozen=True, tag="seek_forward"):
    """Start (``begin=True``) or stop continuous seeking forward."""

    begin: bool

    def __post_init__(self) -> None:
        if not isinstance(self.begin, bool):
            raise TypeError(f"begin must be a bool, not {self.begin!r}")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_seek_forward(self.begin)


class SeekBackward(_Request, frozen=True, tag="seek_backward"):
    """Start (``begin=True``) or stop continuous seeking backward."""

    begin: bool

    def __post_init__(self) -> None:
        if not isinstance(self.begin, bool):
            raise TypeError(f"begin must be a bool, not {self.begin!r}")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_seek_backward(self.begin)


class AddQueueItem(_Request, frozen=True, tag="add_queue_item"):
    """Append ``media_item`` to the queue."""

    media_item: MediaItem

    def __post_init__(self) -> None:
        _check_item(self.media_item)

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_add_queue_item(self.media_item)


class AddQueueItemAt(_Request, frozen=True, tag="add_queue_item_at"):
    """Insert ``media_item`` into the queue at ``index``."""

    media_item: MediaItem
    index: int

    def __post_init__(self) -> None:
        _check_item(self.media_item)
        if not is_int(self.index):
            raise TypeError(f"index must be an int, not {self.index!r}")
        if self.index < 0:
            raise ValueError(f"index must not be negative, not {self.index}")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_add_queue_item_at(self.media_item, self.index)


class AddQueueItems(_Request, frozen=True, tag="add_queue_items"):
    """Append ``media_items`` to the queue, in one request."""

    media_items: tuple[MediaItem, ...]

    def __post_init__(self) -> None:
        _items(self, "media_items")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_add_queue_items(list(self.media_items))


class RemoveQueueItem(_Request, frozen=True, tag="remove_queue_item"):
    """Remove ``media_item`` (matched by id) from the queue."""

    media_item: MediaItem

    def __post_init__(self) -> None:
        _check_item(self.media_item)

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_remove_queue_item(self.media_item)


class UpdateQueue(_Request, frozen=True, tag="update_queue"):
    """Replace the queue with ``queue``."""

    queue: tuple[MediaItem, ...]

    def __post_init__(self) -> None:
        _items(self, "queue")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_update_queue(list(self.queue))


class UpdateMediaItem(_Request, frozen=True, tag="update_media_item"):
    """Replace the metadata of the item with ``media_item.id``."""

    media_item: MediaItem

    def __post_init__(self) -> None:
        _check_item(self.media_item)

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_update_media_item(self.media_item)


class Click(_Request, frozen=True, tag="click"):
    """A headset button was clicked."""

    button: MediaButton = MediaButton.MEDIA

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(
            self, "button", coerce_enum(MediaButton, self.button, "button")
        )

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_click(self.button)


class SetRepeatMode(_Request, frozen=True, tag="set_repeat_mode"):
    """Change the repeat mode."""

    repeat_mode: AudioServiceRepeatMode

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(
            self,
            "repeat_mode",
            coerce_enum(AudioServiceRepeatMode, self.repeat_mode, "repeat_mode"),
        )

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_set_repeat_mode(self.repeat_mode)


class SetShuffleMode(_Request, frozen=True, tag="set_shuffle_mode"):
    """Change the shuffle mode."""

    shuffle_mode: AudioServiceShuffleMode

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(
            self,
            "shuffle_mode",
            coerce_enum(AudioServiceShuffleMode, self.shuffle_mode, "shuffle_mode"),
        )

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_set_shuffle_mode(self.shuffle_mode)


class SetRating(_Request, frozen=True, tag="set_rating"):
    """Rate the current item."""

    rating: Rating
    extras: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rating, Rating):
            raise TypeError(f"rating must be a Rating, not {self.rating!r}")
        _check_extras(self.extras)

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_set_rating(self.rating, self.extras)


class SetSpeed(_Request, frozen=True, tag="set_speed"):
    """Change the playback speed (1.0 is normal)."""

    speed: float

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "speed", check_speed(self.speed))

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_set_speed(self.speed)


class SetVolume(_Request, frozen=True, tag="set_volume"):
    """Change the player's volume: 0.0 is silent, 1.0 a sensible maximum (MPRIS ``Volume``)."""

    volume: float

    def __post_init__(self) -> None:
        value = self.volume
        if not is_number(value):
            raise TypeError(f"volume must be a float, not {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"volume must be a finite number >= 0, not {value!r}")
        msgspec.structs.force_setattr(self, "volume", float(value))

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_set_volume(self.volume)


class CustomAction(_Request, frozen=True, tag="custom_action"):
    """An app-defined action; its callback's return value is the result."""

    result_type: ClassVar[Any] = Any

    name: str
    arguments: Any = None

    def __post_init__(self) -> None:
        check_str(self.name, "name")

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_custom_action(self.name, self.arguments)


class LoadChildren(_Request, frozen=True, tag="load_children"):
    """The children of ``parent_media_id`` in the browsable media tree."""

    result_type: ClassVar[Any] = list[MediaItem]

    parent_media_id: str = MEDIA_ROOT_ID

    def __post_init__(self) -> None:
        check_str(self.parent_media_id, "parent_media_id")

    async def invoke(self, task: BackgroundAudioTask) -> list[MediaItem]:
        children: object = await task.on_load_children(self.parent_media_id)
        if isinstance(children, str | bytes) or not isinstance(children, Iterable):
            raise TypeError(f"on_load_children must return a list of MediaItem, not {children!r}")
        result = list(children)
        for child in result:
            if not isinstance(child, MediaItem):
                raise TypeError(f"on_load_children returned a non-MediaItem: {child!r}")
        return result


class TaskRemoved(_Request, frozen=True, tag="task_removed"):
    """The user dismissed the app (Android: swiped from recents)."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_task_removed()


class Close(_Request, frozen=True, tag="close"):
    """The user dismissed the media notification."""

    def invoke(self, task: BackgroundAudioTask) -> Awaitable[object]:
        return task.on_close()


#: The requests whose callbacks return nothing (``result_type`` None).
UnitRequest: TypeAlias = (
    Play
    | Pause
    | Stop
    | StopPlayback
    | Prepare
    | PrepareFromMediaId
    | PlayFromMediaId
    | PlayMediaItem
    | PlayFromUri
    | PlayFromSearch
    | SkipToNext
    | SkipToPrevious
    | SkipToQueueItem
    | FastForward
    | Rewind
    | SeekTo
    | SeekForward
    | SeekBackward
    | AddQueueItem
    | AddQueueItemAt
    | AddQueueItems
    | RemoveQueueItem
    | UpdateQueue
    | UpdateMediaItem
    | Click
    | SetRepeatMode
    | SetShuffleMode
    | SetRating
    | SetSpeed
    | SetVolume
    | TaskRemoved
    | Close
)

#: Any client request; decode one with ``msgspec.msgpack.decode(data, type=Request)``.
Request: TypeAlias = UnitRequest | CustomAction | LoadChildren

#: Every request class by its wire name.
REQUEST_TYPES: dict[str, type[_Request]] = {
    str(cls.__struct_config__.tag): cls for cls in get_args(Request)
}
