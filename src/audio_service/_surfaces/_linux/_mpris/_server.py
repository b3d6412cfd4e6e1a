"""The MPRIS2 server of a running service: its parts, its lifecycle, and the root interface.

Everything clients see is derived on demand from the :class:`ServiceCore`. The
server is a small hub; each job is a part of its own:

- :class:`~._link.BusLink`: the bus connection, the name, reconnection;
- :class:`~._replies.Replies`: when a call is answered (the late-reply timer);
- :class:`~._changes.Changes`: what changed, sent once per loop iteration;
- :class:`~._artwork.Artwork`: album art made local, and the metadata carrying it;
- :class:`~._tracks.TrackList`: the track-list window and its methods;
- :class:`~._playlists.Playlists`: the browse root's children as playlists;
- :class:`~._transport.Transport`: Player's methods, properties and capabilities.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Final

from dbus_fast import DBusError
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface

from audio_service._errors import ServiceNotRunningError
from audio_service._model._events import (
    ChildrenChanged,
    ServiceEvent,
    ServiceStarted,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._models import MEDIA_ROOT_ID
from audio_service._service._core import ServiceCore
from audio_service._service._requests import Stop
from audio_service._surfaces._linux._desktop_entry import (
    desktop_entry_path,
    launch_desktop_entry,
    read_desktop_entry,
    warn_if_not_installed,
)
from audio_service._surfaces._linux._mpris._artwork import Artwork
from audio_service._surfaces._linux._mpris._changes import Changes
from audio_service._surfaces._linux._mpris._interfaces import (
    PlayerInterface,
    PlaylistsInterface,
    TrackListInterface,
    root_interface,
)
from audio_service._surfaces._linux._mpris._link import BusLink
from audio_service._surfaces._linux._mpris._playlists import ORDERINGS, Playlists
from audio_service._surfaces._linux._mpris._replies import NOT_RUNNING, Replies
from audio_service._surfaces._linux._mpris._tracks import TrackList
from audio_service._surfaces._linux._mpris._transport import Transport
from audio_session._checks import is_int
from audio_session._tasks import BackgroundTasks

if TYPE_CHECKING:
    from audio_service._surfaces._art import ArtCache

__all__ = ["DEFAULT_URI_SCHEMES", "RAISE_EVENT", "MprisServer"]

_log = logging.getLogger("audio_service.mpris")

#: The custom event a ``Raise`` call sends to the service's clients (the UI shows its window).
RAISE_EVENT: Final = {"mpris": "raise"}
#: What ``SupportedUriSchemes`` says (and ``OpenUri`` accepts) unless told otherwise.
DEFAULT_URI_SCHEMES: Final = ("file", "http", "https")


class MprisServer:
    """Publishes a :class:`ServiceCore` as an MPRIS2 media player on the session bus.

    The bus name is ``org.mpris.MediaPlayer2.<app id>`` (the core's
    ``config.app_id``; ``audio_service`` without one), or that name plus
    ``.instance<pid>`` when another process owns it. ``identity`` is the
    player's friendly name (the ``Name`` of the app's .desktop file) and
    ``desktop_entry`` the basename of that file; ``bus_address`` defaults to
    the session bus.

    ``Raise`` sends :data:`RAISE_EVENT` as a custom event to the service's
    clients while a UI is there (``ui_present()``; without it, always), else
    starts the UI from the installed desktop entry. ``CanRaise`` is true only
    when one of them can handle it, unless ``can_raise`` says otherwise.
    ``Stop`` stops playback and keeps the service (a ``stop_playback``
    request; with the config's ``stop_ends_service``, a ``stop`` request);
    ``Quit`` makes a ``stop`` request, which ends the service, and the server
    closes itself once the service has stopped. ``rate_range`` is the (minimum, maximum)
    ``Rate`` while the task offers :attr:`MediaAction.SET_SPEED`; without it
    the rate is fixed at 1.0.

    A method call is answered once its task callback returns or after
    ``reply_after`` seconds, whichever comes first.

    ``art`` makes ``http(s)`` album art local (``mpris:artUrl`` and playlist
    icons); without it the item's ``art_uri`` is published as it is.
    """

    ORDERINGS: Final = ORDERINGS

    def __init__(
        self,
        core: ServiceCore,
        *,
        identity: str,
        desktop_entry: str | None = None,
        bus_address: str | None = None,
        uri_schemes: Sequence[str] = DEFAULT_URI_SCHEMES,
        mime_types: Sequence[str] = (),
        can_raise: bool | None = None,
        ui_present: Callable[[], bool] | None = None,
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
        if not is_int(track_window) or track_window < 1:
            raise ValueError(f"track_window must be a positive int, not {track_window!r}")
        if not (math.isfinite(reply_after) and reply_after > 0):
            raise ValueError(f"reply_after must be a positive number of seconds: {reply_after!r}")
        self.core = core
        self.identity = identity
        self.desktop_entry = desktop_entry
        self.uri_schemes = tuple(scheme.lower() for scheme in uri_schemes)
        self.mime_types = tuple(mime_types)
        self.can_raise = can_raise
        self._ui_present = ui_present
        self._sent_can_raise: bool | None = None
        self.closed = False
        self._unobserve: Callable[[], None] | None = None
        self._close_task: asyncio.Task[None] | None = None
        self._background = BackgroundTasks(_log, "an MPRIS background task")

        self._root = root_interface(self)
        self._player = PlayerInterface(self)
        self._tracklist = TrackListInterface(self)
        self._playlists = PlaylistsInterface(self)
        # The parts; each reaches the others through the server.
        self.link = BusLink(self, bus_address)
        self.replies = Replies(self, reply_after)
        self.transport = Transport(
            self, rate_range=(float(low), float(high)), on_play_pause=on_play_pause
        )
        self.artwork = Artwork(self, art)
        self.track_list = TrackList(self, track_window, can_edit_tracks)
        self.playlist_list = Playlists(self)
        self.changes = Changes(self)

    def interfaces(self) -> tuple[ServiceInterface, ...]:
        """The four interfaces exported at ``/org/mpris/MediaPlayer2``."""
        return (self._root, self._player, self._tracklist, self._playlists)

    # The parts' state under the names the tests (and debuggers) have always used.

    @property
    def _bus(self) -> MessageBus | None:
        return self.link.bus

    @property
    def _unanswered(self) -> OrderedDict[int, tuple[float, Callable[[], None]]]:
        return self.replies.unanswered

    @property
    def _reply_after(self) -> float:
        return self.replies.reply_after

    @_reply_after.setter
    def _reply_after(self, value: float) -> None:
        self.replies.reply_after = value

    def _player_values(self) -> dict[str, Any]:
        return self.changes.player_values()

    # ------------------------------------------------------------------ lifecycle

    @property
    def bus_name(self) -> str | None:
        """The well-known name the player owns, once started."""
        return self.link.bus_name

    async def start(self) -> None:
        """Connect, export the player and take its bus name."""
        if self.link.bus is not None or self.closed or self._unobserve is not None:
            raise RuntimeError("an MprisServer can be started once")
        self._unobserve = self.core.observe(self._on_event)
        try:
            bus = await self.link.connect()
        except BaseException:
            self._unobserve()
            self._unobserve = None
            raise
        self._sent_can_raise = self.raisable()
        self.spawn(self.link.stay_connected(bus))
        if self.desktop_entry:
            warn_if_not_installed(self.desktop_entry)
        if self.core.running:
            self.playlist_list.reload()

    async def close(self) -> None:
        """Release the name and disconnect. Safe to call more than once."""
        if self.closed:
            return
        self.closed = True
        if self._unobserve is not None:
            self._unobserve()
            self._unobserve = None
        self.changes.cancel()
        self.replies.answer_late(everything=True)
        self._background.cancel()
        self.artwork.close()
        await self.link.disconnect()

    async def __aenter__(self) -> MprisServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        """Run ``coro`` in the background until it ends or the server closes."""
        return self._background.spawn(coro)

    def _on_event(self, event: ServiceEvent) -> None:
        if isinstance(event, StateChanged):  # by far the most frequent: tested first
            self.changes.on_event(event)
        elif isinstance(event, ServiceStarted):
            self.playlist_list.reload()
            self.changes.schedule()
        elif isinstance(event, ChildrenChanged):
            if event.parent_media_id == MEDIA_ROOT_ID:
                self.playlist_list.reload()
        elif isinstance(event, ServiceStopped):
            self.changes.service_stopped()
            if self._close_task is None:
                self._close_task = asyncio.get_running_loop().create_task(self._close_when_idle())
        else:
            self.changes.on_event(event)

    async def _close_when_idle(self) -> None:
        # A Quit or Stop call is what stopped the service: answer it before leaving the bus.
        await self.replies.wait_idle(2.0)
        for _ in range(3):
            await asyncio.sleep(0)  # dbus-fast sends a reply after the handler returns
        await self.close()

    # ------------------------------------------------------------- root interface

    def ui_present(self) -> bool:
        """Whether a UI is connected to receive :data:`RAISE_EVENT`."""
        return self._ui_present is None or self._ui_present()

    def raisable(self) -> bool:
        """``CanRaise``: a UI listens, or the desktop entry can start one."""
        if self.can_raise is not None:
            return self.can_raise
        if self.ui_present():
            return True
        entry = self.desktop_entry
        if not entry:
            return False
        path = desktop_entry_path(entry)
        return path is not None and bool(read_desktop_entry(path).get("Exec"))

    def refresh_can_raise(self) -> None:
        """Send ``CanRaise`` in PropertiesChanged if it changed (a UI came or went)."""
        value = self.raisable()
        if value == self._sent_can_raise:
            return
        self._sent_can_raise = value
        bus = self.link.bus
        if bus is not None and bus.connected:
            self._root.emit_properties_changed({"CanRaise": value})

    def raise_ui(self) -> None:
        """``Raise``: ask the UI to show itself, or start it from the desktop entry."""
        if self.can_raise is False:
            return
        if not self.ui_present():
            if self.desktop_entry:
                self.spawn(self._launch(self.desktop_entry))
            return
        try:
            self.core.send_custom_event(dict(RAISE_EVENT))
        except ServiceNotRunningError as error:
            raise DBusError(NOT_RUNNING, str(error)) from error

    async def _launch(self, desktop_id: str) -> None:
        try:
            if not await launch_desktop_entry(desktop_id):
                _log.warning(
                    "Raise: no UI is connected and %s.desktop is not installed", desktop_id
                )
        except OSError as error:
            _log.warning("Raise: could not start the UI from %s.desktop: %s", desktop_id, error)

    async def quit(self) -> None:
        """``Quit``: stop the service."""
        await self.replies.request(Stop())
