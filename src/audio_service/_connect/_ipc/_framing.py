"""Length-prefixed frames: a 4-byte big-endian body length, then the msgpack body."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import msgspec

from audio_service._connect._ipc._errors import FrameTooLargeError
from audio_session._checks import check_int

__all__ = ["DEFAULT_MAX_FRAME_SIZE", "HEADER_SIZE", "FrameReader", "encode_frame"]

#: The default limit on a frame's body, in bytes.
DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024

#: The largest limit the 4-byte length prefix can express.
_ABSOLUTE_MAX_FRAME_SIZE = 2**32 - 1

_HEADER = struct.Struct(">I")
HEADER_SIZE = _HEADER.size

# A frame's body is handed over as a read-only view when it can be (no copy), else as bytes.
Frame = memoryview | bytes | bytearray


def check_max_frame_size(value: object, name: str = "max_frame_size", *, minimum: int = 1) -> int:
    """``value`` as a frame limit (``minimum`` … 2**32 - 1 bytes), or a clear error naming ``name``.

    The one rule for a frame limit: the reader's, a client's and the server's.
    """
    return check_int(value, name, minimum=minimum, maximum=_ABSOLUTE_MAX_FRAME_SIZE)


def encode_frame(encoder: msgspec.msgpack.Encoder, message: Any) -> bytearray:
    """``message`` encoded as one frame, prefix included, in a single fresh buffer.

    The buffer is never reused: asyncio transports may keep a reference to it
    until the kernel has taken all of it.
    """
    frame = bytearray(HEADER_SIZE)
    encoder.encode_into(message, frame, HEADER_SIZE)
    _HEADER.pack_into(frame, 0, len(frame) - HEADER_SIZE)
    return frame


def body_size(frame: bytearray) -> int:
    """The body length of a frame made by :func:`encode_frame`."""
    return len(frame) - HEADER_SIZE


class FrameReader:
    """Cuts a byte stream into frames.

    :meth:`feed` calls ``on_frame`` with each complete body, in order. When
    ``on_frame`` returns True the reader stops there and keeps the rest; feeding
    ``b""`` later carries on. A length prefix above the limit raises
    :class:`FrameTooLargeError` before anything is allocated for it: the stream
    cannot be trusted after that, so the caller must drop the connection.
    """

    __slots__ = ("_buffer", "max_frame_size")

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        """How many received bytes are waiting to be handed over."""
        return len(self._buffer)

    def feed(self, data: bytes, on_frame: Callable[[Frame], bool | None]) -> None:
        """Consume ``data``; ``on_frame`` must not keep the body beyond its call."""
        buffer = self._buffer
        if buffer:
            buffer += data
            self._feed_buffer(on_frame)
            return
        # Fast path: whole frames straight out of the received bytes, without copies.
        end = len(data)
        position = 0
        limit = self.max_frame_size
        unpack_from = _HEADER.unpack_from
        view = memoryview(data)
        while end - position >= HEADER_SIZE:
            size = unpack_from(data, position)[0]
            if size > limit:
                raise FrameTooLargeError(size, limit)
            stop = position + HEADER_SIZE + size
            if stop > end:
                break
            position = stop
            if on_frame(view[stop - size : stop]):
                break
        if position < end:
            buffer += view[position:]

    def _feed_buffer(self, on_frame: Callable[[Frame], bool | None]) -> None:
        buffer = self._buffer
        limit = self.max_frame_size
        position = 0
        try:
            while len(buffer) - position >= HEADER_SIZE:
                size = _HEADER.unpack_from(buffer, position)[0]
                if size > limit:
                    raise FrameTooLargeError(size, limit)
                stop = position + HEADER_SIZE + size
                if stop > len(buffer):
                    break
                position = stop
                # A copy, so the buffer stays resizable whatever the callback does.
                if on_frame(buffer[stop - size : stop]):
                    break
        finally:
            del buffer[:position]

    def clear(self) -> None:
        """Forget any partial frame."""
        self._buffer.clear()
