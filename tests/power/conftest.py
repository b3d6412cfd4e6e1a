"""The power tests' buses and services: a private session bus and a private *system* bus,
the real gnome-session, and test services for logind and PowerManagement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from dbus_fast import Message
from dbus_fast.aio import MessageBus
from power_rig import GnomeSession, PrivateSystemBus
from power_services import Logind, PowerManagement

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
async def gnome_session(
    session_bus: PrivateSessionBus, system_bus: PrivateSystemBus
) -> AsyncIterator[GnomeSession]:
    session = GnomeSession(session_bus, system_bus).start()
    try:
        await wait_for_name(session_bus.address, "org.gnome.SessionManager")
        yield session
    finally:
        session.stop()


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
