"""How a :class:`QueuePlayerTask` changes its queue: the play order, the current item
and the loads follow every insert, removal and replacement."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from audio_service._model._models import MediaItem
from audio_service._model._queue import MediaQueue
from audio_service.players._loading import LoadState

if TYPE_CHECKING:
    from audio_service._service._persistence import SavedSession
    from audio_service.players._player import QueuePlayerTask

__all__ = ["QueueEdits"]

_ZERO = timedelta(0)


class QueueEdits:
    """Applies queue edits to the player: queue, play order, current index, what to load,
    and the change sent to clients (a splice where one says it, not the whole list)."""

    __slots__ = ("_player",)

    def __init__(self, player: QueuePlayerTask) -> None:
        self._player = player

    def restore(
        self, queue: list[MediaItem] | None, saved: SavedSession | None
    ) -> tuple[int | None, timedelta]:
        """The queue at start: ``queue`` when given, else the saved session's, whose item
        and position are restored when that item is in the queue, and its repeat, shuffle
        and speed as well. Returns the index to load and where."""
        player = self._player
        index: int | None = None
        position = _ZERO
        if saved is not None:
            if queue is None:
                queue = list(saved.queue)
            player._order.repeat = saved.repeat_mode
            player._order.shuffle = saved.shuffle_mode
            if 0 < saved.speed <= player.max_speed:
                player._speed = saved.speed
            if saved.media_item is not None:
                index = MediaQueue(queue).index_of(saved.media_item.id, hint=saved.queue_index)
                if index is not None:
                    position = saved.position
        if queue is not None:
            player._queue = MediaQueue(queue)
        if player._queue and index is None:
            index = 0
        player._index = index
        player._order.reset(len(player._queue), index)
        player._position = position
        return index, position

    def insert(self, at: int, items: tuple[MediaItem, ...]) -> None:
        for item in items:
            if not isinstance(item, MediaItem):
                raise TypeError(f"media items must be MediaItem, not {item!r}")
        if not items:
            return
        player = self._player
        count = len(items)
        player._queue = player._queue.splice(at, 0, items)
        player._order.insert(at, count, player._index)
        core = player._publisher.core()
        if core is not None:
            core.splice_queue(at, 0, items)
        if player._index is None:
            player._index = player._order.first()
            player._position = _ZERO
            player._publisher.item()
        elif player._index >= at:
            player._index += count
        self._changed()

    async def remove(self, index: int) -> None:
        player = self._player
        current = player._index
        successor = player._order.next(current) if index == current else None
        player._queue = player._queue.splice(index, 1)
        player._order.remove(index)
        core = player._publisher.core()
        if core is not None:
            core.splice_queue(index, 1)
        if current is None or index > current:
            self._changed()
            return
        if index < current:
            player._index = current - 1
            self._changed()
            return
        # The current item went away.
        if successor == index:
            successor = None  # it was the only one left to wrap to
        if successor is not None and successor > index:
            successor -= 1
        await self._replace_current(successor)

    async def replace_all(self, new: MediaQueue) -> None:
        """A new queue; the current item stays current (and keeps its duration) if it has it."""
        player = self._player
        current = player._current_item()
        index = new.index_of(current.id, hint=player._index) if current is not None else None
        if index is not None and current is not None:
            replacement = new[index]
            if replacement.duration is None and current.duration is not None:
                new = new.update(index, replacement.copy_with(duration=current.duration))
        player._queue = new
        player._order.reset(len(new), index)
        core = player._publisher.core()
        if core is not None:
            core.set_queue(new)
        if index is not None or current is None:
            player._index = index if index is not None else player._order.first()
            player._publisher.item()
            self._changed()
            return
        await self._replace_current(player._order.first())

    def replace_item(self, index: int, item: MediaItem) -> None:
        player = self._player
        player._queue = player._queue.update(index, item)
        core = player._publisher.core()
        if core is not None:
            core.update_queue_item(index, item)
            if index == player._index:
                player._publisher.item()
                player._publisher.state()  # seekability follows the duration

    async def _replace_current(self, index: int | None) -> None:
        """The current item left the queue: go on with ``index``, or stop when None."""
        player = self._player
        loads = player._loads
        if index is None:
            player._index = player._order.first()
            player._playing = False
            player._position = _ZERO
            await loads.unload()
            player._publisher.item()
            player._publisher.state()
            return
        if loads.holding or loads.state in (LoadState.LOADING, LoadState.FAILED):
            await loads.load(index, _ZERO)
            return
        player._index = index
        player._position = _ZERO
        player._publisher.item()
        self._changed()

    def _changed(self) -> None:
        self._player._publisher.state()
        self._player._loads.schedule_preload()
