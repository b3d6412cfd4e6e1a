"""``audio-service status [APP_ID]``: what a running background service is doing.

One block per running service (all of them without ``APP_ID``): its process,
whether it plays, whether it is on MPRIS, and which inhibitor keeps the
machine awake (``gnome-session``, ``power-management``, ``portal``, ``logind``
or none) with the pause-before-sleep lock. ``--json`` prints a JSON array.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import msgspec

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show what running background services are doing (inhibitor, MPRIS)",
        description="Show each running service's state, its desktop surfaces and inhibitor.",
    )
    parser.add_argument("app_id", nargs="?", help="one service's app id (default: all)")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.set_defaults(handler=_run)


async def _run(args: argparse.Namespace) -> int:
    from audio_service._connect import _ipc

    app_ids = [args.app_id] if args.app_id else await asyncio.to_thread(_ipc.list_services)
    statuses: list[dict[str, Any]] = []
    failed = False
    for app_id in app_ids:
        try:
            statuses.append(await _status(app_id))
        except Exception as error:  # one service's failure must not hide the others
            print(f"audio-service status: {app_id}: {error}", file=sys.stderr)
            failed = True
    if args.json:
        print(json.dumps(statuses))
    elif not app_ids:
        print("no audio service is running")
    for status in [] if args.json else statuses:
        print(_text(status))
    return 1 if failed else 0


async def _status(app_id: str) -> dict[str, Any]:
    from audio_service._connect import _ipc
    from audio_service._connect._wire import METHOD_STATUS, HostStatus

    try:
        client = await _ipc.connect(app_id, "audio-service status")
    except _ipc.ServerNotFoundError:
        raise RuntimeError("not running") from None
    try:
        reply = await client.call(METHOD_STATUS, timeout=5.0)
    except _ipc.RemoteError as error:
        if error.code == _ipc.ErrorCode.UNKNOWN_METHOD:
            raise RuntimeError("the service is an older version without status") from None
        raise
    finally:
        await client.close()
    result: dict[str, Any] = msgspec.to_builtins(msgspec.msgpack.decode(reply, type=HostStatus))
    return result


def _text(status: dict[str, Any]) -> str:
    surfaces = status.get("surfaces", {})
    power = surfaces.get("power")
    lines = [
        f"{status['app_id']} (pid {status['pid']}): "
        + ("playing" if status["playing"] else "not playing")
        + ("" if status["running"] else ", not running"),
        f"  mpris: {'on' if surfaces.get('mpris') else 'off'}",
    ]
    if power is None:
        lines.append("  inhibitor: off")
    else:
        inhibitor = (power.get("inhibitor") or "none") if power.get("keep_awake") else "off"
        lines.append(f"  inhibitor: {inhibitor} (against automatic suspend)")
        sleep = (
            "off"
            if not power.get("pause_on_sleep")
            else "held"
            if power.get("sleep_lock")
            else "not held"
        )
        lines.append(f"  pause before sleep: {sleep}")
        if power.get("note"):
            lines.append(f"  note: {power['note']}")
    return "\n".join(lines)
