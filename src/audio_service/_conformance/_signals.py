"""Checks on what the player signals: shells never poll, so an unsignalled change is unseen.

Each compares the state a shell would hold — the first ``GetAll`` with every
``PropertiesChanged`` applied — with what the player answers at the end.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping

from dbus_fast import Variant

from audio_service._conformance._bus import SignalLog
from audio_service._conformance._findings import Finding, Shell, Verdict
from audio_service._conformance._spec import PLAYER_INTERFACE, SIGNALLED

__all__ = [
    "check_can_play_signalled",
    "check_changes_signalled",
    "check_position_signal",
    "not_emitting",
    "unsignalled",
]

_EMITS = "org.freedesktop.DBus.Property.EmitsChangedSignal"
_INVALIDATED = object()


def not_emitting(introspection: str | None) -> dict[str, str]:
    """Player properties the introspection declares ``EmitsChangedSignal`` false or const."""
    if not introspection:
        return {}
    try:
        root = ElementTree.fromstring(introspection)
    except ElementTree.ParseError:
        return {}
    found: dict[str, str] = {}
    for interface in root.iter("interface"):
        if interface.get("name") != PLAYER_INTERFACE:
            continue
        for prop in interface.iter("property"):
            for note in prop.iter("annotation"):
                if note.get("name") == _EMITS and note.get("value") in ("false", "const"):
                    found[str(prop.get("name"))] = str(note.get("value"))
    return found


def unsignalled(
    first: Mapping[str, Variant], last: Mapping[str, Variant], last_at: float, log: SignalLog
) -> dict[str, tuple[object, object]]:
    """Properties whose value at ``last_at`` differs from what the signals told.

    A property some signal carried after ``last_at`` is given the benefit of the doubt:
    the player may send its PropertiesChanged a moment after answering ``Get``.
    """
    held: dict[str, object] = dict(first)
    for change in log.changes:
        if change.interface != PLAYER_INTERFACE:
            continue
        held.update(change.changed)
        held.update(dict.fromkeys(change.invalidated, _INVALIDATED))
    found: dict[str, tuple[object, object]] = {}
    for name in SIGNALLED:
        if name not in last:
            continue
        told = held.get(name)
        if told is _INVALIDATED or told == last[name] or log.touched_since(last_at, name):
            continue
        before = told.value if isinstance(told, Variant) else told
        found[name] = (before, last[name].value)
    return found


def check_position_signal(log: SignalLog, watched: float) -> Finding:
    """``Position`` is never in PropertiesChanged: clients follow it through ``Seeked``."""
    affects = (Shell.ANY,)
    carried = sum(
        1
        for change in log.changes
        if change.interface == PLAYER_INTERFACE
        and ("Position" in change.changed or "Position" in change.invalidated)
    )
    if carried:
        return Finding(
            "position-signal",
            Verdict.FAIL,
            affects,
            f"Position was in {carried} PropertiesChanged signal(s); the spec sends it in none "
            "(clients extrapolate it and listen to Seeked)",
        )
    return Finding(
        "position-signal",
        Verdict.PASS,
        affects,
        f"not among {len(log.changes)} PropertiesChanged in {watched:.1f} s",
    )


def check_can_play_signalled(
    silent: Mapping[str, tuple[object, object]], declared: Mapping[str, str], log: SignalLog
) -> Finding:
    """``CanPlay`` changes reach shells in PropertiesChanged (GNOME shows players on it)."""
    affects = (Shell.GNOME,)
    if "CanPlay" in silent:
        before, after = silent["CanPlay"]
        return Finding(
            "can-play-signalled",
            Verdict.FAIL,
            affects,
            f"CanPlay went {before} -> {after} without PropertiesChanged: "
            "GNOME Shell keeps showing the old state",
        )
    if "CanPlay" in declared:
        return Finding(
            "can-play-signalled",
            Verdict.FAIL,
            affects,
            f"CanPlay is introspected with EmitsChangedSignal={declared['CanPlay']}: "
            "GNOME Shell does not see it change",
        )
    seen = sum(
        1
        for change in log.changes
        if change.interface == PLAYER_INTERFACE and "CanPlay" in change.changed
    )
    detail = (
        f"signalled {seen} time(s)"
        if seen
        else "no unsignalled change while watched; introspection declares it signalled"
    )
    return Finding("can-play-signalled", Verdict.PASS, affects, detail)


def check_changes_signalled(
    silent: Mapping[str, tuple[object, object]], declared: Mapping[str, str]
) -> Finding:
    """The other properties shells show change only with PropertiesChanged."""
    others = {name: values for name, values in silent.items() if name != "CanPlay"}
    affects = (Shell.GNOME, Shell.KDE)
    quiet = sorted(name for name in declared if name in SIGNALLED and name != "CanPlay")
    if quiet:
        return Finding(
            "changes-signalled",
            Verdict.FAIL,
            affects,
            f"introspected with EmitsChangedSignal false or const: {', '.join(quiet)}",
        )
    if others:
        listed = ", ".join(sorted(others))
        return Finding(
            "changes-signalled",
            Verdict.FAIL,
            affects,
            f"changed without PropertiesChanged: {listed}; shells keep showing the old values",
        )
    return Finding("changes-signalled", Verdict.PASS, affects, "no unsignalled change seen")
