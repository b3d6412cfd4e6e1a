"""``audio-service logs [APP_ID] [--follow]``: a service host's log.

Each host process writes its log to ``$XDG_STATE_HOME/audio-service/<app_id>.log``
(``~/.local/state/...`` by default): what its task logged, and the traceback of
a start that failed. Without ``APP_ID`` the only log there is shown, or the
running service's; when there are several, they are listed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from typing import TextIO

__all__ = ["register"]

#: How often ``--follow`` looks for new lines.
FOLLOW_PERIOD = 0.2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="show a service host's log",
        description="Show the log of a background audio service's host process.",
    )
    parser.add_argument("app_id", nargs="?", help="the service's app id (default: the only one)")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument(
        "-n", "--lines", type=int, default=50, help="how many last lines to show (default 50)"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from audio_service._connect._remote import log_path

    directory = log_path("x").parent
    app_id = args.app_id
    if app_id is None:
        found = sorted(path.stem for path in directory.glob("*.log"))
        if len(found) != 1:
            if not found:
                print(f"audio-service logs: no service has logged in {directory}", file=sys.stderr)
            else:
                print(f"several services have logs in {directory}; say which:", file=sys.stderr)
                for name in found:
                    print(f"  audio-service logs {name}", file=sys.stderr)
            return 1
        app_id = found[0]
    path = log_path(app_id)
    if not path.is_file():
        print(f"audio-service logs: no log for {app_id!r} ({path})", file=sys.stderr)
        return 1
    with open(path, errors="replace") as log:
        for line in deque(log, maxlen=max(args.lines, 0)):
            sys.stdout.write(line)
        sys.stdout.flush()
        if args.follow:
            _follow(log)
    return 0


def _follow(log: TextIO) -> None:
    while True:
        line = log.readline()
        if line:
            sys.stdout.write(line)
            sys.stdout.flush()
            continue
        time.sleep(FOLLOW_PERIOD)  # a plain file has no readiness to wait on
