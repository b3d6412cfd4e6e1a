"""Test media made on the spot: WAV tones with tags and covers, ID3 tags, FLAC headers, PNGs.

Everything is generated from scratch with the standard library, so the player
tests need no fixtures on disk and no encoder. The files are real: libmpv
(through FFmpeg) reads their audio, their ``LIST/INFO`` tags and their ``id3 ``
chunk, and :mod:`audio_service.players._covers` reads their cover.
"""

from __future__ import annotations

import array
import asyncio
import math
import os
import struct
import sys
import zlib
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "INFO_FIELDS",
    "MediaServer",
    "flac_head",
    "id3v2_tag",
    "tiny_png",
    "tone_pcm",
    "tone_wav",
    "write_tone_wav",
]

#: Tag names accepted by :func:`write_tone_wav` and :func:`id3v2_tag`, with their RIFF INFO ids.
INFO_FIELDS: Mapping[str, bytes] = {
    "title": b"INAM",
    "artist": b"IART",
    "album": b"IPRD",
    "genre": b"IGNR",
    "date": b"ICRD",
    "track": b"ITRK",
    "comment": b"ICMT",
}

_ID3_TEXT_FRAMES: Mapping[str, bytes] = {
    "title": b"TIT2",
    "artist": b"TPE1",
    "album": b"TALB",
    "genre": b"TCON",
    "track": b"TRCK",
}


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A valid PNG of one colour (8-bit RGB); different colours give different bytes."""
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be > 0, not {width}x{height}")

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\0" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def tone_pcm(
    seconds: float, freq: float, *, rate: int = 22050, amplitude: float = 0.3, bits: int = 16
) -> bytes:
    """Mono samples of a sine, with 10 ms fades against clicks.

    16 bits: signed little-endian; 8 bits: unsigned (as WAV stores them).
    """
    if bits not in (8, 16):
        raise ValueError(f"bits must be 8 or 16, not {bits!r}")
    if not seconds > 0 or not math.isfinite(seconds):
        raise ValueError(f"seconds must be > 0, not {seconds!r}")
    count = round(seconds * rate)
    fade = max(1, min(count // 2, rate // 100))
    peak = (32767 if bits == 16 else 127) * amplitude
    offset = 0 if bits == 16 else 128
    step = 2 * math.pi * freq / rate
    samples = array.array(
        "h" if bits == 16 else "B",
        (
            offset + int(peak * math.sin(step * n) * min(1.0, n / fade, (count - 1 - n) / fade))
            for n in range(count)
        ),
    )
    if bits == 16 and sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _syncsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def id3v2_tag(
    *,
    tags: Mapping[str, str] | None = None,
    cover: bytes | None = None,
    cover_mime: str = "image/png",
    picture_type: int = 3,
    description: str = "Cover",
    version: int = 3,
    extra_frames: bytes = b"",
) -> bytes:
    """An ID3v2.3 or v2.4 tag with text frames for ``tags`` and an APIC frame for ``cover``.

    v2.3 writes text as UTF-16 with a BOM, v2.4 as UTF-8 with syncsafe frame
    sizes. ``extra_frames`` (already encoded) go before the picture.
    """
    if version not in (3, 4):
        raise ValueError(f"version must be 3 or 4, not {version!r}")
    encoding, terminator = (b"\x01", b"\0\0") if version == 3 else (b"\x03", b"\0")

    def text(value: str) -> bytes:
        return value.encode("utf-16") if version == 3 else value.encode("utf-8")

    def frame(frame_id: bytes, body: bytes) -> bytes:
        size = struct.pack(">I", len(body)) if version == 3 else _syncsafe(len(body))
        return frame_id + size + b"\0\0" + body

    frames = []
    for name, value in (tags or {}).items():
        frame_id = _ID3_TEXT_FRAMES.get(name)
        if frame_id is None:
            raise ValueError(f"tags: no ID3 frame for {name!r} (known: {sorted(_ID3_TEXT_FRAMES)})")
        frames.append(frame(frame_id, encoding + text(value)))
    frames.append(extra_frames)
    if cover is not None:
        body = (
            encoding
            + cover_mime.encode("latin-1")
            + b"\0"
            + bytes([picture_type])
            + text(description)
            + terminator
            + cover
        )
        frames.append(frame(b"APIC", body))
    payload = b"".join(frames) + b"\0" * 16  # some padding, as taggers leave
    return b"ID3" + bytes([version, 0, 0]) + _syncsafe(len(payload)) + payload


def _riff_chunk(chunk_id: bytes, body: bytes) -> bytes:
    return chunk_id + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def write_tone_wav(
    path: str | os.PathLike[str],
    seconds: float = 1.0,
    freq: float = 440.0,
    *,
    rate: int = 22050,
    amplitude: float = 0.3,
    bits: int = 16,
    tags: Mapping[str, str] | None = None,
    cover_png: bytes | None = None,
    id3_version: int = 3,
) -> Path:
    """Write :func:`tone_wav` to ``path`` (same arguments); returns the path."""
    target = Path(path)
    target.write_bytes(
        tone_wav(
            seconds,
            freq,
            rate=rate,
            amplitude=amplitude,
            bits=bits,
            tags=tags,
            cover_png=cover_png,
            id3_version=id3_version,
        )
    )
    return target


def tone_wav(
    seconds: float = 1.0,
    freq: float = 440.0,
    *,
    rate: int = 22050,
    amplitude: float = 0.3,
    bits: int = 16,
    tags: Mapping[str, str] | None = None,
    cover_png: bytes | None = None,
    id3_version: int = 3,
) -> bytes:
    """A mono WAV file of a sine tone (16-bit, or 8-bit with ``bits=8``).

    (FFmpeg probes 16-bit WAV for DTS over its first 128 KiB before playing it; an
    8-bit one plays from its first bytes, which a stalling stream needs.)

    ``tags`` (keys from :data:`INFO_FIELDS`) go into a ``LIST/INFO`` chunk.
    ``cover_png`` adds an ``id3 `` chunk after the audio with an APIC front
    cover (and the text tags again, as ID3 frames where ID3 has one).
    """
    for name in tags or {}:
        if name not in INFO_FIELDS:
            raise ValueError(f"tags: unknown field {name!r} (known: {sorted(INFO_FIELDS)})")
    pcm = tone_pcm(seconds, freq, rate=rate, amplitude=amplitude, bits=bits)
    width = bits // 8
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * width, width, bits)
    chunks = [_riff_chunk(b"fmt ", fmt)]
    if tags:
        info = b"".join(
            _riff_chunk(INFO_FIELDS[name], value.encode("utf-8") + b"\0")
            for name, value in tags.items()
        )
        chunks.append(_riff_chunk(b"LIST", b"INFO" + info))
    chunks.append(_riff_chunk(b"data", pcm))
    if cover_png is not None:
        id3_tags = {k: v for k, v in (tags or {}).items() if k in _ID3_TEXT_FRAMES}
        tag = id3v2_tag(tags=id3_tags, cover=cover_png, version=id3_version)
        chunks.append(_riff_chunk(b"id3 ", tag))
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def flac_head(picture: bytes | None, *, mime: str = "image/png", picture_type: int = 3) -> bytes:
    """The metadata part of a FLAC file: STREAMINFO, a PADDING block, a PICTURE block.

    No audio frames follow: enough for cover extraction, not for playback.
    """

    def block(kind: int, body: bytes, last: bool) -> bytes:
        return bytes([kind | (0x80 if last else 0)]) + len(body).to_bytes(3, "big") + body

    streaminfo = bytes(34)
    blocks = [block(0, streaminfo, False), block(1, bytes(8), picture is None)]
    if picture is not None:
        desc = b"front"
        body = (
            struct.pack(">II", picture_type, len(mime))
            + mime.encode("ascii")
            + struct.pack(">I", len(desc))
            + desc
            + struct.pack(">IIIII", 2, 2, 24, 0, len(picture))
            + picture
        )
        blocks.append(block(6, body, True))
    return b"fLaC" + b"".join(blocks)


class MediaServer:
    """A small HTTP/1.1 server on 127.0.0.1 that serves media the way a slow network would.

    ``add(path, body, content_type)`` serves bytes; ``stall_after`` sends only that
    many bytes, then waits for :attr:`release` before sending the rest (a network
    that stalls mid-stream). Range requests are answered (206) unless ``ranges``
    is False: then the body goes out like a live stream's, with no length and no
    seeking, ending when the connection closes. Runs in the test's event loop.
    """

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str, int | None, bool]] = {}
        self.release = asyncio.Event()
        self.requests: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        stall_after: int | None = None,
        ranges: bool = True,
    ) -> str:
        """Serve ``body`` at ``path``; returns its URL."""
        self.routes[path] = (body, content_type, stall_after, ranges)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> MediaServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release.set()
        if self._server is not None:
            self._server.close()
            for writer in tuple(self._writers):
                writer.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.split("\r\n")
                path = request_line.split(" ")[1]
                self.requests.append(path)
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                route = self.routes.get(path)
                if route is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                body, content_type, stall_after, ranges = route
                start = 0
                status = "200 OK"
                extra = "Accept-Ranges: bytes\r\n" if ranges else ""
                wanted = headers.get("range", "") if ranges else ""
                if wanted.startswith("bytes=") and wanted[6:].split("-")[0].isdigit():
                    start = min(int(wanted[6:].split("-")[0]), len(body))
                    status = "206 Partial Content"
                    extra += f"Content-Range: bytes {start}-{len(body) - 1}/{len(body)}\r\n"
                length = f"Content-Length: {len(body) - start}\r\n" if ranges else ""
                response = (
                    f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{length}{extra}"
                    f"Connection: {'keep-alive' if ranges else 'close'}\r\n\r\n"
                )
                writer.write(response.encode("latin-1"))
                if stall_after is not None and start < stall_after and not self.release.is_set():
                    writer.write(body[start:stall_after])
                    await writer.drain()
                    await self.release.wait()
                    start = stall_after
                writer.write(body[start:])
                await writer.drain()
                if not ranges:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
