"""The ways to keep a Linux machine from suspending on its own, one class each.

Each route asks for *suspend* only, never *idle*: an audio app must not keep
the screen on or stop it locking. Each :class:`Route` answers whether its
service is on the bus and takes one :class:`Hold`, which ends when released or
when this process dies (the session manager and the power manager forget a
caller whose bus name vanishes; the portal closes its request; a logind fd
closes with the process).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Final, Protocol

from audio_service._surfaces._linux._power._bus import BusCallError, call, has_name, take_fd

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus

__all__ = [
    "GNOME",
    "LOGIND",
    "PORTAL",
    "POWER_MANAGEMENT",
    "GnomeSessionRoute",
    "Hold",
    "LogindLock",
    "LogindRoute",
    "PortalRoute",
    "PowerManagementRoute",
    "Route",
    "logind_inhibit",
]

_log = logging.getLogger("audio_service.power")

#: Route names, as the status shows them.
GNOME: Final = "gnome-session"
POWER_MANAGEMENT: Final = "power-management"
PORTAL: Final = "portal"
LOGIND: Final = "logind"

#: GNOME's and the portal's inhibit flag for suspend (idle would be 8).
SUSPEND_FLAG: Final = 4

_GNOME_NAME: Final = "org.gnome.SessionManager"
_GNOME_PATH: Final = "/org/gnome/SessionManager"
_PM_NAME: Final = "org.freedesktop.PowerManagement"
_PM_PATH: Final = "/org/freedesktop/PowerManagement/Inhibit"
_PM_INTERFACE: Final = "org.freedesktop.PowerManagement.Inhibit"
_PORTAL_NAME: Final = "org.freedesktop.portal.Desktop"
_PORTAL_PATH: Final = "/org/freedesktop/portal/desktop"
_LOGIND_NAME: Final = "org.freedesktop.login1"
_LOGIND_PATH: Final = "/org/freedesktop/login1"
_LOGIND_MANAGER: Final = "org.freedesktop.login1.Manager"


class Hold(Protocol):
    """One inhibitor in force."""

    async def release(self) -> None: ...


class Route(Protocol):
    """One way to inhibit automatic suspend."""

    name: str

    async def available(self) -> bool:
        """Whether its service is on the bus (cheap; no inhibitor is taken)."""

    async def acquire(self) -> Hold:
        """Take the inhibitor; :class:`BusCallError` when the service refuses or is absent."""


class _Cookie:
    """A numbered inhibitor, given back with ``release_member(cookie)``."""

    def __init__(
        self, bus: MessageBus, name: str, path: str, interface: str, member: str, cookie: int
    ) -> None:
        self._target = (name, path, interface, member)
        self._bus = bus
        self.cookie = cookie

    async def release(self) -> None:
        name, path, interface, member = self._target
        await call(self._bus, name, path, interface, member, "u", [self.cookie])


class GnomeSessionRoute:
    """``org.gnome.SessionManager.Inhibit`` with the suspend flag (GNOME, and desktops using it).

    gnome-session turns it into a logind ``sleep`` inhibitor of its own, and
    shows the reason in the shell's "some applications are busy" dialog.
    """

    name = GNOME

    def __init__(self, bus: MessageBus, app_id: str, reason: str) -> None:
        self._bus = bus
        self._app_id = app_id
        self._reason = reason

    async def available(self) -> bool:
        return await has_name(self._bus, _GNOME_NAME)

    async def acquire(self) -> Hold:
        reply = await call(
            self._bus,
            _GNOME_NAME,
            _GNOME_PATH,
            _GNOME_NAME,
            "Inhibit",
            "susu",
            # No toplevel window: the host has none (0 is the documented "no xid").
            [self._app_id, 0, self._reason, SUSPEND_FLAG],
        )
        return _Cookie(self._bus, _GNOME_NAME, _GNOME_PATH, _GNOME_NAME, "Uninhibit", reply.body[0])


class PowerManagementRoute:
    """``org.freedesktop.PowerManagement.Inhibit`` (KDE's PowerDevil, xfce4-power-manager)."""

    name = POWER_MANAGEMENT

    def __init__(self, bus: MessageBus, app_id: str, reason: str) -> None:
        self._bus = bus
        self._app_id = app_id
        self._reason = reason

    async def available(self) -> bool:
        return await has_name(self._bus, _PM_NAME)

    async def acquire(self) -> Hold:
        reply = await call(
            self._bus,
            _PM_NAME,
            _PM_PATH,
            _PM_INTERFACE,
            "Inhibit",
            "ss",
            [self._app_id, self._reason],
        )
        return _Cookie(self._bus, _PM_NAME, _PM_PATH, _PM_INTERFACE, "UnInhibit", reply.body[0])


class _PortalRequest:
    def __init__(self, bus: MessageBus, handle: str) -> None:
        self._bus = bus
        self.handle = handle

    async def release(self) -> None:
        await call(self._bus, _PORTAL_NAME, self.handle, "org.freedesktop.portal.Request", "Close")


class PortalRoute:
    """``org.freedesktop.portal.Inhibit`` with the suspend flag: the sandboxed apps' way.

    The portal knows the app from its sandbox; the backend then asks the
    desktop (gnome-session for the GNOME and GTK backends, PowerDevil for KDE's).
    """

    name = PORTAL

    def __init__(self, bus: MessageBus, reason: str) -> None:
        self._bus = bus
        self._reason = reason

    async def available(self) -> bool:
        # The portal is started on demand by the bus: activatable is enough.
        return await has_name(self._bus, _PORTAL_NAME, activatable=True)

    async def acquire(self) -> Hold:
        from dbus_fast import Variant

        options = {
            "reason": Variant("s", self._reason),
            # What secrets.token_hex(4) returns, without loading secrets (and hashlib) at start.
            "handle_token": Variant("s", f"audio_service_{os.urandom(4).hex()}"),
        }
        reply = await call(
            self._bus,
            _PORTAL_NAME,
            _PORTAL_PATH,
            "org.freedesktop.portal.Inhibit",
            "Inhibit",
            "sua{sv}",
            # No parent window: the host has none.
            ["", SUSPEND_FLAG, options],
        )
        return _PortalRequest(self._bus, reply.body[0])


class LogindLock:
    """A logind inhibitor: the lock lasts as long as this file descriptor is open."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    async def release(self) -> None:
        self.close()


async def logind_inhibit(bus: MessageBus, what: str, who: str, why: str, mode: str) -> LogindLock:
    """``org.freedesktop.login1.Manager.Inhibit(what, who, why, mode)`` on the system bus."""
    reply = await call(
        bus, _LOGIND_NAME, _LOGIND_PATH, _LOGIND_MANAGER, "Inhibit", "ssss", [what, who, why, mode]
    )
    return LogindLock(take_fd(reply))


class LogindRoute:
    """A logind ``sleep`` inhibitor in *block* mode: any systemd (or elogind) machine.

    Block, not delay: PowerDevil honours only block locks, and a delay lock
    would merely postpone the suspend by a few seconds.
    """

    name = LOGIND

    def __init__(self, bus: MessageBus | None, who: str, reason: str) -> None:
        self._bus = bus
        self._who = who
        self._reason = reason

    async def available(self) -> bool:
        return self._bus is not None and await has_name(self._bus, _LOGIND_NAME, activatable=True)

    async def acquire(self) -> Hold:
        if self._bus is None:
            raise BusCallError("no system bus")
        return await logind_inhibit(self._bus, "sleep", self._who, self._reason, "block")


def describe(error: BaseException) -> str:
    return str(error) if isinstance(error, BusCallError) else f"{type(error).__name__}: {error}"
