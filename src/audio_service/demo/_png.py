"""A minimal PNG writer and reader (zlib only), for the demo's generated cover art.

The writer produces 8-bit RGB images. The reader takes any non-interlaced PNG
with 8-bit samples (greyscale, grey + alpha, RGB, RGBA or palette), which covers
the covers the demo makes and the usual cover art of a music library; anything
else is a :class:`PngError` that says what is not supported.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["PngError", "PngImage", "decode_png", "encode_png", "read_png"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Channels per pixel of each 8-bit colour type (3 = palette index).
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: The largest image the reader accepts, in pixels: cover art, not photographs.
MAX_PIXELS = 4096 * 4096


class PngError(ValueError):
    """The data is not a PNG this reader understands; the message says why."""


@dataclass(frozen=True)
class PngImage:
    """Decoded pixels: ``width * height`` RGBA quadruples, row by row, top first."""

    width: int
    height: int
    rgba: bytes

    def pixel(self, x: int, y: int) -> tuple[int, int, int, int]:
        """The (red, green, blue, alpha) of the pixel at column ``x``, row ``y``."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise IndexError(f"pixel ({x}, {y}) is outside a {self.width}x{self.height} image")
        start = (y * self.width + x) * 4
        r, g, b, a = self.rgba[start : start + 4]
        return r, g, b, a


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(width: int, height: int, rows: Sequence[bytes]) -> bytes:
    """A PNG of 8-bit RGB ``rows`` (``height`` rows of ``3 * width`` bytes each)."""
    if width < 1 or height < 1:
        raise ValueError(f"a PNG needs at least one pixel, not {width}x{height}")
    if len(rows) != height:
        raise ValueError(f"rows holds {len(rows)} rows, not height={height}")
    for index, row in enumerate(rows):
        if len(row) != 3 * width:
            raise ValueError(f"rows[{index}] has {len(row)} bytes, not 3 * width = {3 * width}")
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # Filter type 0 (None) on every row: the art is tiny and zlib does the rest.
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride = width * bpp
    if len(raw) < height * (stride + 1):
        raise PngError(
            f"image data is {len(raw)} bytes, {height * (stride + 1)} expected for {width}x{height}"
        )
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 0:
            pass
        elif kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray((x + u) & 0xFF for x, u in zip(row, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                upper_left = previous[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + _paeth(left, previous[i], upper_left)) & 0xFF
        else:
            raise PngError(f"row {y} has unknown filter type {kind}")
        rows.append(row)
        previous = row
    return rows


def decode_png(data: bytes) -> PngImage:
    """Decode a non-interlaced 8-bit PNG into RGBA pixels."""
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG file (bad signature)")
    offset = len(SIGNATURE)
    header: tuple[int, ...] | None = None
    palette = b""
    transparency = b""
    compressed = bytearray()
    while True:
        if offset + 8 > len(data):
            raise PngError("the file ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        crc_bytes = data[offset + 8 + length : offset + 12 + length]
        if len(body) != length or len(crc_bytes) != 4:
            raise PngError(f"chunk {kind!r} is cut short")
        if zlib.crc32(kind + body) & 0xFFFFFFFF != struct.unpack(">I", crc_bytes)[0]:
            raise PngError(f"chunk {kind!r} has a bad CRC")
        offset += 12 + length
        if kind == b"IHDR":
            if length != 13:
                raise PngError("IHDR must be 13 bytes")
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            compressed += body
        elif kind == b"IEND":
            break
        elif kind[0] & 0x20 == 0:
            raise PngError(f"unsupported critical chunk {kind!r}")
    if header is None:
        raise PngError("no IHDR chunk")
    width, height, depth, colour, _compression, _filter, interlace = header
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise PngError(f"unsupported size {width}x{height}")
    if depth != 8:
        raise PngError(f"only 8-bit samples are supported, not {depth}-bit")
    if colour not in _CHANNELS:
        raise PngError(f"unknown colour type {colour}")
    if interlace != 0:
        raise PngError("interlaced PNGs are not supported")
    if colour == 3 and not palette:
        raise PngError("a palette image without a PLTE chunk")
    try:
        raw = zlib.decompress(bytes(compressed))
    except zlib.error as error:
        raise PngError(f"corrupt image data: {error}") from None
    rows = _unfilter(raw, width, height, _CHANNELS[colour])
    return PngImage(width, height, _to_rgba(rows, colour, palette, transparency))


def _to_rgba(rows: list[bytearray], colour: int, palette: bytes, transparency: bytes) -> bytes:
    out = bytearray()
    for row in rows:
        if colour == 6:
            out += row
        elif colour == 2:
            quad = bytearray(len(row) // 3 * 4)
            quad[0::4], quad[1::4], quad[2::4] = row[0::3], row[1::3], row[2::3]
            quad[3::4] = b"\xff" * (len(row) // 3)
            out += quad
        elif colour == 0:
            quad = bytearray(len(row) * 4)
            quad[0::4] = quad[1::4] = quad[2::4] = row
            quad[3::4] = b"\xff" * len(row)
            out += quad
        elif colour == 4:
            quad = bytearray(len(row) * 2)
            grey = row[0::2]
            quad[0::4] = quad[1::4] = quad[2::4] = grey
            quad[3::4] = row[1::2]
            out += quad
        else:
            for index in row:
                if 3 * index + 3 > len(palette):
                    raise PngError(f"palette index {index} is outside the palette")
                alpha = transparency[index] if index < len(transparency) else 255
                out += palette[3 * index : 3 * index + 3] + bytes((alpha,))
    return bytes(out)


def read_png(path: str) -> PngImage:
    """Decode the PNG file at ``path``."""
    with open(path, "rb") as file:
        return decode_png(file.read())
