"""A desktop media notification (``org.freedesktop.Notifications``) with transport buttons.

For desktops whose shell has no MPRIS widget (tiling window managers with
dunst or mako, Xfce with xfce4-notifyd, kiosks), a notification is the only
visible control. Where the shell shows MPRIS players itself (GNOME Shell,
KDE Plasma: told apart by GetServerInformation) it would only duplicate the
shell's media card (GNOME 43 draws no buttons in its message list), so it is
not shown there unless ``on_shells``. Urgency is low: the servers that show it
draw its buttons at that urgency too (dunst in its context menu), without a
popup and a sound on every track.

Dismissing it (reason 2: GNOME's Clear, a dunst click) hides it until the
next item and never stops playback; ``dismiss_stops`` sends :class:`Close`
(Android's meaning, the task's ``on_close``). A server that answers an error
right after taking the name (GNOME Shell restarting exports its object a
moment later) is asked again a few times before the notification is given up.

The notification is replaced in place (``replaces_id``) on every change of the
item, of ``playing`` or of the enabled actions, and closed when the item goes
away or the service stops. Its buttons are previous, play/pause and next, each
shown only when the state enables the action; with the server's
``action-icons`` capability they are drawn as the standard media icons. The
album art is the ``image-path`` hint, made local by an :class:`ArtCache`.
Hints: ``resident`` (buttons do not dismiss it), ``transient`` (it is not
kept in the notification history), ``suppress-sound`` (updates are silent).

No notification server on the bus is not an error: it is logged once and the
notification stays off.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from audio_service._model._events import (
    MediaItemChanged,
    ServiceEvent,
    ServiceSnapshot,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._models import MediaAction, MediaItem, PlaybackState
from audio_service._service._requests import Close, Pause, Play, Request, SkipToNext, SkipToPrevious
from audio_service._surfaces._capabilities import Capabilities
from audio_service._surfaces._sending import Dispatch, RequestSender
from audio_session._bus import close_bus, connect_bus
from audio_session._tasks import BackgroundTasks

if TYPE_CHECKING:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

    from audio_service._service._core import ServiceCore
    from audio_service._surfaces._art import ArtCache, ArtFollower

__all__ = ["MediaNotification"]

_log = logging.getLogger("audio_service.notification")

BUS_NAME: Final = "org.freedesktop.Notifications"
OBJECT_PATH: Final = "/org/freedesktop/Notifications"
INTERFACE: Final = "org.freedesktop.Notifications"
_SIGNAL_RULE: Final = f"type='signal',interface='{INTERFACE}',path='{OBJECT_PATH}'"
_DBUS: Final = "org.freedesktop.DBus"
#: The notification server coming, going or restarting (a daemon that starts after us, say).
_OWNER_RULE: Final = (
    f"type='signal',sender='{_DBUS}',interface='{_DBUS}',member='NameOwnerChanged',"
    f"arg0='{BUS_NAME}'"
)
#: NotificationClosed reason: dismissed by the user.
_DISMISSED: Final = 2
#: How long a call to the notification server may take before it counts as absent.
_CALL_TIMEOUT: Final = 5.0
#: Seconds between the attempts to meet a server that answers with an error (about 3 s).
_MEET_RETRIES: Final = (0.1, 0.2, 0.4, 0.8, 1.6)
#: Notification servers (GetServerInformation name) whose shell shows MPRIS players. By name,
#: not vendor: GNOME's standalone notification-daemon (vendor "GNOME" too) has no media card.
_SHELLS_WITH_PLAYERS: Final = frozenset({"gnome-shell", "plasma", "plasmashell"})

# Action keys are icon names, as the spec asks when "action-icons" is set.
PREVIOUS: Final = "media-skip-backward"
PLAY: Final = "media-playback-start"
PAUSE: Final = "media-playback-pause"
NEXT: Final = "media-skip-forward"
_REQUESTS: Final[dict[str, Callable[[], Request]]] = {
    PREVIOUS: SkipToPrevious,
    PLAY: Play,
    PAUSE: Pause,
    NEXT: SkipToNext,
}


class _Unavailable(Exception):
    """The notification server is absent or broken; the notification stays off."""

    def __init__(self, message: str, *, answered: bool = False) -> None:
        super().__init__(message)
        #: The server answered, with an error (it may not be ready yet).
        self.answered = answered


def shows_players_itself(name: str) -> bool:
    """Whether the notification server's shell has its own MPRIS media card (GNOME, KDE).

    There a media notification only duplicates the card (and GNOME draws no
    buttons in its message list); servers without one (dunst, mako,
    xfce4-notifyd, ...) show it as the player's only visible control.
    """
    return name.lower() in _SHELLS_WITH_PLAYERS


def _buttons(state: PlaybackState, actions: frozenset[MediaAction]) -> list[tuple[str, str]]:
    buttons: list[tuple[str, str]] = []
    if MediaAction.SKIP_TO_PREVIOUS in actions:
        buttons.append((PREVIOUS, "Previous"))
    toggle = MediaAction.PLAY_PAUSE in actions
    if state.playing and (toggle or MediaAction.PAUSE in actions):
        buttons.append((PAUSE, "Pause"))
    elif not state.playing and (toggle or MediaAction.PLAY in actions):
        buttons.append((PLAY, "Play"))
    if MediaAction.SKIP_TO_NEXT in actions:
        buttons.append((NEXT, "Next"))
    return buttons


class MediaNotification:
    """Shows the current item as a notification and turns its buttons into requests.

    Feed it with :meth:`attach` (a :class:`ServiceCore`) or :meth:`on_event`
    (any source of service events); button presses reach ``dispatch`` as
    :class:`SkipToPrevious`, :class:`Play`, :class:`Pause` or
    :class:`SkipToNext`, and, with ``dismiss_stops``, a notification
    dismissed by the user as :class:`Close`. ``capabilities`` supplies the
    buttons of a task that publishes no controls. ``bus_address`` defaults
    to the session bus; ``art`` makes remote art local (without it only
    ``file://`` art is shown).
    ``desktop_entry`` is the app's desktop file name without ``.desktop``.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        *,
        app_name: str = "",
        app_icon: str = "",
        desktop_entry: str | None = None,
        art: ArtCache | None = None,
        bus_address: str | None = None,
        capabilities: Capabilities | None = None,
        dismiss_stops: bool = False,
        on_shells: bool = False,
    ) -> None:
        if not callable(dispatch):
            raise TypeError(f"dispatch must be callable, not {dispatch!r}")
        for field, value in (("app_name", app_name), ("app_icon", app_icon)):
            if not isinstance(value, str):
                raise TypeError(f"{field} must be a str, not {value!r}")
        if desktop_entry is not None and not isinstance(desktop_entry, str):
            raise TypeError(f"desktop_entry must be a str or None, not {desktop_entry!r}")
        if bus_address is not None and not isinstance(bus_address, str):
            raise TypeError(f"bus_address must be a str or None, not {bus_address!r}")
        self._sender = RequestSender(dispatch, "from the notification", _log)
        self._app_name = app_name
        self._app_icon = app_icon
        self._desktop_entry = desktop_entry
        self._bus_address = bus_address
        self._follower: ArtFollower | None = (
            art.follower(self._art_ready) if art is not None else None
        )
        self._actions = capabilities if capabilities is not None else Capabilities(None)
        self._dismiss_stops = dismiss_stops
        self._on_shells = on_shells
        self._bus: MessageBus | None = None
        self._capabilities: frozenset[str] = frozenset()
        #: The server's (name, vendor, version), and whether it shows MPRIS players itself.
        self._server: tuple[str, str, str] = ("", "", "")
        self._duplicate = False
        self._available = False
        self._warned = False
        self._state = PlaybackState()
        self._item: MediaItem | None = None
        self._art_uri: str | None = None
        self._running = False
        #: Set when the user dismissed the notification: stays hidden until the item changes.
        self._dismissed = False
        self._id = 0
        self._sent: tuple[Any, ...] | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._meeting = BackgroundTasks(_log, "meeting the notification server")
        self._detach: Callable[[], None] | None = None

    @property
    def available(self) -> bool:
        """True while a notification server is there (one that starts later counts too)."""
        return self._available

    @property
    def capabilities(self) -> frozenset[str]:
        """What the notification server said it supports."""
        return self._capabilities

    @property
    def server(self) -> tuple[str, str, str]:
        """The notification server's (name, vendor, version), once met."""
        return self._server

    @property
    def notification_id(self) -> int:
        """The id of the notification shown now (0: none)."""
        return self._id

    async def start(self) -> bool:
        """Join the bus and ask the server for its capabilities; False when there is none."""
        if self._worker is not None:
            return self._available
        self._worker = asyncio.get_running_loop().create_task(
            self._run(), name="audio_service notification"
        )
        try:
            self._bus = await connect_bus(self._bus_address)
            self._bus.add_message_handler(self._on_message)
            for rule in (_SIGNAL_RULE, _OWNER_RULE):
                await self._call(_DBUS, "/org/freedesktop/DBus", _DBUS, "AddMatch", "s", [rule])
        except Exception as error:
            # No session bus (or one that refuses us): no notification.
            self._off(error)
            await self._leave_bus()
            return False
        # No server now, or a broken one: off until one takes the name (NameOwnerChanged).
        return await self._meet_server()

    async def _meet_server(self) -> bool:
        # A server may take the name before it exports its object (GNOME Shell restarting
        # answers UnknownMethod for a moment): an error answer is retried a few times.
        for delay in (*_MEET_RETRIES, None):
            try:
                reply = await self._call(
                    BUS_NAME, OBJECT_PATH, INTERFACE, "GetCapabilities", "", []
                )
                info = await self._call(
                    BUS_NAME, OBJECT_PATH, INTERFACE, "GetServerInformation", "", []
                )
                break
            except _Unavailable as error:
                if delay is None or not error.answered:
                    self._off(error)
                    return False
                _log.debug("the notification server is not ready (%s); asking again", error)
                await asyncio.sleep(delay)
        if self._warned:
            _log.info("a desktop notification server is here now; the media notification is on")
            self._warned = False
        self._server = (str(info[0]), str(info[1]), str(info[2]))
        self._duplicate = shows_players_itself(self._server[0])
        if self._duplicate and not self._on_shells:
            _log.info(
                "the notification server %s %s shows MPRIS players itself: the media "
                "notification would only duplicate its media card, so it is not shown",
                self._server[0],
                self._server[2],
            )
        self._capabilities = frozenset(str(cap) for cap in reply[0])
        # A new server knows nothing of what the last one showed.
        self._id = 0
        self._sent = None
        self._available = True
        self._schedule()
        return True

    def attach(self, core: ServiceCore) -> Callable[[], None]:
        """Follow ``core``'s events (starting from its snapshot); returns the detacher."""
        self.on_event(core.snapshot())
        remove = core.observe(self.on_event)
        self._detach = remove
        return remove

    def on_event(self, event: ServiceEvent) -> None:
        """Apply one service event; never blocks (the D-Bus calls run in a task)."""
        if isinstance(event, ServiceSnapshot):
            self._running = event.running
            self._state = event.state
            self._set_item(event.media_item)
        elif isinstance(event, StateChanged):
            self._running = True
            self._state = event.state
        elif isinstance(event, MediaItemChanged):
            self._running = True
            self._set_item(event.media_item)
        elif isinstance(event, ServiceStopped):
            self._running = False
            self._set_item(None)
        else:
            return
        self._schedule()

    async def flush(self) -> None:
        """Wait until the server has been told the latest state."""
        if self._worker is not None and not self._worker.done():
            await self._idle.wait()

    async def close(self) -> None:
        """Close the notification, stop following events and leave the bus. Idempotent."""
        if self._detach is not None:
            self._detach()
            self._detach = None
        if self._follower is not None:
            self._follower.close()
        worker, self._worker = self._worker, None
        self._meeting.cancel()
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self._id and self._available:
            with contextlib.suppress(_Unavailable):
                await self._close_notification()
        self._available = False
        await self._leave_bus()

    async def _leave_bus(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.remove_message_handler(self._on_message)
            await close_bus(bus)

    # ------------------------------------------------------------------ internals

    def _set_item(self, item: MediaItem | None) -> None:
        if item is None or self._item is None or item.id != self._item.id:
            self._dismissed = False
        self._item = item
        if self._follower is not None:
            self._art_uri = self._follower.resolve(item)
        elif item is not None and item.art_uri and item.art_uri.startswith("file://"):
            self._art_uri = item.art_uri
        else:
            self._art_uri = None

    def _art_ready(self, item: MediaItem, uri: str) -> None:
        if self._item is not None and self._item.id == item.id:
            self._art_uri = uri
            self._schedule()

    def _schedule(self) -> None:
        self._idle.clear()
        self._wake.set()

    def _off(self, error: BaseException) -> None:
        self._available = False
        if not self._warned:
            self._warned = True
            _log.info("no desktop notification server; the media notification is off (%s)", error)

    def _wanted(self) -> tuple[Any, ...] | None:
        item = self._item
        if not self._running or item is None or self._dismissed:
            return None
        if self._duplicate and not self._on_shells:
            return None
        markup = "body-markup" in self._capabilities
        parts = [part for part in (item.artist, item.album) if part]
        body = " — ".join(html.escape(part, quote=False) if markup else part for part in parts)
        if "actions" in self._capabilities:
            actions = self._actions.actions(self._state, item)
            buttons = _buttons(self._state, actions)
        else:
            buttons = []
        return (item.display_title or item.title, body, tuple(buttons), self._art_uri)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._available:
                try:
                    await self._sync()
                except _Unavailable as error:
                    self._off(error)
            if not self._wake.is_set():
                self._idle.set()

    async def _sync(self) -> None:
        wanted = self._wanted()
        if wanted is None:
            if self._id:
                await self._close_notification()
            self._sent = None
            return
        if wanted == self._sent and self._id:
            return
        from dbus_fast import Variant

        summary, body, buttons, art_uri = wanted
        actions = [part for key, label in buttons for part in (key, label)]
        hints: dict[str, Variant] = {
            "resident": Variant("b", True),
            "transient": Variant("b", True),
            "suppress-sound": Variant("b", True),
            "urgency": Variant("y", 0),
            "category": Variant("s", "x-audio-service.media"),
        }
        if "action-icons" in self._capabilities and actions:
            hints["action-icons"] = Variant("b", True)
        if self._desktop_entry:
            hints["desktop-entry"] = Variant("s", self._desktop_entry)
        if art_uri:
            hints["image-path"] = Variant("s", art_uri)
        reply = await self._call(
            BUS_NAME,
            OBJECT_PATH,
            INTERFACE,
            "Notify",
            "susssasa{sv}i",
            [self._app_name, self._id, self._app_icon, summary, body, actions, hints, 0],
        )
        self._id = int(reply[0])
        self._sent = wanted

    async def _close_notification(self) -> None:
        notification_id, self._id = self._id, 0
        self._sent = None
        await self._call(
            BUS_NAME, OBJECT_PATH, INTERFACE, "CloseNotification", "u", [notification_id]
        )

    async def _call(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str,
        body: list[Any],
    ) -> list[Any]:
        from dbus_fast import Message, MessageType

        bus = self._bus
        if bus is None:
            raise _Unavailable("not connected")
        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body,
        )
        try:
            async with asyncio.timeout(_CALL_TIMEOUT):
                reply = await bus.call(message)
        except TimeoutError:
            raise _Unavailable(f"{member}: no answer within {_CALL_TIMEOUT:g} s") from None
        except (OSError, EOFError) as error:
            raise _Unavailable(f"{member}: {error}") from error
        if reply is None:
            raise _Unavailable(f"{member}: no reply")
        if reply.message_type is MessageType.ERROR:
            detail = reply.body[0] if reply.body else ""
            text = f"{member}: {reply.error_name} {detail}".rstrip()
            raise _Unavailable(text, answered=True)
        return list(reply.body)

    def _on_message(self, message: Message) -> None:
        if (
            message.member == "NameOwnerChanged"
            and message.sender == _DBUS
            and message.signature == "sss"
            and message.body[0] == BUS_NAME
        ):
            self._server_changed(bool(message.body[2]))
            return
        if message.interface != INTERFACE or message.path != OBJECT_PATH:
            return
        if message.member == "ActionInvoked" and message.signature == "us":
            notification_id, key = message.body
            if notification_id == self._id and self._id:
                factory = _REQUESTS.get(key)
                if factory is not None:
                    self._send(factory())
        elif message.member == "NotificationClosed" and message.signature == "uu":
            notification_id, reason = message.body
            if notification_id == self._id and self._id:
                self._id = 0
                self._sent = None
                if reason == _DISMISSED:
                    # Hidden until the next item; playback goes on unless the app opted in.
                    self._dismissed = True
                    if self._dismiss_stops:
                        self._send(Close())

    def _server_changed(self, present: bool) -> None:
        self._available = False
        self._id = 0
        self._sent = None
        if present and self._worker is not None and self._bus is not None:
            self._meeting.spawn(self._meet_server())

    def _send(self, request: Request) -> None:
        self._sender.send(request)
