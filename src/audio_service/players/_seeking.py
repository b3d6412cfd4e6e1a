"""Seeking within a :class:`QueuePlayerTask`'s current item: where playback is, and moving
there clamped to the item, also while nothing is loaded or after the item completed."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from audio_service._model._models import check_duration
from audio_service.players._loading import LoadState

if TYPE_CHECKING:
    from audio_service.players._player import QueuePlayerTask

__all__ = ["Seeking"]

_ZERO = timedelta(0)


class Seeking:
    """The player's position and its seeks; the position itself stays on the player (the
    engine's while it holds the item, else the player's own)."""

    __slots__ = ("_player",)

    def __init__(self, player: QueuePlayerTask) -> None:
        self._player = player

    def position(self) -> timedelta:
        player = self._player
        return player._loads.position() if player._loads.holding else player._position

    async def seek_to(self, position: timedelta) -> None:
        check_duration(position, "position")
        player = self._player
        item = player._current_item()
        if item is None:
            return
        if item.duration is not None and position > item.duration:
            position = item.duration
        loads = player._loads
        if await loads.seek(position):
            player._publisher.state()
            return
        player._position = position
        if loads.state is LoadState.COMPLETED and player._index is not None:
            await loads.load(player._index, position)
            return
        player._publisher.state()

    async def seek_by(self, offset: timedelta) -> None:
        player = self._player
        item = player._current_item()
        if item is None:
            return
        target = max(self.position() + offset, _ZERO)
        if item.duration is not None:
            target = min(target, item.duration)
        # Through the public entry point, so that a subclass overriding it sees these seeks.
        await player.on_seek_to(target)
