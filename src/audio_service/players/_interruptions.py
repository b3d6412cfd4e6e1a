"""How a ready-made player reacts when other audio interrupts it, or the headphones go away.

The policy is the one the seed's audio_session README describes for player
plugins: pause (and later resume) for a phone call, lower the volume under a
navigation prompt, pause when the output disappears. :class:`InterruptionOptions`
tunes it; a task overrides ``on_interruption`` / ``on_becoming_noisy`` to take
over, or passes ``handle_interruptions=False`` to ignore both streams.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Protocol

from audio_session import AudioInterruptionEvent, AudioInterruptionType
from audio_session._checks import is_number

__all__ = ["Interruptible", "InterruptionOptions", "InterruptionReactions"]

_log = logging.getLogger("audio_service.players")


@dataclass(frozen=True, slots=True, kw_only=True)
class InterruptionOptions:
    """What a player does about interruptions and becoming noisy.

    ``duck_volume`` is the factor applied to the user's volume while ducked
    (0.3: about -10 dB, WirePlumber's duck level).
    """

    #: Pause when an interruption of type ``pause`` or ``unknown`` begins.
    pause_on_interruption: bool = True
    #: Resume when a ``pause`` interruption ends, if it paused the player and
    #: nobody played or paused meanwhile.
    resume_after_interruption: bool = True
    #: Lower the volume while a ``duck`` interruption lasts.
    duck: bool = True
    duck_volume: float = 0.3
    #: Pause when the output goes away (headphones unplugged).
    pause_when_noisy: bool = True

    def __post_init__(self) -> None:
        for name in (
            "pause_on_interruption",
            "resume_after_interruption",
            "duck",
            "pause_when_noisy",
        ):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, not {value!r}")
        volume = self.duck_volume
        if not is_number(volume):
            raise TypeError(f"duck_volume must be a float, not {volume!r}")
        if not (math.isfinite(volume) and 0.0 <= volume <= 1.0):
            raise ValueError(f"duck_volume must be within [0.0, 1.0], not {volume!r}")
        object.__setattr__(self, "duck_volume", float(volume))


class Interruptible(Protocol):
    """What the policy needs from a player."""

    @property
    def _interruption_playing(self) -> bool:
        """True while the player means to play."""
        ...

    async def _interruption_pause(self) -> None:
        """Pause without it counting as the user's choice."""

    async def _interruption_resume(self) -> None:
        """Play again after an interruption."""

    async def _interruption_duck(self, factor: float) -> None:
        """Scale the output by ``factor`` (1.0: the user's volume again)."""


class InterruptionReactions:
    """The default reactions, with the memory they need ("did the interruption pause us?")."""

    def __init__(self, options: InterruptionOptions) -> None:
        if not isinstance(options, InterruptionOptions):
            raise TypeError(f"interruptions must be InterruptionOptions, not {options!r}")
        self.options = options
        #: An interruption paused the player and nobody played or paused since.
        self.paused_by_interruption = False
        #: The volume is lowered for a ``duck`` interruption.
        self.ducked = False

    @property
    def volume_factor(self) -> float:
        """What the user's volume is multiplied by right now."""
        return self.options.duck_volume if self.ducked else 1.0

    def user_acted(self) -> None:
        """The user played, paused or stopped: an interruption's end must not override that."""
        self.paused_by_interruption = False

    async def interruption(self, player: Interruptible, event: AudioInterruptionEvent) -> None:
        """React to ``event`` as the seed's README describes."""
        options = self.options
        if event.begin:
            if event.type is AudioInterruptionType.DUCK:
                if options.duck and not self.ducked:
                    self.ducked = True
                    _log.info("ducking for an interruption")
                    await player._interruption_duck(options.duck_volume)
            elif options.pause_on_interruption and player._interruption_playing:
                _log.info("pausing for an interruption (%s)", event.type.name.lower())
                await player._interruption_pause()
                # Also for UNKNOWN: iOS begins every interruption as unknown and
                # says at the end (type PAUSE) whether to resume.
                self.paused_by_interruption = True
            return
        if event.type is AudioInterruptionType.DUCK:
            if self.ducked:
                self.ducked = False
                _log.info("the ducking interruption ended: restoring the volume")
                await player._interruption_duck(1.0)
        elif event.type is AudioInterruptionType.PAUSE:
            resume = self.paused_by_interruption and options.resume_after_interruption
            self.paused_by_interruption = False
            if resume:
                _log.info("the interruption ended: resuming")
                await player._interruption_resume()
        else:
            # UNKNOWN end: the interruption may have been for good; the user resumes.
            self.paused_by_interruption = False

    async def becoming_noisy(self, player: Interruptible) -> None:
        """The output went away: pause, and never resume on our own."""
        self.paused_by_interruption = False
        if self.options.pause_when_noisy and player._interruption_playing:
            _log.info("the audio output went away: pausing")
            await player._interruption_pause()
            self.paused_by_interruption = False
