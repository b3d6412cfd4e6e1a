"""Small MPRIS players for the conformance checker's tests: one that does everything right,
and one subclass per defect, each breaking exactly one thing a shell needs.

Written with dbus-fast's ServiceInterface directly (not our service), so the
checker is tested on players other than ours. ``EXPECTED`` says which checks
each player must fail or warn; every other check must pass.
"""

# No ``from __future__ import annotations``: dbus-fast reads these annotations at
# class creation.

import asyncio
from pathlib import Path
from typing import Annotated, ClassVar

from dbus_fast import DBusError, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusDict,
    DBusDouble,
    DBusInt64,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
)
from dbus_fast.service import (
    PropertyAccess,
    ServiceInterface,
    dbus_method,
    dbus_property,
    dbus_signal,
)

from audio_service.demo._png import encode_png

BUS_NAME = "org.mpris.MediaPlayer2.org.example.Player"
DESKTOP_ID = "org.example.Player"
PATH = "/org/mpris/MediaPlayer2"
LENGTH = 180_000_000
_READ = PropertyAccess.READ
StrList = Annotated[list[str], DBusSignature("as")]


def desktop_file(name: str, icon: str | None = "audio-x-generic") -> str:
    icon_line = f"Icon={icon}\n" if icon else ""
    return f"[Desktop Entry]\nType=Application\nName={name}\nExec=true\n{icon_line}"


class Root(ServiceInterface):
    def __init__(self, player: "GoodPlayer") -> None:
        super().__init__("org.mpris.MediaPlayer2")
        self.player = player

    @dbus_method()
    def Raise(self) -> None:
        pass

    @dbus_method()
    def Quit(self) -> None:
        pass

    @dbus_property(access=_READ)
    def CanQuit(self) -> DBusBool:
        return False

    @dbus_property(access=_READ)
    def CanRaise(self) -> DBusBool:
        return False

    @dbus_property(access=_READ)
    def HasTrackList(self) -> DBusBool:
        return False

    @dbus_property(access=_READ)
    def Identity(self) -> DBusStr:
        return self.player.identity

    @dbus_property(access=_READ)
    def DesktopEntry(self) -> DBusStr:
        return self.player.desktop_entry

    @dbus_property(access=_READ)
    def SupportedUriSchemes(self) -> StrList:
        return []

    @dbus_property(access=_READ)
    def SupportedMimeTypes(self) -> StrList:
        return []


class Player(ServiceInterface):
    def __init__(self, player: "GoodPlayer") -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")
        self.player = player

    @dbus_method()
    def Play(self) -> None:
        self.player.set_status("Playing")

    @dbus_method()
    def Pause(self) -> None:
        self.player.set_status("Paused")

    @dbus_method()
    def PlayPause(self) -> None:
        self.player.set_status("Paused" if self.player.status == "Playing" else "Playing")

    @dbus_method()
    def Stop(self) -> None:
        self.player.set_status("Stopped")

    @dbus_method()
    def Next(self) -> None:
        pass

    @dbus_method()
    def Previous(self) -> None:
        pass

    @dbus_method()
    def Seek(self, offset: DBusInt64) -> None:
        self.player.move_to(max(0, self.player.position + offset))

    @dbus_method()
    def SetPosition(self, track_id: DBusObjectPath, position: DBusInt64) -> None:
        if track_id == self.player.trackid_value and 0 <= position <= LENGTH:
            self.player.move_to(position)

    @dbus_method()
    def OpenUri(self, uri: DBusStr) -> None:
        pass

    @dbus_signal()
    def Seeked(self, position: int) -> DBusInt64:
        return position

    @dbus_property(access=_READ)
    def PlaybackStatus(self) -> DBusStr:
        return self.player.status

    @dbus_property(access=_READ)
    def Rate(self) -> DBusDouble:
        return 1.0

    @dbus_property(access=_READ)
    def Metadata(self) -> DBusDict:
        return self.player.metadata()

    @dbus_property(access=_READ)
    def Volume(self) -> DBusDouble:
        return 1.0

    @dbus_property(access=_READ)
    def Position(self) -> DBusInt64:
        return self.player.position

    @dbus_property(access=_READ)
    def MinimumRate(self) -> DBusDouble:
        return 1.0

    @dbus_property(access=_READ)
    def MaximumRate(self) -> DBusDouble:
        return 1.0

    @dbus_property(access=_READ)
    def CanGoNext(self) -> DBusBool:
        return False

    @dbus_property(access=_READ)
    def CanGoPrevious(self) -> DBusBool:
        return False

    @dbus_property(access=_READ)
    def CanPlay(self) -> DBusBool:
        return self.player.can_play()

    @dbus_property(access=_READ)
    def CanPause(self) -> DBusBool:
        return True

    @dbus_property(access=_READ)
    def CanSeek(self) -> DBusBool:
        return True

    @dbus_property(access=_READ)
    def CanControl(self) -> DBusBool:
        return True


class GoodPlayer:
    """Paused 10 s into a three-minute track with a local cover: what every shell wants."""

    root_class: ClassVar[type[Root]] = Root
    player_class: ClassVar[type[Player]] = Player
    identity = "Example Player"
    desktop_entry = DESKTOP_ID
    #: Desktop files the test installs in $XDG_DATA_HOME/applications (id -> contents).
    desktop_files: ClassVar[dict[str, str]] = {DESKTOP_ID: desktop_file("Example Player")}
    title = "Good Track"

    def __init__(self, directory: Path) -> None:
        self.art = directory / "cover.png"
        self.art.write_bytes(encode_png(2, 2, [b"\xff\x00\x00" * 2, b"\x00\x00\xff" * 2]))
        self.status = "Paused"
        self.position = 10_000_000
        self.loaded = True
        self.bus: MessageBus | None = None
        self.root = self.root_class(self)
        self.interface = self.player_class(self)

    @property
    def trackid_value(self) -> str:
        return "/org/example/track/1"

    def trackid(self) -> Variant:
        return Variant("o", self.trackid_value)

    def art_url(self) -> str:
        return self.art.as_uri()

    def metadata(self) -> dict[str, Variant]:
        if not self.loaded:
            return {}
        return {
            "mpris:trackid": self.trackid(),
            "mpris:length": Variant("x", LENGTH),
            "mpris:artUrl": Variant("s", self.art_url()),
            "xesam:title": Variant("s", self.title),
            "xesam:artist": Variant("as", ["Example Artist"]),
            "xesam:album": Variant("s", "Example Album"),
        }

    def can_play(self) -> bool:
        return self.loaded

    def set_status(self, status: str) -> None:
        self.status = status
        self.interface.emit_properties_changed({"PlaybackStatus": status})

    def move_to(self, position: int) -> None:
        self.position = position
        self.interface.Seeked(position)

    async def start(self, bus_address: str) -> "GoodPlayer":
        self.bus = await MessageBus(bus_address=bus_address).connect()
        self.bus.export(PATH, self.root)
        self.bus.export(PATH, self.interface)
        await self.bus.request_name(BUS_NAME)
        return self

    def stop(self) -> None:
        if self.bus is not None:
            self.bus.disconnect()
            self.bus = None


# ----------------------------------------------------------------- one defect each


class EmptyIdentity(GoodPlayer):
    identity = ""


class _RootWithStringCanRaise(Root):
    @dbus_property(access=_READ)
    def CanRaise(self) -> DBusStr:
        return "no"


class RootWrongType(GoodPlayer):
    root_class = _RootWithStringCanRaise


class _PlayerWithFailingVolume(Player):
    @dbus_property(access=_READ)
    def Volume(self) -> DBusDouble:
        raise DBusError("org.example.Error.NoMixer", "no mixer")


class PlayerGetAllFails(GoodPlayer):
    player_class = _PlayerWithFailingVolume


class StringTrackId(GoodPlayer):
    def trackid(self) -> Variant:
        return Variant("s", self.trackid_value)


class TrackIdUnderMpris(GoodPlayer):
    @property
    def trackid_value(self) -> str:
        return "/org/mpris/MediaPlayer2/Track/1"


class ArtistString(GoodPlayer):
    def metadata(self) -> dict[str, Variant]:
        return {**super().metadata(), "xesam:artist": Variant("s", "Example Artist")}


class LengthUnsigned(GoodPlayer):
    def metadata(self) -> dict[str, Variant]:
        return {**super().metadata(), "mpris:length": Variant("t", LENGTH)}


class TitleList(GoodPlayer):
    def metadata(self) -> dict[str, Variant]:
        return {**super().metadata(), "xesam:title": Variant("as", ["Good Track"])}


class CanPlayFalse(GoodPlayer):
    def can_play(self) -> bool:
        return False


class _Later(GoodPlayer):
    """Changes something 0.1 s after the first GetAll, as if a track loaded while watched."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._scheduled = False

    def can_play(self) -> bool:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(0.1, self.later)
        return super().can_play()

    def later(self) -> None:
        raise NotImplementedError


class CanPlayUnsignalled(_Later):
    """Loads a track and signals Metadata and PlaybackStatus, but not CanPlay."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.loaded = False
        self.status = "Stopped"

    def later(self) -> None:
        self.loaded = True
        self.status = "Paused"
        self.interface.emit_properties_changed(
            {"Metadata": self.metadata(), "PlaybackStatus": self.status}
        )


class SilentTrackChange(_Later):
    """Moves to another track without telling anyone."""

    def later(self) -> None:
        self.title = "Another Track"


class _PlayerThatCannotSeek(Player):
    @dbus_property(access=_READ)
    def CanSeek(self) -> DBusBool:
        return False


class LeavesWhileWatched(_Later):
    """Quits its bus connection while the checker listens (and cannot seek, so it is not busy)."""

    player_class = _PlayerThatCannotSeek

    def later(self) -> None:
        self.stop()


class PositionInPropertiesChanged(GoodPlayer):
    def move_to(self, position: int) -> None:
        super().move_to(position)
        self.interface.emit_properties_changed({"Position": position})


class NoSeeked(GoodPlayer):
    def move_to(self, position: int) -> None:
        self.position = position


class SeekedStale(GoodPlayer):
    def move_to(self, position: int) -> None:
        self.interface.Seeked(self.position)
        self.position = position


class ArtOverHttp(GoodPlayer):
    def art_url(self) -> str:
        return "https://example.org/cover.png"


class ArtAsData(GoodPlayer):
    def art_url(self) -> str:
        return "data:image/png;base64,iVBORw0KGgo="


class ArtMissing(GoodPlayer):
    def art_url(self) -> str:
        return (self.art.parent / "gone.png").as_uri()


class NoDesktopEntry(GoodPlayer):
    desktop_entry = ""


class DesktopEntryNotInstalled(GoodPlayer):
    desktop_entry = "org.example.NotInstalled"


class DesktopFileWithoutIcon(GoodPlayer):
    desktop_entry = "org.example.NoIcon"
    desktop_files: ClassVar[dict[str, str]] = {
        **GoodPlayer.desktop_files,
        "org.example.NoIcon": desktop_file("No Icon", icon=None),
    }


class NoXfceDesktopFile(GoodPlayer):
    desktop_entry = "org.example.Elsewhere"
    desktop_files: ClassVar[dict[str, str]] = {"org.example.Elsewhere": desktop_file("Elsewhere")}


#: Each player and the verdicts of the checks it must not pass (all others pass).
EXPECTED: dict[type[GoodPlayer], dict[str, str]] = {
    GoodPlayer: {},
    EmptyIdentity: {"identity": "fail"},
    RootWrongType: {"root-get-all": "fail"},
    PlayerGetAllFails: {
        "player-get-all": "fail",
        **dict.fromkeys(("trackid", "artist", "length", "metadata-types", "art-url"), "skip"),
    },
    StringTrackId: {"trackid": "fail", "seeked": "skip"},
    TrackIdUnderMpris: {"trackid": "fail"},
    ArtistString: {"artist": "fail"},
    LengthUnsigned: {"length": "fail"},
    TitleList: {"metadata-types": "fail"},
    CanPlayFalse: {"can-play": "fail"},
    CanPlayUnsignalled: {"can-play-signalled": "fail", "seeked": "skip"},
    SilentTrackChange: {"changes-signalled": "fail"},
    LeavesWhileWatched: {"player-get-all": "fail", "seeked": "skip"},
    PositionInPropertiesChanged: {"position-signal": "fail"},
    NoSeeked: {"seeked": "fail"},
    SeekedStale: {"seeked": "fail"},
    ArtOverHttp: {"art-url": "warn"},
    ArtAsData: {"art-url": "warn"},
    ArtMissing: {"art-url": "fail"},
    NoDesktopEntry: {"desktop-entry": "warn"},
    DesktopEntryNotInstalled: {"desktop-entry": "fail"},
    DesktopFileWithoutIcon: {"desktop-entry": "warn"},
    NoXfceDesktopFile: {"xfce-desktop-file": "warn"},
}


def install_desktop_files(player: type[GoodPlayer], data_home: Path) -> None:
    applications = data_home / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    for desktop_id, contents in player.desktop_files.items():
        (applications / f"{desktop_id}.desktop").write_text(contents)
