"""``audio-service desktop-entry``: the user ``.desktop`` file shells read a player's name from.

- ``audio-service desktop-entry install ID --name NAME --exec CMD [--icon FILE] ...``
  writes ``$XDG_DATA_HOME/applications/ID.desktop`` (and copies the icon);
- ``audio-service desktop-entry show ID`` prints where the installed one is, and its keys.

Use the app id as ``ID`` (the MPRIS bus name's suffix, which Xfce looks up) and
pass it to ``AudioService.start(desktop_entry=ID)``.
"""

from __future__ import annotations

import argparse
import shlex
import sys

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "desktop-entry",
        help="install or show the .desktop file that names the player in the shells",
        description=(
            "Shells show a player's name and icon from its desktop entry (MPRIS DesktopEntry); "
            "Xfce lists only players that have one. This writes a user one for apps not "
            "installed by a package."
        ),
    )
    actions = parser.add_subparsers(dest="desktop_action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="write $XDG_DATA_HOME/applications/ID.desktop")
    install.add_argument("id", help="the desktop file id without .desktop (use the app id)")
    install.add_argument("--name", required=True, help="the app's name, as the shells show it")
    install.add_argument(
        "--exec",
        dest="command",
        required=True,
        help="the command that starts the UI (split like a shell command line)",
    )
    install.add_argument("--icon", help="a .png/.svg icon file (copied) or a theme icon name")
    install.add_argument("--comment", help="a one-line description")
    install.add_argument(
        "--terminal", action="store_true", help="the UI runs in a terminal (a text UI)"
    )
    install.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="X-KEY=VALUE",
        help="an extra X- key (repeatable)",
    )
    install.set_defaults(handler=_install)
    show = actions.add_parser("show", help="print the installed entry's path and keys")
    show.add_argument("id", help="the desktop file id without .desktop")
    show.set_defaults(handler=_show)


def _install(args: argparse.Namespace) -> int:
    from audio_service._surfaces._linux._desktop_entry import install_desktop_entry

    extra: dict[str, str] = {}
    for pair in args.key:
        key, sep, value = pair.partition("=")
        if not sep:
            print(
                f"audio-service desktop-entry: --key wants X-KEY=VALUE, not {pair!r}",
                file=sys.stderr,
            )
            return 2
        extra[key] = value
    try:
        path = install_desktop_entry(
            args.id,
            name=args.name,
            exec=shlex.split(args.command),
            icon=args.icon,
            comment=args.comment,
            terminal=args.terminal,
            extra=extra,
        )
    except (ValueError, OSError) as error:
        print(f"audio-service desktop-entry: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _show(args: argparse.Namespace) -> int:
    from audio_service._surfaces._linux._desktop_entry import (
        desktop_entry_path,
        read_desktop_entry,
    )

    try:
        path = desktop_entry_path(args.id)
    except ValueError as error:
        print(f"audio-service desktop-entry: {error}", file=sys.stderr)
        return 2
    if path is None:
        print(f"audio-service desktop-entry: no {args.id}.desktop is installed", file=sys.stderr)
        return 1
    print(path)
    for key, value in read_desktop_entry(path).items():
        print(f"  {key}={value}")
    return 0
