"""What a :class:`QueuePlayerTask` shows its clients: queue, item, state and controls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from audio_service._model._models import AudioProcessingState, MediaAction, MediaControl
from audio_service._service._core import ServiceCore, ServicePhase

if TYPE_CHECKING:
    from audio_service.players._player import QueuePlayerTask

__all__ = ["StatePublisher"]

#: Offered whatever the state: MPRIS, the notification and Android read capabilities from these.
_ALWAYS: Final = frozenset(
    {
        MediaAction.STOP,
        MediaAction.PLAY_PAUSE,
        MediaAction.PLAY_FROM_MEDIA_ID,
        MediaAction.PLAY_FROM_URI,
        MediaAction.PREPARE,
        MediaAction.PREPARE_FROM_MEDIA_ID,
        MediaAction.SET_REPEAT_MODE,
        MediaAction.SET_SHUFFLE_MODE,
        MediaAction.SET_SPEED,
    }
)
#: Offered while the current item has a known duration (a live stream cannot seek).
_SEEKING: Final = frozenset(
    {
        MediaAction.SEEK,
        MediaAction.SEEK_FORWARD,
        MediaAction.SEEK_BACKWARD,
        MediaAction.FAST_FORWARD,
        MediaAction.REWIND,
    }
)
#: The buttons of a compact notification: previous, play or pause, next.
_COMPACT: Final = frozenset(
    {MediaAction.SKIP_TO_PREVIOUS, MediaAction.PLAY, MediaAction.PAUSE, MediaAction.SKIP_TO_NEXT}
)


class StatePublisher:
    """Publishes the player's view through the service core, while the player may publish.

    A player publishes while it is current (see ``SwitchingTask``), not released,
    and bound to a service that is starting or running.
    """

    __slots__ = ("_player",)

    def __init__(self, player: QueuePlayerTask) -> None:
        self._player = player

    def core(self) -> ServiceCore | None:
        """The core to publish to, or None while the player may not publish."""
        player = self._player
        core = player._core
        if (
            player._publishing
            and core is not None
            and not player._loads.released
            and core.phase in (ServicePhase.STARTING, ServicePhase.RUNNING)
        ):
            return core
        return None

    def all(self) -> None:
        core = self.core()
        if core is None:
            return
        core.set_queue(self._player._queue)
        self.item()
        self.state()

    def item(self) -> None:
        core = self.core()
        if core is not None:
            core.set_media_item(self._player._current_item())

    def state(self) -> None:
        core = self.core()
        if core is None:
            return
        player = self._player
        loads, order, index = player._loads, player._order, player._index
        item = player._current_item()
        processing = loads.processing_state
        playing = player._playing and processing is not AudioProcessingState.ERROR
        controls: list[MediaControl] = []
        actions = set(_ALWAYS)
        if item is not None:
            if order.previous(index) is not None:
                controls.append(MediaControl.skip_to_previous)
            controls.append(MediaControl.pause if playing else MediaControl.play)
            controls.append(MediaControl.stop)
            if order.next(index) is not None:
                controls.append(MediaControl.skip_to_next)
            actions.add(MediaAction.SKIP_TO_QUEUE_ITEM)
            if item.duration is not None:
                actions |= _SEEKING
        position = player._seeking.position()
        if item is not None and item.duration is not None and position > item.duration:
            position = item.duration
        compact = [i for i, control in enumerate(controls) if control.action in _COMPACT]
        core.set_state(
            controls=controls,
            android_compact_action_indices=compact,
            system_actions=actions,
            processing_state=processing,
            playing=playing,
            position=position,
            speed=player._speed,
            repeat_mode=order.repeat,
            shuffle_mode=order.shuffle,
            error_code=None,
            error_message=loads.error,
            queue_index=index,
        )
