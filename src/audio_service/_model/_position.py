"""The position model: where playback is now, given the last reported position.

A playback state records ``update_position`` at ``update_time`` plus the speed.
Everyone derives the current position from that record instead of receiving a
stream of positions, which keeps the wire quiet while audio plays.

Times are :func:`time.monotonic` seconds. On Linux that is ``CLOCK_MONOTONIC``,
which is system-wide, so a time taken in the audio process is meaningful in the
UI process too; wall-clock time is not used because it jumps when the clock is set.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta

from audio_session._checks import is_number

__all__ = ["Clock", "extrapolate", "monotonic", "position_period"]

#: A source of monotonic time in seconds; tests inject a fake one.
Clock = Callable[[], float]

#: The default clock.
monotonic: Clock = time.monotonic

_ZERO = timedelta(0)


def extrapolate(
    update_position: timedelta,
    update_time: float,
    speed: float,
    advancing: bool,
    now: float,
    duration: timedelta | None = None,
) -> timedelta:
    """The position at ``now``: ``update_position + (now - update_time) * speed``.

    Only an ``advancing`` state moves (playing, ready and a positive speed). A
    ``now`` before ``update_time`` counts as no time elapsed, so a position never
    runs backwards. The result is clamped to ``duration`` when it is known.
    """
    position = update_position
    if advancing:
        elapsed = now - update_time
        if elapsed > 0 and speed > 0:
            position = update_position + timedelta(seconds=elapsed * speed)
    if duration is not None and position > duration:
        position = duration
    return max(position, _ZERO)


def position_period(
    duration: timedelta | None,
    *,
    steps: int,
    min_period: timedelta,
    max_period: timedelta,
) -> float:
    """Seconds between position updates: ``duration / steps`` clamped to [min, max].

    Unknown duration means ``max_period``: without a length there is no seek bar
    whose pixels a finer period could move.
    """
    if duration is None or duration <= _ZERO:
        return max_period.total_seconds()
    period = duration / steps
    return min(max(period, min_period), max_period).total_seconds()


def check_finite_time(value: object, field: str) -> float:
    """``value`` as a finite float monotonic time, or a clear error naming ``field``."""
    if not is_number(value):
        raise TypeError(f"{field} must be a float (monotonic seconds), not {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{field} must be finite, not {value!r}")
    return result
