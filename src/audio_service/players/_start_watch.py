"""Whether an engine's clock really runs once playback starts.

An audio output can hold the engine's clock still after an unpause: PulseAudio's
stream starts only once its buffer is primed, which took up to a second and a
half on the first play of a service. Clients extrapolate the position from the
published state, so they would run that far ahead. For a while after each start
this watch compares the engine's clock with the loop's; while the engine lags,
it reports a stall (the player publishes buffering, so clients hold the
position), and when the clock runs again it reports that, so the player
publishes the engine's real position.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

__all__ = ["StartWatch"]

#: How long after a start the clock is watched (seconds).
WINDOW: Final = 3.0
#: How often it is read meanwhile.
PERIOD: Final = 0.025
#: How long the engine's clock may stand still before it counts as stalled. Engines
#: move their clock in steps (mpv on PipeWire: one per buffer, up to ~0.1 s apart).
STALL: Final = 0.2


class StartWatch:
    """Watches ``position()`` (seconds, or None when unknown) after each :meth:`start`.

    ``on_change(stalled)`` is called when the engine stalls and when it runs again.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        position: Callable[[], float | None],
        on_change: Callable[[bool], None],
    ) -> None:
        self._loop = loop
        self._position = position
        self._on_change = on_change
        self._timer: asyncio.TimerHandle | None = None
        self._anchor: tuple[float, float] | None = None
        self._moved: tuple[float, float] | None = None
        self._until = 0.0
        self._speed = 1.0
        #: True while the engine's clock stands still although it should run.
        self.stalled = False

    def start(self, speed: float = 1.0) -> None:
        """Playback (re)started at ``speed``: watch the clock for :data:`WINDOW` seconds."""
        self._speed = speed
        self._anchor = self._moved = None
        self._until = self._loop.time() + WINDOW
        self._arm()

    def stop(self) -> None:
        """Playback stopped (paused, seeking, another source): stop watching, not stalled."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._anchor = self._moved = None
        self._set(False)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(PERIOD, self._tick)

    def _tick(self) -> None:
        self._timer = None
        now = self._loop.time()
        position = self._position()
        if position is None:
            self._arm()
            return
        moved = self._moved
        if moved is None or position != moved[0]:
            self._moved = moved = (position, now)
        anchor = self._anchor
        if not self.stalled:
            if now - moved[1] > STALL:
                self._anchor = (position, now)
                self._set(True)
        elif anchor is None:
            self._anchor = (position, now)
        else:
            elapsed = now - anchor[1]
            if elapsed >= STALL / 2:
                # Running again means running at its pace, not one step after a pause.
                if position - anchor[0] >= 0.75 * elapsed * self._speed:
                    self._set(False)
                self._anchor = (position, now)
        if self.stalled or now < self._until:
            self._arm()

    def _set(self, stalled: bool) -> None:
        if stalled != self.stalled:
            self.stalled = stalled
            self._on_change(stalled)
