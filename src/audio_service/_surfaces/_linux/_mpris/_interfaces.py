"""The four MPRIS interfaces as dbus-fast objects; each member delegates to the server.

Members and arguments carry the spec's CamelCase names, which is what clients
see in introspection. Property values come
from the server on every read, so a ``Get`` always sees the service's latest
state; PropertiesChanged is the server's job (dbus-fast never sends it itself).
"""

# No ``from __future__ import annotations``: dbus-fast reads these annotations at
# class creation, and a postponed ``-> None`` would reach it as the string "None".

from typing import TYPE_CHECKING, Annotated, Any

from dbus_fast import DBusError, ErrorType, PropertyAccess, Variant
from dbus_fast import introspection as intr
from dbus_fast.annotations import (
    DBusBool,
    DBusDict,
    DBusDouble,
    DBusInt64,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
    DBusUInt32,
)
from dbus_fast.service import (
    ServiceInterface,
    dbus_method,
    dbus_property,
    dbus_signal,
)

from audio_service._surfaces._linux._mpris._tracklist import requested_track_ids

if TYPE_CHECKING:
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = [
    "PlayerInterface",
    "PlaylistsInterface",
    "RootInterface",
    "TrackListInterface",
    "root_interface",
]

DBusStrList = Annotated[list[str], DBusSignature("as")]
DBusPathList = Annotated[list[str], DBusSignature("ao")]
DBusDictList = Annotated[list[dict[str, Variant]], DBusSignature("aa{sv}")]
DBusPlaylist = Annotated[tuple[str, str, str], DBusSignature("(oss)")]
DBusPlaylistList = Annotated[list[tuple[str, str, str]], DBusSignature("a(oss)")]
DBusMaybePlaylist = Annotated[tuple[bool, tuple[str, str, str]], DBusSignature("(b(oss))")]
DBusTrackAdded = Annotated[list[Any], DBusSignature("a{sv}o")]
DBusTrackListReplaced = Annotated[list[Any], DBusSignature("aoo")]
DBusTrackMetadataChanged = Annotated[list[Any], DBusSignature("oa{sv}")]

_READ = PropertyAccess.READ
_EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"


def _annotate(interface: intr.Interface, emits: dict[str, str]) -> intr.Interface:
    # dbus-fast introspects no EmitsChangedSignal; clients (and the spec) rely on it.
    for prop in interface.properties:
        if prop.name in emits:
            prop.annotations[_EMITS] = emits[prop.name]
    return interface


def _name_args(interface: intr.Interface, names: dict[str, tuple[str, ...]]) -> None:
    arg_lists = [(method.name, method.in_args) for method in interface.methods]
    arg_lists += [(signal.name, signal.args) for signal in interface.signals]
    for member, args in arg_lists:
        for arg, name in zip(args, names.get(member, ()), strict=False):
            arg.name = name


class RootInterface(ServiceInterface):
    """``org.mpris.MediaPlayer2``."""

    def __init__(self, server: "MprisServer") -> None:
        super().__init__("org.mpris.MediaPlayer2")
        self._server = server

    @dbus_method()
    def Raise(self) -> None:
        self._server.raise_ui()

    @dbus_method()
    async def Quit(self) -> None:
        await self._server.quit()

    @dbus_property(access=_READ)
    def CanQuit(self) -> DBusBool:
        return True

    @dbus_property(access=_READ)
    def CanRaise(self) -> DBusBool:
        return self._server.raisable()

    @dbus_property(access=_READ)
    def HasTrackList(self) -> DBusBool:
        return True

    @dbus_property(access=_READ)
    def Identity(self) -> DBusStr:
        return self._server.identity

    @dbus_property(access=_READ)
    def DesktopEntry(self) -> DBusStr:
        return self._server.desktop_entry or ""

    @dbus_property(access=_READ)
    def SupportedUriSchemes(self) -> DBusStrList:
        return list(self._server.uri_schemes)

    @dbus_property(access=_READ)
    def SupportedMimeTypes(self) -> DBusStrList:
        return list(self._server.mime_types)


class _RootWithoutDesktopEntry(RootInterface):
    # DesktopEntry is optional: better absent than an empty name clients would match on.
    @dbus_property(access=_READ, disabled=True)
    def DesktopEntry(self) -> DBusStr:
        return ""


def root_interface(server: "MprisServer") -> RootInterface:
    """The root interface, with ``DesktopEntry`` only when the server has one."""
    if server.desktop_entry:
        return RootInterface(server)
    return _RootWithoutDesktopEntry(server)


class PlayerInterface(ServiceInterface):
    """``org.mpris.MediaPlayer2.Player``."""

    #: Properties whose changes go out in PropertiesChanged (all but Position and CanControl).
    CHANGING = (
        "PlaybackStatus",
        "LoopStatus",
        "Rate",
        "Shuffle",
        "Metadata",
        "Volume",
        "MinimumRate",
        "MaximumRate",
        "CanGoNext",
        "CanGoPrevious",
        "CanPlay",
        "CanPause",
        "CanSeek",
    )

    def __init__(self, server: "MprisServer") -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")
        self._server = server

    def introspect(self) -> intr.Interface:
        interface = _annotate(super().introspect(), {"Position": "false", "CanControl": "false"})
        _name_args(
            interface,
            {
                "Seek": ("Offset",),
                "SetPosition": ("TrackId", "Position"),
                "OpenUri": ("Uri",),
                "Seeked": ("Position",),
            },
        )
        return interface

    @dbus_method()
    async def Next(self) -> None:
        await self._server.transport.next()

    @dbus_method()
    async def Previous(self) -> None:
        await self._server.transport.previous()

    @dbus_method()
    async def Pause(self) -> None:
        await self._server.transport.pause()

    @dbus_method()
    async def PlayPause(self) -> None:
        await self._server.transport.play_pause()

    @dbus_method()
    async def Stop(self) -> None:
        await self._server.transport.stop()

    @dbus_method()
    async def Play(self) -> None:
        await self._server.transport.play()

    @dbus_method()
    async def Seek(self, Offset: DBusInt64) -> None:
        await self._server.transport.seek(Offset)

    @dbus_method()
    async def SetPosition(self, TrackId: DBusObjectPath, Position: DBusInt64) -> None:
        await self._server.transport.set_position(TrackId, Position)

    @dbus_method()
    async def OpenUri(self, Uri: DBusStr) -> None:
        await self._server.transport.open_uri(Uri)

    @dbus_signal()
    def Seeked(self, position: int) -> DBusInt64:
        return position

    @dbus_property(access=_READ)
    def PlaybackStatus(self) -> DBusStr:
        return self._server.transport.playback_status()

    @dbus_property()
    def LoopStatus(self) -> DBusStr:
        return self._server.transport.loop_status()

    # A setter under another name: dbus-fast merges it into the property of its getter.
    @LoopStatus.setter
    async def _set_LoopStatus(self, value: DBusStr) -> None:
        await self._server.transport.set_loop_status(value)

    @dbus_property()
    def Rate(self) -> DBusDouble:
        return self._server.transport.rate()

    # A setter under another name: dbus-fast merges it into the property of its getter.
    @Rate.setter
    async def _set_Rate(self, value: DBusDouble) -> None:
        await self._server.transport.set_rate(value)

    @dbus_property()
    def Shuffle(self) -> DBusBool:
        return self._server.transport.shuffle()

    # A setter under another name: dbus-fast merges it into the property of its getter.
    @Shuffle.setter
    async def _set_Shuffle(self, value: DBusBool) -> None:
        await self._server.transport.set_shuffle(value)

    @dbus_property(access=_READ)
    def Metadata(self) -> DBusDict:
        return self._server.artwork.metadata()

    @dbus_property()
    def Volume(self) -> DBusDouble:
        return self._server.transport.volume

    # A setter under another name: dbus-fast merges it into the property of its getter.
    @Volume.setter
    async def _set_Volume(self, value: DBusDouble) -> None:
        await self._server.transport.set_volume(value)

    @dbus_property(access=_READ)
    def Position(self) -> DBusInt64:
        return self._server.transport.position()

    @dbus_property(access=_READ)
    def MinimumRate(self) -> DBusDouble:
        return self._server.transport.rate_range()[0]

    @dbus_property(access=_READ)
    def MaximumRate(self) -> DBusDouble:
        return self._server.transport.rate_range()[1]

    @dbus_property(access=_READ)
    def CanGoNext(self) -> DBusBool:
        return self._server.transport.can_go_next()

    @dbus_property(access=_READ)
    def CanGoPrevious(self) -> DBusBool:
        return self._server.transport.can_go_previous()

    @dbus_property(access=_READ)
    def CanPlay(self) -> DBusBool:
        return self._server.transport.can_play()

    @dbus_property(access=_READ)
    def CanPause(self) -> DBusBool:
        return self._server.transport.can_play()

    @dbus_property(access=_READ)
    def CanSeek(self) -> DBusBool:
        return self._server.transport.can_seek()

    @dbus_property(access=_READ)
    def CanControl(self) -> DBusBool:
        return True


class TrackListInterface(ServiceInterface):
    """``org.mpris.MediaPlayer2.TrackList``: a window of the queue around the current item."""

    def __init__(self, server: "MprisServer") -> None:
        super().__init__("org.mpris.MediaPlayer2.TrackList")
        self._server = server

    def introspect(self) -> intr.Interface:
        interface = _annotate(super().introspect(), {"Tracks": "invalidates"})
        _name_args(
            interface,
            {
                "GetTracksMetadata": ("TrackIds",),
                "AddTrack": ("Uri", "AfterTrack", "SetAsCurrent"),
                "RemoveTrack": ("TrackId",),
                "GoTo": ("TrackId",),
                "TrackListReplaced": ("Tracks", "CurrentTrack"),
                "TrackAdded": ("Metadata", "AfterTrack"),
                "TrackRemoved": ("TrackId",),
                "TrackMetadataChanged": ("TrackId", "Metadata"),
            },
        )
        return interface

    @dbus_method()
    def GetTracksMetadata(self, TrackIds: DBusPathList) -> DBusDictList:
        try:
            track_ids = requested_track_ids(TrackIds)
        except ValueError as error:
            raise DBusError(ErrorType.INVALID_ARGS, str(error)) from None
        return self._server.track_list.tracks_metadata(track_ids)

    @dbus_method()
    async def AddTrack(
        self, Uri: DBusStr, AfterTrack: DBusObjectPath, SetAsCurrent: DBusBool
    ) -> None:
        await self._server.track_list.add_track(Uri, AfterTrack, SetAsCurrent)

    @dbus_method()
    async def RemoveTrack(self, TrackId: DBusObjectPath) -> None:
        await self._server.track_list.remove_track(TrackId)

    @dbus_method()
    async def GoTo(self, TrackId: DBusObjectPath) -> None:
        await self._server.track_list.go_to(TrackId)

    @dbus_signal()
    def TrackListReplaced(self, tracks: list[str], current: str) -> DBusTrackListReplaced:
        return [tracks, current]

    @dbus_signal()
    def TrackAdded(self, metadata: dict[str, Variant], after: str) -> DBusTrackAdded:
        return [metadata, after]

    @dbus_signal()
    def TrackRemoved(self, track_id: str) -> DBusObjectPath:
        return track_id

    @dbus_signal()
    def TrackMetadataChanged(
        self, track_id: str, metadata: dict[str, Variant]
    ) -> DBusTrackMetadataChanged:
        return [track_id, metadata]

    @dbus_property(access=_READ)
    def Tracks(self) -> DBusPathList:
        return self._server.track_list.tracks()

    @dbus_property(access=_READ)
    def CanEditTracks(self) -> DBusBool:
        return self._server.track_list.can_edit


class PlaylistsInterface(ServiceInterface):
    """``org.mpris.MediaPlayer2.Playlists``: the browse root's children."""

    CHANGING = ("PlaylistCount", "ActivePlaylist")

    def __init__(self, server: "MprisServer") -> None:
        super().__init__("org.mpris.MediaPlayer2.Playlists")
        self._server = server

    def introspect(self) -> intr.Interface:
        interface = super().introspect()
        _name_args(
            interface,
            {
                "ActivatePlaylist": ("PlaylistId",),
                "GetPlaylists": ("Index", "MaxCount", "Order", "ReverseOrder"),
                "PlaylistChanged": ("Playlist",),
            },
        )
        return interface

    @dbus_method()
    async def ActivatePlaylist(self, PlaylistId: DBusObjectPath) -> None:
        await self._server.playlist_list.activate(PlaylistId)

    @dbus_method()
    async def GetPlaylists(
        self, Index: DBusUInt32, MaxCount: DBusUInt32, Order: DBusStr, ReverseOrder: DBusBool
    ) -> DBusPlaylistList:
        return await self._server.playlist_list.get(Index, MaxCount, Order, ReverseOrder)

    @dbus_signal()
    def PlaylistChanged(self, playlist: tuple[str, str, str]) -> DBusPlaylist:
        return playlist

    @dbus_property(access=_READ)
    def PlaylistCount(self) -> DBusUInt32:
        return self._server.playlist_list.count()

    @dbus_property(access=_READ)
    def Orderings(self) -> DBusStrList:
        return list(self._server.ORDERINGS)

    @dbus_property(access=_READ)
    def ActivePlaylist(self) -> DBusMaybePlaylist:
        return self._server.playlist_list.active()
