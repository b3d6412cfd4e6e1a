"""``audio-service devices``: the audio devices the session sees.

Lists each device with its direction, type, id and name; ``*`` marks the
default output and input. ``--json`` prints a JSON array instead, one object
per device (``id``, ``name``, ``type``, ``is_input``, ``is_output``, ``default``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any

from audio_session import AudioDevice, AudioSession

__all__ = ["device_json", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "devices",
        help="list audio input and output devices",
        description="List the audio devices the audio session sees (* marks the defaults).",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument("--inputs", action="store_true", help="only input devices")
    direction.add_argument("--outputs", action="store_true", help="only output devices")
    parser.set_defaults(handler=_run)


def type_name(device: AudioDevice) -> str:
    """The device type as a lower-case name, e.g. ``built_in_speaker``."""
    return device.type.name.lower()


def device_json(device: AudioDevice, *, default: bool | None = None) -> dict[str, Any]:
    """``device`` as a JSON object (``default`` only when given)."""
    found: dict[str, Any] = {
        "id": device.id,
        "name": device.name,
        "type": type_name(device),
        "is_input": device.is_input,
        "is_output": device.is_output,
    }
    if default is not None:
        found["default"] = default
    return found


async def _default_ids(session: AudioSession) -> set[str]:
    # Only the Linux backend knows the defaults; the session API has no such call.
    query = getattr(session.backend, "get_default_device_ids", None)
    if query is None:
        return set()
    try:
        ids = await query()
    except Exception:
        return set()
    return {i for i in ids if isinstance(i, str)}


def _sorted(devices: Iterable[AudioDevice]) -> list[AudioDevice]:
    return sorted(devices, key=lambda d: (not d.is_output, d.id))


def _direction(device: AudioDevice) -> str:
    if device.is_input and device.is_output:
        return "duplex"
    return "output" if device.is_output else "input"


async def _run(args: argparse.Namespace) -> int:
    session = await AudioSession.create()
    try:
        devices = await session.get_devices(
            include_inputs=not args.outputs, include_outputs=not args.inputs
        )
        defaults = await _default_ids(session) if devices else set()
    finally:
        await session.close()
    ordered = _sorted(devices)
    if args.json:
        print(json.dumps([device_json(d, default=d.id in defaults) for d in ordered], indent=2))
        return 0
    if not ordered:
        print("no audio devices (is a PulseAudio or PipeWire server running?)", file=sys.stderr)
        return 0
    rows = [("", "DIRECTION", "TYPE", "ID", "NAME")]
    rows += [
        ("*" if d.id in defaults else "", _direction(d), type_name(d), d.id, d.name)
        for d in ordered
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        print("  ".join([*cells, row[4]]).rstrip())
    return 0
