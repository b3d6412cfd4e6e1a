"""What libmpv reports, handed from its thread to the loop and mapped onto :class:`MpvEngine`.

The engine (in :mod:`audio_service.players.mpv`) issues mpv's commands; this
module turns mpv's events, property changes and log lines into the engine's
:class:`~audio_service.players._mpv_playback.MpvPlayback` and into the
listener's calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final, Protocol

from audio_service.players._engine import EngineError, EngineListener
from audio_service.players._mpv_playback import _ZERO, MpvPlayback, MpvState
from audio_session._checks import is_number

# The engine's logger: mpv's lines have always been logged under it.
_log = logging.getLogger("audio_service.players.mpv")

#: mpv's messages in our log. Its errors are about sources that failed, which the
#: player reports itself (EngineError, on_error): they stay below warnings.
_LOG_LEVELS: Final = {"fatal": logging.ERROR, "error": logging.INFO, "warn": logging.DEBUG}
#: How long a failed load waits for mpv's explanation (log lines come after the event).
_LOG_GRACE: Final = 0.1
_MAX_ERROR_LINES: Final = 8


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


class EngineOperations(Protocol):
    """What a report makes the engine do: it owns mpv's handle, load()'s future and the timers."""

    def finish_load(self) -> None:
        """The current source has opened: load() returns, the output's start is watched."""

    def take_load(self) -> asyncio.Future[None] | None:
        """The pending load()'s future, now the caller's to settle (once mpv has said why)."""

    def drain(self) -> None:
        """The current source is decoded to its end: report its end once it is heard."""

    def drained(self) -> None:
        """mpv went idle: what was draining has been heard."""

    def report_buffering(self) -> None:
        """Tell the listener whether playback waits, if that changed."""

    def remove_entry(self, entry: int) -> None:
        """Remove ``entry`` from mpv's playlist."""

    def remove_entries_after(self, entry: int, count: int) -> None:
        """Remove up to ``count`` entries that follow ``entry`` in mpv's playlist."""

    def shut_down(self) -> None:
        """mpv quit: the engine cannot play any more."""


class MpvEventMapper:
    """Maps an engine's mpv reports onto its :class:`MpvPlayback` and its listener.

    :meth:`post` and :meth:`on_log` run on mpv's thread and only hand over to
    the loop; the rest runs in the loop's thread, as do the engine's commands.
    The engine hands over its playback state (its commands change the same
    facts) and the few :class:`EngineOperations` a report can call for; what
    only reports change is kept here.
    """

    def __init__(self, playback: MpvPlayback, engine: EngineOperations) -> None:
        self._playback = playback
        self._engine = engine
        # Read on mpv's thread by post(): set before mpv starts, never unset.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: EngineListener | None = None
        # Once the engine is closed, reports on their way and pending explanations are dropped.
        self._closed = False
        # The entry mpv opens now: its file-loaded event does not say which entry it is about.
        self._opening: int | None = None

    def open(self, loop: asyncio.AbstractEventLoop, listener: EngineListener) -> None:
        """Report to ``listener`` in ``loop``'s thread (before mpv starts: it posts at once)."""
        self._loop, self._listener = loop, listener

    def close(self) -> None:
        self._closed = True
        self._listener = None

    # --------------------------------------------------------- mpv's thread

    def post(self, *message: Any) -> None:
        loop = self._loop
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
        if self._closed:
            return
        kind = message[0]
        if kind == "start":
            self._started(message[1])
        elif kind == "loaded":
            self._loaded(message[1], message[2])
        elif kind == "end":
            self._ended(message[1])
        elif kind == "restart":
            self._playback.seek_target = None
        elif kind == "property":
            self._property(message[1], message[2])
        elif kind == "log":
            errors = self._playback.errors
            errors.append(message[1])
            del errors[:-_MAX_ERROR_LINES]
        elif kind == "shutdown":
            self._engine.shut_down()

    def _started(self, entry: int) -> None:
        playback = self._playback
        self._opening = entry
        if playback.state is MpvState.ADVANCING and entry == playback.next_id:
            advanced_from, source = playback.current_id, playback.next_source
            playback.begin(entry, _ZERO)
            # A failure of the advanced-to source names it, not the one before.
            playback.advanced_from, playback.current_source = advanced_from, source
        if entry == playback.current_id:
            playback.errors.clear()

    def _loaded(self, duration: float | None, tags: dict[str, str]) -> None:
        playback = self._playback
        if playback.state is not MpvState.LOADING or self._opening != playback.current_id:
            return
        playback.state = MpvState.LOADED
        listener = self._listener
        advanced_from, playback.advanced_from = playback.advanced_from, None
        if advanced_from is not None:
            # mpv keeps played entries in its playlist; a long gapless run must not pile them up.
            self._engine.remove_entry(advanced_from)
            if listener is not None:
                listener.on_ended(True)
        self._report_duration(duration, force=True)
        self._report_tags(tags, force=True)
        self._engine.finish_load()

    def _ended(self, info: Mapping[str, Any]) -> None:
        playback = self._playback
        entry = info.get("playlist_entry_id")
        if entry != playback.current_id or entry is None:
            return
        reason = info.get("reason")
        if reason == "redirect" and playback.state is MpvState.LOADING:
            # A playlist (an internet radio's .m3u/.pls) was opened: follow its first entry.
            self._follow_redirect(info)
            return
        listener = self._listener
        if playback.state is MpvState.LOADING:
            if playback.advanced_from is not None:
                # The preloaded source could not be opened: the task loads it itself and
                # gets the reason from load().
                playback.advanced_from = None
                self._engine.drain()
            elif reason in ("error", "eof"):
                loading = self._engine.take_load()
                playback.state, playback.current_id = MpvState.IDLE, None
                if loading is not None and not loading.done():

                    def fail(text: str) -> None:
                        if not loading.done():
                            loading.set_exception(EngineError(text))

                    self._explained(self._failure(info), fail)
            return
        if playback.state is not MpvState.LOADED:
            return
        nothing_played = info.get("file_error") == "no audio or video data played"
        if reason == "eof" or (reason == "error" and nothing_played and playback.start > _ZERO):
            # (Started at or past the end: mpv calls that an error, the user an end.)
            playback.seek_target = None
            if playback.next_id is not None:
                playback.state = MpvState.ADVANCING
            else:
                self._engine.drain()
        elif reason == "error":
            playback.state, playback.current_id = MpvState.IDLE, None
            if listener is not None:
                self._explained(self._failure(info), listener.on_error)

    def _follow_redirect(self, info: Mapping[str, Any]) -> None:
        first = info.get("playlist_insert_id")
        if not isinstance(first, int):
            return
        self._playback.current_id = first
        count = info.get("playlist_insert_num_entries")
        extra = count - 1 if isinstance(count, int) and count > 1 else 0
        if extra:
            # Only its first entry plays: the queue, not the playlist, says what comes next.
            self._engine.remove_entries_after(first, extra)

    def _failure(self, info: Mapping[str, Any]) -> str:
        reason = info.get("file_error") or "playback failed"
        return f"cannot play {self._playback.current_source}: {reason}"

    def _explained(self, message: str, then: Callable[[str], None]) -> None:
        """Calls ``then`` with ``message`` and mpv's explanation, a moment later.

        mpv delivers its log lines (the reason: "No such file or directory",
        "Connection refused") a little after the end-file event.
        """
        playback = self._playback
        generation = playback.generation

        def explain() -> None:
            if self._closed or generation != playback.generation:
                return  # a newer source is loaded: this failure is nobody's business now
            # "Failed to open <source>." says nothing the message does not.
            lines = [line for line in playback.errors if not line.startswith("Failed to open")]
            details = list(dict.fromkeys(lines))[-3:]
            then(f"{message} ({'; '.join(details)})" if details else message)

        if self._loop is not None:
            self._loop.call_later(_LOG_GRACE, explain)

    def _property(self, name: str, value: Any) -> None:
        playback = self._playback
        if name == "idle-active":
            if value is True and playback.state is MpvState.DRAINING:
                self._engine.drained()
            return
        if playback.state is not MpvState.LOADED:
            return
        if name == "paused-for-cache":
            playback.buffering = value is True
            self._engine.report_buffering()
        elif name == "duration":
            seconds = _seconds(value)
            if seconds is not None:
                self._report_duration(seconds)
        elif name == "metadata":
            tags = _tags(value)
            if tags:
                self._report_tags(tags)

    def _report_duration(self, seconds: float | None, *, force: bool = False) -> None:
        playback = self._playback
        if not force and seconds == playback.duration:
            return
        playback.duration = seconds
        if self._listener is not None:
            self._listener.on_duration(None if seconds is None else timedelta(seconds=seconds))

    def _report_tags(self, tags: dict[str, str], *, force: bool = False) -> None:
        playback = self._playback
        if not force and tags == playback.tags:
            return
        playback.tags = tags
        if self._listener is not None:
            self._listener.on_tags(dict(tags))
