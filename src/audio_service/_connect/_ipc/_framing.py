"""Length-prefixed frames: a 4-byte big-endian body length, then the msgpack body."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import msgspec

from audio_service._connect._ipc._errors import FrameTooLargeError
from audio_session._checks import check_int

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "DEFAULT_READ_SIZE",
    "HEADER",
    "HEADER_SIZE",
    "FrameReader",
    "encode_frame",
]

#: The default limit on a frame's body, in bytes.
DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024

#: The largest limit the 4-byte length prefix can express.
_ABSOLUTE_MAX_FRAME_SIZE = 2**32 - 1

#: The length prefix's layout (also for code that makes frames without :func:`encode_frame`).
HEADER = struct.Struct(">I")
HEADER_SIZE = HEADER.size

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
    HEADER.pack_into(frame, 0, len(frame) - HEADER_SIZE)
    return frame


def body_size(frame: bytearray) -> int:
    """The body length of a frame made by :func:`encode_frame`."""
    return len(frame) - HEADER_SIZE


#: Bytes a reader keeps for reads while no frame is larger (the server has one
#: reader per client, so this is per connection; a frame that needs more gets a
#: buffer of its size until it has been handed over).
DEFAULT_READ_SIZE = 16 * 1024


class FrameReader:
    """Cuts a byte stream into frames, in one buffer that reads go into and are reused from.

    A transport reads into :meth:`get_buffer` and reports with :meth:`received`
    (:class:`asyncio.BufferedProtocol`'s two calls), so a read costs no
    allocation: asyncio's plain protocols receive into a fresh 256 KiB object
    each time, which the allocator maps and unmaps (three system calls per read).
    :meth:`feed` copies bytes in, for callers that have them already.

    ``on_frame`` gets each complete body in order, as a view into the buffer
    that is only valid during the call. When it returns True the reader stops
    there and keeps the rest for :meth:`resume`. A length prefix above the
    limit raises :class:`FrameTooLargeError` before anything is allocated for
    it: the stream cannot be trusted after that, so the caller must drop the
    connection.
    """

    __slots__ = (
        "_buffer",
        "_end",
        "_parsing",
        "_read_size",
        "_start",
        "_whole",
        "max_frame_size",
    )

    def __init__(
        self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE, read_size: int = DEFAULT_READ_SIZE
    ) -> None:
        self.max_frame_size = max_frame_size
        self._read_size = read_size
        self._buffer = bytearray(read_size)
        # While the buffer is the reader's own (read_size bytes), a view of all of it: what
        # an empty reader hands out for each read, made once (None while a larger one is in use).
        self._whole: memoryview | None = memoryview(self._buffer) if read_size else None
        # Received and not handed over yet: _buffer[_start:_end].
        self._start = 0
        self._end = 0
        self._parsing = False

    @property
    def buffered(self) -> int:
        """How many received bytes are waiting to be handed over."""
        return self._end - self._start

    def get_buffer(self) -> memoryview:
        """The free space the next read should fill: room for the frame being
        received when its length is known, else at least a quarter of the read size."""
        if self._end == 0 and self._whole is not None:
            # Empty (a reader that handed over all it had starts again at 0) in its own buffer:
            # all of it, as below, without a view made per read.
            return self._whole
        start, end = self._start, self._end
        buffer = self._buffer
        held = end - start
        if held == 0 and len(buffer) > self._read_size:
            # The large frame is handed over: give its memory back.
            buffer = self._buffer = bytearray(self._read_size)
            self._start = self._end = start = end = 0
            if self._read_size:
                whole = self._whole = memoryview(buffer)
                return whole
        wanted = self._read_size // 4
        if held >= HEADER_SIZE:
            size = HEADER.unpack_from(buffer, start)[0]
            if size <= self.max_frame_size:
                wanted = max(wanted, HEADER_SIZE + size - held)
        if len(buffer) - end < wanted:
            if start and len(buffer) - held >= wanted:
                # Same length, so no resize: allowed while views of the buffer live.
                buffer[:held] = buffer[start:end]
            else:
                grown = bytearray(max(self._read_size, held + wanted))
                grown[:held] = buffer[start:end]
                buffer = self._buffer = grown
                self._whole = memoryview(grown) if len(grown) == self._read_size else None
            self._start, self._end = 0, held
            end = held
        return memoryview(buffer)[end:]

    def resume(self, on_frame: Callable[[Frame], bool | None]) -> None:
        """Hand over the frames kept when ``on_frame`` last stopped the reader."""
        self.received(0, on_frame)

    def feed(self, data: bytes, on_frame: Callable[[Frame], bool | None]) -> None:
        """Copy ``data`` in (in pieces when it is larger than the free space) and parse."""
        view = memoryview(data)
        while True:
            space = self.get_buffer()
            taken = min(len(space), len(view))
            space[:taken] = view[:taken]
            if space is not self._whole:  # that one is handed out again
                space.release()
            view = view[taken:]
            self.received(taken, on_frame)
            if not view:
                return

    def received(self, count: int, on_frame: Callable[[Frame], bool | None]) -> None:
        """``count`` bytes were read into the last :meth:`get_buffer`: hand over what is whole."""
        # The parsing is here, not in a method of its own: every read of both ends comes here.
        self._end += count
        if self._parsing:
            # Called again from inside on_frame (a reply settled there resumes the
            # reader): the running loop below goes on with the next frame anyway.
            return
        self._parsing = True
        try:
            buffer = self._buffer
            view = memoryview(buffer)
            limit = self.max_frame_size
            unpack_from = HEADER.unpack_from
            start, end = self._start, self._end
            while end - start >= HEADER_SIZE:
                size = unpack_from(buffer, start)[0]
                if size > limit:
                    raise FrameTooLargeError(size, limit)
                stop = start + HEADER_SIZE + size
                if stop > end:
                    break
                # Moved on before the call, so that what it does sees the frame as taken.
                self._start = stop
                if on_frame(view[stop - size : stop]):
                    break
                # Read again: the call may have cleared the reader, or fed it.
                start, end = self._start, self._end
        finally:
            self._parsing = False
        if self._start == self._end:
            self._start = self._end = 0

    def clear(self) -> None:
        """Forget any partial frame."""
        self._start = self._end = 0
