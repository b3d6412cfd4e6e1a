"""The MPRIS 2.2 property and metadata types, as D-Bus signatures."""

from __future__ import annotations

from typing import Final

__all__ = [
    "LOOP_STATUSES",
    "METADATA_TYPES",
    "MPRIS_PATH",
    "MPRIS_PREFIX",
    "NO_TRACK",
    "PLAYBACK_STATUSES",
    "PLAYER_INTERFACE",
    "PLAYER_OPTIONAL",
    "PLAYER_REQUIRED",
    "ROOT_INTERFACE",
    "ROOT_OPTIONAL",
    "ROOT_REQUIRED",
    "SIGNALLED",
]

MPRIS_PREFIX: Final = "org.mpris.MediaPlayer2."
MPRIS_PATH: Final = "/org/mpris/MediaPlayer2"
ROOT_INTERFACE: Final = "org.mpris.MediaPlayer2"
PLAYER_INTERFACE: Final = "org.mpris.MediaPlayer2.Player"
#: The only track id the spec allows under ``/org/mpris``.
NO_TRACK: Final = "/org/mpris/MediaPlayer2/TrackList/NoTrack"

ROOT_REQUIRED: Final = {
    "CanQuit": "b",
    "CanRaise": "b",
    "HasTrackList": "b",
    "Identity": "s",
    "SupportedUriSchemes": "as",
    "SupportedMimeTypes": "as",
}
ROOT_OPTIONAL: Final = {"Fullscreen": "b", "CanSetFullscreen": "b", "DesktopEntry": "s"}

PLAYER_REQUIRED: Final = {
    "PlaybackStatus": "s",
    "Rate": "d",
    "Metadata": "a{sv}",
    "Volume": "d",
    "Position": "x",
    "MinimumRate": "d",
    "MaximumRate": "d",
    "CanGoNext": "b",
    "CanGoPrevious": "b",
    "CanPlay": "b",
    "CanPause": "b",
    "CanSeek": "b",
    "CanControl": "b",
}
PLAYER_OPTIONAL: Final = {"LoopStatus": "s", "Shuffle": "b"}

PLAYBACK_STATUSES: Final = frozenset({"Playing", "Paused", "Stopped"})
LOOP_STATUSES: Final = frozenset({"None", "Track", "Playlist"})

#: Player properties whose changes the spec has signalled in PropertiesChanged
#: (``Position`` never is; ``CanControl`` does not change).
SIGNALLED: Final = (
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

#: The metadata keys of the MPRIS and xesam namespaces, with their types.
METADATA_TYPES: Final = {
    "mpris:trackid": "o",
    "mpris:length": "x",
    "mpris:artUrl": "s",
    "xesam:album": "s",
    "xesam:albumArtist": "as",
    "xesam:artist": "as",
    "xesam:asText": "s",
    "xesam:audioBPM": "i",
    "xesam:autoRating": "d",
    "xesam:comment": "as",
    "xesam:composer": "as",
    "xesam:contentCreated": "s",
    "xesam:discNumber": "i",
    "xesam:firstUsed": "s",
    "xesam:genre": "as",
    "xesam:lastUsed": "s",
    "xesam:lyricist": "as",
    "xesam:title": "s",
    "xesam:trackNumber": "i",
    "xesam:url": "s",
    "xesam:useCount": "i",
    "xesam:userRating": "d",
}
