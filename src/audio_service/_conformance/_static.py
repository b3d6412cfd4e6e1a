"""Checks on what a player answers to ``GetAll``: types, values, metadata, art, desktop entry.

Each function takes the properties as received (values in dbus-fast ``Variant``\\ s, so the
wire type is known) and returns one :class:`Finding`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from dbus_fast import Variant

from audio_service._conformance._desktop import find_desktop_file
from audio_service._conformance._findings import Finding, Shell, Verdict
from audio_service._conformance._spec import (
    LOOP_STATUSES,
    METADATA_TYPES,
    MPRIS_PREFIX,
    NO_TRACK,
    PLAYBACK_STATUSES,
)

__all__ = [
    "check_art_url",
    "check_artist",
    "check_can_play",
    "check_desktop_entry",
    "check_get_all",
    "check_identity",
    "check_length",
    "check_metadata_types",
    "check_trackid",
    "check_xfce_desktop_file",
    "has_track",
]

Properties = Mapping[str, Variant]

_GNOME_KDE = (Shell.GNOME, Shell.KDE)


def _finding(check: str, verdict: Verdict, affects: tuple[Shell, ...], detail: str) -> Finding:
    return Finding(check, verdict, affects, detail)


def check_get_all(
    check: str,
    interface: str,
    properties: Properties | None,
    error: str | None,
    required: Mapping[str, str],
    optional: Mapping[str, str],
) -> Finding:
    """``GetAll`` answered, with every required property, each of the spec's type."""
    affects = (Shell.KDE, Shell.ANY)
    if properties is None:
        return _finding(check, Verdict.FAIL, affects, f"GetAll({interface}) failed: {error}")
    problems = [f"{name} missing" for name in required if name not in properties]
    for name, signature in {**required, **optional}.items():
        value = properties.get(name)
        if value is not None and value.signature != signature:
            problems.append(f"{name} is {value.signature!r}, not {signature!r}")
    status = properties.get("PlaybackStatus")
    if status is not None and status.signature == "s" and status.value not in PLAYBACK_STATUSES:
        problems.append(f"PlaybackStatus {status.value!r} is none of {sorted(PLAYBACK_STATUSES)}")
    loop = properties.get("LoopStatus")
    if loop is not None and loop.signature == "s" and loop.value not in LOOP_STATUSES:
        problems.append(f"LoopStatus {loop.value!r} is none of {sorted(LOOP_STATUSES)}")
    if problems:
        return _finding(check, Verdict.FAIL, affects, "; ".join(problems))
    return _finding(
        check, Verdict.PASS, affects, f"{len(properties)} properties, types as specified"
    )


def check_identity(root: Properties | None) -> Finding:
    """A non-empty ``Identity``: KDE drops players without one; GNOME titles the card with it."""
    affects = _GNOME_KDE
    value = None if root is None else root.get("Identity")
    if value is None or value.signature != "s":
        return _finding("identity", Verdict.FAIL, affects, "no Identity string")
    if not str(value.value).strip():
        return _finding(
            "identity", Verdict.FAIL, affects, "Identity is empty: KDE hides the player"
        )
    return _finding("identity", Verdict.PASS, affects, f"Identity is {value.value!r}")


def _metadata(player: Properties | None) -> dict[str, Variant]:
    value = None if player is None else player.get("Metadata")
    if value is None or value.signature != "a{sv}":
        return {}
    return dict(value.value)


def has_track(player: Properties | None) -> bool:
    """Whether the metadata describe a current track (anything but empty or ``NoTrack``)."""
    metadata = _metadata(player)
    if not metadata:
        return False
    trackid = metadata.get("mpris:trackid")
    return trackid is None or trackid.value != NO_TRACK


def check_trackid(player: Properties | None) -> Finding:
    """``mpris:trackid``: an object path of the player's own, outside ``/org/mpris``."""
    affects = (Shell.KDE, Shell.PLAYERCTL)
    metadata = _metadata(player)
    trackid = metadata.get("mpris:trackid")
    if trackid is None:
        if not metadata:
            return _finding("trackid", Verdict.PASS, affects, "no current track")
        return _finding(
            "trackid",
            Verdict.FAIL,
            affects,
            "metadata without the required mpris:trackid",
        )
    if trackid.signature != "o":
        return _finding(
            "trackid",
            Verdict.FAIL,
            affects,
            f"mpris:trackid is {trackid.signature!r} {trackid.value!r}, not an object path 'o': "
            "KDE cannot send it back in SetPosition",
        )
    path = str(trackid.value)
    if path == NO_TRACK:
        return _finding("trackid", Verdict.PASS, affects, "NoTrack")
    if path == "/org/mpris" or path.startswith("/org/mpris/"):
        return _finding(
            "trackid", Verdict.FAIL, affects, f"{path} is under /org/mpris, which the spec reserves"
        )
    return _finding("trackid", Verdict.PASS, affects, path)


def check_artist(player: Properties | None) -> Finding:
    """``xesam:artist``: a list of strings (GNOME shows "Unknown artist" for anything else)."""
    value = _metadata(player).get("xesam:artist")
    if value is None:
        return _finding("artist", Verdict.PASS, _GNOME_KDE, "no xesam:artist")
    if value.signature != "as":
        return _finding(
            "artist",
            Verdict.FAIL,
            _GNOME_KDE,
            f"xesam:artist is {value.signature!r} {value.value!r}, not a list of strings 'as': "
            "GNOME shows 'Unknown artist'",
        )
    return _finding("artist", Verdict.PASS, _GNOME_KDE, repr(list(value.value)))


def check_length(player: Properties | None) -> Finding:
    """``mpris:length``: int64 microseconds."""
    affects = (Shell.KDE, Shell.PLAYERCTL)
    value = _metadata(player).get("mpris:length")
    if value is None:
        return _finding("length", Verdict.PASS, affects, "no mpris:length")
    if value.signature != "x":
        return _finding(
            "length",
            Verdict.FAIL,
            affects,
            f"mpris:length is {value.signature!r} {value.value!r}, not int64 'x'",
        )
    if value.value < 0:
        return _finding("length", Verdict.FAIL, affects, f"mpris:length is negative: {value.value}")
    return _finding("length", Verdict.PASS, affects, f"{value.value} µs")


def check_metadata_types(player: Properties | None) -> Finding:
    """The other known metadata keys have their spec types."""
    metadata = _metadata(player)
    covered = {"mpris:trackid", "mpris:length", "xesam:artist"}
    problems = [
        f"{key} is {value.signature!r}, not {METADATA_TYPES[key]!r}"
        for key, value in sorted(metadata.items())
        if key in METADATA_TYPES and key not in covered and value.signature != METADATA_TYPES[key]
    ]
    if problems:
        return _finding("metadata-types", Verdict.FAIL, _GNOME_KDE, "; ".join(problems))
    return _finding("metadata-types", Verdict.PASS, _GNOME_KDE, f"{len(metadata)} keys")


def check_can_play(player: Properties | None) -> Finding:
    """``CanPlay`` true while a track is loaded: GNOME Shell shows a player only then."""
    affects = (Shell.GNOME,)
    value = None if player is None else player.get("CanPlay")
    can_play = value is not None and value.value is True
    if not has_track(player):
        return _finding("can-play", Verdict.PASS, affects, f"nothing loaded; CanPlay is {can_play}")
    if not can_play:
        return _finding(
            "can-play",
            Verdict.FAIL,
            affects,
            "a track is loaded but CanPlay is false: GNOME Shell does not show the player",
        )
    return _finding("can-play", Verdict.PASS, affects, "a track is loaded and CanPlay is true")


def check_art_url(player: Properties | None) -> Finding:
    """``mpris:artUrl`` in a scheme GIO loads: ``file://`` to an existing file."""
    affects = (Shell.GNOME,)
    value = _metadata(player).get("mpris:artUrl")
    if value is None or (value.signature == "s" and not value.value):
        return _finding("art-url", Verdict.PASS, affects, "no mpris:artUrl")
    if value.signature != "s":
        return _finding("art-url", Verdict.FAIL, affects, f"mpris:artUrl is {value.signature!r}")
    url = str(value.value)
    scheme = urlparse(url).scheme.lower()
    shown = url if len(url) <= 60 else url[:57] + "..."
    if scheme == "file":
        path = Path(unquote(urlparse(url).path))
        if path.is_file():
            return _finding("art-url", Verdict.PASS, affects, f"{shown} exists")
        return _finding("art-url", Verdict.FAIL, affects, f"{shown}: no such file")
    if scheme in ("http", "https"):
        return _finding(
            "art-url",
            Verdict.WARN,
            affects,
            f"{shown}: GNOME Shell loads http(s) art only through GVfs; file:// always works",
        )
    if scheme == "data":
        return _finding(
            "art-url",
            Verdict.WARN,
            (Shell.GNOME,),
            f"{shown}: GNOME Shell cannot load data: URIs (KDE can)",
        )
    return _finding(
        "art-url", Verdict.FAIL, affects, f"{shown}: scheme {scheme or '(none)'!r} is not loadable"
    )


def check_desktop_entry(root: Properties | None, environ: Mapping[str, str] | None) -> Finding:
    """``DesktopEntry`` names an installed ``.desktop`` file with an ``Icon``."""
    affects = _GNOME_KDE
    value = None if root is None else root.get("DesktopEntry")
    if value is None or value.signature != "s" or not value.value:
        return _finding(
            "desktop-entry",
            Verdict.WARN,
            affects,
            "no DesktopEntry: shells show no app icon and GNOME titles the card with Identity",
        )
    entry = str(value.value)
    if entry.endswith(".desktop"):
        return _finding(
            "desktop-entry",
            Verdict.FAIL,
            affects,
            f"DesktopEntry {entry!r} ends in .desktop; the spec wants the name without it",
        )
    found = find_desktop_file(entry, environ)
    if found is None:
        return _finding(
            "desktop-entry",
            Verdict.FAIL,
            affects,
            f"DesktopEntry {entry!r}: no applications/{entry}.desktop in the XDG data dirs",
        )
    if found.hidden:
        return _finding(
            "desktop-entry", Verdict.FAIL, affects, f"{found.path} has Hidden=true (uninstalled)"
        )
    if not found.icon:
        return _finding("desktop-entry", Verdict.WARN, affects, f"{found.path} has no Icon")
    icon = found.icon
    if os.path.isabs(icon) and not Path(icon).is_file():
        return _finding(
            "desktop-entry", Verdict.WARN, affects, f"{found.path}: Icon {icon} does not exist"
        )
    return _finding("desktop-entry", Verdict.PASS, affects, f"{found.path}, Icon {icon}")


def check_xfce_desktop_file(bus_name: str, environ: Mapping[str, str] | None) -> Finding:
    """Xfce's plugin lists a player only with ``applications/<bus-name suffix>.desktop``."""
    affects = (Shell.XFCE,)
    suffix = bus_name.removeprefix(MPRIS_PREFIX)
    base, _, instance = suffix.rpartition(".instance")
    names = [suffix] + ([base] if base and instance.isdigit() else [])
    for name in names:
        found = find_desktop_file(name, environ)
        if found is not None:
            return _finding("xfce-desktop-file", Verdict.PASS, affects, str(found.path))
    return _finding(
        "xfce-desktop-file",
        Verdict.WARN,
        affects,
        f"no applications/{names[-1]}.desktop: Xfce's PulseAudio plugin leaves it out of its menu",
    )
