"""What play and pause mean for a :class:`QueuePlayerTask`: the session is activated
first, and play picks up from wherever the load is (completed, loading, held, none)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from audio_service.players._loading import LoadState

if TYPE_CHECKING:
    from audio_service.players._player import QueuePlayerTask

__all__ = ["PlayPause"]

_ZERO = timedelta(0)


class PlayPause:
    """Playing and pausing; whether the player means to play stays on the player, which the
    load, the publisher and the interruption policy read as well."""

    __slots__ = ("_player",)

    def __init__(self, player: QueuePlayerTask) -> None:
        self._player = player

    async def start(self) -> bool:
        """Activate the session and mean to play; False (and paused) when it was denied."""
        player = self._player
        if not await player._glue.activate():
            player._playing = False
            player._publisher.state()
            return False
        player._playing = True
        return True

    async def play(self) -> None:
        player = self._player
        if not player._queue:
            return
        if not await self.start():
            return
        loads, order = player._loads, player._order
        if loads.state is LoadState.COMPLETED:
            following = order.step(player._index, 1, wrap=False)
            target = following if following is not None else order.first()
            if target is not None:
                await loads.load(target, _ZERO)
        elif player._index is None:
            first = order.first()
            if first is not None:
                await loads.load(first, _ZERO)
        elif loads.holding:
            await loads.play()
            player._publisher.state()
        elif loads.state is LoadState.LOADING:
            player._publisher.state()  # the load under way starts playing when it is done
        else:
            await loads.load(player._index, player._position)

    async def pause(self) -> None:
        player = self._player
        player._playing = False
        await player._loads.pause()
        player._publisher.state()
