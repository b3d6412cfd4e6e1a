"""``audio-service watch``: activate a session and print what happens to it.

Prints one JSON object per line, flushed at once, until SIGINT or SIGTERM:

- ``{"event": "activated", "granted": true, "preset": "music", ...}`` once the
  session is configured and active (a line to wait for before stimulating it);
- ``{"event": "interruption", "begin": true, "type": "pause"}`` (``duck``, ``unknown``);
- ``{"event": "becoming_noisy"}``;
- ``{"event": "devices_changed", "added": [...], "removed": [...]}`` with device
  objects as ``audio-service devices --json`` prints them.

Every line also carries ``time`` (seconds since the epoch).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from audio_session import (
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioInterruptionEvent,
    AudioSession,
    AudioSessionConfiguration,
    Subscription,
)

__all__ = ["PRESETS", "register"]

#: ``--preset`` names and the configurations they stand for.
PRESETS: dict[str, Callable[[], AudioSessionConfiguration]] = {
    "music": AudioSessionConfiguration.music,
    "speech": AudioSessionConfiguration.speech,
    "movie": AudioSessionConfiguration.movie,
    "game": AudioSessionConfiguration.game,
    "voice-communication": AudioSessionConfiguration.voice_communication,
    "navigation": AudioSessionConfiguration.navigation,
    "assistant": AudioSessionConfiguration.assistant,
    "accessibility": AudioSessionConfiguration.accessibility,
    "notification": AudioSessionConfiguration.notification,
    "alarm": AudioSessionConfiguration.alarm,
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "watch",
        help="activate an audio session and print its events as JSON lines",
        description=(
            "Configure and activate an audio session, then print one JSON line per "
            "interruption, becoming-noisy and device change until interrupted."
        ),
    )
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="music",
        help="the session configuration (default: music)",
    )
    ducked = parser.add_mutually_exclusive_group()
    ducked.add_argument(
        "--pause-when-ducked",
        dest="pause_when_ducked",
        action="store_const",
        const=True,
        help="report ducking interruptions as pauses (overrides the preset)",
    )
    ducked.add_argument(
        "--duck",
        dest="pause_when_ducked",
        action="store_const",
        const=False,
        help="report ducking interruptions as ducking (overrides the preset)",
    )
    parser.set_defaults(handler=_run, pause_when_ducked=None)


def _device(device: AudioDevice) -> dict[str, Any]:
    # The same shape as `audio-service devices --json`, minus the default marker.
    return {
        "id": device.id,
        "name": device.name,
        "type": device.type.name.lower(),
        "is_input": device.is_input,
        "is_output": device.is_output,
    }


class _Printer:
    """Writes JSON lines; notices when nobody reads them any more."""

    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    def __call__(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **fields, "time": round(time.time(), 6)})
        try:
            print(line, flush=True)
        except (BrokenPipeError, ValueError):
            self._stop.set()


async def _run(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    emit = _Printer(stop)
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
    session = await AudioSession.create()
    subscriptions: list[Subscription[Any]] = []
    try:

        def on_interruption(event: AudioInterruptionEvent) -> None:
            emit("interruption", begin=event.begin, type=event.type.name.lower())

        def on_devices(event: AudioDevicesChangedEvent) -> None:
            emit(
                "devices_changed",
                added=[_device(d) for d in sorted(event.devices_added, key=lambda d: d.id)],
                removed=[_device(d) for d in sorted(event.devices_removed, key=lambda d: d.id)],
            )

        subscriptions = [
            session.interruption_event_stream.listen(on_interruption),
            session.becoming_noisy_event_stream.listen(lambda _: emit("becoming_noisy")),
            session.devices_changed_event_stream.listen(on_devices),
        ]
        await session.configure(PRESETS[args.preset]())
        granted = await session.set_active(
            True, android_will_pause_when_ducked=args.pause_when_ducked
        )
        request = session.active_request
        emit(
            "activated",
            granted=granted,
            preset=args.preset,
            pause_when_ducked=request.pause_when_ducked if request is not None else None,
            backend=session.backend.name,
        )
        await stop.wait()
    finally:
        for subscription in subscriptions:
            subscription.cancel()
        for signum in handled:
            loop.remove_signal_handler(signum)
        await session.close()
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stdout.flush()
    return 0
