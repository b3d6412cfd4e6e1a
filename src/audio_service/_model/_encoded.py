"""Queue edits as a client receives them: the items stay msgpack until someone reads them.

A client that mirrors a 100 000-item queue would otherwise build 100 000
``MediaItem`` objects (about 600 000 objects, 50 MB, 13 000 page faults, 70 ms
on a quiet machine) before its queue shows the change, while a UI shows a
window of it. Decoded as :class:`msgspec.Raw` slices of the message instead,
the same event takes a tenth of that, and each block of 512 items is decoded,
checked and kept the first time one of its items is read.

Only the items wait: the edit's shape (indexes, counts) is checked on receipt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import msgspec

from audio_service._model._models import MediaItem

__all__ = ["EncodedBlock", "EncodedReplace", "EncodedSplice", "decode_items"]

_ARRAY32 = b"\xdd"
# Built on first use: a host imports this module and never decodes here (see _connect._wire).
_items_decoder: msgspec.msgpack.Decoder[tuple[MediaItem, ...]] | None = None


def decode_items(raw: Sequence[msgspec.Raw]) -> tuple[MediaItem, ...]:
    """The items that ``raw`` encodes (each one msgpack ``MediaItem``), checked as on receipt."""
    global _items_decoder
    if _items_decoder is None:
        _items_decoder = msgspec.msgpack.Decoder(tuple[MediaItem, ...])
    data = _ARRAY32 + len(raw).to_bytes(4, "big") + b"".join(raw)
    try:
        return _items_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise ValueError(f"the service sent queue items this client cannot read: {error}") from None


class EncodedBlock:
    """A run of queue items in their wire form, decoded the first time one is read.

    Blocks are shared by the queues derived from one another, so the decoded
    items are kept here, for all of them. One attribute holds either form, so
    a reader in another thread (the blocking client's) sees one or the other.
    """

    __slots__ = ("_content", "_len")

    def __init__(self, raw: Sequence[msgspec.Raw]) -> None:
        self._content: list[msgspec.Raw] | tuple[MediaItem, ...] = list(raw)
        self._len = len(raw)

    def __len__(self) -> int:
        return self._len

    @property
    def decoded(self) -> bool:
        return isinstance(self._content, tuple)

    def items(self) -> tuple[MediaItem, ...]:
        content = self._content
        if isinstance(content, tuple):
            return content
        items = decode_items(content)
        self._content = items
        return items


class EncodedReplace(msgspec.Struct, frozen=True, tag="replace", array_like=True):
    """:class:`~audio_service._model._queue.QueueReplace` as received."""

    items: tuple[msgspec.Raw, ...] = ()


class EncodedSplice(msgspec.Struct, frozen=True, tag="splice", array_like=True):
    """:class:`~audio_service._model._queue.QueueSplice` as received."""

    index: int
    delete_count: int = 0
    items: tuple[msgspec.Raw, ...] = ()

    def __post_init__(self) -> None:
        if self.index < 0 or self.delete_count < 0:
            raise ValueError(
                f"index and delete_count must not be negative, not {self.index}, "
                f"{self.delete_count}"
            )


#: A received edit whose items have not been decoded.
EncodedOp: TypeAlias = EncodedReplace | EncodedSplice
