"""The MPRIS server's bus connection: export, take the name, and come back after a lost bus."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Final

from dbus_fast import Message, NameFlag, RequestNameReply
from dbus_fast.aio import MessageBus

from audio_service._surfaces._linux._mpris._changes import OBJECT_PATH
from audio_service._surfaces._linux._mpris._ids import bus_name_for, instance_name
from audio_session._bus import (
    Backoff,
    Marshalled,
    WriteHold,
    close_bus,
    connect_bus,
    wait_disconnected,
    write_hold,
)

if TYPE_CHECKING:
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = ["MARSHALLED_KEPT", "RECONNECT_FIRST", "RECONNECT_MAX", "BusLink"]

_log = logging.getLogger("audio_service.mpris")

#: Seconds before the first and, doubling, at most between reconnection attempts.
RECONNECT_FIRST: Final = 0.25
RECONNECT_MAX: Final = 30.0
_RECONNECT: Final = Backoff(RECONNECT_FIRST, RECONNECT_MAX)
#: How many marshalled messages a connection keeps (the oldest goes first): a toggling
#: player repeats a few signals and replies; a changing track list must not grow it.
MARSHALLED_KEPT: Final = 32


class BusLink:
    """One bus connection at a time, with the player exported on it and its name owned."""

    def __init__(self, server: MprisServer, bus_address: str | None) -> None:
        self._server = server
        self._address = bus_address
        #: The connection, while there is one.
        self.bus: MessageBus | None = None
        #: The well-known name owned on it.
        self.bus_name: str | None = None
        self._writes: WriteHold | None = None
        #: Messages marshalled on this connection, to send again under new serials.
        self._marshalled: dict[Hashable, Marshalled] = {}

    async def connect(self) -> MessageBus:
        server = self._server
        bus = await connect_bus(self._address)
        self.bus = bus
        self._writes = write_hold(bus)
        self._marshalled.clear()
        try:
            for interface in server.interfaces():
                bus.export(OBJECT_PATH, interface)
            bus.add_message_handler(server.transport.on_call)
            server.changes.remember_sent()
            self.bus_name = await self._request_name(bus)
        except BaseException:
            await self.disconnect()
            raise
        return bus

    async def stay_connected(self, bus: MessageBus) -> None:
        """Reconnect when the bus connection ends under us (a restarted or crashed daemon).

        Until then the player is simply absent from the bus: changes are not
        sent anywhere, and the next connection starts from the current state.
        """
        while True:
            # Shielded inside: cancelling this task leaves the bus's own disconnect future
            # for disconnect(), which close() awaits after cancelling it.
            await wait_disconnected(bus)
            if self._server.closed or self.bus is not bus:
                return
            self.bus = self.bus_name = self._writes = None
            _log.warning("MPRIS: lost the session bus connection; reconnecting")
            # aclosing: the delays generator ends here, not later from a finalizer.
            async with contextlib.aclosing(_RECONNECT.delays()) as delays:
                async for _ in delays:
                    try:
                        bus = await self.connect()
                    except Exception as error:
                        _log.debug("MPRIS: the session bus is not back yet: %s", error)
                        continue
                    _log.warning("MPRIS: back on the session bus as %s", self.bus_name)
                    break

    async def _request_name(self, bus: MessageBus) -> str:
        name = bus_name_for(self._server.core.config.app_id)
        reply = await bus.request_name(name, NameFlag.DO_NOT_QUEUE)
        if reply in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
            return name
        fallback = instance_name(name, os.getpid())
        reply = await bus.request_name(fallback, NameFlag.DO_NOT_QUEUE)
        if reply not in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
            raise RuntimeError(f"neither {name} nor {fallback} could be owned on the bus")
        return fallback

    def hold_writes(self) -> WriteHold | None:
        """Hold what is sent on the connection until the returned hold is released.

        A reply and the signals it comes with then leave in one system call,
        which also wakes the bus daemon once instead of once per message.
        """
        writes = self._writes
        if writes is not None:
            writes.hold()
        return writes

    def send(self, message: Message) -> None:
        """Send ``message`` on the connection: into the held write when there is one.

        There it skips dbus-fast's writer (a future, a queue entry and a
        ``send`` of its own each); nobody awaits these messages anyway.
        """
        writes = self._writes
        if writes is None or not writes.take(message):
            self._send_to_bus(message)

    def send_marshalled(
        self, key: Hashable, build: Callable[[], Message], reply_serial: int = 0
    ) -> None:
        """Send the message ``build()`` makes, marshalled once per ``key`` on this connection.

        ``key`` stands for the whole message but its serials: messages sent under one
        key must differ in nothing else (``reply_serial`` is the one of a reply).
        Held, a message already marshalled is only renumbered; otherwise this is
        :meth:`send` of ``build()``.
        """
        writes = self._writes
        if writes is not None:
            kept = self._marshalled
            marshalled = kept.get(key)
            if marshalled is None:
                message = build()
                if not writes.take(message):
                    self._send_to_bus(message)
                    return
                try:
                    marshalled = Marshalled(message)
                except ValueError as error:  # not renumberable: sent as it is each time
                    _log.debug("MPRIS: %s", error)
                    return
                if len(kept) >= MARSHALLED_KEPT:
                    del kept[next(iter(kept))]
                kept[key] = marshalled
                return
            if writes.take_marshalled(marshalled, reply_serial):
                return
        self._send_to_bus(build())

    def _send_to_bus(self, message: Message) -> None:
        bus = self.bus
        assert bus is not None
        bus.send(message)

    async def disconnect(self) -> None:
        bus, self.bus, self._writes = self.bus, None, None
        if bus is not None:
            await close_bus(bus, release=self.bus_name)
