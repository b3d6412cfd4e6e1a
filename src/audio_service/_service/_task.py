"""The base class of the app's background audio task."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from audio_service._model._models import (
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaButton,
    MediaItem,
    Rating,
    ServiceConfig,
)

if TYPE_CHECKING:
    from audio_service._service._core import ServiceCore
    from audio_service._service._requests import _Request

__all__ = ["BackgroundAudioTask"]

_ZERO = timedelta(0)


class BackgroundAudioTask:
    """The app's audio logic: override the callbacks for the requests it supports.

    Every callback is ``async`` and runs in the service's event loop (in the
    app's process in in-process mode, in the host process otherwise). Requests
    are dispatched concurrently, in arrival order: a callback that awaits (say,
    until playback ends) does not hold up the next request. Publish what clients
    should see with ``AudioServiceBackground.set_state``, ``set_media_item`` and
    ``set_queue``.

    An exception raised by a callback reaches the client that made the request
    as a :class:`~audio_service.TaskError`; the task keeps running.
    """

    def __init__(self) -> None:
        self._core: ServiceCore | None = None

    def _bind(self, core: ServiceCore) -> None:
        if self._core is not None and self._core is not core:
            raise RuntimeError("this BackgroundAudioTask already belongs to another service")
        self._core = core

    def _invoke(self, request: _Request) -> Awaitable[object]:
        """Run ``request``'s callback; the service calls every request through here, so a
        task that hands requests on (``SwitchingTask``) does it in one place."""
        return request.invoke(self)

    @property
    def _config(self) -> ServiceConfig:
        return self._core.config if self._core is not None else ServiceConfig()

    @property
    def fast_forward_interval(self) -> timedelta:
        """How far :meth:`on_fast_forward` jumps (``AudioService.start`` option)."""
        return self._config.fast_forward_interval

    @property
    def rewind_interval(self) -> timedelta:
        """How far :meth:`on_rewind` jumps back (``AudioService.start`` option)."""
        return self._config.rewind_interval

    # ----------------------------------------------------------------- lifecycle

    async def on_start(self, params: dict[str, Any] | None) -> None:
        """Initialise the task; ``params`` are those given to ``AudioService.start``.

        ``AudioService.start`` returns once this returns. If it raises, ``start``
        raises :class:`~audio_service.TaskError` and the service shuts down.
        """

    async def on_stop(self) -> None:
        """Stop playback and end the task.

        The default shuts the service down: requests still in flight return
        ``None`` to their callers, the published state is reset and clients see
        ``running == False``. Overrides release their resources and then **must**
        ``await super().on_stop()``, or the service keeps running.
        """
        if self._core is not None:
            await self._core.shutdown()

    async def on_stop_playback(self) -> None:
        """Stop playback and keep the service: MPRIS ``Stop``, the desktop's Stop key.

        The MPRIS meaning of Stop: the player stays on every panel and ``on_play``
        starts the current item again from its start. The default pauses, seeks
        to the start and publishes the processing state ``idle`` (the desktop
        shows "Stopped"); the next state published with ``playing=True`` and
        no processing state gets ``ready`` back. :meth:`on_stop` is what ends
        the service (MPRIS ``Quit``, ``AudioService.stop()``, or every Stop
        with ``stop_ends_service=True``).
        """
        await self.on_pause()
        await self.on_seek_to(_ZERO)
        core = self._core
        if core is not None and core.running:
            core.publish_stopped_playback()

    async def on_close(self) -> None:
        """The user dismissed the media notification (only with ``stop_ends_service=True``).

        Default: :meth:`on_stop`. Without that option a dismissed notification only
        hides until the next item: on a desktop, dismissing is not "stop the music".
        """
        await self.on_stop()

    async def on_task_removed(self) -> None:
        """The user dismissed the app's window; consider stopping if not playing."""

    # ------------------------------------------------------------------- browsing

    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        """The children of ``parent_media_id`` in the browsable tree (root: ``"root"``)."""
        return []

    # ------------------------------------------------------------------- playback

    async def on_click(self, button: MediaButton) -> None:
        """A headset click. Default: play/pause toggle, next, previous."""
        if button is MediaButton.NEXT:
            await self.on_skip_to_next()
        elif button is MediaButton.PREVIOUS:
            await self.on_skip_to_previous()
        elif self._core is not None and self._core.state.playing:
            await self.on_pause()
        else:
            await self.on_play()

    async def on_prepare(self) -> None:
        """Prepare playback (load and buffer) without starting it."""

    async def on_prepare_from_media_id(self, media_id: str) -> None:
        """Prepare the item with ``media_id``."""

    async def on_play(self) -> None:
        """Start or resume playback."""

    async def on_play_from_media_id(self, media_id: str) -> None:
        """Play the item with ``media_id``."""

    async def on_play_media_item(self, media_item: MediaItem) -> None:
        """Play ``media_item``."""

    async def on_play_from_uri(self, uri: str, extras: dict[str, Any] | None) -> None:
        """Play the media at ``uri`` (MPRIS ``OpenUri``)."""

    async def on_play_from_search(self, query: str, extras: dict[str, Any] | None) -> None:
        """Play what best matches ``query``."""

    async def on_pause(self) -> None:
        """Pause playback."""

    async def on_seek_to(self, position: timedelta) -> None:
        """Seek to ``position``."""

    async def on_fast_forward(self) -> None:
        """Jump forward by :attr:`fast_forward_interval`.

        Default: :meth:`on_seek_to` the current position plus the interval,
        clamped to the current item's duration when it is known.
        """
        await self._seek_relative(self.fast_forward_interval)

    async def on_rewind(self) -> None:
        """Jump back by :attr:`rewind_interval`. Default: :meth:`on_seek_to`, clamped at 0."""
        await self._seek_relative(-self.rewind_interval)

    async def _seek_relative(self, offset: timedelta) -> None:
        if self._core is None:
            return
        item = self._core.media_item
        duration = item.duration if item is not None else None
        target = max(self._core.position() + offset, _ZERO)
        if duration is not None:
            target = min(target, duration)
        await self.on_seek_to(target)

    async def on_seek_forward(self, begin: bool) -> None:
        """Start (``begin``) or stop continuous seeking forward (press and hold)."""

    async def on_seek_backward(self, begin: bool) -> None:
        """Start (``begin``) or stop continuous seeking backward (press and hold)."""

    async def on_set_speed(self, speed: float) -> None:
        """Change the playback speed."""

    async def on_set_volume(self, volume: float) -> None:
        """Change the volume: 0.0 silent, 1.0 a sensible maximum (MPRIS ``Volume``)."""

    async def on_set_rating(self, rating: Rating, extras: dict[str, Any] | None) -> None:
        """Rate the current item."""

    async def on_set_repeat_mode(self, repeat_mode: AudioServiceRepeatMode) -> None:
        """Change the repeat mode."""

    async def on_set_shuffle_mode(self, shuffle_mode: AudioServiceShuffleMode) -> None:
        """Change the shuffle mode."""

    # ---------------------------------------------------------------------- queue

    async def on_skip_to_next(self) -> None:
        """Skip to the next item. Default: the item after the current one, if any.

        The current item is the published media item, looked up in the queue by
        id; nothing happens when it is not in the queue or is the last one.
        """
        await self._skip_by(1)

    async def on_skip_to_previous(self) -> None:
        """Skip to the previous item. Default: the item before the current one, if any."""
        await self._skip_by(-1)

    async def _skip_by(self, offset: int) -> None:
        if self._core is None:
            return
        item = self._core.media_item
        if item is None:
            return
        queue = self._core.queue
        index = queue.index_of(item.id, hint=self._core.state.queue_index)
        if index is None:
            return
        target = index + offset
        if 0 <= target < len(queue):
            await self.on_skip_to_queue_item(queue[target].id)

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        """Skip to the queue item with ``media_id``."""

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        """Append ``media_item`` to the queue."""

    async def on_add_queue_items(self, media_items: list[MediaItem]) -> None:
        """Append ``media_items``. Default: :meth:`on_add_queue_item` for each.

        Override it to add them in one step (one ``set_queue``), which matters
        for long lists.
        """
        for media_item in media_items:
            await self.on_add_queue_item(media_item)

    async def on_add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        """Insert ``media_item`` at ``index``."""

    async def on_remove_queue_item(self, media_item: MediaItem) -> None:
        """Remove ``media_item`` (compare by id) from the queue."""

    async def on_update_queue(self, queue: list[MediaItem]) -> None:
        """Replace the queue."""

    async def on_update_media_item(self, media_item: MediaItem) -> None:
        """Replace the metadata of the item with ``media_item.id``."""

    # --------------------------------------------------------------------- custom

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        """An app-defined action; the return value goes back to the caller.

        Across processes the arguments and the result travel as msgpack, so keep
        them to None, bool, int, float, str, bytes, lists and dicts (or msgspec
        Structs known to both sides). Default: ``None``.
        """
        return None
