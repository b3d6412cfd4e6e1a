"""The request methods a client offers: one per request the background task handles."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any, overload

from audio_service._model._models import (
    MEDIA_ROOT_ID,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaButton,
    MediaItem,
    Rating,
)
from audio_service._service._requests import (
    AddQueueItem,
    AddQueueItemAt,
    AddQueueItems,
    Click,
    Close,
    CustomAction,
    FastForward,
    LoadChildren,
    Pause,
    Play,
    PlayFromMediaId,
    PlayFromSearch,
    PlayFromUri,
    PlayMediaItem,
    Prepare,
    PrepareFromMediaId,
    RemoveQueueItem,
    Request,
    Rewind,
    SeekBackward,
    SeekForward,
    SetRating,
    SetRepeatMode,
    SetShuffleMode,
    SetSpeed,
    SetVolume,
    SkipToNext,
    SkipToPrevious,
    SkipToQueueItem,
    TaskRemoved,
    UnitRequest,
    UpdateMediaItem,
    UpdateQueue,
)

__all__ = ["ServiceRequests"]


class ServiceRequests:
    """The request methods of :class:`AudioServiceClient` that only send their request.

    A subclass sends them through the connection it follows (:meth:`_request`);
    the requests that also touch the client's state (``stop``, ``seek_to``)
    live on the client.
    """

    # A plain function returning what to await, not a coroutine: each request method awaits
    # it at once, and a coroutine between them would be a frame more per request.
    @overload
    def _request(self, request: LoadChildren) -> Awaitable[list[MediaItem]]: ...
    @overload
    def _request(self, request: CustomAction) -> Awaitable[Any]: ...  # what the task returns
    @overload
    def _request(self, request: UnitRequest) -> Awaitable[None]: ...

    def _request(self, request: Request) -> Awaitable[Any]:
        raise NotImplementedError

    async def play(self) -> None:
        """Start or resume playback (``on_play``)."""
        await self._request(Play())

    async def pause(self) -> None:
        """Pause playback (``on_pause``)."""
        await self._request(Pause())

    async def prepare(self) -> None:
        """Prepare playback without starting it (``on_prepare``)."""
        await self._request(Prepare())

    async def prepare_from_media_id(self, media_id: str) -> None:
        """Prepare the item with ``media_id`` (``on_prepare_from_media_id``)."""
        await self._request(PrepareFromMediaId(media_id=media_id))

    async def play_from_media_id(self, media_id: str) -> None:
        """Play the item with ``media_id`` (``on_play_from_media_id``)."""
        await self._request(PlayFromMediaId(media_id=media_id))

    async def play_media_item(self, media_item: MediaItem) -> None:
        """Play ``media_item`` (``on_play_media_item``)."""
        await self._request(PlayMediaItem(media_item=media_item))

    async def play_from_uri(self, uri: str, extras: dict[str, Any] | None = None) -> None:
        """Play the media at ``uri`` (``on_play_from_uri``)."""
        await self._request(PlayFromUri(uri=uri, extras=extras))

    async def play_from_search(self, query: str, extras: dict[str, Any] | None = None) -> None:
        """Play what best matches ``query`` (``on_play_from_search``)."""
        await self._request(PlayFromSearch(query=query, extras=extras))

    async def skip_to_next(self) -> None:
        """Skip to the next item (``on_skip_to_next``)."""
        await self._request(SkipToNext())

    async def skip_to_previous(self) -> None:
        """Skip to the previous item (``on_skip_to_previous``)."""
        await self._request(SkipToPrevious())

    async def skip_to_queue_item(self, media_id: str) -> None:
        """Skip to the queue item with ``media_id`` (``on_skip_to_queue_item``)."""
        await self._request(SkipToQueueItem(media_id=media_id))

    async def fast_forward(self) -> None:
        """Jump forward by the fast-forward interval (``on_fast_forward``)."""
        await self._request(FastForward())

    async def rewind(self) -> None:
        """Jump back by the rewind interval (``on_rewind``)."""
        await self._request(Rewind())

    async def seek_forward(self, begin: bool) -> None:
        """Start or stop continuous seeking forward (``on_seek_forward``)."""
        await self._request(SeekForward(begin=begin))

    async def seek_backward(self, begin: bool) -> None:
        """Start or stop continuous seeking backward (``on_seek_backward``)."""
        await self._request(SeekBackward(begin=begin))

    async def add_queue_item(self, media_item: MediaItem) -> None:
        """Append ``media_item`` to the queue (``on_add_queue_item``)."""
        await self._request(AddQueueItem(media_item=media_item))

    async def add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        """Insert ``media_item`` at ``index`` (``on_add_queue_item_at``)."""
        await self._request(AddQueueItemAt(media_item=media_item, index=index))

    async def add_queue_items(self, media_items: Iterable[MediaItem]) -> None:
        """Append ``media_items`` in one request (``on_add_queue_items``)."""
        await self._request(AddQueueItems(media_items=tuple(media_items)))

    async def remove_queue_item(self, media_item: MediaItem) -> None:
        """Remove ``media_item`` from the queue (``on_remove_queue_item``)."""
        await self._request(RemoveQueueItem(media_item=media_item))

    async def update_queue(self, queue: Iterable[MediaItem]) -> None:
        """Replace the queue (``on_update_queue``)."""
        await self._request(UpdateQueue(queue=tuple(queue)))

    async def update_media_item(self, media_item: MediaItem) -> None:
        """Replace the metadata of an item (``on_update_media_item``)."""
        await self._request(UpdateMediaItem(media_item=media_item))

    async def click(self, button: MediaButton = MediaButton.MEDIA) -> None:
        """A headset button click (``on_click``)."""
        await self._request(Click(button=button))

    async def set_repeat_mode(self, repeat_mode: AudioServiceRepeatMode) -> None:
        """Change the repeat mode (``on_set_repeat_mode``)."""
        await self._request(SetRepeatMode(repeat_mode=repeat_mode))

    async def set_shuffle_mode(self, shuffle_mode: AudioServiceShuffleMode) -> None:
        """Change the shuffle mode (``on_set_shuffle_mode``)."""
        await self._request(SetShuffleMode(shuffle_mode=shuffle_mode))

    async def set_rating(self, rating: Rating, extras: dict[str, Any] | None = None) -> None:
        """Rate the current item (``on_set_rating``)."""
        await self._request(SetRating(rating=rating, extras=extras))

    async def set_speed(self, speed: float) -> None:
        """Change the playback speed (``on_set_speed``)."""
        await self._request(SetSpeed(speed=speed))

    async def set_volume(self, volume: float) -> None:
        """Change the volume, 0.0..1.0 (``on_set_volume``)."""
        await self._request(SetVolume(volume=volume))

    async def custom_action(self, name: str, arguments: Any = None) -> Any:
        """Run the app-defined action ``name`` (``on_custom_action``); its return value."""
        return await self._request(CustomAction(name=name, arguments=arguments))

    async def load_children(self, parent_media_id: str = MEDIA_ROOT_ID) -> list[MediaItem]:
        """The children of ``parent_media_id`` in the browsable tree (``on_load_children``)."""
        return await self._request(LoadChildren(parent_media_id=parent_media_id))

    async def task_removed(self) -> None:
        """Tell the task the app's window was dismissed (``on_task_removed``)."""
        await self._request(TaskRemoved())

    async def close(self) -> None:
        """Tell the task its media notification was dismissed (``on_close``)."""
        await self._request(Close())
