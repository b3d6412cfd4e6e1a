"""The play order of a queue player: what plays next, under shuffle and repeat.

Pure bookkeeping, no I/O and no clock, so it is tested on its own (as Mopidy
keeps its tracklist apart from playback). The player tells it how the queue
changes; it answers which index comes next, before, or after the current one ends.
"""

from __future__ import annotations

import random
from typing import Final

from audio_service._model._models import AudioServiceRepeatMode, AudioServiceShuffleMode

__all__ = ["PlayOrder"]

_WRAPPING: Final = frozenset({AudioServiceRepeatMode.ALL, AudioServiceRepeatMode.GROUP})


class PlayOrder:
    """The order in which a queue of :attr:`size` items plays.

    Queue order unless shuffled; shuffled, a permutation of the indices with the
    item that was current when shuffling began first. Items inserted later join
    the part of the shuffle still to come, at random places. Repeat ``ALL`` (and
    ``GROUP``: a queue player has one group) wraps around; ``ONE`` repeats the
    current item when it ends by itself, but skipping still moves on.
    """

    __slots__ = ("_order", "_random", "_size", "repeat", "shuffle")

    def __init__(self, rng: random.Random | None = None) -> None:
        self._random = rng if rng is not None else random.Random()
        self._size = 0
        # Under shuffle: a permutation of range(size); None plays in queue order.
        self._order: list[int] | None = None
        self.repeat = AudioServiceRepeatMode.NONE
        self.shuffle = AudioServiceShuffleMode.NONE

    @property
    def size(self) -> int:
        """How many items the queue has."""
        return self._size

    @property
    def indices(self) -> tuple[int, ...]:
        """The queue's indices in the order they play."""
        if self._order is None:
            return tuple(range(self._size))
        return tuple(self._order)

    @property
    def wraps(self) -> bool:
        """True when skipping past either end wraps around (repeat ``ALL`` or ``GROUP``)."""
        return self.repeat in _WRAPPING

    def first(self) -> int | None:
        """The index that plays first; None for an empty queue."""
        if self._size == 0:
            return None
        return self._order[0] if self._order else 0

    def step(self, current: int | None, delta: int, *, wrap: bool) -> int | None:
        """The index ``delta`` places from ``current`` in play order (None past an end)."""
        size = self._size
        if current is None or size == 0:
            return None
        order = self._order
        place = order.index(current) if order is not None else current
        target = place + delta
        if not 0 <= target < size:
            if not wrap:
                return None
            target %= size
        return order[target] if order is not None else target

    def next(self, current: int | None) -> int | None:
        """What skipping forward plays (wrapping under repeat all)."""
        return self.step(current, 1, wrap=self.wraps)

    def previous(self, current: int | None) -> int | None:
        """What skipping back plays (wrapping under repeat all)."""
        return self.step(current, -1, wrap=self.wraps)

    def following(self, current: int | None) -> int | None:
        """What plays when ``current`` ends by itself."""
        if self.repeat is AudioServiceRepeatMode.ONE:
            return current
        return self.next(current)

    # ------------------------------------------------------------ changes

    def set_shuffle(self, mode: AudioServiceShuffleMode, current: int | None) -> None:
        """Shuffle (``current`` first) or go back to queue order; reshuffling keeps the order."""
        if mode is AudioServiceShuffleMode.NONE:
            self._order = None
        elif self.shuffle is AudioServiceShuffleMode.NONE or self._order is None:
            self._order = self._shuffled(current)
        self.shuffle = mode

    def reset(self, size: int, current: int | None) -> None:
        """The queue was replaced by ``size`` items: if shuffled, a new order, ``current`` first."""
        self._size = size
        if self.shuffle is not AudioServiceShuffleMode.NONE:
            self._order = self._shuffled(current)
        else:
            self._order = None

    def insert(self, at: int, count: int, current: int | None) -> None:
        """``count`` items were inserted at ``at``; ``current`` is the index from before."""
        if count <= 0:
            return
        self._size += count
        if self._order is None:
            return
        order = [i + count if i >= at else i for i in self._order]
        # New items join the part of the shuffle still to come (after the current item).
        start = 0
        if current is not None:
            start = order.index(current + count if current >= at else current) + 1
        for new in range(at, at + count):
            order.insert(self._random.randint(start, len(order)), new)
        self._order = order

    def remove(self, index: int) -> None:
        """The item at ``index`` left the queue."""
        self._size -= 1
        if self._order is not None:
            self._order = [i - 1 if i > index else i for i in self._order if i != index]

    def _shuffled(self, first: int | None) -> list[int]:
        rest = [i for i in range(self._size) if i != first]
        self._random.shuffle(rest)
        return rest if first is None else [first, *rest]
