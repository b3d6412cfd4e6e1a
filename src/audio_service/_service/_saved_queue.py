"""The saved queue as rows: one per block of items, written only where the queue changed.

A 100 000-item queue encodes to 12 MB in 10-15 ms, all of it holding the GIL,
and writing it whole rewrote 12 MB of SQLite pages half a second after every
insert while a user kept adding songs. A :class:`~audio_service._model._queue.MediaQueue`
shares its unchanged blocks with the queue it was derived from, so each block
is a row of its own, encoded and written once: an insert writes one block of at
most 512 items and the list of blocks (a few bytes per block).

Rows of the session table: ``queue.blocks`` (msgpack ``[[key, count], ...]`` in
queue order) and ``queue.block.<key>`` (the msgpack of the block's items, one
after the other, without an array header). A file written before these rows
holds the whole queue in one ``queue`` row; it is read, and replaced at the
next save.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from audio_service._model._models import MediaItem
from audio_service._model._queue import MediaQueue, queue_blocks

__all__ = [
    "BLOCKS_KEY",
    "BLOCK_ROWS",
    "LEGACY_KEY",
    "QueuePlan",
    "QueueRows",
    "block_key",
    "read_queue",
]

BLOCKS_KEY = "queue.blocks"
LEGACY_KEY = "queue"
_BLOCK_PREFIX = "queue.block."
#: A ``LIKE`` pattern that matches every block row.
BLOCK_ROWS = f"{_BLOCK_PREFIX}%"

_encoder = msgspec.msgpack.Encoder()
_order_decoder = msgspec.msgpack.Decoder(list[tuple[int, int]])
_queue_decoder = msgspec.msgpack.Decoder(tuple[MediaItem, ...])


def block_key(key: int) -> str:
    """The row of the block saved under ``key``."""
    return f"{_BLOCK_PREFIX}{key}"


def _array_header(length: int) -> bytes:
    if length < 16:
        return bytes((0x90 | length,))
    if length < 1 << 16:
        return b"\xdc" + length.to_bytes(2, "big")
    return b"\xdd" + length.to_bytes(4, "big")


def _items_bytes(block: tuple[MediaItem, ...]) -> bytes:
    """The msgpack of ``block``'s items, one after the other, without an array header."""
    encoded = _encoder.encode(block)
    return encoded[len(_array_header(len(block))) :]


def read_queue(rows: dict[str, bytes]) -> tuple[MediaItem, ...] | None:
    """The queue saved in ``rows`` (None: none saved).

    Raises :class:`msgspec.DecodeError` or :class:`msgspec.ValidationError` for an
    unreadable queue, a missing block among them.
    """
    order = rows.get(BLOCKS_KEY)
    if order is None:
        legacy = rows.get(LEGACY_KEY)
        return None if legacy is None else _queue_decoder.decode(legacy)
    blocks = _order_decoder.decode(order)
    parts = [_array_header(sum(count for _key, count in blocks))]
    for key, _count in blocks:
        data = rows.get(block_key(key))
        if data is None:
            raise msgspec.DecodeError(f"the saved queue's block {key} is missing")
        parts.append(data)
    return _queue_decoder.decode(b"".join(parts))


class QueuePlan(NamedTuple):
    """What a save of the queue writes, in one transaction."""

    #: Delete every block row and the whole-queue row of an older file first.
    reset: bool
    #: Block rows no block of the queue uses any more.
    drop: list[str]
    #: Rows to insert or replace: the new blocks, then the list of blocks.
    rows: list[tuple[str, bytes]]


class QueueRows:
    """Plans the rows that save a queue, knowing which blocks the last plan wrote.

    A block is known by identity (the entry keeps it alive, so an equal id is the
    same block). Not thread-safe: one worker thread uses it. When a write fails,
    :meth:`forget` makes the next plan write every block again.
    """

    def __init__(self) -> None:
        self._saved: dict[int, tuple[tuple[MediaItem, ...], int]] = {}
        self._next_key = 0
        self._fresh = True

    def plan(self, queue: MediaQueue) -> QueuePlan:
        saved = self._saved
        kept: dict[int, tuple[tuple[MediaItem, ...], int]] = {}
        order: list[tuple[int, int]] = []
        rows: list[tuple[str, bytes]] = []
        for block in queue_blocks(queue):
            known = kept.get(id(block)) or saved.get(id(block))
            if known is None:
                key = self._next_key
                self._next_key += 1
                rows.append((block_key(key), _items_bytes(block)))
                known = (block, key)
            kept[id(block)] = known
            order.append((known[1], len(block)))
        used = {key for _block, key in kept.values()}
        drop = [block_key(key) for _block, key in saved.values() if key not in used]
        rows.append((BLOCKS_KEY, _encoder.encode(order)))
        reset, self._fresh = self._fresh, False
        self._saved = kept
        return QueuePlan(reset=reset, drop=drop, rows=rows)

    def forget(self) -> None:
        """The last plan may not be on disk: write everything at the next one."""
        self._saved = {}
        self._fresh = True
