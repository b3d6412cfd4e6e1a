"""What :class:`MpvEngine` knows of the source libmpv plays: :class:`MpvPlayback`.

The engine's commands (load, seek, stop) and mpv's reports (mapped by
:class:`~audio_service.players._mpv_events.MpvEventMapper`) change the same
facts, so the engine owns one ``MpvPlayback`` and hands it to the mapper.
Both change it in the loop's thread only, so it needs no lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Final

_ZERO: Final = timedelta(0)


class MpvState(Enum):
    """Where the engine is with the source it plays (shared by its commands and mpv's reports)."""

    IDLE = "idle"  # nothing loaded
    LOADING = "loading"  # load() waits for the source to open
    ADVANCING = "advancing"  # the current source ended; mpv opens the preloaded one
    LOADED = "loaded"
    DRAINING = "draining"  # decoded to its end; the server still plays what it was given
    ENDED = "ended"  # played to its end with nothing preloaded


@dataclass(slots=True)
class MpvPlayback:
    """The source mpv plays (by playlist entry id), the one preloaded, and what is known of it."""

    state: MpvState = MpvState.IDLE
    current_id: int | None = None
    # Named in failure messages.
    current_source: str | None = None
    next_id: int | None = None
    # The preloaded source's name, which becomes the current one when mpv advances to it.
    next_source: str | None = None
    # Set from a gapless advance until the next source opens, when the previous one
    # is reported ended (and leaves mpv's playlist).
    advanced_from: int | None = None
    # Where load() asked to start: time-pos is not valid until the source has opened.
    start: timedelta = _ZERO
    # time-pos keeps the old position until mpv has done the seek (playback-restart).
    seek_target: timedelta | None = None
    duration: float | None = None
    tags: dict[str, str] | None = None
    # mpv's paused-for-cache.
    buffering: bool = False
    # What the listener was last told: buffering for the cache, or the output's start.
    reported_buffering: bool = False
    # mpv's latest warning and error lines: they explain why a source failed.
    errors: list[str] = field(default_factory=list)
    # Counts loads, so that a late report about an earlier source is dropped.
    generation: int = 0

    def begin(self, entry: int, start: timedelta) -> None:
        """Entry ``entry`` opens: nothing known of the previous source applies to it."""
        self.state = MpvState.LOADING
        self.current_id, self.next_id, self.next_source = entry, None, None
        self.start, self.seek_target = start, None
        self.duration, self.tags, self.buffering = None, None, False
        self.reported_buffering = False
        self.errors.clear()
