"""What libmpv reports, handed from its thread to the loop and mapped onto :class:`MpvEngine`.

The engine (in :mod:`audio_service.players.mpv`) issues mpv's commands; this
module turns mpv's events, property changes and log lines into the engine's
state and into the listener's calls.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from audio_service.players._engine import EngineError
from audio_session._checks import is_number

if TYPE_CHECKING:
    from audio_service.players.mpv import MpvEngine

# The engine's logger: mpv's lines have always been logged under it.
_log = logging.getLogger("audio_service.players.mpv")

_ZERO: Final = timedelta(0)

#: mpv's messages in our log. Its errors are about sources that failed, which the
#: player reports itself (EngineError, on_error): they stay below warnings.
_LOG_LEVELS: Final = {"fatal": logging.ERROR, "error": logging.INFO, "warn": logging.DEBUG}
#: How long a failed load waits for mpv's explanation (log lines come after the event).
_LOG_GRACE: Final = 0.1
_MAX_ERROR_LINES: Final = 8


class _State(Enum):
    IDLE = "idle"  # nothing loaded
    LOADING = "loading"  # load() waits for the source to open
    ADVANCING = "advancing"  # the current source ended; mpv opens the preloaded one
    LOADED = "loaded"
    DRAINING = "draining"  # decoded to its end; the server still plays what it was given
    ENDED = "ended"  # played to its end with nothing preloaded


def _seconds(value: object) -> float | None:
    if not is_number(value):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _tags(metadata: object) -> dict[str, str]:
    if not isinstance(metadata, Mapping):
        return {}
    tags: dict[str, str] = {}
    for key, value in metadata.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(key, str) and isinstance(value, str) and value.strip():
            tags[key.lower()] = value
    return tags


class MpvEventMapper:
    """Maps one :class:`MpvEngine`'s mpv reports onto that engine, in the loop's thread.

    It keeps no state of its own: the engine's commands (load, seek, stop) and
    mpv's reports change the same state, so it stays on the engine.
    """

    def __init__(self, engine: MpvEngine) -> None:
        self._engine = engine

    # --------------------------------------------------------- mpv's thread

    def post(self, *message: Any) -> None:
        loop = self._engine._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
                loop.call_soon_threadsafe(self._dispatch, message)

    def on_log(self, level: str, prefix: str, text: str) -> None:
        line = str(text).strip()
        if not line:
            return
        _log.log(_LOG_LEVELS.get(level, logging.DEBUG), "mpv %s: %s", prefix, line)
        if level in ("fatal", "error", "warn"):
            self.post("log", line)

    # ---------------------------------------------------------- the loop's side

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        engine = self._engine
        if engine._closed:
            return
        kind = message[0]
        if kind == "start":
            self._started(message[1])
        elif kind == "loaded":
            self._loaded(message[1], message[2])
        elif kind == "end":
            self._ended(message[1])
        elif kind == "restart":
            engine._seek_target = None
        elif kind == "property":
            self._property(message[1], message[2])
        elif kind == "log":
            engine._errors.append(message[1])
            del engine._errors[:-_MAX_ERROR_LINES]
        elif kind == "shutdown":
            engine._shut_down()

    def _started(self, entry: int) -> None:
        engine = self._engine
        engine._opening = entry
        if engine._state is _State.ADVANCING and entry == engine._next_id:
            engine._advanced_from = engine._current_id
            engine._current_id, engine._next_id = entry, None
            engine._state = _State.LOADING
            engine._start, engine._seek_target = _ZERO, None
            engine._duration, engine._tags, engine._buffering = None, None, False
            engine._reported_buffering = False
        if entry == engine._current_id:
            engine._errors.clear()

    def _loaded(self, duration: float | None, tags: dict[str, str]) -> None:
        engine = self._engine
        if engine._state is not _State.LOADING or engine._opening != engine._current_id:
            return
        engine._state = _State.LOADED
        listener = engine._listener
        advanced_from, engine._advanced_from = engine._advanced_from, None
        if advanced_from is not None:
            # mpv keeps played entries in its playlist; a long gapless run must not pile them up.
            engine._remove_entry(advanced_from)
            if listener is not None:
                listener.on_ended(True)
        self._report_duration(duration, force=True)
        self._report_tags(tags, force=True)
        if engine._unpaused:
            engine._watch_start()
        loading, engine._load = engine._load, None
        if loading is not None and not loading.done():
            loading.set_result(None)

    def _ended(self, info: Mapping[str, Any]) -> None:
        engine = self._engine
        entry = info.get("playlist_entry_id")
        if entry != engine._current_id or entry is None:
            return
        reason = info.get("reason")
        if reason == "redirect" and engine._state is _State.LOADING:
            # A playlist (an internet radio's .m3u/.pls) was opened: follow its first entry.
            self._follow_redirect(info)
            return
        listener = engine._listener
        if engine._state is _State.LOADING:
            if engine._advanced_from is not None:
                # The preloaded source could not be opened: the task loads it itself and
                # gets the reason from load().
                engine._advanced_from = None
                engine._drain()
            elif reason in ("error", "eof"):
                loading, engine._load = engine._load, None
                engine._state, engine._current_id = _State.IDLE, None
                if loading is not None and not loading.done():

                    def fail(text: str) -> None:
                        if not loading.done():
                            loading.set_exception(EngineError(text))

                    self._explained(self._failure(info), fail)
            return
        if engine._state is not _State.LOADED:
            return
        nothing_played = info.get("file_error") == "no audio or video data played"
        if reason == "eof" or (reason == "error" and nothing_played and engine._start > _ZERO):
            # (Started at or past the end: mpv calls that an error, the user an end.)
            engine._seek_target = None
            if engine._next_id is not None:
                engine._state = _State.ADVANCING
            else:
                engine._drain()
        elif reason == "error":
            engine._state, engine._current_id = _State.IDLE, None
            if listener is not None:
                self._explained(self._failure(info), listener.on_error)

    def _follow_redirect(self, info: Mapping[str, Any]) -> None:
        engine = self._engine
        first = info.get("playlist_insert_id")
        if not isinstance(first, int):
            return
        engine._current_id = first
        count = info.get("playlist_insert_num_entries")
        extra = count - 1 if isinstance(count, int) and count > 1 else 0
        if not extra or engine._mpv is None:
            return
        # Only its first entry plays: the queue, not the playlist, says what comes next.
        with contextlib.suppress(EngineError):
            playlist = engine._call(getattr, engine._mpv, "playlist") or []
            ids = [item.get("id") for item in playlist if isinstance(item, Mapping)]
            if first in ids:
                at = ids.index(first) + 1
                for _ in range(min(extra, len(ids) - at)):
                    engine._call(engine._mpv.command, "playlist-remove", str(at))

    def _failure(self, info: Mapping[str, Any]) -> str:
        reason = info.get("file_error") or "playback failed"
        return f"cannot play {self._engine._current_source}: {reason}"

    def _explained(self, message: str, then: Callable[[str], None]) -> None:
        """Calls ``then`` with ``message`` and mpv's explanation, a moment later.

        mpv delivers its log lines (the reason: "No such file or directory",
        "Connection refused") a little after the end-file event.
        """
        engine = self._engine
        generation = engine._generation

        def explain() -> None:
            if engine._closed or generation != engine._generation:
                return  # a newer source is loaded: this failure is nobody's business now
            # "Failed to open <source>." says nothing the message does not.
            lines = [line for line in engine._errors if not line.startswith("Failed to open")]
            details = list(dict.fromkeys(lines))[-3:]
            then(f"{message} ({'; '.join(details)})" if details else message)

        if engine._loop is not None:
            engine._loop.call_later(_LOG_GRACE, explain)

    def _property(self, name: str, value: Any) -> None:
        engine = self._engine
        if name == "idle-active":
            if value is True and engine._state is _State.DRAINING:
                engine._drained()
            return
        if engine._state is not _State.LOADED:
            return
        if name == "paused-for-cache":
            engine._buffering = value is True
            engine._report_buffering()
        elif name == "duration":
            seconds = _seconds(value)
            if seconds is not None:
                self._report_duration(seconds)
        elif name == "metadata":
            tags = _tags(value)
            if tags:
                self._report_tags(tags)

    def _report_duration(self, seconds: float | None, *, force: bool = False) -> None:
        engine = self._engine
        if not force and seconds == engine._duration:
            return
        engine._duration = seconds
        if engine._listener is not None:
            engine._listener.on_duration(None if seconds is None else timedelta(seconds=seconds))

    def _report_tags(self, tags: dict[str, str], *, force: bool = False) -> None:
        engine = self._engine
        if not force and tags == engine._tags:
            return
        engine._tags = tags
        if engine._listener is not None:
            engine._listener.on_tags(dict(tags))
