"""The MPRIS2 server of a running service: the bus connection and the rules of the spec.

Everything clients see is derived on demand from the :class:`ServiceCore`:
``Position`` is extrapolated at each read, and never sent in PropertiesChanged.
Changes are collected from the core's events and sent once per loop iteration:
PropertiesChanged with only the values that differ from what was last sent,
then ``Seeked`` when the position moved in a way the rate cannot explain, then
the track-list signals.

Album art: with an :class:`~audio_service._surfaces._art.ArtCache`, ``mpris:artUrl`` is
never a remote URL. Metadata goes out at once (``file://`` and other local
schemes as they are, ``http(s)`` art only when already cached, otherwise
without art) and again, as PropertiesChanged and TrackMetadataChanged, once the
cache has the file. Shells can fetch ``http(s)`` art themselves, but then the
image is downloaded twice (by the shell and, for the notification, by us),
without the item's ``art_headers`` (art behind a login fails), and the URL
flips to the cached file later, which redraws the widget for the same picture.

Client calls become requests to the task. A task callback may take long (many
players' ``play()`` returns only when playback stops), so a method call is
answered once its callback returns or after ``reply_after`` seconds, whichever
comes first; a callback that raises before that is answered with a D-Bus error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import posixpath
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from functools import partial
from itertools import count
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

from dbus_fast import (
    DBusError,
    ErrorType,
    Message,
    MessageFlag,
    MessageType,
    NameFlag,
    RequestNameReply,
    Variant,
)
from dbus_fast.aio import MessageBus

from audio_service._errors import ServiceNotRunningError, TaskError
from audio_service._model._events import (
    ChildrenChanged,
    MediaItemChanged,
    QueueChanged,
    ServiceEvent,
    ServiceStarted,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._models import (
    MEDIA_ROOT_ID,
    AudioServiceShuffleMode,
    MediaAction,
    MediaButton,
    MediaItem,
)
from audio_service._service._core import ServiceCore
from audio_service._service._requests import (
    AddQueueItemAt,
    Click,
    LoadChildren,
    Pause,
    Play,
    PlayFromMediaId,
    PlayFromUri,
    RemoveQueueItem,
    Request,
    SeekTo,
    SetRepeatMode,
    SetShuffleMode,
    SetSpeed,
    SetVolume,
    SkipToNext,
    SkipToPrevious,
    SkipToQueueItem,
    Stop,
)
from audio_service._surfaces._linux._mpris._ids import (
    NO_TRACK,
    PLAYLIST_PREFIX,
    bus_name_for,
    instance_name,
    media_id_of_path,
    playlist_path,
    track_path,
)
from audio_service._surfaces._linux._mpris._interfaces import (
    PlayerInterface,
    PlaylistsInterface,
    TrackListInterface,
    root_interface,
)
from audio_service._surfaces._linux._mpris._mapping import (
    LOOP_STATUS_TO_REPEAT,
    PLAY_PAUSE_ACTIONS,
    loop_status,
    metadata,
    microseconds,
    playback_status,
)
from audio_service._surfaces._linux._mpris._tracklist import (
    Window,
    WindowChange,
    cut_text,
    window_of,
)
from audio_session._bus import connect_bus

if TYPE_CHECKING:
    from audio_service._surfaces._art import ArtCache, ArtFollower

__all__ = ["RAISE_EVENT", "MprisServer"]

_log = logging.getLogger("audio_service.mpris")

OBJECT_PATH: Final = "/org/mpris/MediaPlayer2"
PLAYER_INTERFACE: Final = "org.mpris.MediaPlayer2.Player"
PROPERTIES_INTERFACE: Final = "org.freedesktop.DBus.Properties"
#: The custom event a ``Raise`` call sends to the service's clients (the UI shows its window).
RAISE_EVENT: Final = {"mpris": "raise"}
#: D-Bus error names for failures that have no standard name.
TASK_FAILED: Final = "org.audioservicekit.Error.TaskFailed"
NOT_RUNNING: Final = "org.audioservicekit.Error.ServiceNotRunning"
#: A position this far (seconds) from the extrapolated one is a jump clients must hear of.
JUMP_TOLERANCE: Final = 1.0
#: Seconds before the first and, doubling, at most between reconnection attempts.
RECONNECT_FIRST: Final = 0.25
RECONNECT_MAX: Final = 30.0
#: What ``SupportedUriSchemes`` says (and ``OpenUri`` accepts) unless told otherwise.
DEFAULT_URI_SCHEMES: Final = ("file", "http", "https")

_ZERO = timedelta(0)
_NO_REPLY_EXPECTED: Final = MessageFlag.NO_REPLY_EXPECTED.value
_NO_PLAYLIST: Final = (False, ("/", "", ""))
_REMOTE: Final = ("http://", "https://")


def _dbus_error(error: BaseException | None) -> DBusError | None:
    if error is None or isinstance(error, DBusError):
        return error
    if isinstance(error, TaskError):
        return DBusError(TASK_FAILED, cut_text(str(error)))
    if isinstance(error, ServiceNotRunningError):
        return DBusError(NOT_RUNNING, cut_text(str(error)))
    return DBusError(ErrorType.FAILED, cut_text(f"{type(error).__name__}: {error}"))


def _remote(uri: str) -> bool:
    return uri[:8].lower().startswith(_REMOTE)


def _invalid(message: str) -> DBusError:
    return DBusError(ErrorType.INVALID_ARGS, cut_text(message))


class MprisServer:
    """Publishes a :class:`ServiceCore` as an MPRIS2 media player on the session bus.

    The bus name is ``org.mpris.MediaPlayer2.<app id>`` (the core's
    ``config.app_id``; ``audio_service`` without one), or that name plus
    ``.instance<pid>`` when another process owns it. ``identity`` is the
    player's friendly name (the ``Name`` of the app's .desktop file) and
    ``desktop_entry`` the basename of that file; ``bus_address`` defaults to
    the session bus.

    ``Raise`` (offered when ``can_raise``) sends :data:`RAISE_EVENT` as a
    custom event to the service's clients; ``Quit`` and ``Stop`` make a
    ``stop`` request, which ends the service, and the server closes itself
    once the service has stopped. ``rate_range`` is the (minimum, maximum)
    ``Rate`` while the task offers :attr:`MediaAction.SET_SPEED`; without it
    the rate is fixed at 1.0.

    ``art`` makes ``http(s)`` album art local (``mpris:artUrl`` and playlist
    icons); without it the item's ``art_uri`` is published as it is.
    """

    ORDERINGS: Final = ("User", "Alphabetical")

    def __init__(
        self,
        core: ServiceCore,
        *,
        identity: str,
        desktop_entry: str | None = None,
        bus_address: str | None = None,
        uri_schemes: Sequence[str] = DEFAULT_URI_SCHEMES,
        mime_types: Sequence[str] = (),
        can_raise: bool = True,
        can_edit_tracks: bool = True,
        rate_range: tuple[float, float] = (0.25, 4.0),
        track_window: int = 20,
        reply_after: float = 0.5,
        on_play_pause: Callable[[], object] | None = None,
        art: ArtCache | None = None,
    ) -> None:
        if not isinstance(core, ServiceCore):
            raise TypeError(f"core must be a ServiceCore, not {core!r}")
        if not isinstance(identity, str) or not identity:
            raise TypeError(f"identity must be a non-empty str, not {identity!r}")
        if desktop_entry is not None and not isinstance(desktop_entry, str):
            raise TypeError(f"desktop_entry must be a str or None, not {desktop_entry!r}")
        if desktop_entry and desktop_entry.endswith(".desktop"):
            raise ValueError(f"desktop_entry is the basename without .desktop: {desktop_entry!r}")
        for field, values in (("uri_schemes", uri_schemes), ("mime_types", mime_types)):
            if isinstance(values, str) or not all(isinstance(v, str) and v for v in values):
                raise TypeError(f"{field} must be a sequence of non-empty str, not {values!r}")
        low, high = rate_range
        if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= 1.0 <= high):
            raise ValueError(f"rate_range must satisfy 0 < minimum <= 1.0 <= maximum: {rate_range}")
        if isinstance(track_window, bool) or not isinstance(track_window, int) or track_window < 1:
            raise ValueError(f"track_window must be a positive int, not {track_window!r}")
        if not (math.isfinite(reply_after) and reply_after > 0):
            raise ValueError(f"reply_after must be a positive number of seconds: {reply_after!r}")
        self.core = core
        self.identity = identity
        self.desktop_entry = desktop_entry
        self.uri_schemes = tuple(scheme.lower() for scheme in uri_schemes)
        self.mime_types = tuple(mime_types)
        self.can_raise = can_raise
        self.can_edit_tracks = can_edit_tracks
        self._bus_address = bus_address
        self._rate_range = (float(low), float(high))
        self._track_window = track_window
        self._reply_after = reply_after
        #: With headset-click gestures on, PlayPause presses go to the aggregator.
        self._on_play_pause = on_play_pause
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # Requests not answered yet, oldest first, with when to answer them anyway. One timer
        # for all of them (armed for the oldest) instead of one per request: a timer per
        # request costs a heap entry that a quick callback cancels right away.
        self._unanswered: OrderedDict[int, tuple[float, Callable[[], None]]] = OrderedDict()
        self._request_ids = count()
        self._late_timer: asyncio.TimerHandle | None = None
        #: The last volume the task accepted; the service publishes none of its own.
        self.volume = 1.0

        self._art = art
        self._art_follower: ArtFollower | None = (
            art.follower(self._art_ready) if art is not None else None
        )
        #: The current item's (id, remote art URI) and its local file, once there is one.
        self._art_key: tuple[str, str] | None = None
        self._art_local: str | None = None
        #: Items whose art became local since the last flush (TrackMetadataChanged).
        self._art_updated: set[str] = set()
        #: The last metadata built, with the (item, art URL) it was built from.
        self._metadata_memo: (
            tuple[tuple[MediaItem | None, str | None], dict[str, Variant]] | None
        ) = None
        #: Remote playlist icons being fetched, or that failed (not retried).
        self._icons_tried: set[str] = set()

        self._bus: MessageBus | None = None
        self._bus_name: str | None = None
        self._root = root_interface(self)
        self._player = PlayerInterface(self)
        self._tracklist = TrackListInterface(self)
        self._playlists = PlaylistsInterface(self)
        #: Each property's signature, for PropertiesChanged.
        self._signatures = {
            interface.name: {
                prop.name: prop.signature for prop in interface.introspect().properties
            }
            for interface in (self._player, self._playlists)
        }
        self._unobserve: Callable[[], None] | None = None
        self._direct: dict[str, Callable[[], Request | None]] = {
            "PlayPause": self._play_pause_request,
            "Play": self._play_request,
            "Pause": self._pause_request,
            "Next": self._next_request,
            "Previous": self._previous_request,
            "Stop": self._stop_request,
        }
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

        # What clients were last told; the flush compares against it.
        self._sent_player: dict[str, Any] = {}
        self._sent_playlists: dict[str, Any] = {}
        self._window = Window()
        self._tracklist_dirty = False
        self._flush_handle: asyncio.Handle | None = None
        self._seek_pending = False
        self._seeked_count = 0
        self._last_state = core.state
        self._last_item_id = core.media_item.id if core.media_item is not None else None

        self._playlists_cache: list[MediaItem] = []
        self._active_playlist: MediaItem | None = None
        self._playlists_loading: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def bus_name(self) -> str | None:
        """The well-known name the player owns, once started."""
        return self._bus_name

    async def start(self) -> None:
        """Connect, export the player and take its bus name."""
        if self._bus is not None or self._closed or self._unobserve is not None:
            raise RuntimeError("an MprisServer can be started once")
        self._unobserve = self.core.observe(self._on_event)
        try:
            bus = await self._connect()
        except BaseException:
            self._unobserve()
            self._unobserve = None
            raise
        self._spawn(self._stay_connected(bus))
        if self.core.running:
            self._reload_playlists()

    async def _connect(self) -> MessageBus:
        bus = await connect_bus(self._bus_address)
        self._bus = bus
        try:
            for interface in (self._root, self._player, self._tracklist, self._playlists):
                bus.export(OBJECT_PATH, interface)
            bus.add_message_handler(self._on_call)
            self._remember_sent()
            self._bus_name = await self._request_name(bus)
        except BaseException:
            await self._disconnect()
            raise
        return bus

    async def _stay_connected(self, bus: MessageBus) -> None:
        """Reconnect when the bus connection ends under us (a restarted or crashed daemon).

        Until then the player is simply absent from the bus: changes are not
        sent anywhere, and the next connection starts from the current state.
        """
        while True:
            # Shielded: cancelling this task must not cancel the bus's own disconnect future,
            # which close() awaits after cancelling it.
            with contextlib.suppress(Exception):
                await asyncio.shield(bus.wait_for_disconnect())  # type: ignore[no-untyped-call]
            if self._closed or self._bus is not bus:
                return
            self._bus = self._bus_name = None
            _log.warning("MPRIS: lost the session bus connection; reconnecting")
            delay = RECONNECT_FIRST
            while True:
                await asyncio.sleep(delay)
                try:
                    bus = await self._connect()
                except Exception as error:
                    _log.debug("MPRIS: the session bus is not back yet: %s", error)
                    delay = min(delay * 2, RECONNECT_MAX)
                    continue
                _log.warning("MPRIS: back on the session bus as %s", self._bus_name)
                break

    async def _request_name(self, bus: MessageBus) -> str:
        name = bus_name_for(self.core.config.app_id)
        reply = await bus.request_name(name, NameFlag.DO_NOT_QUEUE)
        if reply in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
            return name
        fallback = instance_name(name, os.getpid())
        reply = await bus.request_name(fallback, NameFlag.DO_NOT_QUEUE)
        if reply not in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
            raise RuntimeError(f"neither {name} nor {fallback} could be owned on the bus")
        return fallback

    async def close(self) -> None:
        """Release the name and disconnect. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        if self._unobserve is not None:
            self._unobserve()
            self._unobserve = None
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._answer_late(everything=True)
        for task in tuple(self._background):
            task.cancel()
        if self._art_follower is not None:
            self._art_follower.close()
        await self._disconnect()

    async def _disconnect(self) -> None:
        bus, self._bus = self._bus, None
        if bus is None:
            return
        if self._bus_name is not None and bus.connected:
            with contextlib.suppress(Exception):
                await bus.release_name(self._bus_name)
        bus.disconnect()
        with contextlib.suppress(Exception):
            await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]

    async def __aenter__(self) -> MprisServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # ---------------------------------------------------------------- the service

    def _on_event(self, event: ServiceEvent) -> None:
        if isinstance(event, StateChanged):
            old, new = self._last_state, event.state
            self._last_state = new
            duration = self._duration()
            expected = old.position_at(new.update_time, duration)
            actual = new.update_position  # new.position_at(new.update_time, duration), inline
            if duration is not None and actual > duration:
                actual = duration
            if abs((actual - expected).total_seconds()) > JUMP_TOLERANCE:
                self._seek_pending = True
            if new.queue_index != old.queue_index:
                self._tracklist_dirty = True
        elif isinstance(event, MediaItemChanged):
            self._tracklist_dirty = True
            new_id = event.media_item.id if event.media_item is not None else None
            if new_id != self._last_item_id and new_id is not None:
                # A new track: clients resync their position (Seeked at the start position).
                self._seek_pending = True
            self._last_item_id = new_id
        elif isinstance(event, ServiceStarted):
            self._reload_playlists()
        elif isinstance(event, ChildrenChanged):
            if event.parent_media_id == MEDIA_ROOT_ID:
                self._reload_playlists()
            return
        elif isinstance(event, ServiceStopped):
            self._tracklist_dirty = True
            self._seek_pending = False
            self._last_state = self.core.state
            self._last_item_id = None
            self._flush()
            if self._close_task is None:
                self._close_task = asyncio.get_running_loop().create_task(self._close_when_idle())
            return
        elif isinstance(event, QueueChanged):
            self._tracklist_dirty = True
        else:
            return
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if self._flush_handle is None and not self._closed:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _remember_sent(self) -> None:
        self._sent_player = self._player_values()
        self._sent_playlists = self._playlists_values()
        self._window = self._current_window()

    def _player_values(self) -> dict[str, Any]:
        # Runs on every change of the service, so computed straight from the state; the
        # getters of the same properties answer through the same helpers.
        state = self.core.state
        item = self.core.media_item
        actions = state.actions
        low, high = self._rate_limits(actions)
        playable = self._playable(item, actions)
        return {
            "PlaybackStatus": playback_status(state),
            "LoopStatus": loop_status(state.repeat_mode),
            "Rate": min(max(state.speed, low), high),
            "Shuffle": state.shuffle_mode is not AudioServiceShuffleMode.NONE,
            # Items are immutable: the item and its published art stand for the metadata.
            "Metadata": self._metadata_key(item),
            "Volume": self.volume,
            "MinimumRate": low,
            "MaximumRate": high,
            "CanGoNext": MediaAction.SKIP_TO_NEXT in actions,
            "CanGoPrevious": MediaAction.SKIP_TO_PREVIOUS in actions,
            "CanPlay": playable,
            "CanPause": playable,
            "CanSeek": item is not None and MediaAction.SEEK in actions,
        }

    def _playlists_values(self) -> dict[str, Any]:
        return {name: getattr(self._playlists, name) for name in PlaylistsInterface.CHANGING}

    def _flush(self) -> None:
        self._flush_handle = None
        if self._bus is None or not self._bus.connected:  # not yet, or lost: see _stay_connected
            return
        try:
            self._send_changes()
        except OSError as error:
            # The daemon went away and dbus-fast has only just noticed; _stay_connected
            # reconnects and the new connection starts from the current state.
            _log.debug("MPRIS: could not send the changes: %s", error)

    def _send_changes(self) -> None:
        values = self._player_values()
        changed = {
            name: value for name, value in values.items() if self._sent_player.get(name) != value
        }
        self._sent_player = values
        if changed:
            if "Metadata" in changed:
                changed["Metadata"] = self.metadata()
            self._properties_changed(PLAYER_INTERFACE, changed)
        if self._seek_pending:
            self._seek_pending = False
            self._seeked_count += 1
            self._player.Seeked(self.position())
        if self._tracklist_dirty:
            # Only the queue, the current item and its index move the window.
            self._tracklist_dirty = False
            self._flush_tracklist()
        playlists = self._playlists_values()
        changed = {k: v for k, v in playlists.items() if self._sent_playlists.get(k) != v}
        self._sent_playlists = playlists
        if changed:
            self._properties_changed(self._playlists.name, changed)

    def _properties_changed(self, interface: str, changed: dict[str, Any]) -> None:
        # What ServiceInterface.emit_properties_changed sends, without its search of every
        # property and export on each call: this is on the path of every PlayPause.
        assert self._bus is not None
        signatures = self._signatures[interface]
        body = {name: Variant(signatures[name], value) for name, value in changed.items()}
        self._bus.send(
            Message.new_signal(
                OBJECT_PATH,
                PROPERTIES_INTERFACE,
                "PropertiesChanged",
                "sa{sv}as",
                [interface, body, []],
            )
        )

    def _duration(self) -> timedelta | None:
        item = self.core.media_item
        return item.duration if item is not None else None

    # --------------------------------------------------------------- the requests

    async def _close_when_idle(self) -> None:
        # A Quit or Stop call is what stopped the service: answer it before leaving the bus.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 2.0)
        for _ in range(3):
            await asyncio.sleep(0)  # dbus-fast sends a reply after the handler returns
        await self.close()

    def _submit(self, request: Request, on_answer: Callable[[Any, DBusError | None], None]) -> None:
        """Start ``request``; ``on_answer(value, error)`` is called once, when to reply.

        That is when the task's callback has ended, after the flush that tells
        clients what it published (so a client sees the new state no later than
        the reply), or after ``reply_after`` seconds with ``(None, None)``.
        ``core.submit`` calls back at the end of the callback's last step, so no
        task of our own stands in between.
        """
        answered = False
        request_id = next(self._request_ids)

        def answer(value: Any, error: BaseException | None) -> None:
            nonlocal answered
            if answered:
                if error is not None:
                    _log.warning("an MPRIS request failed after it was answered: %s", error)
                return
            answered = True
            self._unanswered.pop(request_id, None)
            try:
                on_answer(value, _dbus_error(error))
            finally:
                self._inflight -= 1
                if self._inflight == 0:
                    self._idle.set()

        def settle(value: Any, error: BaseException | None) -> None:
            # The callback's last step: what it published goes out now, then the reply, both in
            # this loop iteration (waiting for the scheduled flush would cost one more).
            handle = self._flush_handle
            if handle is not None:
                handle.cancel()
                self._flush()
            answer(value, error)

        try:
            self.core.submit(request, settle)
        except ServiceNotRunningError as error:
            raise DBusError(NOT_RUNNING, str(error)) from error
        self._inflight += 1
        self._idle.clear()
        if not answered:
            # Still running after reply_after (a play() that lasts as long as playback): answer.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._reply_after
            self._unanswered[request_id] = (deadline, partial(answer, None, None))
            if self._late_timer is None:
                self._late_timer = loop.call_at(deadline, self._answer_late)

    def _answer_late(self, everything: bool = False) -> None:
        """Answer the requests whose callbacks outlast ``reply_after`` (at close: all)."""
        timer, self._late_timer = self._late_timer, None
        if timer is not None:
            timer.cancel()  # a no-op when it is the timer calling
        if not self._unanswered:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._unanswered:
            request_id, (deadline, late) = next(iter(self._unanswered.items()))
            if deadline > now and not everything:
                self._late_timer = loop.call_at(deadline, self._answer_late)
                return
            del self._unanswered[request_id]
            late()

    async def _request(self, request: Request) -> Any:
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[Any] = loop.create_future()

        def on_answer(value: Any, error: DBusError | None) -> None:
            if outcome.done():  # the caller went away
                return
            if error is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(value)

        self._submit(request, on_answer)
        return await outcome

    def _on_call(self, message: Message) -> bool | Message:
        """The transport methods of Player, answered from the bus's reader itself.

        These are what media keys, panels and headsets press, so the request
        starts in the loop iteration the call arrives in, instead of after a
        task of dbus-fast's. Anything else (other members, a call without an
        interface or with arguments) goes on to dbus-fast's own dispatch, which
        serves the same members through :class:`PlayerInterface`.
        """
        if (
            message.message_type is not MessageType.METHOD_CALL
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
                self._submit(request, partial(self._reply, message if reply else None))
        except DBusError:
            if reply:
                raise  # dbus-fast turns it into the error reply
            return True
        if request is None and reply:
            return Message.new_method_return(message)
        return True

    def _reply(self, call: Message | None, value: Any, error: DBusError | None) -> None:
        bus = self._bus
        if call is None or bus is None or not bus.connected:
            return
        try:
            if error is not None:
                bus.send(Message.new_error(call, error.type, error.text))
            else:
                bus.send(Message.new_method_return(call))
        except OSError as failure:  # the connection is going away, and the caller with it
            _log.debug("MPRIS: could not answer %s: %s", call.member, failure)

    # ------------------------------------------------------------- root interface

    def raise_ui(self) -> None:
        """``Raise``: ask the UI to show itself, through a custom event."""
        if not self.can_raise:
            return
        try:
            self.core.send_custom_event(dict(RAISE_EVENT))
        except ServiceNotRunningError as error:
            raise DBusError(NOT_RUNNING, str(error)) from error

    async def quit(self) -> None:
        """``Quit``: stop the service."""
        await self._request(Stop())

    # ----------------------------------------------------------- player: reading

    def playback_status(self) -> str:
        return playback_status(self.core.state)

    def loop_status(self) -> str:
        return loop_status(self.core.state.repeat_mode)

    def shuffle(self) -> bool:
        return self.core.state.shuffle_mode is not AudioServiceShuffleMode.NONE

    def _rate_limits(self, actions: frozenset[MediaAction]) -> tuple[float, float]:
        return self._rate_range if MediaAction.SET_SPEED in actions else (1.0, 1.0)

    def rate_range(self) -> tuple[float, float]:
        return self._rate_limits(self.core.state.actions)

    def rate(self) -> float:
        low, high = self.rate_range()
        # Never 0.0 (the spec reserves it), and always within the published range.
        return min(max(self.core.state.speed, low), high)

    def _metadata_key(self, item: MediaItem | None) -> tuple[MediaItem | None, str | None]:
        self._follow_art(item)
        return (item, self._art_url(item) if item is not None else None)

    def metadata(self) -> dict[str, Variant]:
        key = self._metadata_key(self.core.media_item)
        memo = self._metadata_memo
        if memo is None or memo[0] != key:
            memo = self._metadata_memo = (key, metadata(key[0], self._art_url))
        return memo[1]

    # ------------------------------------------------------------------- album art

    def _follow_art(self, item: MediaItem | None) -> None:
        # Resolved once per item and art URI: a cache hit now, or a download that calls back.
        follower = self._art_follower
        if follower is None:
            return
        uri = item.art_uri if item is not None else None
        if item is None or not uri or not _remote(uri):
            if self._art_key is not None:
                self._art_key = self._art_local = None
                follower.resolve(None)
            return
        key = (item.id, uri)
        if key != self._art_key:
            self._art_key = key
            self._art_local = follower.resolve(item)

    def _art_url(self, item: MediaItem) -> str | None:
        uri = item.art_uri
        if not uri or self._art is None or not _remote(uri):
            return uri
        if (item.id, uri) == self._art_key:
            return self._art_local
        # Another track-list item: its art only if some earlier download left it in the cache.
        return self._art.lookup(uri)

    def _art_ready(self, item: MediaItem, local: str) -> None:
        if (item.id, item.art_uri) != self._art_key or self._closed:
            return
        self._art_local = local
        self._art_updated.add(item.id)
        self._tracklist_dirty = True
        self._schedule_flush()

    def _icon(self, item: MediaItem) -> str:
        uri = item.art_uri or ""
        if not uri or self._art is None or not _remote(uri):
            return uri
        local = self._art.lookup(uri)
        if local is not None:
            return local
        if uri not in self._icons_tried and not self._closed:
            self._icons_tried.add(uri)
            self._spawn(self._fetch_icon(item))
        return ""

    async def _fetch_icon(self, item: MediaItem) -> None:
        from audio_service._surfaces._art import ArtError

        assert self._art is not None
        uri = item.art_uri or ""
        try:
            await self._art.fetch(uri, item.art_headers)
        except (ArtError, ValueError) as error:
            _log.warning("icon of playlist %r not available: %s", item.id, error)
            return
        self._icons_tried.discard(uri)
        if self._bus is None:
            return
        for child in self._playlists_cache:
            if child.art_uri == uri:
                self._playlists.PlaylistChanged(self._playlist(child))

    def position(self) -> int:
        return microseconds(self.core.position())

    def _actions(self) -> frozenset[MediaAction]:
        return self.core.state.actions

    def can_go_next(self) -> bool:
        return MediaAction.SKIP_TO_NEXT in self._actions()

    def can_go_previous(self) -> bool:
        return MediaAction.SKIP_TO_PREVIOUS in self._actions()

    @staticmethod
    def _playable(item: MediaItem | None, actions: frozenset[MediaAction]) -> bool:
        # CanPlay and CanPause: there is a track and the task offers play/pause at all.
        return item is not None and not actions.isdisjoint(PLAY_PAUSE_ACTIONS)

    def can_play(self) -> bool:
        return self._playable(self.core.media_item, self._actions())

    def can_seek(self) -> bool:
        return self.core.media_item is not None and MediaAction.SEEK in self._actions()

    # ----------------------------------------------------------- player: methods

    # Each transport method decides at once (the request to make, or None for "nothing to
    # do", or a DBusError), so that _on_call can answer it from the bus's reader.

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
        return Click(button=MediaButton.MEDIA)

    def _stop_request(self) -> Request | None:
        return Stop()

    async def _transport(self, decide: Callable[[], Request | None]) -> None:
        request = decide()
        if request is not None:
            await self._request(request)

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
        target = self.core.position() + timedelta(microseconds=offset)
        duration = self._duration()
        if duration is not None and target > duration:
            # The spec: seeking past the end behaves like Next.
            await self.next()
            return
        await self._seek_to(max(target, _ZERO))

    async def set_position(self, track_id: str, position: int) -> None:
        item = self.core.media_item
        if not self.can_seek() or item is None or track_id != track_path(item.id):
            return  # A stale track id (or nothing seekable): ignored, as the spec says.
        target = timedelta(microseconds=position)
        if position < 0 or (item.duration is not None and target > item.duration):
            return
        await self._seek_to(target)

    async def _seek_to(self, position: timedelta) -> None:
        before = self._seeked_count
        await self._request(SeekTo(position=position))
        if self._seeked_count == before:
            # A seek within a second of the old position shows no jump; clients still hear of it.
            self._seek_pending = True
            self._schedule_flush()

    async def open_uri(self, uri: str) -> None:
        scheme = urlsplit(uri).scheme.lower()
        if not scheme:
            raise _invalid(f"not an absolute URI: {uri!r}")
        if scheme not in self.uri_schemes:
            raise DBusError(ErrorType.NOT_SUPPORTED, cut_text(f"unsupported URI scheme {scheme!r}"))
        await self._request(PlayFromUri(uri=uri))

    # ----------------------------------------------------------- player: writing

    async def set_loop_status(self, value: str) -> None:
        mode = LOOP_STATUS_TO_REPEAT.get(value)
        if mode is None:
            raise _invalid(f"LoopStatus must be None, Track or Playlist, not {value!r}")
        await self._request(SetRepeatMode(repeat_mode=mode))

    async def set_shuffle(self, value: bool) -> None:
        mode = AudioServiceShuffleMode.ALL if value else AudioServiceShuffleMode.NONE
        await self._request(SetShuffleMode(shuffle_mode=mode))

    async def set_rate(self, value: float) -> None:
        if not math.isfinite(value):
            raise _invalid(f"Rate must be a finite number, not {value!r}")
        if value == 0.0:
            # The spec: a client setting Rate to 0.0 means Pause.
            await self.pause()
            return
        low, high = self.rate_range()
        if not low <= value <= high:
            raise _invalid(f"Rate must be within [{low}, {high}], not {value!r}")
        await self._request(SetSpeed(speed=value))

    async def set_volume(self, value: float) -> None:
        if not math.isfinite(value):
            raise _invalid(f"Volume must be a finite number, not {value!r}")
        volume = max(value, 0.0)
        await self._request(SetVolume(volume=volume))
        if volume != self.volume:
            self.volume = volume
            self._schedule_flush()

    # ------------------------------------------------------------------ tracklist

    def _current_window(self) -> Window:
        state = self.core.state
        return window_of(
            self.core.queue, self.core.media_item, state.queue_index, self._track_window
        )

    def tracks(self) -> list[str]:
        return [track_path(media_id) for media_id in self._window.ids]

    def _flush_tracklist(self) -> None:
        new = self._current_window()
        change = WindowChange.between(self._window, new)
        self._window = new
        tracklist = self._tracklist
        if change.replaced:
            item = self.core.media_item
            current = track_path(item.id) if item is not None else NO_TRACK
            tracklist.TrackListReplaced(self.tracks(), current)
        for removed in change.removed:
            tracklist.TrackRemoved(track_path(removed.media_id))
        for added in change.added:
            after = track_path(added.after) if added.after is not None else NO_TRACK
            tracklist.TrackAdded(metadata(added.item, self._art_url), after)
        for changed in change.changed:
            path = track_path(changed.item.id)
            tracklist.TrackMetadataChanged(path, metadata(changed.item, self._art_url))
        if self._art_updated:
            # Art that became local: the spec's "metadata of a track in the list changed".
            sent = {c.item.id for c in change.changed} | {a.item.id for a in change.added}
            for media_id in self._art_updated - sent:
                item = None if change.replaced else new.find(media_id)
                if item is not None:
                    path = track_path(media_id)
                    tracklist.TrackMetadataChanged(path, metadata(item, self._art_url))
            self._art_updated.clear()
        if change.tracks_changed:
            tracklist.emit_properties_changed({}, ["Tracks"])

    def _queue_item(self, track_id: str) -> MediaItem | None:
        media_id = media_id_of_path(track_id)
        if media_id is None:
            return None
        in_window = self._window.find(media_id)
        if in_window is not None:
            return in_window
        queue = self.core.queue
        index = queue.index_of(media_id)
        return queue[index] if index is not None else None

    def tracks_metadata(self, track_ids: list[str]) -> list[dict[str, Variant]]:
        result = []
        for track_id in track_ids:
            item = self._queue_item(track_id)
            if item is not None:
                result.append(metadata(item, self._art_url))
        return result

    async def go_to(self, track_id: str) -> None:
        item = self._queue_item(track_id)
        if item is not None:
            await self._request(SkipToQueueItem(media_id=item.id))

    async def add_track(self, uri: str, after_track: str, set_as_current: bool) -> None:
        if not self.can_edit_tracks:
            return
        parts = urlsplit(uri)
        if not parts.scheme:
            raise _invalid(f"not an absolute URI: {uri!r}")
        if parts.scheme.lower() not in self.uri_schemes:
            raise DBusError(
                ErrorType.NOT_SUPPORTED, cut_text(f"unsupported URI scheme {parts.scheme!r}")
            )
        if after_track == NO_TRACK:
            index = 0
        else:
            after = self._queue_item(after_track)
            found = None if after is None else self.core.queue.index_of(after.id)
            if found is None:
                raise _invalid(f"AfterTrack {after_track} is not in the track list")
            index = found + 1
        title = unquote(posixpath.basename(parts.path.rstrip("/"))) or uri
        item = MediaItem(id=uri, title=title, extras={"uri": uri})
        await self._request(AddQueueItemAt(media_item=item, index=index))
        if set_as_current:
            await self._request(SkipToQueueItem(media_id=item.id))

    async def remove_track(self, track_id: str) -> None:
        if not self.can_edit_tracks:
            return
        item = self._queue_item(track_id)
        if item is not None:
            await self._request(RemoveQueueItem(media_item=item))

    # ------------------------------------------------------------------ playlists

    def _reload_playlists(self) -> None:
        if self._playlists_loading is not None and not self._playlists_loading.done():
            self._playlists_loading.cancel()
        self._playlists_loading = self._spawn(self._load_playlists_quietly())

    async def _load_playlists_quietly(self) -> None:
        try:
            await self._load_playlists()
        except (TaskError, ServiceNotRunningError) as error:
            _log.warning("could not list the browse root for MPRIS playlists: %s", error)

    async def _load_playlists(self) -> list[MediaItem]:
        children: list[MediaItem] = await self.core.handle(
            LoadChildren(parent_media_id=MEDIA_ROOT_ID)
        )
        old = {item.id: item for item in self._playlists_cache}
        self._playlists_cache = list(children)
        if self._bus is not None:
            for child in children:
                before = old.get(child.id)
                if before is not None and (before.title, before.art_uri) != (
                    child.title,
                    child.art_uri,
                ):
                    self._playlists.PlaylistChanged(self._playlist(child))
            self._schedule_flush()
        return self._playlists_cache

    def playlist_count(self) -> int:
        return len(self._playlists_cache)

    def active_playlist(self) -> tuple[bool, tuple[str, str, str]]:
        if self._active_playlist is None:
            return _NO_PLAYLIST
        return (True, self._playlist(self._active_playlist))

    async def get_playlists(
        self, index: int, max_count: int, order: str, reverse: bool
    ) -> list[tuple[str, str, str]]:
        if order not in self.ORDERINGS:
            raise _invalid(f"Order must be one of {', '.join(self.ORDERINGS)}, not {order!r}")
        try:
            children = await self._load_playlists()
        except TaskError as error:
            raise DBusError(TASK_FAILED, str(error)) from error
        except ServiceNotRunningError as error:
            raise DBusError(NOT_RUNNING, str(error)) from error
        items = list(children)
        if order == "Alphabetical":
            items.sort(key=lambda item: item.title.casefold())
        if reverse:
            items.reverse()
        return [self._playlist(item) for item in items[index : index + max_count]]

    async def activate_playlist(self, playlist_id: str) -> None:
        media_id = media_id_of_path(playlist_id, PLAYLIST_PREFIX)
        if media_id is None:
            raise _invalid(f"not a playlist of this player: {playlist_id}")
        item = next((i for i in self._playlists_cache if i.id == media_id), None)
        if item is None:
            raise _invalid(f"no playlist {playlist_id}")
        await self._request(PlayFromMediaId(media_id=media_id))
        self._active_playlist = item
        self._schedule_flush()

    def _playlist(self, item: MediaItem) -> tuple[str, str, str]:
        return (playlist_path(item.id), item.title, self._icon(item))
