"""What the desktop may offer when the task publishes no controls: what its callbacks handle.

Shells show a player only while it can play (GNOME Shell hides one whose
``CanPlay`` is false) and ``playerctl`` refuses commands a player does not
advertise. A task that overrides ``on_play`` but publishes no controls (a
natural first attempt) would be invisible; so while the task has an item and
publishes no controls, the capabilities follow the callbacks it overrides
(``on_play`` -> play, ``on_skip_to_next`` -> next, ...). Published controls
refine them: from the first control on, they alone decide (an empty list
then means "nothing now").
"""

from __future__ import annotations

import logging
from typing import Final

from audio_service._model._models import MediaAction, MediaItem, PlaybackState
from audio_service._service._task import BackgroundAudioTask

__all__ = ["Capabilities", "implied_actions"]

_log = logging.getLogger("audio_service.surfaces")
#: Task classes whose implied actions were logged (MPRIS and the notification say it once).
_told: set[type[BackgroundAudioTask]] = set()

#: The action each overridden callback stands for.
_CALLBACK_ACTIONS: Final = {
    "on_play": MediaAction.PLAY,
    "on_pause": MediaAction.PAUSE,
    "on_skip_to_next": MediaAction.SKIP_TO_NEXT,
    "on_skip_to_previous": MediaAction.SKIP_TO_PREVIOUS,
    "on_seek_to": MediaAction.SEEK,
    "on_fast_forward": MediaAction.FAST_FORWARD,
    "on_rewind": MediaAction.REWIND,
    "on_set_speed": MediaAction.SET_SPEED,
    "on_set_repeat_mode": MediaAction.SET_REPEAT_MODE,
    "on_set_shuffle_mode": MediaAction.SET_SHUFFLE_MODE,
    "on_skip_to_queue_item": MediaAction.SKIP_TO_QUEUE_ITEM,
    "on_play_from_uri": MediaAction.PLAY_FROM_URI,
    "on_play_from_media_id": MediaAction.PLAY_FROM_MEDIA_ID,
}


def implied_actions(task: BackgroundAudioTask) -> frozenset[MediaAction]:
    """The actions whose callbacks ``task``'s class overrides."""
    cls = type(task)
    return frozenset(
        action
        for name, action in _CALLBACK_ACTIONS.items()
        if getattr(cls, name, None) is not getattr(BackgroundAudioTask, name)
    )


class Capabilities:
    """The actions a surface offers: the published ones, or the implied ones without controls."""

    def __init__(self, task: BackgroundAudioTask | None) -> None:
        self.implied = implied_actions(task) if task is not None else frozenset()
        self._task_type = type(task) if task is not None else None
        #: The task published controls once: from then on they alone decide (even none).
        self._published = False

    def actions(self, state: PlaybackState, item: MediaItem | None) -> frozenset[MediaAction]:
        if state.controls:
            self._published = True
        if self._published or item is None or not self.implied:
            return state.actions
        if self._task_type is not None and self._task_type not in _told:
            _told.add(self._task_type)
            names = ", ".join(sorted(action.name.lower() for action in self.implied))
            _log.info(
                "the task publishes no controls: the desktop offers what its callbacks handle "
                "(%s); publish controls with set_state to choose",
                names,
            )
        return state.system_actions | self.implied
