"""What a ready-made player needs from an audio engine, and an engine with no audio at all.

:class:`PlayerEngine` is the seam between the queue logic of the ready-made
players (:class:`~audio_service.players.QueuePlayerTask`) and whatever makes the
sound: libmpv (:class:`~audio_service.players.mpv.MpvEngine`) in production,
:class:`MemoryEngine` in tests, where a fake clock stands in for the audio
device so a whole queue can be played through in microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Protocol, runtime_checkable

__all__ = ["EngineError", "EngineListener", "PlayerEngine"]


class EngineError(Exception):
    """A source could not be opened or played (the message says why, for the user)."""


class EngineListener(Protocol):
    """What an engine reports, always from the event loop's thread.

    Engines that have their own threads (libmpv) hand every report over to the
    loop with ``call_soon_threadsafe`` before calling these.
    """

    def on_buffering(self, buffering: bool) -> None:
        """Playback stalls waiting for data (True) or has enough again (False)."""

    def on_duration(self, duration: timedelta | None) -> None:
        """The loaded source's duration became known (None: a live stream)."""

    def on_tags(self, tags: Mapping[str, str]) -> None:
        """Tags read from the source, keys lower-case (``title``, ``artist``, ``album``…)."""

    def on_ended(self, advanced: bool) -> None:
        """The source played to its end.

        ``advanced`` is True when the engine went straight on to the source
        given to :meth:`PlayerEngine.preload` (gapless): that source is now
        loaded and playing from its start.
        """

    def on_error(self, message: str) -> None:
        """Playback of the loaded source failed after it started (network lost, bad data)."""


@runtime_checkable
class PlayerEngine(Protocol):
    """Plays one source at a time: a path, a ``file://`` or an ``http(s)://`` URI.

    One engine belongs to one player task. Calls come from the event loop and
    are never concurrent (the task serialises them). Every method may raise
    :class:`EngineError`.
    """

    async def open(self, listener: EngineListener) -> None:
        """Acquire the engine's resources; reports go to ``listener`` from now on.

        Called once, lazily, before the first :meth:`load` — after the audio
        session is configured, so that streams the engine opens carry the
        session's role.
        """

    async def load(self, source: str, *, position: timedelta, play: bool) -> None:
        """Replace the current source by ``source``, at ``position``, playing or paused.

        Returns once the source is open (its duration, when it has one, was
        reported); raises :class:`EngineError` when it cannot be opened.
        """

    async def preload(self, source: str | None) -> None:
        """The source to continue with when the current one ends (None: stop there)."""

    async def play(self) -> None:
        """Resume (or start) the loaded source."""

    async def pause(self) -> None:
        """Pause; the audio server sees the stream corked or idle, not merely silent."""

    async def seek(self, position: timedelta) -> None:
        """Move within the loaded source (clamped to it)."""

    async def set_speed(self, speed: float) -> None:
        """Playback rate, keeping the pitch (1.0 normal; the task checks the range)."""

    async def set_volume(self, volume: float) -> None:
        """Linear gain of this player's output, 0.0 … 1.0 (used for ducking too)."""

    def position(self) -> timedelta:
        """Where playback is in the loaded source now (0 when nothing is loaded)."""

    async def stop(self) -> None:
        """Unload the source and release the audio output (no stream left on the server)."""

    async def close(self) -> None:
        """Release everything; the engine is not used again."""
