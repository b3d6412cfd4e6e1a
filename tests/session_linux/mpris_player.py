"""A minimal MPRIS player in its own process: prints READY, then sets the status read on stdin."""

from __future__ import annotations

import asyncio
import sys

from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusStr
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property


class Player(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")
        self.status = "Stopped"

    @dbus_property(access=PropertyAccess.READ)
    def PlaybackStatus(self) -> DBusStr:
        return self.status


async def main(name: str) -> None:
    bus = await MessageBus().connect()
    player = Player()
    bus.export("/org/mpris/MediaPlayer2", player)
    await bus.request_name(f"org.mpris.MediaPlayer2.{name}")
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        player.status = line.strip()
        player.emit_properties_changed({"PlaybackStatus": player.status})
        print("SET", player.status, flush=True)
    bus.disconnect()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
