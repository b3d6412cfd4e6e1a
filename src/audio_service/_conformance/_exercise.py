"""``Seeked`` after ``SetPosition`` and ``Seek``: the one check that changes the player's state.

It moves the position forward with ``SetPosition`` and back with ``Seek``, so the player
ends where it was (give or take the time the check took while playing).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping

from dbus_fast import Variant

from audio_service._conformance._bus import CallFailed, MprisClient, SignalLog
from audio_service._conformance._findings import Finding, Shell, Verdict
from audio_service._conformance._spec import MPRIS_PATH, NO_TRACK, PLAYER_INTERFACE

__all__ = ["check_seeked"]

_AFFECTS = (Shell.KDE, Shell.PLAYERCTL)
#: How far the check moves the position, in microseconds.
_STEP = 2_000_000
#: How far a reported position may be from the one asked for (keyframes, clock reads).
_TOLERANCE = 500_000


def _skip(detail: str) -> Finding:
    return Finding("seeked", Verdict.SKIP, _AFFECTS, detail)


def _fail(detail: str) -> Finding:
    return Finding("seeked", Verdict.FAIL, _AFFECTS, detail)


def _seconds(microseconds: int) -> str:
    return f"{microseconds / 1e6:.1f} s"


async def _next_seeked(log: SignalLog, since: float, timeout: float) -> tuple[str, object] | None:
    deadline = time.monotonic() + timeout
    while True:
        for at, signature, value in log.seeked:
            if at >= since:
                return signature, value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        log.arrived.clear()
        try:
            await asyncio.wait_for(log.arrived.wait(), remaining)
        except TimeoutError:
            return None


async def _position(client: MprisClient, name: str) -> int:
    value = await client.get(name, PLAYER_INTERFACE, "Position")
    if value.signature != "x":
        raise CallFailed(f"Position is {value.signature!r}, not int64 'x'")
    return int(value.value)


async def _expect_seeked(
    client: MprisClient, log: SignalLog, since: float, expected: int, what: str, drift: bool
) -> str | None:
    """None when a ``Seeked`` near ``expected`` came; else what went wrong."""
    got = await _next_seeked(log, since, client.timeout)
    if got is None:
        return f"{what}: no Seeked signal within {client.timeout:g} s"
    signature, value = got
    if signature != "x" or not isinstance(value, int):
        return f"{what}: Seeked carried {signature!r} {value!r}, not int64 'x'"
    # While playing the position moves on between our call and the player's signal.
    slack = _TOLERANCE + (int((time.monotonic() - since) * 1e6) if drift else 0)
    if abs(value - expected) > slack:
        return f"{what}: Seeked said {_seconds(value)}, not {_seconds(expected)}"
    return None


async def check_seeked(
    client: MprisClient, name: str, log: SignalLog, player: Mapping[str, Variant]
) -> Finding:
    """SetPosition forward, then Seek back: each must be answered by ``Seeked`` at the new place."""
    can_seek = player.get("CanSeek")
    if can_seek is None or can_seek.value is not True:
        return _skip("CanSeek is false")
    status = player.get("PlaybackStatus")
    if status is None or status.value == "Stopped":
        return _skip("the player is stopped: nothing to seek in")
    metadata_value = player.get("Metadata")
    metadata: dict[str, Variant] = (
        dict(metadata_value.value) if metadata_value and metadata_value.signature == "a{sv}" else {}
    )
    trackid = metadata.get("mpris:trackid")
    if trackid is None or trackid.signature != "o" or trackid.value == NO_TRACK:
        return _skip("no usable mpris:trackid to pass to SetPosition")
    length_value = metadata.get("mpris:length")
    length = int(length_value.value) if length_value and length_value.signature == "x" else None
    if length is not None and length < 2 * _STEP:
        return _skip(f"the track is too short to seek in ({_seconds(length)})")
    drift = status.value == "Playing"
    try:
        start = await _position(client, name)
        forward = length is None or start + _STEP + _STEP // 2 < length
        target = start + _STEP if forward else max(0, start - _STEP)
        since = time.monotonic()
        await client.call(
            name, MPRIS_PATH, PLAYER_INTERFACE, "SetPosition", "ox", [trackid.value, target]
        )
        problem = await _expect_seeked(
            client, log, since, target, f"SetPosition({_seconds(target)})", drift
        )
        if problem is not None:
            return _fail(problem)
        before = await _position(client, name)
        offset = start - target
        since = time.monotonic()
        await client.call(name, MPRIS_PATH, PLAYER_INTERFACE, "Seek", "x", [offset])
        problem = await _expect_seeked(
            client, log, since, max(0, before + offset), f"Seek({_seconds(offset)})", drift
        )
    except CallFailed as error:
        return _fail(str(error))
    if problem is not None:
        # Leave the player where it was even when Seek misbehaved.
        with contextlib.suppress(CallFailed):
            await client.call(
                name, MPRIS_PATH, PLAYER_INTERFACE, "SetPosition", "ox", [trackid.value, start]
            )
        return _fail(problem)
    return Finding(
        "seeked",
        Verdict.PASS,
        _AFFECTS,
        f"SetPosition({_seconds(target)}) and Seek({_seconds(offset)}) each answered by Seeked; "
        f"back at {_seconds(start)}",
    )
