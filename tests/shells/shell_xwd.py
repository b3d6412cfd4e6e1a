"""XWD screen dumps (``xwd -root``) to PNG, for looking at a panel no API reports on."""

from __future__ import annotations

import struct

from audio_service.demo._png import encode_png

__all__ = ["xwd_to_png"]

_HEADER = struct.Struct(">25I")


def xwd_to_png(data: bytes) -> bytes:
    """A TrueColor ZPixmap dump of 24 or 32 bits per pixel, least significant byte first
    (what Xvfb gives on a PC), as a PNG."""
    fields = _HEADER.unpack_from(data)
    header_size, version, pixmap_format = fields[0], fields[1], fields[2]
    width, height, byte_order, bits_per_pixel, bytes_per_line = (
        fields[4],
        fields[5],
        fields[7],
        fields[11],
        fields[12],
    )
    masks, ncolors = fields[14:17], fields[19]
    supported = (
        version == 7
        and pixmap_format == 2
        and bits_per_pixel in (24, 32)
        and byte_order == 0
        and masks == (0xFF0000, 0xFF00, 0xFF)
    )
    if not supported:
        raise ValueError(f"an XWD dump this does not read: {fields[:17]}")
    step = bits_per_pixel // 8
    start = header_size + 12 * ncolors
    rows = []
    for y in range(height):
        line = data[start + y * bytes_per_line : start + y * bytes_per_line + step * width]
        row = bytearray(3 * width)
        # Each pixel is stored blue, green, red (, pad).
        row[0::3], row[1::3], row[2::3] = line[2::step], line[1::step], line[0::step]
        rows.append(bytes(row))
    return encode_png(width, height, rows)
