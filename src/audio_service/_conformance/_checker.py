"""``check_player``: every check on one MPRIS player, in an order that disturbs it least.

The static checks read the first ``GetAll``; then ``Seeked`` moves the position
forward and back (only when ``CanSeek``); then the checker watches the player's
signals for ``watch`` seconds and compares what they told with a last ``GetAll``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dbus_fast import Variant

from audio_service._conformance import _static as static
from audio_service._conformance._bus import CallFailed, MprisClient
from audio_service._conformance._exercise import check_seeked
from audio_service._conformance._findings import Finding, PlayerReport, Verdict
from audio_service._conformance._signals import (
    check_can_play_signalled,
    check_changes_signalled,
    check_position_signal,
    not_emitting,
    unsignalled,
)
from audio_service._conformance._spec import (
    MPRIS_PREFIX,
    PLAYER_INTERFACE,
    PLAYER_OPTIONAL,
    PLAYER_REQUIRED,
    ROOT_INTERFACE,
    ROOT_OPTIONAL,
    ROOT_REQUIRED,
)

__all__ = ["CheckOptions", "PlayerNotFound", "bus_name_of", "check_player", "check_players"]


class PlayerNotFound(LookupError):
    """No such player on the bus."""


@dataclass(frozen=True)
class CheckOptions:
    """``watch``: seconds of listening to signals; ``timeout``: per call; ``seek``: may we seek."""

    watch: float = 1.0
    timeout: float = 2.0
    seek: bool = True
    #: How long a signal may trail the ``Get`` that already showed its new value.
    grace: float = 0.3
    #: The environment whose XDG data dirs hold the desktop files (default: this process's).
    environ: Mapping[str, str] | None = None


def bus_name_of(player: str) -> str:
    """``vlc`` → ``org.mpris.MediaPlayer2.vlc``; full and unique names stay as they are."""
    if player.startswith((":", MPRIS_PREFIX)):
        return player
    return MPRIS_PREFIX + player


async def _get_all(
    client: MprisClient, name: str, interface: str
) -> tuple[dict[str, Variant] | None, str | None]:
    try:
        return await client.get_all(name, interface), None
    except CallFailed as error:
        return None, str(error)


def _worse(first: Finding, second: Finding) -> Finding:
    order = (Verdict.PASS, Verdict.SKIP, Verdict.WARN, Verdict.FAIL)
    return second if order.index(second.verdict) > order.index(first.verdict) else first


async def _check(client: MprisClient, name: str, options: CheckOptions) -> PlayerReport:
    try:
        owner = await client.owner(name)
    except CallFailed:
        raise PlayerNotFound(f"no player {name} on the bus") from None
    began = time.monotonic()
    log = await client.record(owner)
    root, root_error = await _get_all(client, owner, ROOT_INTERFACE)
    player, player_error = await _get_all(client, owner, PLAYER_INTERFACE)
    try:
        declared = not_emitting(await client.introspect(owner))
    except CallFailed:
        declared = {}
    report = PlayerReport(name, owner)
    add = report.findings.append
    add(
        static.check_get_all(
            "root-get-all", ROOT_INTERFACE, root, root_error, ROOT_REQUIRED, ROOT_OPTIONAL
        )
    )
    add(
        static.check_get_all(
            "player-get-all",
            PLAYER_INTERFACE,
            player,
            player_error,
            PLAYER_REQUIRED,
            PLAYER_OPTIONAL,
        )
    )
    add(static.check_identity(root))
    for check in (
        static.check_trackid,
        static.check_artist,
        static.check_length,
        static.check_metadata_types,
        static.check_art_url,
    ):
        finding = check(player)
        if player is None:
            finding = replace(finding, verdict=Verdict.SKIP, detail="no Player properties to read")
        add(finding)
    add(static.check_desktop_entry(root, options.environ))
    add(static.check_xfce_desktop_file(name, options.environ))
    if player is None:
        return report
    if options.seek:
        add(await check_seeked(client, owner, log, player))
    # Listening is the check here: shells learn of changes only from signals.
    await asyncio.sleep(max(0.0, began + options.watch - time.monotonic()))
    last_at = time.monotonic()
    last, last_error = await _get_all(client, owner, PLAYER_INTERFACE)
    if last is None:
        # The player broke (or left) while checked: that is the GetAll finding now.
        failed = static.check_get_all("player-get-all", PLAYER_INTERFACE, None, last_error, {}, {})
        index = next(i for i, f in enumerate(report.findings) if f.check == "player-get-all")
        report.findings[index] = replace(failed, detail=f"at the end: {failed.detail}")
        return report
    await asyncio.sleep(options.grace)
    silent = unsignalled(player, last, last_at, log)
    add(_worse(static.check_can_play(player), static.check_can_play(last)))
    add(check_can_play_signalled(silent, declared, log))
    add(check_changes_signalled(silent, declared))
    add(check_position_signal(log, time.monotonic() - began))
    return report


async def check_player(
    player: str, *, bus_address: str | None = None, options: CheckOptions | None = None
) -> PlayerReport:
    """Check one player (``vlc``, ``org.mpris.MediaPlayer2.vlc`` or a unique name)."""
    reports = await check_players([player], bus_address=bus_address, options=options)
    return reports[0]


async def check_players(
    players: Sequence[str] | None = None,
    *,
    bus_address: str | None = None,
    options: CheckOptions | None = None,
) -> list[PlayerReport]:
    """Check each of ``players``, or every ``org.mpris.MediaPlayer2.*`` on the bus when None.

    Raises :class:`PlayerNotFound` for a named player that is not there, and
    ``OSError``/``dbus_fast`` errors when the bus cannot be reached.
    """
    options = options or CheckOptions()
    client = await MprisClient.connect(bus_address, options.timeout)
    try:
        names = [bus_name_of(p) for p in players] if players else await client.players()
        return [await _check(client, name, options) for name in names]
    finally:
        client.disconnect()
