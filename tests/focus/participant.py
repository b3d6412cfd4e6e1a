"""A focus participant in its own process, driven by lines on stdin; reports JSON lines.

Commands: ``request GAIN USAGE WPWD``, ``abandon``, ``state``, ``quit``.
"""

from __future__ import annotations

import asyncio
import json
import sys

from audio_session import AndroidAudioFocusGainType, AndroidAudioUsage
from audio_session._focus import FocusChange, FocusClient


def say(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


async def main() -> None:
    client = FocusClient()
    await client.connect()

    def on_change(change: FocusChange) -> None:
        say(
            event="change",
            focus=int(change.focus),
            interruptions=[[e.begin, int(e.type)] for e in change.interruptions],
        )

    client.changes.listen(on_change)
    say(event="ready", name=client.unique_name, hosting=client.hosting)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        command, args = line[0], line[1:]
        if command == "request":
            gain, usage, wpwd = AndroidAudioFocusGainType(int(args[0])), int(args[1]), args[2]
            granted = await client.request(gain, AndroidAudioUsage(usage), wpwd == "1")
            say(event="reply", value=granted)
        elif command == "abandon":
            say(event="reply", value=await client.abandon())
        elif command == "state":
            focus = client.focus
            say(event="reply", value=[None if focus is None else int(focus), client.hosting])
        elif command == "quit":
            break
    await client.close()


asyncio.run(main())
