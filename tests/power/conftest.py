"""The power tests' buses and services: a private session bus and a private *system* bus,
the real gnome-session, and test services for logind and PowerManagement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from dbus_fast import Message
from dbus_fast.aio import MessageBus
from power_rig import GnomeSession, PortalDesktop, PrivateSystemBus, XfcePowerManager
from power_services import Logind, PowerManagement, ScreenSaver

from audio_session.testing import PrivateSessionBus

_SANDBOX_VARIABLES = ("FLATPAK_ID", "SNAP", "XDG_CURRENT_DESKTOP")


@pytest.fixture
def journal() -> list[str]:
    return []


@pytest.fixture
def session_bus(
    dbus_session: PrivateSessionBus, monkeypatch: pytest.MonkeyPatch
) -> PrivateSessionBus:
    """The private session bus, as this process's (and its hosts') session bus."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", dbus_session.address)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(dbus_session.runtime_dir))
    for name in _SANDBOX_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return dbus_session


@pytest.fixture
def system_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateSystemBus]:
    with PrivateSystemBus() as bus:
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address)
        yield bus


@pytest.fixture
async def logind(system_bus: PrivateSystemBus, journal: list[str]) -> AsyncIterator[Logind]:
    service = await Logind.serve(system_bus.address, journal)
    yield service
    service.close()


@pytest.fixture
async def power_management(
    session_bus: PrivateSessionBus, journal: list[str]
) -> AsyncIterator[PowerManagement]:
    service = await PowerManagement.serve(session_bus.address, journal)
    yield service
    service.close()


@pytest.fixture
async def xfce_power_manager(
    session_bus: PrivateSessionBus, system_bus: PrivateSystemBus
) -> AsyncIterator[XfcePowerManager]:
    manager = XfcePowerManager(session_bus, system_bus).start()
    try:
        await wait_for_name(session_bus.address, "org.freedesktop.PowerManagement")
        yield manager
    finally:
        manager.stop()


@pytest.fixture
async def gnome_session(
    session_bus: PrivateSessionBus, system_bus: PrivateSystemBus
) -> AsyncIterator[GnomeSession]:
    session = GnomeSession(session_bus, system_bus).start()
    try:
        await wait_for_name(session_bus.address, "org.gnome.SessionManager")
        yield session
    finally:
        session.stop()


@pytest.fixture
async def portal(
    session_bus: PrivateSessionBus, gnome_session: GnomeSession
) -> AsyncIterator[PortalDesktop]:
    """xdg-desktop-portal and its GTK backend, in front of the real gnome-session."""
    saver = await ScreenSaver.serve(session_bus.address)
    desktop = PortalDesktop(session_bus)
    try:
        # The backend looks for gnome-session and the screensaver once, when it starts,
        # and then registers with gnome-session as a client: that proves it found them.
        display = desktop.start_display()
        async with _signal_watch(session_bus.address, "org.gnome.SessionManager") as signals:
            desktop.start_backend(display)
            await wait_for_name(session_bus.address, "org.freedesktop.impl.portal.desktop.gtk")
            try:
                await signals.wait_for("ClientAdded")
            except TimeoutError:
                raise AssertionError(
                    "the portal's GTK backend did not register with gnome-session:\n"
                    + desktop.processes[-1].log_tail()
                ) from None
        desktop.start_portal()
        await wait_for_name(session_bus.address, "org.freedesktop.portal.Desktop")
        yield desktop
    finally:
        desktop.stop()
        saver.close()


class _Signals:
    def __init__(self, interface: str) -> None:
        self.interface = interface
        self.seen: list[str] = []
        self.changed = asyncio.Event()

    def on_message(self, message: Message) -> None:
        if message.interface == self.interface and message.member:
            self.seen.append(message.member)
            self.changed.set()

    async def wait_for(self, member: str, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while member not in self.seen:
                self.changed.clear()
                await self.changed.wait()


@asynccontextmanager
async def _signal_watch(address: str, interface: str) -> AsyncIterator[_Signals]:
    """The signals of ``interface`` seen on the bus while inside."""
    bus = await MessageBus(bus_address=address).connect()
    signals = _Signals(interface)
    bus.add_message_handler(signals.on_message)
    try:
        await _dbus(bus, "AddMatch", "s", [f"type='signal',interface='{interface}'"])
        yield signals
    finally:
        bus.disconnect()


async def wait_for_name(address: str, name: str, timeout: float = 10.0) -> None:
    """Return once ``name`` has an owner on the bus at ``address``."""
    bus = await MessageBus(bus_address=address).connect()
    owned = asyncio.Event()

    def on_message(message: Message) -> None:
        if message.member == "NameOwnerChanged" and message.body[0] == name and message.body[2]:
            owned.set()

    bus.add_message_handler(on_message)
    try:
        await _dbus(
            bus, "AddMatch", "s", [f"type='signal',member='NameOwnerChanged',arg0='{name}'"]
        )
        reply = await _dbus(bus, "NameHasOwner", "s", [name])
        if not reply.body[0]:
            async with asyncio.timeout(timeout):
                await owned.wait()
    finally:
        bus.disconnect()


async def _dbus(bus: MessageBus, member: str, signature: str, body: list[object]) -> Message:
    reply = await bus.call(
        Message(
            destination="org.freedesktop.DBus",
            path="/org/freedesktop/DBus",
            interface="org.freedesktop.DBus",
            member=member,
            signature=signature,
            body=body,
        )
    )
    assert reply is not None
    return reply
