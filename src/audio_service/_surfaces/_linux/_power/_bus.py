"""The two buses the power surface talks to, and one checked call on them.

The session bus carries the session manager, the power manager and the portal;
the system bus carries logind. The system bus connection negotiates Unix fd
passing: logind's inhibitor *is* a file descriptor.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

__all__ = [
    "CALL_TIMEOUT",
    "BusCallError",
    "call",
    "connect_session",
    "connect_system",
    "has_name",
    "take_fd",
]

#: How long a call may take before its peer counts as absent.
CALL_TIMEOUT: Final = 5.0
_DEFAULT_SYSTEM_BUS_SOCKET: Final = "/var/run/dbus/system_bus_socket"
_DEFAULT_SYSTEM_BUS: Final = f"unix:path={_DEFAULT_SYSTEM_BUS_SOCKET}"
_DBUS: Final = "org.freedesktop.DBus"


class BusCallError(Exception):
    """A call failed: an error reply, a timeout, or a connection that is gone."""


async def connect_session() -> MessageBus:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and not os.environ.get("DISPLAY"):
        # dbus-fast finds the session bus through one of the two: without them there is no
        # bus to connect to, and no reason to load dbus-fast (about 20 ms) to learn that.
        raise BusCallError("DBUS_SESSION_BUS_ADDRESS and DISPLAY are not set")
    from audio_session._bus import connect_bus

    # Bounded: a bus that accepts but never answers must not hold up the service's start.
    return await asyncio.wait_for(connect_bus(), CALL_TIMEOUT)


async def connect_system() -> MessageBus:
    address = _system_bus_address()
    from dbus_fast.aio import MessageBus

    from audio_session._bus import wait_when_full

    bus = await asyncio.wait_for(
        MessageBus(bus_address=address, negotiate_unix_fd=True).connect(), CALL_TIMEOUT
    )
    wait_when_full(bus)
    return bus


def _system_bus_address() -> str:
    address = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") or _DEFAULT_SYSTEM_BUS
    # As for the session bus: without the socket there is no bus, and no reason to load dbus-fast.
    if address == _DEFAULT_SYSTEM_BUS and not os.path.exists(_DEFAULT_SYSTEM_BUS_SOCKET):
        raise BusCallError(f"no socket at {_DEFAULT_SYSTEM_BUS_SOCKET}")
    return address


async def call(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: list[Any] | None = None,
) -> Message:
    """The reply to one method call; :class:`BusCallError` for anything but a return."""
    from dbus_fast import Message, MessageType

    message = Message(
        destination=destination,
        path=path,
        interface=interface,
        member=member,
        signature=signature,
        body=body or [],
    )
    pending = asyncio.ensure_future(bus.call(message))
    try:
        # Shielded: a reply that comes after all may carry a file descriptor (a
        # logind lock) that must be closed, or the lock would outlive everything.
        reply = await asyncio.wait_for(asyncio.shield(pending), CALL_TIMEOUT)
    except BaseException as error:
        if not pending.done():
            pending.add_done_callback(_drop_late_reply)
        if isinstance(error, asyncio.CancelledError) or not isinstance(error, Exception):
            raise
        # OSError, EOFError, TimeoutError, a closed connection
        raise BusCallError(f"{interface}.{member}: {error or type(error).__name__}") from None
    if reply is None:
        raise BusCallError(f"{interface}.{member}: no reply")
    if reply.message_type is MessageType.ERROR:
        _close_fds(reply)
        detail = reply.body[0] if reply.body else ""
        raise BusCallError(f"{interface}.{member}: {reply.error_name} {detail}".rstrip())
    return reply


async def has_name(bus: MessageBus, name: str, *, activatable: bool = False) -> bool:
    """Whether ``name`` has an owner (or, with ``activatable``, could be started)."""
    try:
        reply = await call(bus, _DBUS, "/org/freedesktop/DBus", _DBUS, "NameHasOwner", "s", [name])
        if reply.body[0]:
            return True
        if not activatable:
            return False
        reply = await call(bus, _DBUS, "/org/freedesktop/DBus", _DBUS, "ListActivatableNames")
    except BusCallError:
        return False
    return name in reply.body[0]


def take_fd(reply: Message) -> int:
    """The one file descriptor a reply of signature ``h`` carries; the others are closed."""
    fds = list(reply.unix_fds)
    index = reply.body[0] if reply.body else None
    if not isinstance(index, int) or not 0 <= index < len(fds):
        _close_fds(reply)
        raise BusCallError("the reply carries no file descriptor (is fd passing allowed?)")
    fd = fds.pop(index)
    for other in fds:
        _close(other)
    return fd


def _drop_late_reply(pending: asyncio.Future[Message]) -> None:
    if pending.cancelled() or pending.exception() is not None:
        return
    reply = pending.result()
    if reply is not None:
        _close_fds(reply)


def _close_fds(message: Message) -> None:
    for fd in message.unix_fds:
        _close(fd)


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
