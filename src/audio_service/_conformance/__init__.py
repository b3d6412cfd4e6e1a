"""A conformance checker for any MPRIS player: what desktop shells need, checked over D-Bus.

An MPRIS *client*, independent of the service (it imports nothing of it):
:func:`check_players` connects to a bus, reads each player's properties,
exercises ``Seek``/``SetPosition`` when it can, watches the signals, and returns
one :class:`PlayerReport` per player, each finding ``pass``/``warn``/``fail``/``skip``
with the shells it affects. ``audio-service check`` is its command line.
"""

from audio_service._conformance._checker import (
    CheckOptions,
    PlayerNotFound,
    bus_name_of,
    check_player,
    check_players,
)
from audio_service._conformance._findings import Finding, PlayerReport, Shell, Verdict
from audio_service._conformance._render import render_json, render_table

__all__ = [
    "CheckOptions",
    "Finding",
    "PlayerNotFound",
    "PlayerReport",
    "Shell",
    "Verdict",
    "bus_name_of",
    "check_player",
    "check_players",
    "render_json",
    "render_table",
]
