"""``audio-service check [PLAYER...]``: does an MPRIS player give desktop shells what they need?

Checks any player on the session bus — ours or another program's — with
:mod:`audio_service._conformance`: a table (or ``--json``) of pass/warn/fail/skip
findings, each naming the shells it affects. Exit status: 0 when nothing
failed, 1 when a check failed, 2 when a named player is not on the bus or the
bus cannot be reached. Without PLAYER, every ``org.mpris.MediaPlayer2.*`` is checked.

``Seeked`` is checked by moving the position 2 s and back (``--no-seek`` leaves
the player alone).
"""

from __future__ import annotations

import argparse
import sys

from audio_service._conformance import (
    CheckOptions,
    PlayerNotFound,
    check_players,
    render_json,
    render_table,
)

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check MPRIS players against what desktop shells need",
        description=(
            "Check MPRIS players on the session bus against the spec and what GNOME Shell, "
            "gsd-media-keys, KDE Plasma and Xfce need from them. Exit status 0 when no check "
            "failed, 1 when one did, 2 when the player or the bus cannot be found."
        ),
    )
    parser.add_argument(
        "players",
        nargs="*",
        metavar="PLAYER",
        help="a player: its bus-name suffix (vlc), full name or unique name "
        "(default: every org.mpris.MediaPlayer2.* on the bus)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--watch",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how long to listen to each player's signals (default: 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long a player may take to answer a call (default: 2)",
    )
    parser.add_argument(
        "--no-seek",
        dest="seek",
        action="store_false",
        help="do not check Seeked (it moves the position 2 s and back)",
    )
    parser.set_defaults(handler=_run)


async def _run(args: argparse.Namespace) -> int:
    if args.watch < 0 or args.timeout <= 0:
        print("audio-service check: --watch must be >= 0 and --timeout > 0", file=sys.stderr)
        return 2
    options = CheckOptions(watch=args.watch, timeout=args.timeout, seek=args.seek)
    try:
        reports = await check_players(args.players or None, options=options)
    except PlayerNotFound as error:
        print(f"audio-service check: {error}", file=sys.stderr)
        return 2
    except (OSError, TimeoutError, ValueError) as error:
        print(f"audio-service check: cannot reach the session bus: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(render_json(reports))
    elif reports:
        print(render_table(reports))
    else:
        print("No MPRIS player on the session bus.")
    return 1 if any(report.failed for report in reports) else 0
