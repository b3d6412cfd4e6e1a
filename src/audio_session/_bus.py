"""D-Bus connections that wait out a bus daemon which stops reading for a while.

dbus-fast 5 writes to the bus socket without blocking and treats every failed
``send`` as the end of the connection, including ``EAGAIN``: the socket buffer
is full because the daemon is busy (or stopped, or swapped out). A player that
publishes state while that lasts would lose its MPRIS name for good. The
connections made here see a full buffer as "nothing written yet": the message
stays queued, dbus-fast's writer waits for the socket to become writable, and
the connection ends only on real errors (upstream: python-dbus-next #153), and
then from the event loop, so that every pending call fails through its own future.

The same wrapper can hold what is sent for one write (:func:`write_hold`): a reply
and the signals that go with it leave in one system call, and wake the daemon once.
A message sent again and again (the same signal, the same empty reply) can be
marshalled once (:class:`Marshalled`) and held under a new serial each time.

Also the one way to end such a connection (:func:`close_bus`), to wait for its end
(:func:`wait_disconnected`), and the delays between reconnection attempts
(:class:`Backoff`).

Linux only: imports dbus-fast (lazily).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from audio_session._checks import is_number

if TYPE_CHECKING:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

__all__ = [
    "Backoff",
    "Marshalled",
    "WriteHold",
    "close_bus",
    "connect_bus",
    "wait_disconnected",
    "wait_when_full",
    "write_hold",
]

_log = logging.getLogger("audio_session.bus")

#: The header's serial: bytes 8 to 11 of every message (the D-Bus spec), in the byte
#: order of its first byte, little-endian ("l") for all that dbus-fast marshals.
_SERIAL_AT: Final = 8
_UINT32: Final = struct.Struct("<I")


class Marshalled:
    """A message's bytes, marshalled once, to be sent again under new serials.

    Marshalling (a Variant per header field, then the header and the body) costs
    more than the rest of sending a small message; a signal or a reply sent over
    and over differs between sends only in its serial and its reply serial. The
    reply serial's place is found by marshalling the message with two values.
    """

    __slots__ = ("_data", "_reply_at")

    def __init__(self, message: Message) -> None:
        if message.unix_fds:
            raise ValueError("a message carrying file descriptors cannot be sent again")
        reply_serial = message.reply_serial
        serial = message.serial
        try:
            message.serial = 1
            data = message._marshall(False)
            if data[0] != ord("l"):
                raise ValueError("only little-endian messages are renumbered")
            self._reply_at: int | None = None
            if reply_serial:
                # Another reply serial, every byte different, changes those 4 bytes only.
                message.reply_serial = reply_serial ^ 0xFFFFFFFF or 1
                other = message._marshall(False)
                changed = [i for i, (a, b) in enumerate(zip(data, other, strict=True)) if a != b]
                at = changed[0] if changed else 0
                if changed != list(range(at, at + 4)) or at < _SERIAL_AT + 4:
                    raise ValueError("the reply serial is not where it can be renumbered")
                self._reply_at = at
        finally:
            message.serial = serial
            message.reply_serial = reply_serial
        self._data = bytes(data)

    def renumbered(self, serial: int, reply_serial: int = 0) -> bytearray:
        """The message's bytes under ``serial`` (and ``reply_serial``, for a reply)."""
        data = bytearray(self._data)
        _UINT32.pack_into(data, _SERIAL_AT, serial)
        if self._reply_at is not None:
            _UINT32.pack_into(data, self._reply_at, reply_serial)
        return data


class WriteHold:
    """The writer's view of the bus socket: a full send buffer sends nothing, it does not fail.

    Between :meth:`hold` and :meth:`release` (nested: the outermost release counts)
    what dbus-fast writes is kept, in order, and written in one ``send`` at the
    release; dbus-fast sees each message written at once, as when the socket took
    it. What the socket does not take then goes first in dbus-fast's own queue.
    """

    __slots__ = ("_bus", "_ending", "_held", "_holds", "_socket")

    def __init__(self, sock: socket.socket, bus: MessageBus) -> None:
        self._socket = sock
        self._bus = bus
        self._ending = False
        self._holds = 0
        self._held = bytearray()

    def hold(self) -> None:
        """Keep what is sent from now on until the matching :meth:`release`."""
        self._holds += 1

    def release(self) -> None:
        """Write what was kept since the outermost :meth:`hold`, in one system call."""
        self._holds -= 1
        if self._holds or not self._held:
            return
        data, self._held = self._held, bytearray()
        sent = self.send(data)
        if sent < len(data) and not self._ending:
            self._queue_first(data[sent:])

    def take(self, message: Message) -> bool:
        """Add ``message`` to what is held, as ``bus.send`` would have; False when not holding.

        Also False while dbus-fast has writes queued (they go first) or is not
        connected yet: the caller sends it through the bus then. Nobody gets a
        future for it: it is sent, or the connection ends.
        """
        marshall = getattr(message, "_marshall", None)  # what dbus-fast 5's send calls
        if not self._holds or message.unix_fds or marshall is None:
            return False
        bus: Any = self._bus
        writer = bus._writer
        if writer.messages or writer.buf is not None or not bus.unique_name:
            return False
        if not message.serial:
            message.serial = bus.next_serial()
        self._held += marshall(writer.negotiate_unix_fd)
        return True

    def take_marshalled(self, marshalled: Marshalled, reply_serial: int = 0) -> bool:
        """Like :meth:`take`, for a message marshalled before: held under a new serial."""
        if not self._holds:
            return False
        bus: Any = self._bus
        writer = bus._writer
        if writer.messages or writer.buf is not None or not bus.unique_name:
            return False
        self._held += marshalled.renumbered(bus.next_serial(), reply_serial)
        return True

    def _queue_first(self, rest: bytearray) -> None:
        # dbus-fast took these bytes as written: they go before anything it queued since
        # (it queues only behind a write the socket did not finish), sent when writable.
        writer: Any = getattr(self._bus, "_writer")  # noqa: B009  # see wait_when_full
        writer.messages.appendleft((rest, None, None))
        writer.loop.add_writer(writer.fd, writer.write_callback)

    def send(self, data: Any) -> int:
        if self._holds:
            self._held += data
            return len(data)
        try:
            return self._socket.send(data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as error:
            # The connection is gone. Raising here makes dbus-fast close the socket inside
            # send(), whose caller then raises too, leaving the future of a pending call
            # (request_name's) failed and unretrieved: asyncio logs that from a finalizer at
            # any moment, even inside someone's ast.parse, which 3.11's traceback formatting
            # re-enters (a SystemError there). Ended from the loop instead, every pending
            # call fails through the future its caller awaits.
            if not self._ending:
                self._ending = True
                asyncio.get_running_loop().call_soon(self._end, error)
            return 0

    def _end(self, error: OSError) -> None:
        finalize = getattr(self._bus, "_finalize", None)
        if finalize is not None:
            finalize(error)
        else:
            self._bus.disconnect()

    def sendmsg(self, *args: Any) -> int:
        # Only with unix-fd passing, which these connections do not negotiate: a partial
        # retry would re-send the descriptors, so this path keeps dbus-fast's behaviour.
        return self._socket.sendmsg(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._socket, name)


#: What WriteHold uses of dbus-fast 5's writer besides its socket.
_WRITER_PARTS = ("messages", "buf", "negotiate_unix_fd", "loop", "fd", "write_callback")


def wait_when_full(bus: MessageBus) -> None:
    """Make a connected ``bus`` wait for a full socket to drain instead of disconnecting."""
    writer = getattr(bus, "_writer", None)
    sock = getattr(writer, "sock", None)
    if (
        writer is None
        or not isinstance(sock, socket.socket)
        or not all(hasattr(writer, name) for name in _WRITER_PARTS)
    ):
        # Another dbus-fast layout: keep its own behaviour rather than guess.
        _log.debug("dbus-fast has no writer socket to wrap; a full socket will disconnect")
        return
    writer.sock = WriteHold(sock, bus)


def write_hold(bus: MessageBus) -> WriteHold | None:
    """The :class:`WriteHold` of a ``bus`` from :func:`connect_bus`; None for another one."""
    writer = getattr(bus, "_writer", None)
    sock = getattr(writer, "sock", None)
    return sock if isinstance(sock, WriteHold) else None


async def connect_bus(address: str | None = None) -> MessageBus:
    """Connect to the bus at ``address`` (None: the session bus), see :func:`wait_when_full`."""
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=address).connect()
    wait_when_full(bus)
    return bus


async def wait_disconnected(bus: MessageBus) -> None:
    """Return when ``bus``'s connection has ended, for whatever reason.

    Shielded: cancelling the waiter must not cancel the bus's own disconnect future,
    which :func:`close_bus` awaits later.
    """
    with contextlib.suppress(Exception):
        await asyncio.shield(bus.wait_for_disconnect())  # type: ignore[no-untyped-call]


async def close_bus(
    bus: MessageBus, *, release: str | None = None, disconnect: bool = True
) -> None:
    """End our use of ``bus``: release the name ``release`` (when still connected), then
    disconnect and wait until the connection is gone (when ``disconnect``: a shared
    connection is left open). Errors of a connection already gone are ignored."""
    if release is not None and bus.connected:
        with contextlib.suppress(Exception):
            await bus.release_name(release)
    if disconnect:
        bus.disconnect()
        with contextlib.suppress(Exception):
            await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between connection attempts: ``initial``, doubling up to ``maximum`` seconds."""

    initial: float = 0.05
    maximum: float = 2.0

    def __post_init__(self) -> None:
        for name in ("initial", "maximum"):
            value = getattr(self, name)
            if not is_number(value):
                raise TypeError(f"{name} must be a number of seconds, not {value!r}")
            if value <= 0:
                raise ValueError(f"{name} must be positive, not {value!r}")
        if self.maximum < self.initial:
            raise ValueError(f"maximum ({self.maximum}) must not be below initial ({self.initial})")

    def delays(self) -> AsyncGenerator[None, None]:
        """Sleeps: each ``anext()`` waits the next delay (the first is ``initial``).

        A generator, so that a caller leaving early can close it at once
        (``contextlib.aclosing``) rather than from a finalizer.
        """
        return _sleeps(self)


async def _sleeps(backoff: Backoff) -> AsyncGenerator[None, None]:
    delay = backoff.initial
    while True:
        await asyncio.sleep(delay)
        yield
        delay = min(delay * 2, backoff.maximum)
