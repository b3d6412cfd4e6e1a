"""``audio-service demo``: the example app — a music player and a reader in one service.

- ``audio-service demo`` starts (or reconnects to) the demo service and opens
  its terminal UI; quitting the UI (``q``) leaves the audio playing.
- ``audio-service demo --tour`` runs the non-interactive, self-checking tour on
  a private audio stack (``--audio-server pulseaudio|pipewire``).
- ``audio-service demo status|play|pause|toggle|next|previous|music|reader|stop``
  drives a running demo service from any terminal, embedded servers included.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["register"]

ACTIONS = ("ui", "status", "play", "pause", "toggle", "next", "previous", "music", "reader", "stop")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the example app: a music player and a reader with a terminal UI",
        description=(
            "Start the demo service (music over libmpv, an espeak-ng reader) with a "
            "locally generated catalogue and open its terminal UI, or drive a running one. "
            "Without a desktop session bus or audio server it starts private ones."
        ),
    )
    parser.add_argument(
        "action",
        nargs="?",
        default="ui",
        choices=ACTIONS,
        help="what to do (default: ui); the others send one request to the running service",
    )
    parser.add_argument(
        "--tour",
        action="store_true",
        help="run the self-checking tour on a private audio stack and exit (non-zero on failure)",
    )
    parser.add_argument(
        "--audio-server",
        choices=("pulseaudio", "pipewire"),
        default=None,
        help="the private audio server to start when one is needed "
        "(default: pipewire if installed, else pulseaudio)",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="use private servers even on a desktop",
    )
    parser.add_argument(
        "--catalogue",
        type=Path,
        default=None,
        help="where the generated media live (default: $XDG_DATA_HOME/audio-service-kit/demo)",
    )
    parser.set_defaults(handler=_run)


async def _run(args: argparse.Namespace) -> int:
    if args.tour:
        if args.action != "ui":
            print("audio-service demo: --tour takes no action", file=sys.stderr)
            return 2
        from audio_service.demo._environment import default_flavour
        from audio_service.demo._tour import run_tour

        flavour = args.audio_server or default_flavour()
        return 0 if await run_tour(flavour, catalogue_dir=args.catalogue) else 1
    if args.action == "ui":
        return await _run_ui(args)
    return await _run_action(args.action)


async def _run_ui(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "audio-service demo: the UI needs a terminal; try `audio-service demo --tour` "
            "or `audio-service demo status`",
            file=sys.stderr,
        )
        return 2
    try:
        from audio_service.demo._app import DemoApp
    except ImportError as error:
        print(
            f"audio-service demo: the UI needs Textual ({error}); install audio-service-kit[tui]",
            file=sys.stderr,
        )
        return 2
    import asyncio

    from audio_service import AudioService, AudioServiceError
    from audio_service.demo._catalogue import ensure_catalogue
    from audio_service.demo._environment import prepare_environment, service_lock, state_dir
    from audio_service.demo._task import APP_ID, IDENTITY, demo_entrypoint

    began = time.monotonic()
    print("Preparing the demo catalogue...", flush=True)
    catalogue = await asyncio.to_thread(ensure_catalogue, args.catalogue)
    if catalogue.generated:
        print(
            f"Generated {len(catalogue.generated)} items in {time.monotonic() - began:.1f} s "
            f"into {catalogue.directory}",
            flush=True,
        )
    for note in catalogue.notes:
        print(f"Note: {note}", flush=True)
    try:
        with service_lock(state_dir()):
            environment = await prepare_environment(
                flavour=args.audio_server, embedded=args.embedded, app_id=APP_ID
            )
            for line in environment.lines:
                print(line, flush=True)
            started = await AudioService.start(
                demo_entrypoint,
                {"catalogue": str(catalogue.directory)},
                app_id=APP_ID,
                identity=IDENTITY,
                desktop_entry=_desktop_entry(),
            )
    except (AudioServiceError, RuntimeError, OSError) as error:
        print(f"audio-service demo: could not start the demo service: {error}", file=sys.stderr)
        return 1
    greeting = (
        "started the demo service: press space to play"
        if started
        else "reconnected to the running demo service"
    )
    app = DemoApp(
        AudioService,
        environment=environment.lines,
        desktop=environment.mode == "desktop",
        greeting=greeting,
    )
    try:
        await app.run_async()
    finally:
        running = AudioService.running
        await AudioService.disconnect()
    if app.outcome == "stop" or not running:
        print("The demo service stopped.")
        if environment.mode == "embedded":
            print("The private servers stop with it.")
    else:
        print(
            "The demo service keeps playing in the background. `audio-service demo` reconnects, "
            "`audio-service demo stop` stops it."
        )
    return 0


def _desktop_entry() -> str | None:
    from audio_service.demo._desktop import ensure_desktop_entry

    try:
        return ensure_desktop_entry()
    except OSError as error:
        print(f"Note: no desktop entry for the demo ({error})", flush=True)
        return None


async def _run_action(action: str) -> int:
    from audio_service import AudioService, AudioServiceError
    from audio_service.demo._environment import APPLIED_VARIABLES, read_state, state_dir
    from audio_service.demo._task import APP_ID

    state = read_state(state_dir())
    if state is not None:
        import os

        for key in APPLIED_VARIABLES:
            if key in state.env:
                os.environ[key] = state.env[key]
    try:
        await AudioService.connect(APP_ID)
    except AudioServiceError as error:
        print(f"audio-service demo: {error}", file=sys.stderr)
        return 1
    try:
        if not AudioService.running:
            print(
                "audio-service demo: the demo service is not running (start it with "
                "`audio-service demo`)",
                file=sys.stderr,
            )
            return 1
        if action == "status":
            info: Any = await AudioService.custom_action("demo_info")
            print(_status_line(AudioService, info))
        elif action == "toggle":
            if AudioService.playback_state.playing:
                await AudioService.pause()
            else:
                await AudioService.play()
        elif action in ("music", "reader"):
            await AudioService.custom_action("switch_handler", action)
        else:
            request = {
                "play": AudioService.play,
                "pause": AudioService.pause,
                "next": AudioService.skip_to_next,
                "previous": AudioService.skip_to_previous,
                "stop": AudioService.stop,
            }[action]
            await request()
    except AudioServiceError as error:
        print(f"audio-service demo {action}: {error}", file=sys.stderr)
        return 1
    finally:
        await AudioService.disconnect()
    return 0


def _status_line(client: Any, info: Any) -> str:
    from audio_service.demo._text import format_time

    state = client.playback_state
    item = client.current_media_item
    handler = info.get("handler", "?") if isinstance(info, dict) else "?"
    doing = "playing" if state.playing else "paused"
    if item is None:
        return f"{doing} [{handler}] nothing current"
    by = f" by {item.artist}" if item.artist else ""
    return (
        f"{doing} [{handler}] {item.display_title or item.title}{by} "
        f"{format_time(client.position)} / {format_time(item.duration)} "
        f"(shuffle {state.shuffle_mode.name.lower()}, repeat {state.repeat_mode.name.lower()}, "
        f"speed {state.speed:.2f}x)"
    )
