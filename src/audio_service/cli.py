"""The ``audio-service`` console command.

Subcommands live in :mod:`audio_service._commands`, one module per feature.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Sequence

from audio_service._commands import register_all
from audio_session import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audio-service",
        description="Inspect and drive audio sessions and background audio services.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    register_all(parser.add_subparsers(dest="command", metavar="COMMAND"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        result = args.handler(args)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
    except KeyboardInterrupt:
        return 130
    status: int = result
    return status


if __name__ == "__main__":
    sys.exit(main())
