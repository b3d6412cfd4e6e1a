"""Test services for what cannot run here, implementing the documented interfaces exactly.

- :class:`Logind`: ``org.freedesktop.login1.Manager`` on the private system bus
  (logind needs systemd as PID 1). ``Inhibit(what, who, why, mode) -> h`` returns
  a real file descriptor (the write end of a pipe, as logind's FIFO); the lock
  lasts until every copy of it is closed, which the service sees as EOF.
  :meth:`Logind.suspend` does what logind does before sleeping: signal
  ``PrepareForSleep(true)``, then wait for the delay locks to close (at most
  ``InhibitDelayMaxSec``); :meth:`Logind.wake` signals ``PrepareForSleep(false)``.
- :class:`PowerManagement`: ``org.freedesktop.PowerManagement.Inhibit`` (KDE's
  PowerDevil, xfce4-power-manager; neither runs without its desktop). Like
  them it forgets a caller's cookies when the caller's bus name vanishes.

Both record what happened in order in a shared ``journal`` list, so a test can
check what came before what without timing anything.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Final

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

LOGIND_NAME: Final = "org.freedesktop.login1"
LOGIND_PATH: Final = "/org/freedesktop/login1"
LOGIND_MANAGER: Final = "org.freedesktop.login1.Manager"
_WHAT: Final = frozenset(
    {
        "shutdown",
        "sleep",
        "idle",
        "handle-power-key",
        "handle-suspend-key",
        "handle-hibernate-key",
        "handle-lid-switch",
    }
)
_MODES: Final = frozenset({"block", "delay"})
#: logind's default InhibitDelayMaxSec.
INHIBIT_DELAY_MAX: Final = 5.0

PM_NAME: Final = "org.freedesktop.PowerManagement"
PM_PATH: Final = "/org/freedesktop/PowerManagement/Inhibit"
PM_INTERFACE: Final = "org.freedesktop.PowerManagement.Inhibit"

_DBUS: Final = "org.freedesktop.DBus"


def _error(message: Message, name: str, text: str) -> Message:
    return Message.new_error(message, name, text)


@dataclass
class Inhibitor:
    what: str
    who: str
    why: str
    mode: str
    sender: str
    taken_at: float = field(default_factory=time.monotonic)
    released_at: float | None = None
    released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def held(self) -> bool:
        return not self.released.is_set()


class Logind:
    """The Manager part of logind that inhibitors and sleep use."""

    def __init__(self, bus: MessageBus, journal: list[str]) -> None:
        self.bus = bus
        self.journal = journal
        self.inhibitors: list[Inhibitor] = []
        self.changed = asyncio.Event()
        self.preparing = False

    @classmethod
    async def serve(cls, address: str, journal: list[str]) -> Logind:
        bus = await MessageBus(bus_address=address, negotiate_unix_fd=True).connect()
        logind = cls(bus, journal)
        bus.add_message_handler(logind._on_message)
        await bus.request_name(LOGIND_NAME)
        return logind

    def held(self, mode: str | None = None, what: str = "sleep") -> list[Inhibitor]:
        return [
            i
            for i in self.inhibitors
            if i.held and (mode is None or i.mode == mode) and what in i.what.split(":")
        ]

    async def wait(self, predicate: object, timeout: float = 5.0) -> None:
        assert callable(predicate)
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    def _on_message(self, message: Message) -> bool | None:
        if message.message_type is not MessageType.METHOD_CALL:
            return None
        if message.interface == "org.freedesktop.DBus.Peer" and message.member == "Ping":
            # sd-bus answers Peer on every object.
            self.bus.send(Message.new_method_return(message))
            return True
        if message.interface != LOGIND_MANAGER or message.path != LOGIND_PATH:
            return None
        if message.member == "Inhibit" and message.signature == "ssss":
            self._inhibit(message)
            return True
        if message.member == "ListInhibitors":
            rows = [
                [i.what, i.who, i.why, i.mode, os.getuid(), 0] for i in self.inhibitors if i.held
            ]
            self.bus.send(Message.new_method_return(message, "a(ssssuu)", [rows]))
            return True
        self.bus.send(
            _error(message, "org.freedesktop.DBus.Error.UnknownMethod", message.member or "")
        )
        return True

    def _inhibit(self, message: Message) -> None:
        what, who, why, mode = message.body
        if mode not in _MODES or not what or not set(what.split(":")) <= _WHAT:
            self.bus.send(
                _error(message, "org.freedesktop.DBus.Error.InvalidArgs", "Invalid what or mode")
            )
            return
        if mode == "delay" and not set(what.split(":")) <= {"sleep", "shutdown"}:
            self.bus.send(
                _error(
                    message,
                    "org.freedesktop.DBus.Error.InvalidArgs",
                    "Delay inhibitors only for sleep/shutdown",
                )
            )
            return
        read_end, write_end = os.pipe()
        inhibitor = Inhibitor(what, who, why, mode, message.sender or "")
        self.inhibitors.append(inhibitor)
        self.journal.append(f"logind: {mode} {what} taken by {who}")
        loop = asyncio.get_running_loop()
        loop.add_reader(read_end, self._on_readable, read_end, inhibitor)
        reply = Message.new_method_return(message, "h", [0], unix_fds=[write_end])
        # Our copy is closed once sent: from then on only the caller holds the lock.
        self.bus.send(reply).add_done_callback(lambda _: os.close(write_end))
        self.changed.set()

    def _on_readable(self, fd: int, inhibitor: Inhibitor) -> None:
        if os.read(fd, 64):
            return
        asyncio.get_running_loop().remove_reader(fd)
        os.close(fd)
        inhibitor.released_at = time.monotonic()
        inhibitor.released.set()
        self.journal.append(
            f"logind: {inhibitor.mode} {inhibitor.what} released by {inhibitor.who}"
        )
        self.changed.set()

    def prepare_for_sleep(self, start: bool) -> None:
        self.journal.append(f"logind: PrepareForSleep({str(start).lower()})")
        self.bus.send(
            Message.new_signal(LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep", "b", [start])
        )

    async def suspend(self, *, repeat: int = 1) -> float:
        """Announce sleep and wait for the delay locks; the seconds the wait took."""
        started = time.monotonic()
        delays = self.held("delay")
        for _ in range(repeat):
            self.prepare_for_sleep(True)
        try:
            async with asyncio.timeout(INHIBIT_DELAY_MAX):
                for inhibitor in delays:
                    await inhibitor.released.wait()
        except TimeoutError:
            self.journal.append("logind: delay timed out")
        self.journal.append("logind: asleep")
        return time.monotonic() - started

    def wake(self, *, repeat: int = 1) -> None:
        for _ in range(repeat):
            self.prepare_for_sleep(False)

    def close(self) -> None:
        self.bus.disconnect()


@dataclass
class _Cookie:
    application: str
    reason: str
    sender: str


class PowerManagement:
    """``org.freedesktop.PowerManagement.Inhibit`` as PowerDevil serves it."""

    def __init__(self, bus: MessageBus, journal: list[str]) -> None:
        self.bus = bus
        self.journal = journal
        self.cookies: dict[int, _Cookie] = {}
        self.calls: list[str] = []
        self._next = 0
        self.changed = asyncio.Event()

    @classmethod
    async def serve(cls, address: str, journal: list[str]) -> PowerManagement:
        bus = await MessageBus(bus_address=address).connect()
        manager = cls(bus, journal)
        bus.add_message_handler(manager._on_message)
        await bus.call(
            Message(
                destination=_DBUS,
                path="/org/freedesktop/DBus",
                interface=_DBUS,
                member="AddMatch",
                signature="s",
                body=[f"type='signal',sender='{_DBUS}',member='NameOwnerChanged'"],
            )
        )
        await bus.request_name(PM_NAME)
        return manager

    async def wait(self, predicate: object, timeout: float = 5.0) -> None:
        assert callable(predicate)
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    def _on_message(self, message: Message) -> bool | None:
        if message.message_type is MessageType.SIGNAL and message.member == "NameOwnerChanged":
            name, _old, new = message.body
            if not new:
                self._forget([c for c, v in self.cookies.items() if v.sender == name], "vanished")
            return None
        if message.message_type is not MessageType.METHOD_CALL or message.path != PM_PATH:
            return None
        if message.interface != PM_INTERFACE:
            return None
        self.calls.append(message.member or "")
        if message.member == "Inhibit" and message.signature == "ss":
            self._next += 1
            application, reason = message.body
            self.cookies[self._next] = _Cookie(application, reason, message.sender or "")
            self.journal.append(f"power-management: Inhibit by {application}")
            self.bus.send(Message.new_method_return(message, "u", [self._next]))
            self._has_inhibit_changed()
        elif message.member == "UnInhibit" and message.signature == "u":
            (cookie,) = message.body
            if cookie not in self.cookies:
                self.bus.send(
                    _error(message, "org.freedesktop.PowerManagement.Error", "no such cookie")
                )
                return True
            self._forget([cookie], "UnInhibit")
            self.bus.send(Message.new_method_return(message))
        elif message.member == "HasInhibit":
            self.bus.send(Message.new_method_return(message, "b", [bool(self.cookies)]))
        else:
            self.bus.send(
                _error(message, "org.freedesktop.DBus.Error.UnknownMethod", message.member or "")
            )
        return True

    def _forget(self, cookies: list[int], why: str) -> None:
        for cookie in cookies:
            entry = self.cookies.pop(cookie)
            self.journal.append(f"power-management: released ({why}) for {entry.application}")
        if cookies:
            self._has_inhibit_changed()

    def _has_inhibit_changed(self) -> None:
        self.bus.send(
            Message.new_signal(
                PM_PATH, PM_INTERFACE, "HasInhibitChanged", "b", [bool(self.cookies)]
            )
        )
        self.changed.set()

    def close(self) -> None:
        self.bus.disconnect()


class ScreenSaver:
    """GNOME Shell's ``org.gnome.ScreenSaver``: just ``GetActive`` and ``ActiveChanged``."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus

    @classmethod
    async def serve(cls, address: str) -> ScreenSaver:
        bus = await MessageBus(bus_address=address).connect()
        saver = cls(bus)
        bus.add_message_handler(saver._on_message)
        await bus.request_name("org.gnome.ScreenSaver")
        return saver

    def _on_message(self, message: Message) -> bool | None:
        if message.message_type is not MessageType.METHOD_CALL:
            return None
        if message.interface == "org.gnome.ScreenSaver" and message.member == "GetActive":
            self.bus.send(Message.new_method_return(message, "b", [False]))
            return True
        return None

    def close(self) -> None:
        self.bus.disconnect()
