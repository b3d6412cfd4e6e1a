"""Media for the examples, made on the spot with the standard library (nothing is downloaded).

``make_episodes(directory)`` writes a few quiet WAV tones and a PNG cover for
each, and returns them as queue items.
"""

from __future__ import annotations

import array
import math
import struct
import sys
import wave
import zlib
from datetime import timedelta
from pathlib import Path

from audio_service import MediaItem

#: (title, tone in Hz, cover colour) of each episode.
EPISODES = [
    ("Welcome to the show", 330.0, (214, 92, 38)),
    ("Interview with a tuning fork", 440.0, (38, 120, 214)),
    ("Listener questions", 550.0, (46, 160, 67)),
]
PODCAST = "The Example Podcast"
HOST = "Ada Example"


def write_tone(path: Path, seconds: float, frequency: float, rate: int = 22050) -> None:
    """A quiet mono sine tone as a 16-bit WAV file."""
    step = 2 * math.pi * frequency / rate
    samples = array.array(
        "h", (round(2000 * math.sin(step * n)) for n in range(round(seconds * rate)))
    )
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    frames = samples.tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def write_cover(path: Path, rgb: tuple[int, int, int], size: int = 96) -> None:
    """A square PNG of one colour with a lighter frame."""
    light = tuple(min(255, c + 80) for c in rgb)
    rows = []
    for y in range(size):
        edge_row = y < 6 or y >= size - 6
        row = bytearray(b"\0")
        for x in range(size):
            row += bytes(light if edge_row or x < 6 or x >= size - 6 else rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def make_episodes(directory: Path, seconds: float = 30.0) -> list[MediaItem]:
    """Write the episodes into ``directory`` (if missing) and return them as queue items."""
    directory.mkdir(parents=True, exist_ok=True)
    items = []
    for number, (title, frequency, colour) in enumerate(EPISODES, start=1):
        audio, cover = directory / f"episode{number}.wav", directory / f"episode{number}.png"
        if not audio.exists():
            write_tone(audio, seconds, frequency)
        if not cover.exists():
            write_cover(cover, colour)
        items.append(
            MediaItem(
                id=str(audio),
                title=title,
                artist=HOST,
                album=PODCAST,
                duration=timedelta(seconds=seconds),
                art_uri=cover.as_uri(),
            )
        )
    return items
