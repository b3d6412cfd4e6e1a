"""The demo's media: music-like tracks, spoken episodes and an article, made locally.

:func:`ensure_catalogue` writes everything into
``$XDG_DATA_HOME/audio-service-kit/demo`` on first use (no network): WAV files
with LIST/INFO tags, a PNG cover per item, and ``catalogue.json``. Later calls
read the manifest and only remake what is missing or came from an older
generator (:data:`CATALOGUE_VERSION`), so they take milliseconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import random
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from audio_service._model._models import MediaItem
from audio_service.demo._png import encode_png
from audio_service.demo._synth import (
    SAMPLE_RATE,
    Note,
    TrackScore,
    equal_tempered,
    render_score,
    write_wav,
)

__all__ = [
    "ARTICLE_ID",
    "ARTICLE_TEXT",
    "ARTICLE_TITLE",
    "CATALOGUE_VERSION",
    "MUSIC_FOLDER",
    "SPOKEN_FOLDER",
    "Catalogue",
    "default_catalogue_dir",
    "ensure_catalogue",
]

#: Bump when what the generator writes changes: older files are then remade.
CATALOGUE_VERSION = 1
MANIFEST = "catalogue.json"

MUSIC_FOLDER = "music"
SPOKEN_FOLDER = "spoken"
ARTICLE_ID = "spoken/article"
ARTICLE_TITLE = "A note about this demo"
#: The reader's article. The first sentence is short, so the tour hears one quickly.
ARTICLE_TEXT = (
    "Hello from the reader. "
    "This article is read aloud by espeak-ng, one sentence per queue item. "
    "Skip forward and back by sentence, pause in the middle of one, or change the speed. "
    "When a call comes in, the reader pauses, and it resumes when the call ends. "
    "Unplug your headphones and it stops talking to the room."
)

_ALBUM = "Synthetic Afternoons"
_ARTIST = "The Integer Hertz Ensemble"
_PODCAST = "The Audio Service Kit Podcast"
_HOST = "The Demo Host"

Kind = Literal["music", "episode"]


@dataclass(frozen=True)
class _Track:
    slug: str
    title: str
    seconds: float
    tempo: int
    key: int
    progression: tuple[tuple[int, ...], ...]
    beats_per_bar: int
    harmonics: tuple[float, ...]
    channels: int
    seed: int
    art: str
    colours: tuple[tuple[int, int, int], tuple[int, int, int]]


@dataclass(frozen=True)
class _Episode:
    slug: str
    title: str
    text: str
    art: str
    colours: tuple[tuple[int, int, int], tuple[int, int, int]]


_MAJOR = (0, 2, 4, 5, 7, 9, 11)

_TRACKS = (
    _Track(
        "morning-sine",
        "Morning Sine",
        24.0,
        104,
        -9,
        ((0, 2, 4), (5, 0, 2), (3, 5, 0), (4, 6, 1)),
        4,
        (1.0, 0.35, 0.12, 0.05),
        1,
        1,
        "rings",
        ((250, 190, 60), (40, 60, 140)),
    ),
    _Track(
        "square-dance",
        "Square Dance",
        20.0,
        128,
        -7,
        ((0, 2, 4), (3, 5, 0), (4, 6, 1), (0, 2, 4)),
        4,
        (1.0, 0.0, 0.33, 0.0, 0.2, 0.0, 0.14),
        1,
        2,
        "checks",
        ((230, 60, 90), (20, 20, 30)),
    ),
    _Track(
        "slow-chords",
        "Slow Chords",
        28.0,
        72,
        -4,
        ((0, 2, 4), (5, 0, 2), (1, 3, 5), (4, 6, 1)),
        4,
        (1.0, 0.5, 0.2, 0.1, 0.05),
        2,
        3,
        "stripes",
        ((60, 200, 170), (30, 40, 70)),
    ),
    _Track(
        "tiny-waltz",
        "Tiny Waltz",
        22.0,
        150,
        -2,
        ((0, 2, 4), (4, 6, 1), (4, 6, 1), (0, 2, 4), (3, 5, 0), (0, 2, 4), (4, 6, 1), (0, 2, 4)),
        3,
        (1.0, 0.6, 0.3, 0.15),
        2,
        4,
        "diamond",
        ((180, 120, 250), (250, 240, 220)),
    ),
)

_EPISODES = (
    _Episode(
        "welcome",
        "Episode 1: Welcome",
        "Welcome to the audio service kit podcast. This episode was spoken by espeak-ng "
        "on your own machine a moment ago, and it is played by the same background service "
        "that plays the music. Close the terminal user interface whenever you like: the "
        "service keeps playing, and running the demo again reconnects to it. Try the media "
        "keys, or playerctl from another terminal.",
        "plasma",
        ((255, 140, 40), (90, 20, 80)),
    ),
    _Episode(
        "interruptions",
        "Episode 2: Interruptions",
        "This episode is about interruptions. When another application starts a phone call, "
        "the player pauses, and when the call ends it resumes, but only if it was playing "
        "before. A short notification sound only lowers the volume for a moment. And when "
        "the headphones are unplugged, playback pauses instead of blasting the room.",
        "waves",
        ((40, 160, 255), (10, 30, 60)),
    ),
)


def default_catalogue_dir() -> Path:
    """``$XDG_DATA_HOME/audio-service-kit/demo`` (``~/.local/share`` without the variable)."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "audio-service-kit" / "demo"


@dataclass(frozen=True)
class Catalogue:
    """The generated media as :class:`~audio_service.MediaItem` s, with browse folders."""

    directory: Path
    music: tuple[MediaItem, ...]
    episodes: tuple[MediaItem, ...]
    article: MediaItem
    #: Things the user should know (e.g. espeak-ng missing, so no episodes).
    notes: tuple[str, ...] = ()
    generated: tuple[str, ...] = field(default=(), compare=False)

    @property
    def folders(self) -> tuple[MediaItem, ...]:
        """The browse root's children: the music folder and the spoken folder."""
        return (
            MediaItem(id=MUSIC_FOLDER, title="Music", playable=False, album=_ALBUM),
            MediaItem(id=SPOKEN_FOLDER, title="Spoken", playable=False, album=_PODCAST),
        )

    @property
    def playlist(self) -> tuple[MediaItem, ...]:
        """What the music player queues: the tracks, then the episodes."""
        return self.music + self.episodes

    def children(self, folder: str) -> tuple[MediaItem, ...]:
        """The items of browse ``folder`` (``music`` or ``spoken``); unknown folders are empty."""
        if folder == MUSIC_FOLDER:
            return self.music
        if folder == SPOKEN_FOLDER:
            return (*self.episodes, self.article)
        return ()

    def find(self, media_id: str) -> MediaItem | None:
        """The item with ``media_id``, wherever it is."""
        for item in (*self.music, *self.episodes, self.article):
            if item.id == media_id:
                return item
        return None


# --------------------------------------------------------------------- generation


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two demos starting at once make the files once, not twice in each other's way.
    with open(directory / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_catalogue(directory: Path | None = None, *, espeak: str = "espeak-ng") -> Catalogue:
    """The catalogue in ``directory`` (default :func:`default_catalogue_dir`), made if needed.

    Idempotent: files that exist with the recorded size and generator version
    are kept. Spoken episodes need ``espeak`` (espeak-ng); without it the
    catalogue has no episodes and says so in :attr:`Catalogue.notes`.
    """
    directory = default_catalogue_dir() if directory is None else Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        manifest = _read_manifest(directory)
        entries: list[dict[str, Any]] = []
        generated: list[str] = []
        notes: list[str] = []
        for number, track in enumerate(_TRACKS, start=1):
            entry = manifest.get(f"{MUSIC_FOLDER}/{track.slug}")
            if entry is None or not _intact(directory, entry):
                entry = _make_track(directory, track, number)
                generated.append(entry["id"])
            entries.append(entry)
        speaker = shutil.which(espeak)
        for number, episode in enumerate(_EPISODES, start=1):
            entry = manifest.get(f"{SPOKEN_FOLDER}/{episode.slug}")
            if entry is None or not _intact(directory, entry):
                if speaker is None:
                    continue
                try:
                    entry = _make_episode(directory, episode, number, speaker)
                except (OSError, subprocess.SubprocessError, wave.Error) as error:
                    notes.append(f"could not speak {episode.title!r}: {error}")
                    continue
                generated.append(entry["id"])
            entries.append(entry)
        if speaker is None and not any(e["kind"] == "episode" for e in entries):
            notes.append(f"{espeak} is not installed: no spoken episodes (Debian: espeak-ng)")
        article_art = _make_art(
            directory,
            f"article-v{CATALOGUE_VERSION}",
            "page",
            ((40, 40, 70), (245, 238, 220)),
            force=False,
        )
        if generated or not (directory / MANIFEST).exists():
            _write_manifest(directory, entries)
    music = tuple(_item(directory, e) for e in entries if e["kind"] == "music")
    episodes = tuple(_item(directory, e) for e in entries if e["kind"] == "episode")
    article = MediaItem(
        id=ARTICLE_ID,
        title=ARTICLE_TITLE,
        album="Articles",
        artist="audio-service-kit",
        genre="Speech",
        art_uri=article_art.as_uri(),
        display_description="read aloud by the reader (espeak-ng)",
        extras={"text": ARTICLE_TEXT, "kind": "article"},
    )
    return Catalogue(directory, music, episodes, article, tuple(notes), tuple(generated))


def _read_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CATALOGUE_VERSION:
        return {}
    items = data.get("items")
    if not isinstance(items, list):
        return {}
    return {e["id"]: e for e in items if isinstance(e, dict) and isinstance(e.get("id"), str)}


def _write_manifest(directory: Path, entries: list[dict[str, Any]]) -> None:
    text = json.dumps({"version": CATALOGUE_VERSION, "items": entries}, indent=1)
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp") as file:
        file.write(text)
    os.replace(file.name, directory / MANIFEST)


def _intact(directory: Path, entry: dict[str, Any]) -> bool:
    try:
        audio = directory / entry["file"]
        art = directory / entry["art"]
        return (
            audio.stat().st_size == entry["size"]
            and art.stat().st_size == entry["art_size"]
            and isinstance(entry.get("duration_ms"), int)
        )
    except (OSError, KeyError, TypeError):
        return False


def _item(directory: Path, entry: dict[str, Any]) -> MediaItem:
    path = directory / entry["file"]
    return MediaItem(
        id=entry["id"],
        title=entry["title"],
        artist=entry["artist"],
        album=entry["album"],
        genre=entry["genre"],
        duration=timedelta(milliseconds=entry["duration_ms"]),
        art_uri=(directory / entry["art"]).as_uri(),
        extras={"uri": str(path), "kind": entry["kind"], "track": entry["track"]},
    )


def _entry(
    directory: Path,
    *,
    media_id: str,
    kind: Kind,
    title: str,
    artist: str,
    album: str,
    genre: str,
    track: int,
    audio: Path,
    art: Path,
    frames: int,
    rate: int,
) -> dict[str, Any]:
    return {
        "id": media_id,
        "kind": kind,
        "title": title,
        "artist": artist,
        "album": album,
        "genre": genre,
        "track": track,
        "file": audio.name,
        "size": audio.stat().st_size,
        "art": art.name,
        "art_size": art.stat().st_size,
        "duration_ms": frames * 1000 // rate,
    }


def _make_track(directory: Path, track: _Track, number: int) -> dict[str, Any]:
    score = _compose(track)
    pcm = render_score(score)
    audio = directory / f"{number:02d}-{track.slug}.wav"
    tags = {
        "INAM": track.title,
        "IART": _ARTIST,
        "IPRD": _ALBUM,
        "IGNR": "Electronic",
        "ICRD": "2024",
        "ITRK": str(number),
        "ICMT": "synthesized by audio-service demo",
    }
    write_wav(audio, pcm, channels=track.channels, tags=tags)
    art = _make_art(directory, track.slug, track.art, track.colours)
    return _entry(
        directory,
        media_id=f"{MUSIC_FOLDER}/{track.slug}",
        kind="music",
        title=track.title,
        artist=_ARTIST,
        album=_ALBUM,
        genre="Electronic",
        track=number,
        audio=audio,
        art=art,
        frames=len(pcm) // (2 * track.channels),
        rate=SAMPLE_RATE,
    )


def _compose(track: _Track) -> TrackScore:
    """Chords on every bar, a bass note on each beat one, a plucked melody on the beats."""
    beat = 60.0 / track.tempo
    bar = beat * track.beats_per_bar
    rng = random.Random(track.seed)
    notes: list[Note] = []
    bars = math.ceil(track.seconds / bar)
    melody_degree = 7
    for index in range(bars):
        start = index * bar
        chord = track.progression[index % len(track.progression)]
        # Chord tones in the octave below A4, the root an octave lower as bass.
        pitches = [track.key + _degree(d) - 12 for d in chord]
        notes.append(Note(start, bar * 1.05, equal_tempered(pitches), 0.18, bar * 1.5, pan=-0.4))
        notes.append(
            Note(start, bar, equal_tempered([track.key + _degree(chord[0]) - 24]), 0.35, bar * 0.8)
        )
        last = index == bars - 1
        for step in range(track.beats_per_bar * (1 if last else 2)):
            if rng.random() < 0.2 and step:
                continue
            melody_degree = max(0, min(14, melody_degree + rng.choice((-2, -1, -1, 1, 1, 2))))
            if rng.random() < 0.5:
                # Lean on the chord: snap to the nearest chord tone.
                melody_degree = min(
                    (d + 7 * o for d in chord for o in (0, 1, 2)),
                    key=lambda t: abs(t - melody_degree),
                )
            pitch = track.key + _degree(melody_degree)
            length = beat / 2 if not last else bar
            notes.append(
                Note(
                    start + step * beat / 2,
                    length * 1.6,
                    equal_tempered([pitch]),
                    0.3,
                    0.35 if not last else 1.0,
                    pan=0.5,
                )
            )
    return TrackScore(track.seconds, tuple(notes), track.harmonics, track.channels)


def _degree(degree: int) -> int:
    octave, step = divmod(degree, 7)
    return 12 * octave + _MAJOR[step]


def _make_episode(directory: Path, episode: _Episode, number: int, speaker: str) -> dict[str, Any]:
    audio = directory / f"episode-{number}-{episode.slug}.wav"
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        spoken = Path(scratch) / "speech.wav"
        subprocess.run(
            [speaker, "-v", "en", "-s", "165", "-w", str(spoken), episode.text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with wave.open(str(spoken), "rb") as reader:
            channels = reader.getnchannels()
            rate = reader.getframerate()
            width = reader.getsampwidth()
            pcm = reader.readframes(reader.getnframes())
        if width != 2:
            raise wave.Error(f"{speaker} wrote {8 * width}-bit samples, not 16-bit")
    tags = {
        "INAM": episode.title,
        "IART": _HOST,
        "IPRD": _PODCAST,
        "IGNR": "Podcast",
        "ICRD": "2024",
        "ITRK": str(number),
        "ICMT": "spoken by espeak-ng",
    }
    write_wav(audio, pcm, channels=channels, sample_rate=rate, tags=tags)
    art = _make_art(directory, episode.slug, episode.art, episode.colours)
    return _entry(
        directory,
        media_id=f"{SPOKEN_FOLDER}/{episode.slug}",
        kind="episode",
        title=episode.title,
        artist=_HOST,
        album=_PODCAST,
        genre="Podcast",
        track=number,
        audio=audio,
        art=art,
        frames=len(pcm) // (2 * channels),
        rate=rate,
    )


# --------------------------------------------------------------------------- art

ART_SIZE = 64


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    t = max(0.0, min(1.0, t))
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _art_value(pattern: str, x: int, y: int) -> float:
    """How much of the second colour pixel (x, y) gets, 0..1, for each pattern."""
    size = ART_SIZE
    cx, cy = x - size / 2 + 0.5, y - size / 2 + 0.5
    radius = math.hypot(cx, cy)
    if pattern == "rings":
        return 1.0 if int(radius / 5) % 2 else radius / size
    if pattern == "checks":
        return float((x // 8 + y // 8) % 2)
    if pattern == "stripes":
        return 0.5 + 0.5 * math.sin((x + y) / 4.0)
    if pattern == "diamond":
        return 1.0 if (abs(cx) + abs(cy)) % 16 < 8 else 0.0
    if pattern == "plasma":
        return 0.5 + 0.25 * math.sin(x / 5.0) + 0.25 * math.sin(math.hypot(x - 40, y - 10) / 4.0)
    if pattern == "waves":
        return 1.0 if y > size / 2 + 8 * math.sin(x / 6.0) + 6 * math.sin(y / 3.0) else 0.0
    if pattern == "page":
        # Lines of "text" of varying length on paper.
        line, offset = divmod(y, 7)
        width = (17 * line * line + 23) % 30 + 18
        return 1.0 if 1 <= line <= 7 and offset in (4, 5) and 8 <= x < 8 + width else 0.0
    raise ValueError(f"unknown art pattern {pattern!r}")


def _make_art(
    directory: Path,
    slug: str,
    pattern: str,
    colours: tuple[tuple[int, int, int], tuple[int, int, int]],
    *,
    force: bool = True,
) -> Path:
    path = directory / f"{slug}.png"
    if not force and path.exists():
        return path
    rows = []
    for y in range(ART_SIZE):
        row = bytearray()
        for x in range(ART_SIZE):
            row += bytes(_mix(colours[1], colours[0], _art_value(pattern, x, y)))
        rows.append(bytes(row))
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(encode_png(ART_SIZE, ART_SIZE, rows))
    partial.replace(path)
    return path
