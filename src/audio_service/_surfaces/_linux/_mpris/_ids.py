"""Names on the bus: the MPRIS bus name, and the object paths that stand for media ids.

A track id must be a D-Bus object path, stable for a media id and unique within
the track list, and outside ``/org/mpris`` (reserved, except for "no track").
Encoding the id's UTF-8 bytes in hex gives a path for any id, and decoding it
back needs no table, so a stale id from a client is recognised as such.
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_PLAYER_NAME",
    "MPRIS_NAME_PREFIX",
    "NO_TRACK",
    "PLAYLIST_PREFIX",
    "TRACK_PREFIX",
    "bus_name_for",
    "instance_name",
    "media_id_of_path",
    "playlist_path",
    "track_path",
]

MPRIS_NAME_PREFIX = "org.mpris.MediaPlayer2."
#: The spec's "no track" id, the only valid track id under ``/org/mpris``.
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
#: Used when the service has no app id.
DEFAULT_PLAYER_NAME = "audio_service"

TRACK_PREFIX = "/org/audioservicekit/track/"
PLAYLIST_PREFIX = "/org/audioservicekit/playlist/"

_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_-]")
_HEX = re.compile(r"^(?:[0-9a-f]{2})*$")
#: The D-Bus limit on the length of a bus name.
_MAX_NAME = 255


def _element(text: str) -> str:
    element = _NOT_NAME_CHAR.sub("_", text)
    # A bus-name element may not start with a digit.
    return f"_{element}" if element[:1].isdigit() else element


def bus_name_for(app_id: str | None) -> str:
    """``org.mpris.MediaPlayer2.<app id>``, with the id reduced to the characters MPRIS allows."""
    elements = [_element(part) for part in (app_id or "").split(".") if part]
    name = MPRIS_NAME_PREFIX + (".".join(elements) or DEFAULT_PLAYER_NAME)
    # Leave room for ".instance<pid>".
    return name[: _MAX_NAME - 24].rstrip(".")


def instance_name(name: str, pid: int) -> str:
    """The name of a further instance of the player ``name`` (the spec's ``.instance<pid>``)."""
    return f"{name}.instance{pid}"


def _encode(prefix: str, media_id: str) -> str:
    # An empty id still needs a non-empty path element.
    return prefix + (media_id.encode().hex() or "_")


def track_path(media_id: str) -> str:
    """The ``mpris:trackid`` of the queue item or media item with ``media_id``."""
    return _encode(TRACK_PREFIX, media_id)


def playlist_path(media_id: str) -> str:
    """The MPRIS playlist id of the browsable item with ``media_id``."""
    return _encode(PLAYLIST_PREFIX, media_id)


def media_id_of_path(path: str, prefix: str = TRACK_PREFIX) -> str | None:
    """The media id a path made by :func:`track_path` (or ``playlist_path``) stands for.

    None when the path is not one of ours (a stale or foreign id, or ``NoTrack``).
    """
    if not path.startswith(prefix):
        return None
    encoded = path[len(prefix) :]
    if encoded == "_":
        return ""
    if not encoded or not _HEX.match(encoded):
        return None
    try:
        return bytes.fromhex(encoded).decode()
    except UnicodeDecodeError:
        return None
