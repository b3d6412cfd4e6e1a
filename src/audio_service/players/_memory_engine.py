"""An engine that plays nothing: for testing player tasks without an audio device.

It keeps a clock instead of a stream (monotonic time scaled by the speed while
playing), ends a source by itself when the clock reaches its duration, and lets
a test script what a real engine would report: the end of a source, a failure,
buffering, tags. Every call is recorded in :attr:`MemoryEngine.calls`.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta
from typing import Any

from audio_service.players._engine import EngineError, EngineListener

__all__ = ["MemoryEngine"]

_ZERO = timedelta(0)


class MemoryEngine:
    """A :class:`~audio_service.players.PlayerEngine` with a clock instead of audio.

    ``durations`` maps sources to their durations; other sources last
    ``default_duration`` (None: they are live streams with no end). Loading a
    source in ``unplayable`` raises :class:`EngineError`. ``clock`` (monotonic
    seconds) is what the position follows.

    Test controls: :meth:`finish` ends the current source now, :meth:`fail`
    reports a playback failure, :meth:`set_buffering` stalls the clock,
    :meth:`emit_tags` reports tags. While playing, the source also ends by
    itself when the clock passes its duration (a timer, armed only while playing).
    """

    def __init__(
        self,
        durations: Mapping[str, timedelta] | None = None,
        *,
        default_duration: timedelta | None = timedelta(minutes=3),
        unplayable: Collection[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._durations = dict(durations or {})
        for source, duration in self._durations.items():
            _check_duration(duration, f"durations[{source!r}]")
        if default_duration is not None:
            _check_duration(default_duration, "default_duration")
        self.default_duration = default_duration
        #: Sources whose load raises :class:`EngineError` (a set you may edit).
        self.unplayable: set[str] = set(unplayable)
        #: Every call made to the engine, in order: ``(method, args)``.
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._clock = clock
        self._listener: EngineListener | None = None
        self.opened = False
        self.closed = False
        #: The loaded source, or None.
        self.source: str | None = None
        #: The source given to :meth:`preload`, or None.
        self.preloaded: str | None = None
        self.playing = False
        self.buffering = False
        self._volume = 1.0
        self._speed = 1.0
        self._duration: timedelta | None = None
        self._base_position = _ZERO
        self._base_time = clock()
        self._timer: asyncio.TimerHandle | None = None

    def __repr__(self) -> str:
        state = "playing" if self.playing else "paused"
        return f"<MemoryEngine {self.source!r} {state} at {self.position()}>"

    # --------------------------------------------------------------- inspection

    @property
    def volume(self) -> float:
        """The last volume set (1.0 initially)."""
        return self._volume

    @property
    def speed(self) -> float:
        """The last speed set (1.0 initially)."""
        return self._speed

    @property
    def duration(self) -> timedelta | None:
        """The loaded source's duration (None: nothing loaded, or a live stream)."""
        return self._duration

    def duration_of(self, source: str) -> timedelta | None:
        """How long ``source`` lasts here."""
        return self._durations.get(source, self.default_duration)

    def methods(self) -> list[str]:
        """The names of the recorded calls, in order."""
        return [name for name, _ in self.calls]

    # ------------------------------------------------------------ PlayerEngine

    async def open(self, listener: EngineListener) -> None:
        self.calls.append(("open", ()))
        if self.closed:
            raise RuntimeError("this MemoryEngine is closed")
        if self.opened:
            raise RuntimeError("this MemoryEngine is already open")
        self._listener = listener
        self.opened = True

    async def load(self, source: str, *, position: timedelta, play: bool) -> None:
        self.calls.append(("load", (source, position, play)))
        self._check_open()
        # A real engine answers later; let other tasks run in between, as they would.
        await asyncio.sleep(0)
        self._check_open()
        # Like a real engine's playlist: the new source replaces the preloaded one too.
        self.preloaded = None
        if source in self.unplayable:
            self._unload()
            raise EngineError(f"cannot open {source!r}: unplayable (MemoryEngine)")
        self._start(source)
        self._base_position = self._clamp(position)
        self.playing = play
        self._rearm()

    async def preload(self, source: str | None) -> None:
        self.calls.append(("preload", (source,)))
        self._check_open()
        self.preloaded = source

    async def play(self) -> None:
        self.calls.append(("play", ()))
        self._check_open()
        if self.source is None or self.playing:
            return
        self._rebase()
        self.playing = True
        self._rearm()

    async def pause(self) -> None:
        self.calls.append(("pause", ()))
        self._check_open()
        if not self.playing:
            return
        self._rebase()
        self.playing = False
        self._rearm()

    async def seek(self, position: timedelta) -> None:
        self.calls.append(("seek", (position,)))
        self._check_open()
        if self.source is None:
            return
        self._base_position = self._clamp(max(position, _ZERO))
        self._base_time = self._clock()
        self._rearm()

    async def set_speed(self, speed: float) -> None:
        self.calls.append(("set_speed", (speed,)))
        self._check_open()
        if not (math.isfinite(speed) and speed > 0):
            raise EngineError(f"speed must be a positive finite number, not {speed!r}")
        self._rebase()
        self._speed = speed
        self._rearm()

    async def set_volume(self, volume: float) -> None:
        self.calls.append(("set_volume", (volume,)))
        self._check_open()
        if not (math.isfinite(volume) and 0.0 <= volume <= 1.0):
            raise EngineError(f"volume must be within [0.0, 1.0], not {volume!r}")
        self._volume = volume

    def position(self) -> timedelta:
        if self.source is None:
            return _ZERO
        if not self._advancing:
            return self._base_position
        elapsed = (self._clock() - self._base_time) * self._speed
        return self._clamp(self._base_position + timedelta(seconds=max(elapsed, 0.0)))

    async def stop(self) -> None:
        self.calls.append(("stop", ()))
        if not self.opened or self.closed:
            return
        self._unload()
        self.preloaded = None

    async def close(self) -> None:
        self.calls.append(("close", ()))
        self._unload()
        self.preloaded = None
        self.closed = True
        self._listener = None

    # ----------------------------------------------------------- test controls

    def finish(self) -> None:
        """End the current source now, as if it had played to its end.

        With a preloaded (playable) source the engine goes straight on to it and
        reports ``on_ended(advanced=True)``; otherwise it stops at the end and
        reports ``on_ended(advanced=False)``.
        """
        if self.source is None:
            raise RuntimeError("nothing is loaded, so nothing can finish")
        self._reach_end()

    def fail(self, message: str = "playback failed (MemoryEngine)") -> None:
        """Report that playback of the loaded source failed; then the source is unloaded.

        The listener hears of it while the source is still there, so it can ask
        where playback stopped.
        """
        listener = self._require_listener()
        self._rebase()
        self.playing = False
        self._cancel_timer()
        listener.on_error(message)
        self._unload()

    def set_buffering(self, buffering: bool) -> None:
        """Stall (True) or resume (False) the clock, and report it."""
        listener = self._require_listener()
        if buffering == self.buffering:
            return
        self._rebase()
        self.buffering = buffering
        self._rearm()
        listener.on_buffering(buffering)

    def emit_tags(self, tags: Mapping[str, str]) -> None:
        """Report tags of the loaded source (keys are lower-cased, as engines do)."""
        self._require_listener().on_tags({key.lower(): value for key, value in tags.items()})

    # ---------------------------------------------------------------- internals

    @property
    def _advancing(self) -> bool:
        return self.playing and not self.buffering

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("this MemoryEngine is closed")
        if not self.opened:
            raise RuntimeError("MemoryEngine.open() must be called first")

    def _require_listener(self) -> EngineListener:
        if self._listener is None:
            raise RuntimeError("the MemoryEngine is not open")
        return self._listener

    def _clamp(self, position: timedelta) -> timedelta:
        if self._duration is not None and position > self._duration:
            return self._duration
        return position

    def _rebase(self) -> None:
        self._base_position = self.position()
        self._base_time = self._clock()

    def _start(self, source: str) -> None:
        self.source = source
        self._duration = self.duration_of(source)
        self._base_position = _ZERO
        self._base_time = self._clock()
        self.buffering = False
        if self._listener is not None:
            self._listener.on_duration(self._duration)

    def _unload(self) -> None:
        self._cancel_timer()
        self.source = None
        self._duration = None
        self.playing = False
        self.buffering = False
        self._base_position = _ZERO

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _rearm(self) -> None:
        # Only a playing source with an end needs a timer: paused, nothing polls.
        self._cancel_timer()
        if not self._advancing or self._duration is None or self.source is None:
            return
        remaining = (self._duration - self.position()).total_seconds() / self._speed
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(max(remaining, 0.0), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self.source is None or not self._advancing:
            return
        if self._duration is not None and self.position() < self._duration:
            self._rearm()  # the clock is coarser than the timer
            return
        self._reach_end()

    def _reach_end(self) -> None:
        listener = self._require_listener()
        self._cancel_timer()
        following, self.preloaded = self.preloaded, None
        if following is not None and following not in self.unplayable:
            playing = self.playing
            # The end is reported first, then the new source's duration: what a
            # listener learns after on_ended(advanced=True) is about the new source.
            self.source = following
            self._duration = None
            self._base_position = _ZERO
            self._base_time = self._clock()
            listener.on_ended(True)
            if self.source is following:
                self._start(following)
                self.playing = playing
                self._rearm()
            return
        self._base_position = self._duration if self._duration is not None else self.position()
        self._base_time = self._clock()
        self.playing = False
        listener.on_ended(False)


def _check_duration(value: object, field: str) -> None:
    if not isinstance(value, timedelta):
        raise TypeError(f"{field} must be a datetime.timedelta, not {value!r}")
    if value < _ZERO:
        raise ValueError(f"{field} must not be negative, not {value}")
