"""A recording org.freedesktop.Notifications server for the tests (no display needed)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from dbus_fast import Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusInt32, DBusSignature, DBusStr, DBusUInt32
from dbus_fast.service import ServiceInterface, method, signal

StrList = Annotated[list[str], DBusSignature("as")]
Hints = Annotated[dict[str, Variant], DBusSignature("a{sv}")]
Info = Annotated[list[str], DBusSignature("ssss")]
IdAndKey = Annotated[list[Any], DBusSignature("us")]
IdAndReason = Annotated[list[Any], DBusSignature("uu")]


class Notifications(ServiceInterface):
    def __init__(
        self, capabilities: list[str], info: tuple[str, str] = ("recorder", "tests")
    ) -> None:
        super().__init__("org.freedesktop.Notifications")
        self.capabilities_list = capabilities
        self.info = info
        self.notify_calls: list[dict[str, Any]] = []
        self.close_calls: list[int] = []
        self.open: set[int] = set()
        self._next_id = 0
        self.changed = asyncio.Event()

    @method()
    def GetCapabilities(self) -> StrList:
        return self.capabilities_list

    @method()
    def GetServerInformation(self) -> Info:
        return [*self.info, "0", "1.2"]

    @method()
    def Notify(
        self,
        app_name: DBusStr,
        replaces_id: DBusUInt32,
        app_icon: DBusStr,
        summary: DBusStr,
        body: DBusStr,
        actions: StrList,
        hints: Hints,
        expire_timeout: DBusInt32,
    ) -> DBusUInt32:
        if replaces_id and replaces_id in self.open:
            notification_id = replaces_id
        else:
            self._next_id += 1
            notification_id = self._next_id
        self.open.add(notification_id)
        self.notify_calls.append(
            {
                "app_name": app_name,
                "replaces_id": replaces_id,
                "app_icon": app_icon,
                "summary": summary,
                "body": body,
                "actions": list(actions),
                "hints": {
                    key: value.value if isinstance(value, Variant) else value
                    for key, value in hints.items()
                },
                "expire_timeout": expire_timeout,
                "id": notification_id,
            }
        )
        self.changed.set()
        return notification_id

    @method()
    # No return annotation: under postponed annotations dbus-fast would read "None" as a type.
    def CloseNotification(self, notification_id: DBusUInt32):
        self.close_calls.append(notification_id)
        if notification_id in self.open:
            self.open.discard(notification_id)
            self.NotificationClosed(notification_id, 3)
        self.changed.set()

    @signal()
    def ActionInvoked(self, notification_id: DBusUInt32, action_key: DBusStr) -> IdAndKey:
        return [notification_id, action_key]

    @signal()
    def NotificationClosed(self, notification_id: DBusUInt32, reason: DBusUInt32) -> IdAndReason:
        return [notification_id, reason]

    def dismiss(self, notification_id: int) -> None:
        """What the user closing the popup does."""
        self.open.discard(notification_id)
        self.NotificationClosed(notification_id, 2)

    async def wait(self, predicate: Any) -> None:
        async with asyncio.timeout(5):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


async def serve(
    address: str,
    capabilities: list[str],
    info: tuple[str, str] = ("recorder", "tests"),
    *,
    export: bool = True,
) -> tuple[MessageBus, Notifications]:
    """A server on the bus; with ``export=False`` it owns the name but answers every call
    with an error until ``bus.export(PATH, server)`` (GNOME Shell starting up does that)."""
    bus = await MessageBus(bus_address=address).connect()
    server = Notifications(capabilities, info)
    if export:
        bus.export(PATH, server)
    await bus.request_name("org.freedesktop.Notifications")
    return bus, server


PATH = "/org/freedesktop/Notifications"
