"""``audio-service focus``: who holds audio focus on this session bus, holder first.

Asks the apps' shared focus arbiter (``docs/FOCUS.md``) for its stack. Each line
shows the focus (``gain`` or the loss), the gain type asked for, the usage,
whether the app pauses instead of ducking, and the participant's bus name and
request id. ``--json`` prints a JSON array of the same fields.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from audio_session import AndroidAudioFocus, AndroidAudioFocusGainType, AndroidAudioUsage

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "focus",
        help="show the audio focus stack of the apps on this session bus",
        description="Show who holds audio focus (first line) and who waits below.",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.set_defaults(handler=_run)


async def _run(args: argparse.Namespace) -> int:
    from dbus_fast import BusType, Message, MessageType
    from dbus_fast.aio import MessageBus

    from audio_session._focus import BUS_NAME, INTERFACE, OBJECT_PATH

    try:
        bus = await MessageBus(bus_type=BusType.SESSION).connect()
    except Exception as error:
        print(f"audio-service focus: no session bus: {error}", file=sys.stderr)
        return 1
    try:
        # The arbiter answers registered participants only; this one holds no request.
        reply = await bus.call(
            Message(destination=BUS_NAME, path=OBJECT_PATH, interface=INTERFACE, member="Register")
        )
        if reply is not None and reply.message_type is not MessageType.ERROR:
            reply = await bus.call(
                Message(
                    destination=BUS_NAME, path=OBJECT_PATH, interface=INTERFACE, member="GetStack"
                )
            )
    finally:
        bus.disconnect()
    if reply is None or reply.message_type is MessageType.ERROR:
        if reply is not None and reply.error_name == "org.freedesktop.DBus.Error.ServiceUnknown":
            entries: list[dict[str, Any]] = []
        else:
            detail = reply.body[0] if reply is not None and reply.body else "no answer"
            print(f"audio-service focus: the arbiter failed: {detail}", file=sys.stderr)
            return 1
    else:
        entries = [_entry(*row) for row in reply.body[0]]
    if args.json:
        print(json.dumps(entries))
    elif not entries:
        print("no app holds audio focus")
    else:
        for entry in entries:
            pause = "pauses when ducked" if entry["will_pause_when_ducked"] else "ducks"
            print(
                f"{entry['focus']:<24} {entry['gain_type']:<26} {entry['usage']:<30} "
                f"{pause:<18} {entry['owner']} {entry['request_id']}"
            )
    return 0


def _entry(
    owner: str, request_id: str, gain: int, usage: int, pauses: bool, sequence: int, focus: int
) -> dict[str, Any]:
    return {
        "owner": owner,
        "request_id": request_id,
        "gain_type": AndroidAudioFocusGainType.decode(gain).name.lower(),
        "usage": AndroidAudioUsage.decode(usage).name.lower(),
        "will_pause_when_ducked": pauses,
        "sequence": sequence,
        "focus": AndroidAudioFocus.decode(focus).name.lower(),
    }
