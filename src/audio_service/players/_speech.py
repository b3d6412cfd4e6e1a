"""Text to queue items, and queue items to speech: article splitting and espeak-ng rendering.

A reader plays an article as a queue, one item per sentence (or paragraph), so
that "next", "previous" and "jump to" move through the text and the position is
never more than one sentence away from where the listener stopped.
:func:`split_article` makes those items; :class:`EspeakSynthesizer` turns the
text of one item into a WAV file that any engine can play, cached on disk so a
sentence already heard (or rendered ahead) starts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import unicodedata
import wave
from collections import OrderedDict
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, Literal

from audio_service._model._models import MediaItem
from audio_service._shared_tasks import SharedTasks
from audio_service.players._engine import EngineError
from audio_session._checks import check_int, is_int, is_number

__all__ = [
    "DEFAULT_MAX_CHARS",
    "DEFAULT_WORDS_PER_MINUTE",
    "EspeakSynthesizer",
    "default_speech_directory",
    "estimate_duration",
    "split_article",
    "wav_duration",
]

_log = logging.getLogger("audio_service.players.tts")

#: espeak-ng's own default speaking rate.
DEFAULT_WORDS_PER_MINUTE: Final = 175
#: Longest text of one queue item: about half a minute of speech at the default rate.
DEFAULT_MAX_CHARS: Final = 400
#: The rates espeak-ng accepts without clamping.
_MIN_WPM: Final = 80
_MAX_WPM: Final = 450
_MIN_MAX_CHARS: Final = 40
_DISPLAY_CHARS: Final = 80
_MIB: Final = 1024 * 1024
_PART_SUFFIX: Final = ".part"
#: Bumped when the rendering command changes, so that old cache entries are not reused.
_RENDER_FORMAT: Final = "1"

# ------------------------------------------------------------------------ splitting

# Invisible characters that only break words apart for a synthesizer.
_INVISIBLE: Final = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_LINE_BREAKS: Final = re.compile(r"\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028]")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_LIST_ITEM: Final = re.compile(
    r"(?:[-*+\u2022\u2023\u25e6\u25aa\u2013\u2014]|\(?\d{1,3}[.)]|\(?[a-zA-Z][)])\s"
)
# A full stop, question or exclamation mark or ellipsis, with what closes a quotation
# or bracket after it, before a space; CJK marks end a sentence without a space.
_TERMINAL: Final = re.compile(
    r"(?P<mark>[.!?\u203d\u2026]+)(?P<close>[\"'\u201d\u2019\u00bb)\]}]*)(?=\s)"
    r"|(?P<cjk>[\u3002\uff01\uff1f]+)(?P<cjk_close>[\u300d\u300f\u201d\u2019\uff09)]*)"
)


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


_OPENERS: Final = "\"'\u201c\u2018\u00ab([{\u00bf\u00a1-\u2013\u2014"
# Words that (nearly) never end a sentence: titles before a name, and Latin abbreviations.
_CONTINUE_AFTER: Final = _word_set(
    "mr mrs ms mx dr prof sr jr st mt gen col capt cpt lt sgt cmdr adm rev fr hon",
    "gov sen rep pres supt insp messrs mme mlle e.g i.e cf viz vs approx ca resp",
    "incl esp z.b d.h u.a bzw usw vgl",
)
# Abbreviations that continue the sentence when a number follows ("Fig. 3", "No. 5").
_BEFORE_NUMBER: Final = _word_set(
    "no nos nr fig figs vol vols p pp ch chap sec art eq eqs ed op tab para ref jan",
    "feb mar apr jun jul aug sep sept oct nov dec",
)
_BREAK_PREFERENCES: Final = (
    re.compile(r"[;:](?=\s)"),
    re.compile(r",(?=\s)"),
    re.compile(r"(?=\s[-\u2013\u2014]\s)|(?<=\w)(?=[\u2013\u2014]\w)"),
    re.compile(r"(?=\s)"),
)


def split_article(
    text: str,
    *,
    by: Literal["sentence", "paragraph"] = "sentence",
    article_id: str,
    title: str,
    artist: str | None = None,
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[MediaItem]:
    """Split an article into queue items, one per sentence or per paragraph.

    Paragraphs are separated by blank lines. Inside a paragraph, lines that were
    wrapped to a width are joined again; a short line (a heading) or a list item
    stays a line of its own. Sentences end at ``.``, ``?``, ``!``, ``…`` (with any
    closing quotes or brackets after them) followed by a space, except after
    abbreviations (``Dr.``, ``e.g.``, ``Fig. 3``), initials and list numbers, and
    when the next word starts in lower case. Whitespace is normalised. No item is
    longer than ``max_chars``: a longer sentence is split at ``;``/``:``, then at
    commas, then at dashes or spaces; a longer paragraph between sentences.

    Item ``n`` (from 0) has the id ``f"{article_id}#{n}"``, the article's
    ``title`` as title and album, the text (shortened) as ``display_title``, and
    ``extras`` ``{"text": ..., "article_id": ..., "index": n}``. ``duration`` is
    an estimate from ``words_per_minute``; a reader replaces it by the real one
    once the item is rendered.

    Raises :class:`ValueError` when ``text`` has nothing to read.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {text!r}")
    if by not in ("sentence", "paragraph"):
        raise ValueError(f"by must be 'sentence' or 'paragraph', not {by!r}")
    if not isinstance(article_id, str):
        raise TypeError(f"article_id must be a str, not {article_id!r}")
    if not article_id:
        raise ValueError("article_id must not be empty")
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, not {title!r}")
    if artist is not None and not isinstance(artist, str):
        raise TypeError(f"artist must be a str or None, not {artist!r}")
    check_words_per_minute(words_per_minute)
    if not is_int(max_chars):
        raise TypeError(f"max_chars must be an int, not {max_chars!r}")
    if max_chars < _MIN_MAX_CHARS:
        raise ValueError(f"max_chars must be at least {_MIN_MAX_CHARS}, not {max_chars}")

    texts: list[str] = []
    for paragraph in _paragraphs(text):
        if by == "sentence":
            for line in paragraph:
                for sentence in _sentences(line):
                    texts.extend(_split_long(sentence, max_chars))
        else:
            texts.extend(_pack_paragraph(paragraph, max_chars))
    if not texts:
        raise ValueError("text has nothing to read (it is empty or only whitespace)")
    count = len(texts)
    noun = "Sentence" if by == "sentence" else "Paragraph"
    return [
        MediaItem(
            id=f"{article_id}#{index}",
            title=title,
            album=title,
            artist=artist,
            duration=estimate_duration(piece, words_per_minute),
            display_title=_shorten(piece, _DISPLAY_CHARS),
            display_subtitle=f"{noun} {index + 1} of {count}",
            extras={"text": piece, "article_id": article_id, "index": index},
        )
        for index, piece in enumerate(texts)
    ]


def estimate_duration(text: str, words_per_minute: int = DEFAULT_WORDS_PER_MINUTE) -> timedelta:
    """How long ``text`` takes to say at ``words_per_minute``, before it is rendered."""
    words = max(len(text.split()), 1)
    return timedelta(seconds=round(words * 60.0 / words_per_minute, 3))


def check_words_per_minute(value: object) -> int:
    """``value`` if it is a rate espeak-ng accepts, else a clear error."""
    if not is_int(value):
        raise TypeError(f"words_per_minute must be an int, not {value!r}")
    if not _MIN_WPM <= value <= _MAX_WPM:
        raise ValueError(f"words_per_minute must be between {_MIN_WPM} and {_MAX_WPM}, not {value}")
    return value


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    # A paragraph separator is a blank line; other line separators are line breaks.
    text = _LINE_BREAKS.sub("\n", text.replace("\u2029", "\n\n"))
    return _CONTROL.sub(" ", text)


def _paragraphs(text: str) -> list[list[str]]:
    """The paragraphs of ``text``, each as its lines that stand alone (wrapping undone)."""
    paragraphs: list[list[str]] = []
    block: list[str] = []
    for raw in [*_normalise(text).split("\n"), ""]:
        line = " ".join(raw.split())
        if line:
            block.append(line)
        elif block:
            paragraphs.append(_unwrap(block))
            block = []
    return paragraphs


def _unwrap(lines: list[str]) -> list[str]:
    # A line at least 60 % as long as the paragraph's longest ran into the width it
    # was wrapped at, and a line starting in lower case continues the one before; a
    # shorter line (a heading, a verse, the end of a list item) ended on purpose.
    wrap = max(30.0, max(map(len, lines)) * 0.6)
    joined = [lines[0]]
    for previous, line in itertools.pairwise(lines):
        soft = (len(previous) >= wrap or line[:1].islower()) and not _LIST_ITEM.match(line)
        if not soft:
            joined.append(line)
        elif previous.endswith("-") and previous[-2:-1].isalpha() and line[:1].islower():
            joined[-1] += line  # a word hyphenated at the wrap: "well-" + "known"
        else:
            joined[-1] += " " + line
    return joined


def _sentences(line: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _TERMINAL.finditer(line):
        end = match.end()
        if _ends_sentence(line, start, match):
            sentence = line[start:end].strip()
            if sentence:
                sentences.append(sentence)
            start = end
    rest = line[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _ends_sentence(line: str, start: int, match: re.Match[str]) -> bool:
    if match.group("cjk"):
        return True
    following = line[match.end() :].lstrip().lstrip(_OPENERS)
    if not following:
        return True
    if following[0].islower():
        # "Really?" she asked. / "e.g. this" / "I was... thinking": the sentence goes on.
        return False
    mark = match.group("mark")
    if mark != ".":
        return True
    before = line[start : match.start()]
    word = before.rsplit(None, 1)[-1].lstrip(_OPENERS) if before.strip() else ""
    lowered = word.lower()
    if lowered in _CONTINUE_AFTER:
        return False
    if following[0].isdigit() and lowered in _BEFORE_NUMBER:
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial: "J. K. Rowling"
    # The number of a list item: "1. Preheat the oven."
    return not (word.isdigit() and before.strip() == word)


def _split_long(sentence: str, limit: int) -> list[str]:
    pieces: list[str] = []
    while len(sentence) > limit:
        cut = _cut_point(sentence, limit)
        head, sentence = sentence[:cut].rstrip(), sentence[cut:].lstrip()
        if head:
            pieces.append(head)
    if sentence:
        pieces.append(sentence)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    # The last break of the most natural kind that leaves a piece of a fair length.
    shortest = limit // 3
    for pattern in _BREAK_PREFERENCES:
        best = None
        for found in pattern.finditer(text, 0, limit + 1):
            position = found.end() if found.group() else found.start()
            if shortest <= position <= limit:
                best = position
        if best is not None:
            return best
    return limit  # one "word" longer than a piece (a URL): cut it


def _pack_paragraph(lines: list[str], limit: int) -> list[str]:
    """The paragraph as few pieces as fit ``limit``, broken between sentences."""
    pieces: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        # Lines that stand alone stay apart: the synthesizer pauses at a line break.
        separator = "\n" if index else ""
        for sentence in _sentences(line):
            for part in _split_long(sentence, limit):
                candidate = f"{current}{separator}{part}" if current else part
                if len(candidate) <= limit:
                    current = candidate
                else:
                    pieces.append(current)
                    current = part
                separator = " "
    if current:
        pieces.append(current)
    return pieces


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut].rstrip(" ,;:-\u2013\u2014") + "\u2026"


# ------------------------------------------------------------------------ rendering


def default_speech_directory() -> Path:
    """``$XDG_CACHE_HOME/audio-service/speech`` (``~/.cache/...`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "audio-service" / "speech"


def wav_duration(path: str | os.PathLike[str]) -> timedelta:
    """The playing time of a WAV file, from its header; :class:`EngineError` if it is not one."""
    try:
        with wave.open(os.fspath(path), "rb") as reader:
            frames, rate = reader.getnframes(), reader.getframerate()
    except (OSError, EOFError, wave.Error) as error:
        raise EngineError(f"{os.fspath(path)} is not a readable WAV file: {error}") from error
    if rate <= 0:
        raise EngineError(f"{os.fspath(path)} is not a readable WAV file: sample rate {rate}")
    return timedelta(seconds=frames / rate)


class EspeakSynthesizer:
    """Renders text to WAV files with espeak-ng, cached on disk.

    ``voice`` is any name ``espeak-ng -v`` accepts (``"en"``, ``"en-us"``,
    ``"de"``, ``"en+f3"``; see :meth:`voices`); ``words_per_minute`` is the
    speaking rate (80 … 450). Files live in ``cache_dir`` (default
    ``$XDG_CACHE_HOME/audio-service/speech``), named by a hash of the text,
    voice, rate and espeak-ng version, so a sentence is rendered once, and the
    least recently used files go first beyond ``max_entries`` files or
    ``max_bytes``. Renders run as subprocesses, never blocking the event loop;
    callers asking for one text at once share one process. A line break in the
    text ends a clause (espeak-ng pauses there). Use it from one event loop.
    """

    def __init__(
        self,
        *,
        voice: str = "en",
        words_per_minute: int = DEFAULT_WORDS_PER_MINUTE,
        cache_dir: str | os.PathLike[str] | None = None,
        max_entries: int = 2048,
        max_bytes: int = 256 * _MIB,
        program: str = "espeak-ng",
        timeout: float = 60.0,
    ) -> None:
        if not isinstance(voice, str):
            raise TypeError(f"voice must be a str, not {voice!r}")
        if not voice.strip() or any(c.isspace() or c == "\0" for c in voice):
            raise ValueError(f"voice must be a voice name without spaces, not {voice!r}")
        if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
            raise TypeError(f"cache_dir must be a path or None, not {cache_dir!r}")
        if not isinstance(program, str) or not program:
            raise TypeError(f"program must be a non-empty str, not {program!r}")
        if not is_number(timeout):
            raise TypeError(f"timeout must be a number, not {timeout!r}")
        if not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f"timeout must be > 0, not {timeout!r}")
        self.voice = voice
        self.words_per_minute = check_words_per_minute(words_per_minute)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_speech_directory()
        self.max_entries = check_int(max_entries, "max_entries", minimum=1)
        self.max_bytes = check_int(max_bytes, "max_bytes", minimum=1)
        self.program = program
        self.timeout = float(timeout)
        #: File size by cache key, least recently used first.
        self._index: OrderedDict[str, int] = OrderedDict()
        self._renders: SharedTasks[str, Path] = SharedTasks()
        self._version: str | None = None
        self._version_lock = asyncio.Lock()
        # Rendering ahead must not start a process per queue item at once.
        self._processes = asyncio.Semaphore(max(2, min(4, os.cpu_count() or 1)))
        self._load_index()

    # ------------------------------------------------------------------ public

    async def render(self, text: str) -> Path:
        """The WAV file of ``text`` spoken, rendering it unless it is cached.

        Raises :class:`~audio_service.players.EngineError` when espeak-ng is not
        installed or fails (its message included), :class:`ValueError` for text
        with nothing to say. Cancelling the last caller waiting for a render
        stops its process.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {text!r}")
        if not text.strip():
            raise ValueError("text must not be empty or only whitespace")
        key = self._key(text, await self._espeak_version())
        cached = self._hit(key)
        if cached is not None:
            return cached
        return await self._renders.run(
            key, lambda: self._render(key, text), f"espeak-ng {text[:40]!r}"
        )

    def cached(self, text: str) -> Path | None:
        """The WAV file of ``text`` if it is rendered already (no rendering, no waiting)."""
        if self._version is None or not isinstance(text, str):
            return None
        return self._hit(self._key(text, self._version))

    def voices(self) -> list[str]:
        """The voice (language) names ``espeak-ng --voices`` lists, in its order."""
        program = self._program_path()
        try:
            result = subprocess.run(
                [program, "--voices"],
                capture_output=True,
                timeout=self.timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise EngineError(f"{self.program} --voices failed: {error}") from error
        if result.returncode != 0:
            raise EngineError(
                f"{self.program} --voices failed (exit status {result.returncode}): "
                f"{_message(result.stderr)}"
            )
        names: dict[str, None] = {}
        for line in result.stdout.decode("utf-8", "replace").splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 2:
                names.setdefault(fields[1], None)
        return list(names)

    async def aclose(self) -> None:
        """Stop the renders under way and wait for their processes to end."""
        await self._renders.cancel_all()

    @property
    def entries(self) -> int:
        """How many rendered files the cache holds."""
        return len(self._index)

    @property
    def size(self) -> int:
        """The bytes the cache holds."""
        return sum(self._index.values())

    # -------------------------------------------------------------- internals

    def _key(self, text: str, version: str) -> str:
        material = "\0".join((_RENDER_FORMAT, version, self.voice, str(self.words_per_minute)))
        digest = hashlib.sha256(material.encode("utf-8", "surrogatepass"))
        digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:40]

    def _program_path(self) -> str:
        found = shutil.which(self.program)
        if found is None:
            raise EngineError(
                f"{self.program} is not installed (not found on PATH); "
                "install espeak-ng (Debian/Ubuntu: apt install espeak-ng) to read text aloud"
            )
        return found

    async def _espeak_version(self) -> str:
        if self._version is not None:
            return self._version
        async with self._version_lock:
            if self._version is None:
                out, _ = await self._run(self._program_path(), "--version", what="--version")
                # "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/…": the data matters too.
                self._version = " ".join(out.decode("utf-8", "replace").split())
            return self._version

    async def _run(
        self, program: str, *args: str, what: str, stdin: bytes | None = None
    ) -> tuple[bytes, bytes]:
        creating = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                program,
                *args,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        )
        try:
            process = await asyncio.shield(creating)
        except asyncio.CancelledError:
            # The child may run already (it starts before the call returns): kill it too.
            await _finish(creating)
            if not creating.cancelled() and creating.exception() is None:
                started = creating.result()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(started.pid, signal.SIGKILL)
                await _reap(started)
            raise
        except OSError as error:
            raise EngineError(f"cannot run {self.program}: {error}") from error
        try:
            async with asyncio.timeout(self.timeout):
                out, err = await process.communicate(stdin)
        except TimeoutError:
            raise EngineError(
                f"{self.program} {what} did not finish within {self.timeout:g} s"
            ) from None
        finally:
            if process.returncode is None:
                # Timed out or cancelled: the process must not outlive its caller.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await _reap(process)
        if process.returncode != 0:
            raise EngineError(
                f"{self.program} {what} failed (exit status {process.returncode}): {_message(err)}"
            )
        return out, err

    async def _render(self, key: str, text: str) -> Path:
        program = self._program_path()
        self.cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.cache_dir / f"{key}.wav"
        part = self.cache_dir / f".{key}.{secrets.token_hex(4)}{_PART_SUFFIX}"
        what = f"with voice {self.voice!r}"
        try:
            async with self._processes:
                _, err = await self._run(
                    program,
                    *("-v", self.voice, "-s", str(self.words_per_minute)),
                    # UTF-8 text from stdin (no length limit, never read as options);
                    # every line break ends a clause.
                    *("-b", "1", "-l", "1000000", "--stdin", "-w", str(part)),
                    what=what,
                    stdin=text.encode("utf-8", "replace"),
                )
            # espeak-ng exits 0 when it cannot write the file; the file tells.
            try:
                wav_duration(part)
            except EngineError:
                raise EngineError(
                    f"{self.program} {what} wrote no audio: {_message(err) or 'no message'}"
                ) from None
            os.replace(part, final)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(part)
        self._index.pop(key, None)
        self._index[key] = final.stat().st_size
        self._evict()
        return final

    def _hit(self, key: str) -> Path | None:
        if key not in self._index:
            return None
        path = self.cache_dir / f"{key}.wav"
        try:
            # Records the use on disk too, so the LRU order survives a restart.
            os.utime(path)
        except OSError:
            del self._index[key]
            return None
        self._index.move_to_end(key)
        return path

    def _evict(self) -> None:
        total = self.size
        # The newest two stay whatever the bounds: the item playing and the one rendered ahead.
        while len(self._index) > 2 and (
            len(self._index) > self.max_entries or total > self.max_bytes
        ):
            key, size = self._index.popitem(last=False)
            total -= size
            with contextlib.suppress(OSError):
                os.unlink(self.cache_dir / f"{key}.wav")

    def _load_index(self) -> None:
        try:
            scanned = list(os.scandir(self.cache_dir))
        except FileNotFoundError:
            return
        except OSError as error:
            _log.warning("cannot read the speech cache %s: %s", self.cache_dir, error)
            return
        files: list[tuple[float, str, int]] = []
        for entry in scanned:
            if entry.name.endswith(_PART_SUFFIX):
                # Left by a process killed mid-render.
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                continue
            stem, dot, suffix = entry.name.partition(".")
            if not dot or suffix != "wav":
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    files.append((info.st_mtime, stem, info.st_size))
        for _, stem, size in sorted(files):
            self._index[stem] = size
        self._evict()


async def _finish(future: asyncio.Future[Any]) -> bool:
    """Wait until ``future`` is done, even if cancelled meanwhile; True if we were."""
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = True
        except Exception:
            break  # done, with an error its owner reads
    return cancelled


async def _reap(process: asyncio.subprocess.Process) -> None:
    """Wait until the killed ``process`` is gone, even if cancelled again meanwhile (aclose
    cancels what a cancelled caller left running): only then is the cancellation passed on."""
    if await _finish(asyncio.ensure_future(process.wait())):
        raise asyncio.CancelledError


def _message(stderr: bytes) -> str:
    return " ".join(stderr.decode("utf-8", "replace").split())
