"""A service with its power surface, and a watcher of gnome-session's inhibitors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from power_task import PowerTask

from audio_service import ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._surfaces._linux._power import KeepAwake

APP_ID = "org.example.PowerTest"
SM = "org.gnome.SessionManager"
SM_PATH = "/org/gnome/SessionManager"


class Service:
    def __init__(self, core: ServiceCore, task: PowerTask, keeper: KeepAwake) -> None:
        self.core = core
        self.task = task
        self.keeper = keeper

    async def play(self) -> None:
        from audio_service._service._requests import Play

        await self.core.handle(Play())

    async def pause(self) -> None:
        from audio_service._service._requests import Pause

        await self.core.handle(Pause())


@asynccontextmanager
async def service(
    journal: list[str], *, release_delay: float = 0.3, **options: Any
) -> AsyncIterator[Service]:
    task = PowerTask()
    task.journal = journal
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID), stop_grace=0.5)
    await core.start()
    keeper = KeepAwake(core.handle, app_id=APP_ID, release_delay=release_delay, **options)
    try:
        await keeper.start()
        keeper.attach(core)
        yield Service(core, task, keeper)
    finally:
        await keeper.close()
        await core.shutdown()


class SessionManagerWatch:
    """gnome-session's inhibitors, as its InhibitorAdded/InhibitorRemoved signals tell them."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self.events: list[tuple[str, float]] = []
        self.changed = asyncio.Event()

    @classmethod
    async def open(cls, address: str) -> SessionManagerWatch:
        bus = await MessageBus(bus_address=address).connect()
        watch = cls(bus)
        bus.add_message_handler(watch._on_message)
        await watch._call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            "s",
            [f"type='signal',interface='{SM}'"],
        )
        return watch

    def _on_message(self, message: Message) -> None:
        if message.message_type is MessageType.SIGNAL and message.member in (
            "InhibitorAdded",
            "InhibitorRemoved",
        ):
            self.events.append((message.member, time.monotonic()))
            self.changed.set()

    async def _call(
        self, dest: str, path: str, interface: str, member: str, sig: str = "", body: Any = None
    ) -> Any:
        reply = await self.bus.call(
            Message(
                destination=dest,
                path=path,
                interface=interface,
                member=member,
                signature=sig,
                body=body or [],
            )
        )
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN, reply.body
        return reply.body

    async def is_inhibited(self, flags: int) -> bool:
        (inhibited,) = await self._call(SM, SM_PATH, SM, "IsInhibited", "u", [flags])
        return bool(inhibited)

    async def inhibitors(self) -> list[dict[str, Any]]:
        """Each inhibitor's app id, flags and reason."""
        (paths,) = await self._call(SM, SM_PATH, SM, "GetInhibitors")
        found = []
        for path in paths:
            iface = "org.gnome.SessionManager.Inhibitor"
            (app_id,) = await self._call(SM, path, iface, "GetAppId")
            (flags,) = await self._call(SM, path, iface, "GetFlags")
            (reason,) = await self._call(SM, path, iface, "GetReason")
            found.append({"app_id": app_id, "flags": flags, "reason": reason})
        return found

    async def wait_for(self, member: str, count: int = 1, timeout: float = 5.0) -> float:
        """When the ``count``-th ``member`` signal came."""
        async with asyncio.timeout(timeout):
            while True:
                times = [at for name, at in self.events if name == member]
                if len(times) >= count:
                    return times[count - 1]
                self.changed.clear()
                await self.changed.wait()

    def count(self, member: str) -> int:
        return sum(1 for name, _ in self.events if name == member)

    def close(self) -> None:
        self.bus.disconnect()


PM = "org.freedesktop.PowerManagement"
PM_PATH = "/org/freedesktop/PowerManagement/Inhibit"
PM_INTERFACE = "org.freedesktop.PowerManagement.Inhibit"


class PowerManager:
    """Asks a power manager ``HasInhibit``: xfce4-power-manager 4.18 signals no change on
    the bus, so a change is waited for by asking until it shows."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus

    @classmethod
    async def open(cls, address: str) -> PowerManager:
        return cls(await MessageBus(bus_address=address).connect())

    async def has_inhibit(self) -> bool:
        reply = await self.bus.call(
            Message(destination=PM, path=PM_PATH, interface=PM_INTERFACE, member="HasInhibit")
        )
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN, reply.body
        return bool(reply.body[0])

    async def wait_for(self, inhibited: bool, timeout: float = 5.0) -> float:
        """When ``HasInhibit`` was first seen to answer ``inhibited``."""
        async with asyncio.timeout(timeout):
            # xfce4-power-manager sends no signal to await instead.
            while await self.has_inhibit() != inhibited:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
        return time.monotonic()

    def close(self) -> None:
        self.bus.disconnect()
