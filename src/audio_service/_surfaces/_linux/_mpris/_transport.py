"""The Player interface's decisions: what each call asks of the task, and what it can do.

Each transport method decides at once (the request to make, ``None`` for
"nothing to do", or a :class:`DBusError`), so that the calls media keys, panels
and headsets make can be answered from the bus's reader itself
(:meth:`Transport.on_call`). Capabilities (``CanPlay``, ``CanGoNext`` …) follow
the actions the task publishes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from dbus_fast import DBusError, ErrorType, Message, MessageFlag, MessageType

from audio_service._model._models import (
    AudioServiceShuffleMode,
    MediaAction,
    MediaButton,
    MediaItem,
    PlaybackState,
)
from audio_service._service._requests import (
    Click,
    Pause,
    Play,
    PlayFromUri,
    Request,
    SeekTo,
    SetRepeatMode,
    SetShuffleMode,
    SetSpeed,
    SetVolume,
    SkipToNext,
    SkipToPrevious,
    Stop,
    StopPlayback,
)
from audio_service._surfaces._capabilities import Capabilities
from audio_service._surfaces._linux._mpris._changes import OBJECT_PATH, PLAYER_INTERFACE
from audio_service._surfaces._linux._mpris._ids import track_path
from audio_service._surfaces._linux._mpris._mapping import (
    LOOP_STATUS_TO_REPEAT,
    PLAY_PAUSE_ACTIONS,
    loop_status,
    microseconds,
    playback_status,
)
from audio_service._surfaces._linux._mpris._replies import invalid
from audio_service._surfaces._linux._mpris._tracklist import cut_text

if TYPE_CHECKING:
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = ["Transport"]

_log = logging.getLogger("audio_service.mpris")

_ZERO = timedelta(0)
_NO_REPLY_EXPECTED: Final = MessageFlag.NO_REPLY_EXPECTED.value
_METHOD_CALL: Final = MessageType.METHOD_CALL
# Read on every PlayPause: module globals, since on Python 3.11 each MediaAction.X
# is a lookup through the enum's metaclass.
_SET_SPEED: Final = MediaAction.SET_SPEED
#: What every PlayPause asks of the task: requests are immutable, so one serves them all.
_PLAY_PAUSE_CLICK: Final = Click(button=MediaButton.MEDIA)
#: Marks the key of an empty method return among a connection's marshalled messages.
_REPLY: Final = "empty method return to"


class Transport:
    """Player's methods, writable properties and capabilities, decided from the core's state."""

    def __init__(
        self,
        server: MprisServer,
        *,
        rate_range: tuple[float, float],
        on_play_pause: Callable[[], object] | None,
    ) -> None:
        self._server = server
        self._core = server.core
        self._rate_range = rate_range
        #: Without published controls, what the task's callbacks handle.
        self.capabilities = Capabilities(server.core.task)
        #: With headset-click gestures on, PlayPause presses go to the aggregator.
        self._on_play_pause = on_play_pause
        #: The last volume the task accepted; the service publishes none of its own.
        self.volume = 1.0
        # The actions of the last (state, item) asked about: each PlayPause asks for those of
        # the state the flush before it computed them for (states and items are immutable).
        self._last_actions: tuple[PlaybackState, MediaItem | None, frozenset[MediaAction]] | None
        self._last_actions = None
        self._direct: dict[str, Callable[[], Request | None]] = {
            "PlayPause": self._play_pause_request,
            "Play": self._play_request,
            "Pause": self._pause_request,
            "Next": self._next_request,
            "Previous": self._previous_request,
            "Stop": self._stop_request,
        }

    # ------------------------------------------------------------------ reading

    def position(self) -> int:
        return microseconds(self._core.position())

    def playback_status(self) -> str:
        return playback_status(self._core.state)

    def loop_status(self) -> str:
        return loop_status(self._core.state.repeat_mode)

    def shuffle(self) -> bool:
        return self._core.state.shuffle_mode is not AudioServiceShuffleMode.NONE

    def rate_limits(self, actions: frozenset[MediaAction]) -> tuple[float, float]:
        return self._rate_range if _SET_SPEED in actions else (1.0, 1.0)

    def rate_range(self) -> tuple[float, float]:
        return self.rate_limits(self._actions())

    def rate(self) -> float:
        low, high = self.rate_range()
        # Never 0.0 (the spec reserves it), and always within the published range.
        return min(max(self._core.state.speed, low), high)

    def actions(self, state: PlaybackState, item: MediaItem | None) -> frozenset[MediaAction]:
        """The actions clients may use: published, or implied by the task's callbacks."""
        last = self._last_actions
        if last is not None and last[0] is state and last[1] is item:
            return last[2]
        actions = self.capabilities.actions(state, item)
        self._last_actions = (state, item, actions)
        return actions

    def _actions(self) -> frozenset[MediaAction]:
        core = self._core
        return self.actions(core.state, core.media_item)

    def can_go_next(self) -> bool:
        return MediaAction.SKIP_TO_NEXT in self._actions()

    def can_go_previous(self) -> bool:
        return MediaAction.SKIP_TO_PREVIOUS in self._actions()

    @staticmethod
    def playable(item: MediaItem | None, actions: frozenset[MediaAction]) -> bool:
        # CanPlay and CanPause: there is a track and the task offers play/pause at all.
        return item is not None and not actions.isdisjoint(PLAY_PAUSE_ACTIONS)

    def can_play(self) -> bool:
        return self.playable(self._core.media_item, self._actions())

    def can_seek(self) -> bool:
        return self._core.media_item is not None and MediaAction.SEEK in self._actions()

    # ------------------------------------------------------------------ deciding

    def _next_request(self) -> Request | None:
        return SkipToNext() if self.can_go_next() else None

    def _previous_request(self) -> Request | None:
        return SkipToPrevious() if self.can_go_previous() else None

    def _pause_request(self) -> Request | None:
        if self.can_play() and self.playback_status() != "Paused":
            return Pause()
        return None

    def _play_request(self) -> Request | None:
        if self.can_play() and self.playback_status() != "Playing":
            return Play()
        return None

    def _play_pause_request(self) -> Request | None:
        if not self.can_play():
            raise DBusError(ErrorType.NOT_SUPPORTED, "CanPause is false: nothing to play or pause")
        if self._on_play_pause is not None:
            self._on_play_pause()
            return None
        return _PLAY_PAUSE_CLICK

    def _stop_request(self) -> Request | None:
        # The spec's Stop keeps the player (Play starts again); Quit is what ends it.
        return Stop() if self._core.config.stop_ends_service else StopPlayback()

    async def _transport(self, decide: Callable[[], Request | None]) -> None:
        request = decide()
        if request is not None:
            await self._server.replies.request(request)

    async def next(self) -> None:
        await self._transport(self._next_request)

    async def previous(self) -> None:
        await self._transport(self._previous_request)

    async def pause(self) -> None:
        await self._transport(self._pause_request)

    async def play(self) -> None:
        await self._transport(self._play_request)

    async def play_pause(self) -> None:
        await self._transport(self._play_pause_request)

    async def stop(self) -> None:
        await self._transport(self._stop_request)

    async def seek(self, offset: int) -> None:
        if not self.can_seek():
            return
        target = self._core.position() + timedelta(microseconds=offset)
        item = self._core.media_item
        duration = item.duration if item is not None else None
        if duration is not None and target > duration:
            # The spec: seeking past the end behaves like Next.
            await self.next()
            return
        await self._seek_to(max(target, _ZERO))

    async def set_position(self, track_id: str, position: int) -> None:
        item = self._core.media_item
        if not self.can_seek() or item is None or track_id != track_path(item.id):
            return  # A stale track id (or nothing seekable): ignored, as the spec says.
        target = timedelta(microseconds=position)
        if position < 0 or (item.duration is not None and target > item.duration):
            return
        await self._seek_to(target)

    async def _seek_to(self, position: timedelta) -> None:
        changes = self._server.changes
        before = changes.seeked_count
        await self._server.replies.request(SeekTo(position=position))
        if changes.seeked_count == before:
            # A seek within a second of the old position shows no jump; clients still hear of it.
            changes.seeked()

    async def open_uri(self, uri: str) -> None:
        scheme = urlsplit(uri).scheme.lower()
        if not scheme:
            raise invalid(f"not an absolute URI: {uri!r}")
        if scheme not in self._server.uri_schemes:
            raise DBusError(ErrorType.NOT_SUPPORTED, cut_text(f"unsupported URI scheme {scheme!r}"))
        await self._server.replies.request(PlayFromUri(uri=uri))

    # ------------------------------------------------------------------ writing

    async def set_loop_status(self, value: str) -> None:
        mode = LOOP_STATUS_TO_REPEAT.get(value)
        if mode is None:
            raise invalid(f"LoopStatus must be None, Track or Playlist, not {value!r}")
        await self._server.replies.request(SetRepeatMode(repeat_mode=mode))

    async def set_shuffle(self, value: bool) -> None:
        mode = AudioServiceShuffleMode.ALL if value else AudioServiceShuffleMode.NONE
        await self._server.replies.request(SetShuffleMode(shuffle_mode=mode))

    async def set_rate(self, value: float) -> None:
        if not math.isfinite(value):
            raise invalid(f"Rate must be a finite number, not {value!r}")
        if value == 0.0:
            # The spec: a client setting Rate to 0.0 means Pause.
            await self.pause()
            return
        low, high = self.rate_range()
        if not low <= value <= high:
            raise invalid(f"Rate must be within [{low}, {high}], not {value!r}")
        await self._server.replies.request(SetSpeed(speed=value))

    async def set_volume(self, value: float) -> None:
        if not math.isfinite(value):
            raise invalid(f"Volume must be a finite number, not {value!r}")
        volume = max(value, 0.0)
        await self._server.replies.request(SetVolume(volume=volume))
        if volume != self.volume:
            self.volume = volume
            self._server.changes.schedule()

    # ------------------------------------------------------- from the bus's reader

    def on_call(self, message: Message) -> bool | Message:
        """The transport methods of Player, answered from the bus's reader itself.

        These are what media keys, panels and headsets press, so the request
        starts in the loop iteration the call arrives in, instead of after a
        task of dbus-fast's. Anything else (other members, a call without an
        interface or with arguments) goes on to dbus-fast's own dispatch, which
        serves the same members through :class:`PlayerInterface`.
        """
        if (
            message.message_type is not _METHOD_CALL
            or message.path != OBJECT_PATH
            or message.interface != PLAYER_INTERFACE
            or message.signature
        ):
            return False
        decide = self._direct.get(message.member or "")
        if decide is None:
            return False
        reply = not message.flags.value & _NO_REPLY_EXPECTED  # IntFlag's & is Python code
        try:
            request = decide()
            if request is not None:
                on_answer = partial(self._reply, message if reply else None)
                self._server.replies.submit(request, on_answer)
        except DBusError:
            if reply:
                raise  # dbus-fast turns it into the error reply
            return True
        if request is None and reply:
            return Message.new_method_return(message)
        return True

    def _reply(self, call: Message | None, value: Any, error: DBusError | None) -> None:
        link = self._server.link
        bus = link.bus
        if call is None or bus is None or not bus.connected:
            return
        try:
            if error is not None:
                link.send(Message.new_error(call, error.type, error.text))
            else:
                # The same empty reply to the same client each time but for its reply serial.
                link.send_marshalled(
                    (_REPLY, call.sender), partial(Message.new_method_return, call), call.serial
                )
        except OSError as failure:  # the connection is going away, and the caller with it
            _log.debug("MPRIS: could not answer %s: %s", call.member, failure)
