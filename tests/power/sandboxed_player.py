"""A player run inside a Flatpak-like sandbox by the portal test.

Starts a service with its power surface, then follows commands on standard
input, one per line (``play``, ``pause``), printing the power status as a JSON
line after each; exits when standard input closes.
"""

from __future__ import annotations

import asyncio
import json
import sys

from power_support import service


async def main() -> None:
    journal: list[str] = []
    loop = asyncio.get_running_loop()
    async with service(journal, release_delay=0.05, pause_on_sleep=False) as svc:
        print(json.dumps({"started": True}), flush=True)
        while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            if line == "play":
                await svc.play()
            elif line == "pause":
                await svc.pause()
            await svc.keeper.settled()
            status = svc.keeper.status
            print(json.dumps({"inhibitor": status.inhibitor, "note": status.note}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
