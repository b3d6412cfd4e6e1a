"""A :class:`QueuePlayerTask`'s playback settings: speed, volume, repeat and shuffle, each
checked before it reaches the engine or the play order."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from audio_service._model._models import AudioServiceRepeatMode, AudioServiceShuffleMode
from audio_session._checks import is_number

if TYPE_CHECKING:
    from audio_service.players._player import QueuePlayerTask

__all__ = ["PlaybackSettings", "checked_max_speed"]

# The player's logger: these lines are the player's.
_log = logging.getLogger("audio_service.players")


def checked_max_speed(max_speed: object) -> float:
    if not is_number(max_speed):
        raise TypeError(f"max_speed must be a float, not {max_speed!r}")
    if not (math.isfinite(max_speed) and max_speed >= 1.0):
        raise ValueError(f"max_speed must be a finite number >= 1.0, not {max_speed!r}")
    return float(max_speed)


class PlaybackSettings:
    """Checks and applies the settings; their values stay on the player, which the load,
    the publisher and the restore at start read as well."""

    __slots__ = ("_player",)

    def __init__(self, player: QueuePlayerTask) -> None:
        self._player = player

    async def set_speed(self, speed: float) -> None:
        player = self._player
        if not is_number(speed):
            raise TypeError(f"speed must be a float, not {speed!r}")
        if not (math.isfinite(speed) and 0 < speed <= player.max_speed):
            raise ValueError(
                f"speed must be a finite number > 0 and <= {player.max_speed}, not {speed!r}"
            )
        await player._loads.set_speed(float(speed))
        player._speed = float(speed)
        player._publisher.state()

    async def set_volume(self, volume: float) -> None:
        if not is_number(volume):
            raise TypeError(f"volume must be a float, not {volume!r}")
        if not (math.isfinite(volume) and volume >= 0):
            raise ValueError(f"volume must be a finite number >= 0, not {volume!r}")
        self._player._volume = min(float(volume), 1.0)
        await self.apply_volume()

    async def apply_volume(self) -> None:
        # The callable, not its value: the load reads it under its lock, so the latest
        # ducking applies.
        await self._player._loads.set_volume(self.effective_volume)

    def effective_volume(self) -> float:
        player = self._player
        return player._volume * player._glue.policy.volume_factor

    def set_repeat_mode(self, repeat_mode: AudioServiceRepeatMode) -> None:
        player = self._player
        mode = AudioServiceRepeatMode(repeat_mode)
        if mode is AudioServiceRepeatMode.GROUP and player._order.repeat is not mode:
            _log.info("repeat mode GROUP: a queue player has one group, so it repeats the queue")
        player._order.repeat = mode
        player._publisher.state()
        player._loads.schedule_preload()

    def set_shuffle_mode(self, shuffle_mode: AudioServiceShuffleMode) -> None:
        player = self._player
        mode = AudioServiceShuffleMode(shuffle_mode)
        if (
            mode is AudioServiceShuffleMode.GROUP
            and player._order.shuffle is AudioServiceShuffleMode.NONE
        ):
            _log.info("shuffle mode GROUP: a queue player has one group, so it shuffles all")
        player._order.set_shuffle(mode, player._index)
        player._publisher.state()
        player._loads.schedule_preload()
