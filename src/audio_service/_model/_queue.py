"""The queue: an immutable sequence that changes by edits, and travels as edits.

Sending the entire queue on every change made large queues unusable in the
original (#677: 30 s to add 1000 songs). Here a change is a short list of
operations; a single insert into a 100 000-item queue encodes to a few hundred
bytes, and applying it copies one block of the queue rather than all of it.

Operations apply in order, each to the result of the previous one.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeAlias, overload

import msgspec

from audio_service._model._encoded import (
    EncodedBlock,
    EncodedOp,
    EncodedReplace,
    EncodedSplice,
    decode_items,
)
from audio_service._model._models import MediaItem, check_media_items
from audio_session._checks import is_int

__all__ = [
    "MediaQueue",
    "QueueOp",
    "QueueReplace",
    "QueueSplice",
    "QueueUpdate",
    "apply",
    "diff",
]

#: Items per block. An edit copies one block plus the table of blocks, so the
#: cost is lowest near the square root of the queue length; 512 suits 10^4..10^6.
_BLOCK = 512

#: A run of items: a tuple, or (in a client's mirror) items still in their wire form.
_Block: TypeAlias = "tuple[MediaItem, ...] | EncodedBlock"


def _items_of(block: _Block) -> tuple[MediaItem, ...]:
    return block if isinstance(block, tuple) else block.items()


class MediaQueue(Sequence[MediaItem]):
    """An immutable queue of media items, cheap to derive edited copies from.

    It behaves like a tuple (``len``, indexing, slicing to a tuple, iteration,
    ``==`` with tuples and lists by item id), and is stored as blocks that edited
    copies share, so :meth:`splice` and :meth:`update` on a 100 000-item queue
    copy a few hundred references instead of all of them.
    """

    __slots__ = ("_blocks", "_len", "_shift", "_shift_from", "_starts")

    _blocks: tuple[_Block, ...]
    #: Where each block starts, except that those from ``_shift_from`` on are ``_shift``
    #: items further on: inserts into one block (a user adding songs at one place) then
    #: share the table instead of shifting every start after it, a new int object each.
    _starts: tuple[int, ...]
    _shift_from: int
    _shift: int
    _len: int

    def __init__(self, items: Iterable[MediaItem] = ()) -> None:
        items = tuple(items)
        check_media_items(items, "a queue holds MediaItem objects")
        self._assign(_chunk(items))

    @classmethod
    def _of_blocks(cls, blocks: tuple[_Block, ...]) -> MediaQueue:
        queue = cls.__new__(cls)
        queue._assign(blocks)
        return queue

    def _assign(self, blocks: tuple[_Block, ...]) -> None:
        starts = tuple(itertools.accumulate(map(len, blocks), initial=0))
        self._blocks = blocks
        self._starts = starts[:-1]
        self._shift_from = len(blocks)
        self._shift = 0
        self._len = starts[-1]

    def _block_of(self, index: int) -> int:
        starts, shift_from = self._starts, self._shift_from
        if shift_from < len(starts):
            shift = self._shift
            if index >= starts[shift_from] + shift:
                return bisect.bisect_right(starts, index - shift, shift_from) - 1
            return bisect.bisect_right(starts, index, 0, shift_from) - 1
        return bisect.bisect_right(starts, index) - 1

    def _start(self, block: int) -> int:
        start = self._starts[block]
        return start + self._shift if block >= self._shift_from else start

    def _block_starts(self) -> tuple[int, ...]:
        """Where each block starts (the table with its pending shift applied)."""
        starts, shift_from = self._starts, self._shift_from
        if shift_from >= len(starts):
            return starts
        return starts[:shift_from] + tuple(map(self._shift.__add__, starts[shift_from:]))

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> MediaItem: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[MediaItem, ...]: ...

    def __getitem__(self, index: int | slice) -> MediaItem | tuple[MediaItem, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._len)
            if step != 1:
                return tuple(self)[index]
            if start >= stop:
                return ()
            block = self._block_of(start)
            flat = itertools.chain.from_iterable(
                map(_items_of, itertools.islice(self._blocks, block, None))
            )
            skip = start - self._start(block)
            return tuple(itertools.islice(flat, skip, skip + stop - start))
        position = operator.index(index)
        if position < 0:
            position += self._len
        if not 0 <= position < self._len:
            raise IndexError(f"queue index {index} out of range for {self._len} items")
        block = self._block_of(position)
        # _start's body: every read of an item comes here.
        start = self._starts[block]
        if block >= self._shift_from:
            start += self._shift
        return _items_of(self._blocks[block])[position - start]

    def __iter__(self) -> Iterator[MediaItem]:
        return itertools.chain.from_iterable(map(_items_of, self._blocks))

    def __reversed__(self) -> Iterator[MediaItem]:
        return itertools.chain.from_iterable(map(reversed, map(_items_of, reversed(self._blocks))))

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, MediaQueue | tuple | list):
            # Tuple comparison skips identical items at C speed.
            return len(other) == self._len and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        shown = ", ".join(repr(item.id) for item in itertools.islice(self, 3))
        more = ", ..." if self._len > 3 else ""
        return f"<MediaQueue of {self._len} items: {shown}{more}>"

    def index_of(self, media_id: str, hint: int | None = None) -> int | None:
        """The index of the first item with ``media_id``, or None; ``hint`` is checked first."""
        if hint is not None and 0 <= hint < self._len and self[hint].id == media_id:
            return hint
        for position, item in enumerate(self):
            if item.id == media_id:
                return position
        return None

    def splice(
        self, index: int, delete_count: int = 0, items: Iterable[MediaItem] = ()
    ) -> MediaQueue:
        """A copy with ``delete_count`` items removed at ``index`` and ``items`` inserted there."""
        inserted = tuple(items)
        check_media_items(inserted, "a queue holds MediaItem objects")
        return self._splice_checked(index, delete_count, inserted)

    def _splice_checked(
        self, index: int, delete_count: int, inserted: tuple[MediaItem, ...]
    ) -> MediaQueue:
        """:meth:`splice` of items known to be MediaItem objects (those of a queue op)."""
        end = index + delete_count
        if index < 0 or delete_count < 0 or end > self._len:
            raise IndexError(
                f"splice(index={index}, delete_count={delete_count}) does not fit "
                f"a queue of {self._len} items"
            )
        if not delete_count and not inserted:
            return self
        blocks = self._blocks
        if not blocks:
            return MediaQueue._of_blocks(_chunk(inserted))
        first = len(blocks) - 1 if index == self._len else self._block_of(index)
        last = self._block_of(end - 1) if delete_count else first
        base = self._starts[first]
        if first >= self._shift_from:
            base += self._shift
        # An insert touches one block: take it as it is rather than through an iterator.
        window = (
            _items_of(blocks[first])
            if first == last
            else tuple(itertools.chain.from_iterable(map(_items_of, blocks[first : last + 1])))
        )
        middle = window[: index - base] + inserted + window[end - base :]
        # Keep blocks from withering under many deletions: merge a small one into a neighbour.
        if len(middle) < _BLOCK // 4:
            if last + 1 < len(blocks):
                middle += _items_of(blocks[last + 1])
                last += 1
            elif first > 0:
                middle = _items_of(blocks[first - 1]) + middle
                first -= 1
        return self._with_blocks_replaced(first, last, _chunk(middle))

    def _with_blocks_replaced(
        self, first: int, last: int, new: tuple[tuple[MediaItem, ...], ...]
    ) -> MediaQueue:
        """A copy with blocks ``first..last`` replaced by ``new``.

        The table of block starts is carried over rather than recounted: the starts
        before ``first`` stay, those after ``last`` shift by the change in length. A
        recount would call ``len`` on every block, which for a client's encoded
        blocks is a Python call each (200 per edit of a 100k queue).
        """
        blocks = self._blocks
        if first == last and len(new) == 1:
            # The same blocks but one: the table is shared, its shift after ``first`` grows.
            shift_from, count, after = self._shift_from, len(blocks), first + 1
            if shift_from >= count or shift_from == after:
                # _start without its calls: ``first`` is before any shift, ``after`` at it.
                starts = self._starts
                shift = self._shift if shift_from == after else 0
                end = starts[after] + shift if after < count else self._len
                change = len(new[0]) - (end - starts[first])
                queue = MediaQueue.__new__(MediaQueue)
                queue._blocks = blocks[:first] + new + blocks[after:]
                queue._starts = starts
                if after < count:
                    queue._shift_from, queue._shift = after, shift + change
                else:
                    queue._shift_from, queue._shift = count, 0
                queue._len = self._len + change
                return queue
        starts = self._block_starts()
        base = starts[first]
        new_starts = tuple(itertools.accumulate(map(len, new[:-1]), initial=base)) if new else ()
        following = starts[last + 1 :]
        old_end = following[0] if following else self._len
        shift = base + sum(map(len, new)) - old_end
        queue = MediaQueue.__new__(MediaQueue)
        queue._blocks = blocks[:first] + new + blocks[last + 1 :]
        queue._starts = (
            starts[:first]
            + new_starts
            + (tuple(map(shift.__add__, following)) if shift else following)
        )
        queue._shift_from = len(queue._blocks)
        queue._shift = 0
        queue._len = self._len + shift
        return queue

    def _splice_encoded(
        self, index: int, delete_count: int, raw: tuple[msgspec.Raw, ...]
    ) -> MediaQueue:
        """:meth:`splice` of items in their wire form: a long run stays so until it is read."""
        if len(raw) <= _BLOCK:
            return self._splice_checked(index, delete_count, decode_items(raw) if raw else ())
        before, after = self._splice_checked(index, delete_count, ())._split(index)
        return MediaQueue._of_blocks(before + _encoded_chunks(raw) + after)

    def _split(self, index: int) -> tuple[tuple[_Block, ...], tuple[_Block, ...]]:
        """The blocks before ``index`` and those from it on (the one across it cut in two)."""
        blocks = self._blocks
        if index >= self._len:
            return blocks, ()
        number = self._block_of(index)
        offset = index - self._start(number)
        if offset == 0:
            return blocks[:number], blocks[number:]
        items = _items_of(blocks[number])
        return (*blocks[:number], items[:offset]), (items[offset:], *blocks[number + 1 :])

    def update(self, index: int, item: MediaItem) -> MediaQueue:
        """A copy with the item at ``index`` replaced by ``item``."""
        if not isinstance(item, MediaItem):
            raise TypeError(f"a queue holds MediaItem objects, not {item!r}")
        if not 0 <= index < self._len:
            raise IndexError(f"update(index={index}) does not fit a queue of {self._len} items")
        number = self._block_of(index)
        block = _items_of(self._blocks[number])
        offset = index - self._start(number)
        queue = MediaQueue.__new__(MediaQueue)
        queue._blocks = (
            *self._blocks[:number],
            (*block[:offset], item, *block[offset + 1 :]),
            *self._blocks[number + 1 :],
        )
        queue._starts = self._starts
        queue._shift_from = self._shift_from
        queue._shift = self._shift
        queue._len = self._len
        return queue


def queue_blocks(queue: MediaQueue) -> tuple[tuple[MediaItem, ...], ...]:
    """The runs of items ``queue`` is made of; a queue derived from it shares the unchanged ones."""
    return tuple(map(_items_of, queue._blocks))


def _chunk(items: tuple[MediaItem, ...]) -> tuple[tuple[MediaItem, ...], ...]:
    return tuple(items[i : i + size] for i, size in _cuts(len(items)))


def _encoded_chunks(raw: tuple[msgspec.Raw, ...]) -> tuple[EncodedBlock, ...]:
    # The same cuts as _chunk: a client decodes a block whole when one of its items is first
    # read, and an insert into it decodes and copies it.
    return tuple(EncodedBlock(raw[i : i + size]) for i, size in _cuts(len(raw)))


def _cuts(count: int) -> Iterator[tuple[int, int]]:
    """Where the blocks of ``count`` items start, and their size: at most _BLOCK, all equal.

    A block that grows past _BLOCK splits in two halves. An insert copies the block it lands
    in, item by item (a reference count each, a cache line each when cold): letting blocks
    grow to twice _BLOCK before a split made that about 700 items on average in an edited
    region, and a whole 1000-item queue.
    """
    if count <= _BLOCK:
        return iter(((0, count),) if count else ())
    parts = -(-count // _BLOCK)
    size = -(-count // parts)
    return ((i, size) for i in range(0, count, size))


def _check_index(value: object, field: str) -> None:
    if not is_int(value):
        raise TypeError(f"{field} must be an int, not {value!r}")
    if value < 0:
        raise ValueError(f"{field} must not be negative, not {value}")


def _check_items(struct: msgspec.Struct, value: object) -> None:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"items must be a sequence of MediaItem, not {value!r}")
    items = tuple(value)
    check_media_items(items, "items must contain only MediaItem")
    msgspec.structs.force_setattr(struct, "items", items)


class QueueReplace(msgspec.Struct, frozen=True, tag="replace", array_like=True):
    """Replace the whole queue with ``items``."""

    items: tuple[MediaItem, ...] = ()

    def __post_init__(self) -> None:
        _check_items(self, self.items)


class QueueSplice(msgspec.Struct, frozen=True, tag="splice", array_like=True):
    """Remove ``delete_count`` items at ``index`` and insert ``items`` there."""

    index: int
    delete_count: int = 0
    items: tuple[MediaItem, ...] = ()

    def __post_init__(self) -> None:
        _check_index(self.index, "index")
        _check_index(self.delete_count, "delete_count")
        _check_items(self, self.items)


class QueueUpdate(msgspec.Struct, frozen=True, tag="update", array_like=True):
    """Replace the item at ``index`` (typically the same id with new metadata)."""

    index: int
    item: MediaItem

    def __post_init__(self) -> None:
        _check_index(self.index, "index")
        if not isinstance(self.item, MediaItem):
            raise TypeError(f"item must be a MediaItem, not {self.item!r}")


#: One queue edit.
QueueOp: TypeAlias = QueueReplace | QueueSplice | QueueUpdate


def apply(ops: Iterable[QueueOp | EncodedOp], queue: Sequence[MediaItem]) -> MediaQueue:
    """The queue that results from applying ``ops`` in order to ``queue``.

    Raises :class:`IndexError` naming the operation when one does not fit the
    queue it applies to; ``queue`` itself is never modified. Items of encoded
    ops (a client's) are decoded when read, or at once for short runs, which
    raise :class:`ValueError` if unreadable.
    """
    result = queue if isinstance(queue, MediaQueue) else MediaQueue(queue)
    for position, op in enumerate(ops):
        if not isinstance(op, _OPS):
            raise TypeError(f"queue op #{position} is not a queue operation: {op!r}")
        try:
            result = _apply_one(op, result)
        except IndexError as error:
            raise IndexError(f"queue op #{position}: {error}") from None
    return result


def _apply_one(op: QueueOp | EncodedOp, queue: MediaQueue) -> MediaQueue:
    # An op checked its items when it was made (or decoded), and is frozen: no second check.
    if isinstance(op, QueueReplace):
        return MediaQueue._of_blocks(_chunk(op.items))
    if isinstance(op, QueueSplice):
        return queue._splice_checked(op.index, op.delete_count, op.items)
    if isinstance(op, QueueUpdate):
        return queue.update(op.index, op.item)
    if isinstance(op, EncodedReplace):
        return MediaQueue._of_blocks(_encoded_chunks(op.items))
    return queue._splice_encoded(op.index, op.delete_count, op.items)


_OPS = (QueueReplace, QueueSplice, QueueUpdate, EncodedReplace, EncodedSplice)


def _matching_run(
    old: Iterable[MediaItem],
    new: Iterable[MediaItem],
    old_again: Iterable[MediaItem],
    new_again: Iterable[MediaItem],
    limit: int,
    updates: list[tuple[int, MediaItem]],
) -> int:
    """How many leading pairs match by id (at most ``limit``); changed ones go to ``updates``.

    ``old_again``/``new_again`` are second iterators over the same items: one pair
    feeds the identity test, the other the candidates, so identical pairs are
    skipped at C speed and only the others reach Python code.
    """
    candidates = itertools.compress(
        zip(range(limit), old, new, strict=False), map(operator.is_not, old_again, new_again)
    )
    for position, old_item, new_item in candidates:
        if not isinstance(new_item, MediaItem):
            raise TypeError(f"a queue holds MediaItem objects, not {new_item!r}")
        if old_item.id != new_item.id:
            return position
        if not old_item.same_content(new_item):
            updates.append((position, new_item))
    return limit


def diff(old: Sequence[MediaItem], new: Sequence[MediaItem]) -> list[QueueOp]:
    """Operations that turn ``old`` into ``new``: at most one splice plus updates.

    The common prefix and suffix are matched by id; a matched item whose other
    fields changed becomes a :class:`QueueUpdate`. Everything between becomes one
    :class:`QueueSplice`. When that would carry most of ``new`` anyway, a single
    :class:`QueueReplace` is as small and simpler to apply.

    Identical objects (the usual case: the task edits its own list) are skipped
    at C speed, so appending to a 100 000-item queue costs a few milliseconds;
    items that are equal but not identical cost a Python comparison each. Tasks
    with huge queues can skip the diff altogether with ``splice_queue``.
    """
    old_len, new_len = len(old), len(new)
    limit = min(old_len, new_len)
    prefix_updates: list[tuple[int, MediaItem]] = []
    prefix = _matching_run(old, new, old, new, limit, prefix_updates)
    suffix_updates: list[tuple[int, MediaItem]] = []
    suffix = _matching_run(
        reversed(old), reversed(new), reversed(old), reversed(new), limit - prefix, suffix_updates
    )
    updates = prefix_updates + [(new_len - 1 - back, item) for back, item in suffix_updates]

    delete_count = old_len - prefix - suffix
    inserted = tuple(new[prefix : new_len - suffix])
    if len(inserted) + len(updates) > max(new_len // 2, 16):
        return [QueueReplace(tuple(new))]
    ops: list[QueueOp] = []
    if delete_count or inserted:
        ops.append(QueueSplice(prefix, delete_count, inserted))
    ops.extend(QueueUpdate(index, item) for index, item in updates)
    return ops
