"""Album art embedded in audio files: ID3v2 pictures and FLAC PICTURE blocks.

libmpv plays a file's cover as a video track but never hands out its bytes, so
the players read it themselves: ID3v2.2 ``PIC`` and v2.3/v2.4 ``APIC`` frames
(MP3, and the ``id3 `` chunk of WAV and AIFF files), and the PICTURE metadata
block of FLAC. The front cover (picture type 3) wins over other pictures.

Files come from anywhere, so parsing is defensive: every length is checked
against what is there, reads are bounded (a picture larger than ``max_size``
is skipped, a tag is read up to a fixed budget), and junk of any kind gives
``None`` — these functions never raise.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from typing import BinaryIO, Final, NamedTuple

from audio_session._checks import is_int

__all__ = ["DEFAULT_MAX_SIZE", "EmbeddedCover", "cover_from_id3", "image_type", "read_cover"]

_log = logging.getLogger("audio_service.players.covers")

#: Pictures larger than this are skipped (the album art cache's own limit).
DEFAULT_MAX_SIZE: Final = 8 * 1024 * 1024
#: Beyond the picture itself, how much of a tag is worth reading (text, other frames).
_TAG_OVERHEAD: Final = 1024 * 1024
#: Chunks or blocks walked in one file before giving up (a loop guard for junk).
_MAX_STEPS: Final = 4096
_FRONT_COVER: Final = 3


class EmbeddedCover(NamedTuple):
    """A picture found in a file: its bytes and their ``image/*`` type."""

    data: bytes
    content_type: str


def image_type(data: bytes) -> str | None:
    """The ``image/*`` type of ``data`` from its first bytes, or None when unknown."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypavif", b"ftypavis"):
        return "image/avif"
    if data.startswith(b"BM") and len(data) > 26:
        return "image/bmp"
    return None


def _content_type(data: bytes, declared: str) -> str | None:
    sniffed = image_type(data)
    if sniffed is not None:
        return sniffed
    # Taggers write "jpg", "PNG", "image/jpg"; "-->" means a link, not a picture.
    declared = declared.strip().lower()
    if "/" not in declared:
        declared = f"image/{declared}" if declared.isalnum() else ""
    if declared == "image/jpg":
        declared = "image/jpeg"
    return declared if declared.startswith("image/") and len(declared) > 6 else None


# ------------------------------------------------------------------------- ID3v2


def _syncsafe(raw: bytes) -> int | None:
    if len(raw) != 4 or any(byte & 0x80 for byte in raw):
        return None
    return raw[0] << 21 | raw[1] << 14 | raw[2] << 7 | raw[3]


def _undo_unsync(data: bytes) -> bytes:
    # Unsynchronisation inserts a zero after every 0xFF; removing it is the inverse.
    return data.replace(b"\xff\x00", b"\xff")


def _id3_tag_size(header: bytes) -> int | None:
    """The whole tag's size (header and footer included) from its 10-byte header."""
    if len(header) < 10 or header[:3] != b"ID3" or header[3] not in (2, 3, 4):
        return None
    size = _syncsafe(header[6:10])
    if size is None:
        return None
    footer = 10 if header[3] == 4 and header[5] & 0x10 else 0
    return 10 + size + footer


def _plausible_frame_at(body: bytes, pos: int) -> bool:
    """Whether a v2.4 frame (or the padding, or the end) starts at ``pos``."""
    if pos == len(body) or (pos < len(body) and body[pos] == 0):
        return True
    return pos + 10 <= len(body) and all(
        48 <= c <= 57 or 65 <= c <= 90 for c in body[pos : pos + 4]
    )


def _text_end(data: bytes, start: int, encoding: int) -> int | None:
    """Index just past the terminator of a string in ``encoding`` starting at ``start``."""
    if encoding in (1, 2):
        pos = start
        while True:
            found = data.find(b"\0\0", pos)
            if found < 0:
                return None
            if (found - start) % 2 == 0:
                return found + 2
            pos = found + 1
    found = data.find(b"\0", start)
    return None if found < 0 else found + 1


def _picture_frame(frame_id: bytes, data: bytes, max_size: int) -> tuple[int, EmbeddedCover] | None:
    if len(data) < 4:
        return None
    encoding = data[0]
    if encoding > 3:
        return None
    if frame_id == b"PIC":
        declared = data[1:4].decode("latin-1")
        picture_type = data[4]
        description_start = 5
    else:
        mime_end = data.find(b"\0", 1)
        if mime_end < 0 or mime_end + 1 >= len(data):
            return None
        declared = data[1:mime_end].decode("latin-1")
        picture_type = data[mime_end + 1]
        description_start = mime_end + 2
    picture_start = _text_end(data, description_start, encoding)
    if picture_start is None:
        return None
    picture = data[picture_start:]
    if not picture or len(picture) > max_size:
        return None
    content_type = _content_type(picture, declared)
    if content_type is None:
        return None
    return picture_type, EmbeddedCover(picture, content_type)


def _check_max_size(max_size: int) -> None:
    if not is_int(max_size):
        raise TypeError(f"max_size must be an int, not {max_size!r}")
    if max_size <= 0:
        raise ValueError(f"max_size must be > 0, not {max_size}")


def cover_from_id3(tag: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> EmbeddedCover | None:
    """The front cover (else the first picture) of an ID3v2 tag starting at ``tag[0]``.

    Junk gives None; only a bad ``max_size`` raises (TypeError/ValueError).
    """
    _check_max_size(max_size)
    try:
        return _cover_from_id3(tag, max_size)
    except (ValueError, IndexError, struct.error, zlib.error, UnicodeError) as error:
        _log.debug("unreadable ID3 tag: %s", error)
        return None


def _cover_from_id3(tag: bytes, max_size: int) -> EmbeddedCover | None:
    total = _id3_tag_size(tag[:10])
    if total is None:
        return None
    major, flags = tag[3], tag[5]
    body = tag[10 : total - (10 if major == 4 and flags & 0x10 else 0)]
    if flags & 0x80 and major < 4:
        body = _undo_unsync(body)
    if major == 2 and flags & 0x40:
        return None  # v2.2 "compression": never specified, nobody can read it
    pos = 0
    if major == 3 and flags & 0x40:
        pos = 4 + struct.unpack(">I", body[:4])[0]
    elif major == 4 and flags & 0x40:
        pos = _syncsafe(body[:4]) or len(body)
    header_size = 6 if major == 2 else 10
    found: list[tuple[int, EmbeddedCover]] = []
    for _ in range(_MAX_STEPS):
        if pos + header_size > len(body) or body[pos] == 0:
            break
        frame_id = body[pos : pos + (3 if major == 2 else 4)]
        if not all(48 <= c <= 57 or 65 <= c <= 90 for c in frame_id):
            break
        if major == 2:
            size = int.from_bytes(body[pos + 3 : pos + 6], "big")
            frame_flags = 0
        elif major == 3:
            size = struct.unpack(">I", body[pos + 4 : pos + 8])[0]
            frame_flags = body[pos + 9]
        else:
            raw = body[pos + 4 : pos + 8]
            synced = _syncsafe(raw)
            plain = struct.unpack(">I", raw)[0]
            # Some writers put plain sizes in v2.4 tags; believe the one that lands on a frame.
            if synced is None or (
                not _plausible_frame_at(body, pos + 10 + synced)
                and _plausible_frame_at(body, pos + 10 + plain)
            ):
                size = plain
            else:
                size = synced
            frame_flags = body[pos + 9]
        start = pos + header_size
        data = body[start : start + size]
        pos = start + size
        if len(data) < size:
            break
        if frame_id not in (b"APIC", b"PIC"):
            continue
        picture_data = _frame_payload(data, major, frame_flags, bool(flags & 0x80), max_size)
        if picture_data is None:
            continue
        picture = _picture_frame(frame_id, picture_data, max_size)
        if picture is not None:
            if picture[0] == _FRONT_COVER:
                return picture[1]
            found.append(picture)
    return found[0][1] if found else None


def _frame_payload(
    data: bytes, major: int, flags: int, tag_unsync: bool, max_size: int
) -> bytes | None:
    """A v2.3/v2.4 frame's content with its flags undone (None: encrypted or broken)."""
    if major == 2:
        return data
    if major == 3:
        compressed, encrypted, grouped = flags & 0x80, flags & 0x40, flags & 0x20
        if encrypted:
            return None
        skip = (4 if compressed else 0) + (1 if grouped else 0)
        data = data[skip:]
    else:
        grouped, compressed, encrypted = flags & 0x40, flags & 0x08, flags & 0x04
        unsync, has_length = flags & 0x02, flags & 0x01
        if encrypted:
            return None
        data = data[(1 if grouped else 0) + (4 if has_length else 0) :]
        if unsync or tag_unsync:
            data = _undo_unsync(data)
    if compressed:
        inflater = zlib.decompressobj()
        data = inflater.decompress(data, max_size + _TAG_OVERHEAD)
        if inflater.unconsumed_tail:
            return None  # larger than any picture we would keep
    return data


# -------------------------------------------------------------------------- FLAC


def _flac_picture(block: bytes, max_size: int) -> tuple[int, EmbeddedCover] | None:
    picture_type, mime_length = struct.unpack(">II", block[:8])
    pos = 8 + mime_length
    declared = block[8:pos].decode("ascii", "replace")
    (description_length,) = struct.unpack(">I", block[pos : pos + 4])
    pos += 4 + description_length + 16
    (length,) = struct.unpack(">I", block[pos : pos + 4])
    pos += 4
    picture = block[pos : pos + length]
    if length == 0 or len(picture) != length or length > max_size:
        return None
    content_type = _content_type(picture, declared)
    return None if content_type is None else (picture_type, EmbeddedCover(picture, content_type))


def _flac_cover(file: BinaryIO, max_size: int) -> EmbeddedCover | None:
    found: list[tuple[int, EmbeddedCover]] = []
    for _ in range(_MAX_STEPS):
        header = file.read(4)
        if len(header) < 4:
            break
        kind, length = header[0] & 0x7F, int.from_bytes(header[1:4], "big")
        if kind == 6 and length <= max_size + _TAG_OVERHEAD:
            picture = _flac_picture(file.read(length), max_size)
            if picture is not None:
                if picture[0] == _FRONT_COVER:
                    return picture[1]
                found.append(picture)
        else:
            file.seek(length, os.SEEK_CUR)
        if header[0] & 0x80:
            break
    return found[0][1] if found else None


# ------------------------------------------------------------------------- files


def _read_id3_at(file: BinaryIO, limit: int | None, max_size: int) -> EmbeddedCover | None:
    start = file.tell()
    header = file.read(10)
    total = _id3_tag_size(header)
    if total is None:
        return None
    budget = min(total, max_size + _TAG_OVERHEAD)
    if limit is not None:
        budget = min(budget, limit)
    file.seek(start)
    return cover_from_id3(file.read(budget), max_size=max_size)


def _chunked_cover(file: BinaryIO, byteorder: str, max_size: int) -> EmbeddedCover | None:
    """The cover in the ``id3 ``/``ID3 `` chunk of a RIFF (WAV) or IFF (AIFF) file."""
    file.seek(12)
    for _ in range(_MAX_STEPS):
        header = file.read(8)
        if len(header) < 8:
            return None
        chunk_id = header[:4]
        length = int.from_bytes(header[4:8], "little" if byteorder == "little" else "big")
        if chunk_id in (b"id3 ", b"ID3 "):
            return _read_id3_at(file, length, max_size)
        file.seek(length + (length & 1), os.SEEK_CUR)
    return None


def read_cover(
    path: str | os.PathLike[str], *, max_size: int = DEFAULT_MAX_SIZE
) -> EmbeddedCover | None:
    """The picture embedded in the audio file at ``path``, or None.

    Reads MP3 (ID3v2), FLAC, WAV and AIFF. Blocking file I/O: run it in a
    thread from async code. Unreadable files and files without a usable picture
    give None; only a bad ``max_size`` raises (TypeError/ValueError).
    """
    _check_max_size(max_size)
    try:
        with open(path, "rb") as file:
            head = file.read(12)
            if head[:3] == b"ID3":
                file.seek(0)
                cover = _read_id3_at(file, None, max_size)
                if cover is not None:
                    return cover
                # FLAC files sometimes carry an ID3 tag in front of their own metadata.
                file.seek(_id3_tag_size(head[:10]) or 0)
                if file.read(4) == b"fLaC":
                    return _flac_cover(file, max_size)
                return None
            if head[:4] == b"fLaC":
                file.seek(4)
                return _flac_cover(file, max_size)
            if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
                return _chunked_cover(file, "little", max_size)
            if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
                return _chunked_cover(file, "big", max_size)
            return None
    except (OSError, ValueError, IndexError, struct.error, zlib.error, UnicodeError) as error:
        _log.debug("no cover read from %s: %s", path, error)
        return None
