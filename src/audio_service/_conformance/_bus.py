"""A small MPRIS client over dbus-fast: calls with a deadline, and the player's signals recorded."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus

from audio_service._conformance._spec import MPRIS_PATH, MPRIS_PREFIX, PLAYER_INTERFACE

__all__ = ["CallFailed", "MprisClient", "PropertiesChange", "SignalLog"]

_DBUS = "org.freedesktop.DBus"
_PROPERTIES = "org.freedesktop.DBus.Properties"


class CallFailed(Exception):
    """A call answered an error, or nothing in time."""


@dataclass(frozen=True)
class PropertiesChange:
    """One ``PropertiesChanged`` from the player."""

    at: float
    interface: str
    changed: dict[str, Variant]
    invalidated: list[str]


@dataclass
class SignalLog:
    """The player's ``PropertiesChanged`` and ``Seeked`` signals, as they arrive."""

    changes: list[PropertiesChange] = field(default_factory=list)
    #: (arrival time, signature, value): a wrong signature is a finding too.
    seeked: list[tuple[float, str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def touched_since(self, since: float, name: str) -> bool:
        """Whether a Player PropertiesChanged after ``since`` carried or invalidated ``name``."""
        return any(
            change.at >= since
            and change.interface == PLAYER_INTERFACE
            and (name in change.changed or name in change.invalidated)
            for change in self.changes
        )


class MprisClient:
    """One connection to the bus; all calls are bounded by ``timeout`` seconds."""

    def __init__(self, bus: MessageBus, timeout: float) -> None:
        self._bus = bus
        self.timeout = timeout

    @classmethod
    async def connect(cls, bus_address: str | None, timeout: float) -> MprisClient:
        bus = await asyncio.wait_for(MessageBus(bus_address=bus_address).connect(), timeout)
        return cls(bus, timeout)

    def disconnect(self) -> None:
        self._bus.disconnect()

    async def call(
        self,
        destination: str,
        path: str,
        interface: str,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
    ) -> list[Any]:
        message = Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
        try:
            reply = await asyncio.wait_for(self._bus.call(message), self.timeout)
        except TimeoutError:
            raise CallFailed(f"{interface}.{member}: no answer within {self.timeout:g} s") from None
        assert reply is not None
        if reply.message_type is MessageType.ERROR:
            text = reply.body[0] if reply.body else ""
            raise CallFailed(f"{reply.error_name}: {text}".rstrip(": "))
        return list(reply.body)

    async def players(self) -> list[str]:
        """Every ``org.mpris.MediaPlayer2.*`` name on the bus, sorted."""
        [names] = await self.call(_DBUS, "/org/freedesktop/DBus", _DBUS, "ListNames")
        return sorted(name for name in names if name.startswith(MPRIS_PREFIX))

    async def owner(self, name: str) -> str:
        [owner] = await self.call(
            _DBUS, "/org/freedesktop/DBus", _DBUS, "GetNameOwner", "s", [name]
        )
        return str(owner)

    async def get_all(self, destination: str, interface: str) -> dict[str, Variant]:
        [values] = await self.call(destination, MPRIS_PATH, _PROPERTIES, "GetAll", "s", [interface])
        return dict(values)

    async def get(self, destination: str, interface: str, name: str) -> Variant:
        [value] = await self.call(
            destination, MPRIS_PATH, _PROPERTIES, "Get", "ss", [interface, name]
        )
        assert isinstance(value, Variant)
        return value

    async def introspect(self, destination: str) -> str:
        [xml] = await self.call(
            destination, MPRIS_PATH, "org.freedesktop.DBus.Introspectable", "Introspect"
        )
        return str(xml)

    async def record(self, owner: str) -> SignalLog:
        """Start recording the signals ``owner`` (a unique name) sends from the MPRIS path."""
        log = SignalLog()

        def on_message(message: Message) -> None:
            if (
                message.message_type is not MessageType.SIGNAL
                or message.sender != owner
                or message.path != MPRIS_PATH
            ):
                return
            now = time.monotonic()
            if message.interface == _PROPERTIES and message.member == "PropertiesChanged":
                if message.signature == "sa{sv}as":
                    interface, changed, invalidated = message.body
                    log.changes.append(
                        PropertiesChange(now, interface, dict(changed), list(invalidated))
                    )
            elif message.interface == PLAYER_INTERFACE and message.member == "Seeked":
                value = message.body[0] if message.body else None
                log.seeked.append((now, message.signature, value))
            else:
                return
            log.arrived.set()

        self._bus.add_message_handler(on_message)
        rule = f"type='signal',sender='{owner}',path='{MPRIS_PATH}'"
        await self.call(_DBUS, "/org/freedesktop/DBus", _DBUS, "AddMatch", "s", [rule])
        return log
