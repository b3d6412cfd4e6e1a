"""Music-like audio made in pure Python, and WAV files with LIST/INFO tags.

Every note has an integer frequency, so a note's waveform is an exact lookup
into one table holding one second of a single cycle shape: no ``sin`` per
sample, and a 25-second track takes a fraction of a second to make.
"""

from __future__ import annotations

import array
import math
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "INFO_TAGS",
    "SAMPLE_RATE",
    "Note",
    "TrackScore",
    "equal_tempered",
    "read_info_tags",
    "render_score",
    "wav_bytes",
    "write_wav",
]

SAMPLE_RATE = 22050

#: The RIFF INFO fields the demo writes, and the tag names players read them as.
INFO_TAGS = {
    "INAM": "title",
    "IART": "artist",
    "IPRD": "album",
    "IGNR": "genre",
    "ICRD": "date",
    "ICMT": "comment",
    "ITRK": "track",
}


@dataclass(frozen=True)
class Note:
    """One voice: ``frequencies`` (Hz, integers) sounding together from ``start`` for ``length``."""

    start: float
    length: float
    frequencies: tuple[int, ...]
    gain: float
    #: Seconds for the sound to fall to 1/e after the attack (how plucked or held).
    decay: float
    #: -1 (left) .. 1 (right); only used for stereo tracks.
    pan: float = 0.0


@dataclass(frozen=True)
class TrackScore:
    """A whole track: its notes, its length, its timbre (harmonic amplitudes) and channels."""

    seconds: float
    notes: tuple[Note, ...]
    harmonics: tuple[float, ...]
    channels: int = 1


@lru_cache(maxsize=8)
def _cycle_table(harmonics: tuple[float, ...]) -> list[float]:
    # One cycle over SAMPLE_RATE points: a note of f Hz reads index (k * f) % SAMPLE_RATE.
    step = 2 * math.pi / SAMPLE_RATE
    table = [0.0] * SAMPLE_RATE
    for order, amplitude in enumerate(harmonics, start=1):
        if amplitude:
            wave = [amplitude * math.sin(step * order * n) for n in range(SAMPLE_RATE)]
            table = [a + b for a, b in zip(table, wave, strict=True)]
    return table


@lru_cache(maxsize=64)
def _envelope(frames: int, decay: float) -> list[float]:
    attack = max(1, int(0.012 * SAMPLE_RATE))
    release = min(frames // 4, int(0.08 * SAMPLE_RATE))
    falloff = -1.0 / (decay * SAMPLE_RATE)
    curve = [math.exp(falloff * k) for k in range(frames)]
    for k in range(min(attack, frames)):
        curve[k] *= k / attack
    for k in range(release):
        curve[frames - 1 - k] *= k / release
    return curve


def _voice(note: Note, table: list[float], frames: int) -> list[float]:
    # The chord repeats exactly every second (integer frequencies): build one
    # second, repeat it, then shape it.
    period = min(frames, SAMPLE_RATE)
    one_second = [0.0] * period
    for frequency in note.frequencies:
        one_second = [s + table[(k * frequency) % SAMPLE_RATE] for k, s in enumerate(one_second)]
    repeats = -(-frames // period)
    wave = (one_second * repeats)[:frames]
    gain = note.gain
    return [gain * e * w for e, w in zip(_envelope(frames, note.decay), wave, strict=True)]


def render_score(score: TrackScore) -> bytes:
    """16-bit little-endian PCM of ``score``, interleaved when stereo, peak-normalised."""
    total = int(score.seconds * SAMPLE_RATE)
    table = _cycle_table(score.harmonics)
    mixes = [[0.0] * total for _ in range(score.channels)]
    for note in score.notes:
        start = int(note.start * SAMPLE_RATE)
        if start >= total:
            continue
        frames = min(int(note.length * SAMPLE_RATE), total - start)
        if frames <= 0:
            continue
        voice = _voice(note, table, frames)
        end = start + frames
        if score.channels == 1:
            gains = [1.0]
        else:
            angle = (note.pan + 1) * math.pi / 4
            gains = [math.cos(angle), math.sin(angle)]
        for mix, gain in zip(mixes, gains, strict=True):
            mix[start:end] = [m + gain * v for m, v in zip(mix[start:end], voice, strict=True)]
    peak = max(max(map(abs, mix), default=0.0) for mix in mixes) or 1.0
    scale = 0.8 * 32767 / peak
    if score.channels == 1:
        interleaved = mixes[0]
    else:
        interleaved = [0.0] * (total * score.channels)
        for channel, mix in enumerate(mixes):
            interleaved[channel :: score.channels] = mix
    pcm = array.array("h", [int(v * scale) for v in interleaved])
    if sys.byteorder != "little":
        pcm.byteswap()
    return pcm.tobytes()


def _info_chunk(tags: Mapping[str, str]) -> bytes:
    body = b"INFO"
    for key, value in tags.items():
        if key not in INFO_TAGS:
            raise ValueError(f"unknown INFO tag {key!r}; known: {', '.join(INFO_TAGS)}")
        data = value.encode("utf-8") + b"\x00"
        body += key.encode("ascii") + struct.pack("<I", len(data)) + data
        if len(data) % 2:
            body += b"\x00"
    return b"LIST" + struct.pack("<I", len(body)) + body


def wav_bytes(
    pcm: bytes, *, channels: int, sample_rate: int = SAMPLE_RATE, tags: Mapping[str, str]
) -> bytes:
    """A RIFF WAVE file of 16-bit ``pcm`` with a LIST/INFO chunk of ``tags`` before the data."""
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 or 2, not {channels}")
    if len(pcm) % (2 * channels):
        raise ValueError(f"pcm holds {len(pcm)} bytes, not whole {channels}-channel frames")
    block = 2 * channels
    fmt = struct.pack("<HHIIHH", 1, channels, sample_rate, sample_rate * block, block, 16)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + _info_chunk(tags)
    chunks += b"data" + struct.pack("<I", len(pcm)) + pcm
    if len(pcm) % 2:
        chunks += b"\x00"
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def write_wav(
    path: Path,
    pcm: bytes,
    *,
    channels: int,
    sample_rate: int = SAMPLE_RATE,
    tags: Mapping[str, str],
) -> None:
    """Write :func:`wav_bytes` to ``path`` atomically (a reader never sees half a file)."""
    data = wav_bytes(pcm, channels=channels, sample_rate=sample_rate, tags=tags)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    partial.replace(path)


def read_info_tags(data: bytes) -> dict[str, str]:
    """The LIST/INFO tags of a RIFF WAVE file, by :data:`INFO_TAGS` name (for tests and tools)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAVE file")
    found: dict[str, str] = {}
    offset = 12
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        body = data[offset + 8 : offset + 8 + size]
        if kind == b"LIST" and body[:4] == b"INFO":
            inner = 4
            while inner + 8 <= len(body):
                key = body[inner : inner + 4].decode("ascii", "replace")
                (length,) = struct.unpack("<I", body[inner + 4 : inner + 8])
                value = body[inner + 8 : inner + 8 + length].rstrip(b"\x00")
                if key in INFO_TAGS:
                    found[INFO_TAGS[key]] = value.decode("utf-8", "replace")
                inner += 8 + length + (length % 2)
        offset += 8 + size + (size % 2)
    return found


def equal_tempered(semitones_from_a4: Sequence[int]) -> tuple[int, ...]:
    """Integer frequencies (Hz) of notes given as semitones from A4 (440 Hz)."""
    return tuple(round(440 * 2 ** (s / 12)) for s in semitones_from_a4)
