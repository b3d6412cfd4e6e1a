"""The demo's PNG writer and reader, and the half-block art renderer."""

from __future__ import annotations

import struct
import zlib

import pytest

from audio_service.demo._art_render import art_path, render_half_blocks, sample
from audio_service.demo._png import SIGNATURE, PngError, decode_png, encode_png


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png(
    width: int,
    height: int,
    colour: int,
    raw_rows: list[bytes],
    *,
    filters: list[int] | None = None,
    depth: int = 8,
    interlace: int = 0,
    extra: bytes = b"",
) -> bytes:
    """A PNG whose rows are filtered with the given filter types (the reader must undo them)."""
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    filters = filters or [0] * height
    previous = bytes(len(raw_rows[0]))
    data = b""
    for row, kind in zip(raw_rows, filters, strict=True):
        out = bytearray()
        for i, value in enumerate(row):
            left = row[i - bpp] if i >= bpp else 0
            up = previous[i]
            upper_left = previous[i - bpp] if i >= bpp else 0
            if kind == 0:
                predictor = 0
            elif kind == 1:
                predictor = left
            elif kind == 2:
                predictor = up
            elif kind == 3:
                predictor = (left + up) >> 1
            else:
                p = left + up - upper_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
            out.append((value - predictor) & 0xFF)
        data += bytes((kind,)) + bytes(out)
        previous = row
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + extra
        + _chunk(b"IDAT", zlib.compress(data))
        + _chunk(b"IEND", b"")
    )


def _gradient_rows(width: int, height: int, channels: int) -> list[bytes]:
    return [
        bytes((x * 37 + y * 11 + c * 71) % 256 for x in range(width) for c in range(channels))
        for y in range(height)
    ]


def test_written_rgb_reads_back_pixel_for_pixel() -> None:
    rows = _gradient_rows(5, 4, 3)
    image = decode_png(encode_png(5, 4, rows))
    assert (image.width, image.height) == (5, 4)
    for y in range(4):
        for x in range(5):
            assert image.pixel(x, y) == (*rows[y][3 * x : 3 * x + 3], 255)


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_every_filter_type_is_undone(kind: int) -> None:
    rows = _gradient_rows(7, 5, 4)
    image = decode_png(_png(7, 5, 6, rows, filters=[kind] * 5))
    assert image.rgba == b"".join(rows)


def test_mixed_filters_grey_grey_alpha_and_palette() -> None:
    grey = _gradient_rows(6, 4, 1)
    image = decode_png(_png(6, 4, 0, grey, filters=[4, 3, 2, 1]))
    assert image.pixel(2, 3) == (grey[3][2],) * 3 + (255,)
    grey_alpha = _gradient_rows(3, 2, 2)
    image = decode_png(_png(3, 2, 4, grey_alpha))
    assert image.pixel(1, 1) == (grey_alpha[1][2],) * 3 + (grey_alpha[1][3],)
    palette = _chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0])) + _chunk(b"tRNS", b"\x80")
    image = decode_png(_png(2, 1, 3, [b"\x00\x01"], extra=palette))
    assert image.pixel(0, 0) == (255, 0, 0, 128)
    assert image.pixel(1, 0) == (0, 255, 0, 255)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a", "signature"),
        (_png(2, 2, 2, _gradient_rows(2, 2, 3), interlace=1), "interlaced"),
        (_png(2, 2, 2, _gradient_rows(2, 2, 6), depth=16), "8-bit"),
        (encode_png(2, 2, _gradient_rows(2, 2, 3))[:-20], "cut short|ends before"),
        (_png(2, 1, 3, [b"\x00\x05"], extra=_chunk(b"PLTE", bytes(3))), "outside the palette"),
    ],
)
def test_unsupported_or_broken_input_says_why(data: bytes, message: str) -> None:
    with pytest.raises(PngError, match=message):
        decode_png(data)


def test_a_corrupted_chunk_fails_its_crc() -> None:
    data = bytearray(encode_png(2, 2, _gradient_rows(2, 2, 3)))
    data[len(SIGNATURE) + 10] ^= 0xFF
    with pytest.raises(PngError, match="CRC"):
        decode_png(bytes(data))


def test_encode_checks_its_input() -> None:
    with pytest.raises(ValueError, match="rows holds 1 rows"):
        encode_png(2, 2, [bytes(6)])
    with pytest.raises(ValueError, match=r"rows\[0\] has 5 bytes"):
        encode_png(2, 1, [bytes(5)])


def test_half_blocks_put_the_upper_pixel_in_front_and_the_lower_behind() -> None:
    red, blue = bytes((255, 0, 0)), bytes((0, 0, 255))
    image = decode_png(encode_png(2, 2, [red * 2, blue * 2]))
    text = render_half_blocks(image, 2, 1)
    assert text.plain == "\u2580\u2580"
    style = text.spans[0].style
    assert not isinstance(style, str)
    assert style.color is not None
    assert style.color.triplet is not None
    assert style.bgcolor is not None
    assert style.bgcolor.triplet is not None
    assert tuple(style.color.triplet) == (255, 0, 0)
    assert tuple(style.bgcolor.triplet) == (0, 0, 255)


def test_sampling_averages_and_composites_alpha() -> None:
    rows = [bytes((200, 0, 0, 255, 0, 0, 0, 0))]  # opaque red, transparent
    image = decode_png(_png(2, 1, 6, rows))
    assert sample(image, 1, 1) == [[(100, 0, 0)]]
    assert sample(image, 2, 1, background=(0, 0, 80)) == [[(200, 0, 0), (0, 0, 80)]]
    big = render_half_blocks(image, 4, 3)
    assert big.plain.split("\n") == ["\u2580" * 4] * 3


def test_only_local_file_uris_have_an_art_path() -> None:
    assert art_path("file:///tmp/a%20b.png") == "/tmp/a b.png"
    assert art_path("https://example.org/a.png") is None
    assert art_path(None) is None
