"""Taking part in session-wide audio focus: :class:`FocusClient`.

There is no daemon. Every bus connection that takes part gets one ``_Node``; the
first node on the bus owns the arbiter's name and serves the stack in-process,
the others call it. When the owner goes away every node tries to take the name
(the bus picks one winner) and re-sends its requests with their original sequence
numbers, so the stack keeps its order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from dbus_fast import Message, MessageType, NameFlag, RequestNameReply
from dbus_fast.aio import MessageBus

from audio_session._android import AndroidAudioFocus, AndroidAudioFocusGainType, AndroidAudioUsage
from audio_session._bus import close_bus, connect_bus, wait_disconnected
from audio_session._enums import coerce_enum
from audio_session._events import AudioInterruptionEvent, AudioInterruptionType
from audio_session._focus._arbiter import FocusArbiter
from audio_session._focus._interface import BUS_NAME, INTERFACE, OBJECT_PATH
from audio_session._focus._stack import (
    FocusChange,
    FocusEntry,
    FocusRequest,
    interruption_for,
    interruptions_between,
)
from audio_session._stream import Stream, StreamController

__all__ = ["FocusClient", "FocusError"]

_log = logging.getLogger(__name__)

_DBUS = "org.freedesktop.DBus"
# Errors that mean "the arbiter we called is gone": wait for the takeover and retry.
_HOST_GONE = frozenset(
    {
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
        "org.freedesktop.DBus.Error.UnknownMethod",
        "org.freedesktop.DBus.Error.UnknownObject",
        "org.audioservicekit.AudioFocus1.Error.NotRegistered",
    }
)
_ATTEMPTS = 4
T = TypeVar("T")
_warned_no_bus = False


class FocusError(Exception):
    """The arbiter refused a call; ``name`` is the D-Bus error name."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}: {text}")
        self.name = name


@dataclass(slots=True)
class _Grant:
    gain_type: AndroidAudioFocusGainType
    usage: AndroidAudioUsage
    will_pause_when_ducked: bool
    sequence: int
    focus: AndroidAudioFocus = AndroidAudioFocus.GAIN


def _owner_rule(name: str) -> str:
    return (
        f"type='signal',sender='{_DBUS}',interface='{_DBUS}',"
        f"member='NameOwnerChanged',arg0='{name}'"
    )


def _dbus_message(member: str, signature: str = "", body: list[Any] | None = None) -> Message:
    return Message(
        destination=_DBUS,
        path="/org/freedesktop/DBus",
        interface=_DBUS,
        member=member,
        signature=signature,
        body=body or [],
    )


class _Node:
    """One bus connection's part in the focus protocol, shared by its clients."""

    def __init__(self, bus: MessageBus | None, owns_bus: bool) -> None:
        self.bus = bus
        self.owns_bus = owns_bus
        self.unique_name = (bus.unique_name if bus is not None else None) or "local"
        self.clients: dict[str, FocusClient] = {}
        self.arbiter: FocusArbiter | None = None
        #: Unique name of the arbiter we talk to (ourselves when hosting).
        self.host: str | None = None
        self._registered_with: str | None = None
        self._joined = asyncio.Event()
        self._join_pending = False
        self._join_task: asyncio.Task[None] | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def hosting(self) -> bool:
        return self.arbiter is not None

    async def start(self) -> None:
        if self.bus is None:
            self.arbiter = FocusArbiter(
                None, self.unique_name, self.deliver, renumber_local=self.renumber
            )
            self.host = self.unique_name
            self._joined.set()
            return
        self.bus.add_message_handler(self._on_message)
        await self._checked(_dbus_message("AddMatch", "s", [_owner_rule(BUS_NAME)]))
        await self._join(recovering=False)
        self._watch_task = asyncio.ensure_future(self._watch(self.bus))

    async def _watch(self, bus: MessageBus) -> None:
        await wait_disconnected(bus)
        self.bus_lost()

    def bus_lost(self) -> None:
        """The connection ended under us: go on with focus shared within this process.

        Every other participant is out of reach, so this node becomes what it would
        have been without a bus: its own arbiter, holding its clients' requests in
        their original order (a loss caused by another app ends with it).
        """
        bus = self.bus
        if self._closed or bus is None:
            return
        _log.warning(
            "lost the D-Bus session bus: audio focus is now shared within this process only"
        )
        self.bus = None
        if _nodes.get(id(bus)) is self:
            del _nodes[id(bus)]
        bus.remove_message_handler(self._on_message)
        # A rejoin in progress is not cancelled: its bus call fails with the connection, and
        # _rejoin ends there (cancelling it would leave that failure unretrieved in dbus-fast).
        self._join_pending = False
        old = self.arbiter
        if old is not None:
            with contextlib.suppress(Exception):
                old.detach()
        arbiter = FocusArbiter(None, self.unique_name, self.deliver, renumber_local=self.renumber)
        self.arbiter = arbiter
        self.host = self._registered_with = self.unique_name
        entries = [entry for entry in (c._entry() for c in self.clients.values()) if entry]
        for entry in sorted(entries, key=lambda entry: entry.sequence):
            arbiter.restore(entry)
        self._joined.set()

    async def joined(self) -> None:
        await self._joined.wait()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in (self._join_task, self._watch_task):
            if task is not None:
                task.cancel()
        bus = self.bus
        if bus is None:
            return
        bus.remove_message_handler(self._on_message)
        if self.arbiter is not None:
            self.arbiter.detach()
            self.arbiter = None
        if bus.connected:
            with contextlib.suppress(Exception):
                await bus.call(_dbus_message("RemoveMatch", "s", [_owner_rule(BUS_NAME)]))
            await close_bus(bus, release=BUS_NAME, disconnect=self.owns_bus)

    def deliver(self, change: FocusChange) -> None:
        client = self.clients.get(change.request_id)
        if client is not None:
            client._on_change(change)

    def renumber(self, request_id: str, old: int, new: int) -> None:
        """A recovering arbiter numbered the stack afresh: the grant ``old`` is ``new`` now."""
        client = self.clients.get(request_id)
        if client is not None:
            client._renumber(old, new)

    async def invoke(
        self,
        local: Callable[[FocusArbiter], T],
        remote: Callable[[list[Any]], T],
        member: str,
        signature: str,
        body: list[Any],
    ) -> T:
        """Call the arbiter in-process when hosting, else over the bus; follow takeovers."""
        for _ in range(_ATTEMPTS):
            await self._joined.wait()
            arbiter = self.arbiter
            if arbiter is not None:
                await arbiter.wait_ready()
                return local(arbiter)
            bus = self.bus
            assert bus is not None
            host = self.host
            try:
                reply = await bus.call(
                    Message(
                        destination=host,
                        path=OBJECT_PATH,
                        interface=INTERFACE,
                        member=member,
                        signature=signature,
                        body=body,
                    )
                )
            except Exception:
                if bus.connected:
                    raise
                self.bus_lost()  # and ask again, of the arbiter it leaves us
                continue
            if reply.message_type is MessageType.METHOD_RETURN:
                return remote(list(reply.body))
            name = reply.error_name or ""
            if name not in _HOST_GONE:
                raise FocusError(name, str(reply.body[0]) if reply.body else "")
            if self.host == host:
                self.host_lost()
        raise FocusError("org.freedesktop.DBus.Error.NoServer", "no focus arbiter answered")

    def host_lost(self) -> None:
        """The arbiter went away (or never knew us): find or become the next one."""
        if self._closed:
            return
        self._joined.clear()
        self._join_pending = True
        if self._join_task is None or self._join_task.done():
            self._join_task = asyncio.ensure_future(self._rejoin())

    async def _rejoin(self) -> None:
        while self._join_pending and not self._closed:
            self._join_pending = False
            try:
                await self._join(recovering=True)
            except Exception:
                if self.bus is None or not self.bus.connected:
                    self.bus_lost()
                    return
                if not self._closed:
                    _log.exception("could not rejoin the audio focus arbiter")
                    self._join_pending = True
                    await asyncio.sleep(0.05)

    async def _join(self, *, recovering: bool) -> None:
        assert self.bus is not None
        while not self._closed:
            arbiter = FocusArbiter(
                self.bus,
                self.unique_name,
                self.deliver,
                recovering=recovering,
                renumber_local=self.renumber,
            )
            # Answer before owning the name, so the first call already finds us.
            arbiter.attach()
            reply = await self.bus.request_name(BUS_NAME, NameFlag.DO_NOT_QUEUE)
            if reply in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
                if self.arbiter is not None and self.arbiter is not arbiter:
                    arbiter.detach()
                    arbiter = self.arbiter
                self.arbiter = arbiter
                self.host = self._registered_with = self.unique_name
                for client in self.clients.values():
                    entry = client._entry()
                    if entry is not None and arbiter.stack.find(*entry.request.key) is None:
                        arbiter.restore(entry)
                if arbiter.recovering:
                    arbiter.finish_recovery_later()
                self._joined.set()
                return
            arbiter.detach()
            owner_reply = await self.bus.call(_dbus_message("GetNameOwner", "s", [BUS_NAME]))
            if owner_reply.message_type is not MessageType.METHOD_RETURN:
                continue  # the owner left between the two calls: try to take it again
            owner = owner_reply.body[0]
            if owner == self._registered_with:
                self.host = owner
                self._joined.set()
                return
            self.host = owner
            if await self._register_with(owner):
                self._registered_with = owner
                self._joined.set()
                return

    async def _register_with(self, owner: str) -> bool:
        assert self.bus is not None
        calls = [self._to(owner, "Register", "", [])]
        restoring: list[tuple[FocusClient, int]] = []
        for client in self.clients.values():
            entry = client._entry()
            if entry is not None:
                request = entry.request
                calls.append(
                    self._to(
                        owner,
                        "Restore",
                        "suubti",
                        [
                            request.request_id,
                            int(request.gain_type),
                            int(request.usage),
                            request.will_pause_when_ducked,
                            entry.sequence,
                            int(entry.focus),
                        ],
                    )
                )
                # Changes for the new number may overtake the reply that tells it.
                client._restoring = True
                restoring.append((client, entry.sequence))
        # Sent back to back: the arbiter handles them in order, one round trip in all.
        try:
            replies = await asyncio.gather(*calls)
            gone = False
            for reply, (client, old) in zip(replies[1:], restoring, strict=True):
                if reply.message_type is MessageType.ERROR:
                    if reply.error_name in _HOST_GONE:
                        gone = True
                    else:
                        _log.warning(
                            "audio focus arbiter refused %s: %s", reply.error_name, reply.body
                        )
                        client._lose_place(old)
                elif reply.signature == "t":
                    client._renumber(old, int(reply.body[0]))
        finally:
            # Changes held meanwhile now meet the grant under its new number.
            for client, _old in restoring:
                client._restoring = False
                client._release_held_back()
        register = replies[0]
        if register.message_type is MessageType.ERROR:
            if register.error_name in _HOST_GONE:
                return False
            _log.warning("audio focus arbiter refused %s: %s", register.error_name, register.body)
        return not gone

    def _to(self, owner: str, member: str, signature: str, body: list[Any]) -> Any:
        assert self.bus is not None
        return self.bus.call(
            Message(
                destination=owner,
                path=OBJECT_PATH,
                interface=INTERFACE,
                member=member,
                signature=signature,
                body=body,
            )
        )

    async def _checked(self, message: Message) -> Message:
        assert self.bus is not None
        reply = await self.bus.call(message)
        if reply.message_type is MessageType.ERROR:
            raise FocusError(reply.error_name or "", str(reply.body))
        return reply

    def _on_message(self, msg: Message) -> Message | bool | None:
        if msg.message_type is not MessageType.SIGNAL:
            return None
        if msg.member == "FocusChanged" and msg.interface == INTERFACE:
            # Only the arbiter we joined may tell us anything.
            if msg.sender == self.host and msg.signature == "stia(bu)":
                request_id, sequence, focus, interruptions = msg.body
                self.deliver(
                    FocusChange(
                        self.unique_name,
                        request_id,
                        sequence,
                        AndroidAudioFocus.decode(focus),
                        tuple(AudioInterruptionEvent(b, t) for b, t in interruptions),
                    )
                )
            return True
        if (
            msg.member == "NameOwnerChanged"
            and msg.sender == _DBUS
            and msg.body[0] == BUS_NAME
            and not self._closed
        ):
            new_owner = msg.body[2]
            if not new_owner or new_owner not in (self.host, self.unique_name):
                self.host_lost()
        return None


_nodes: dict[int, _Node] = {}
_local_nodes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Node] = (
    weakref.WeakKeyDictionary()
)


class FocusClient:
    """One focus request of this app, shared with every other app on the session bus.

    Behaves like Android's ``AudioManager.requestAudioFocus``: :meth:`request` returns
    whether focus was granted; afterwards other apps' requests arrive as
    :attr:`changes` (Android focus codes) and :attr:`interruptions` (what to do)::

        focus = FocusClient()
        await focus.connect()
        if await focus.request(AndroidAudioFocusGainType.GAIN):
            focus.interruptions.listen(on_interruption)

    Several clients may share a connection if their ``request_id`` differs.
    """

    def __init__(self, request_id: str = "default") -> None:
        if not isinstance(request_id, str) or not request_id:
            raise ValueError(f"request_id must be a non-empty str, not {request_id!r}")
        self.request_id = request_id
        self._node: _Node | None = None
        self._grant: _Grant | None = None
        self._in_flight = False
        # True while a Restore of this request waits for its new number.
        self._restoring = False
        self._held_back: list[FocusChange] = []
        self._changes: StreamController[FocusChange] = StreamController("focus changes")
        self._interruptions: StreamController[AudioInterruptionEvent] = StreamController(
            "focus interruptions"
        )

    @property
    def changes(self) -> Stream[FocusChange]:
        """Every focus change for this request, Android codes included."""
        return self._changes.stream

    @property
    def interruptions(self) -> Stream[AudioInterruptionEvent]:
        """What to do about each change: pause, duck, stop; and when to undo it."""
        return self._interruptions.stream

    @property
    def connected(self) -> bool:
        return self._node is not None

    @property
    def hosting(self) -> bool:
        """True while this process serves the arbiter for the bus (or only for itself)."""
        return self._node is not None and self._node.hosting

    @property
    def unique_name(self) -> str | None:
        """The bus name the arbiter knows this client by (``"local"`` without a bus)."""
        return None if self._node is None else self._node.unique_name

    @property
    def focus(self) -> AndroidAudioFocus | None:
        """``GAIN`` while holding focus, the current loss while interrupted, else ``None``."""
        return None if self._grant is None else self._grant.focus

    async def connect(self, bus: MessageBus | str | None = None) -> None:
        """Join the session's audio focus.

        ``bus`` is a connected dbus-fast bus to share, a bus address, or ``None`` for
        the session bus. Without a reachable bus, focus is arbitrated within this
        process only (logged once), and every call still works.
        """
        if self._node is not None:
            raise RuntimeError("this FocusClient is already connected")
        node = await _node_for(bus)
        if self.request_id in node.clients:
            raise ValueError(f"request_id {self.request_id!r} is already used on this connection")
        node.clients[self.request_id] = self
        self._node = node

    async def request(
        self,
        gain_type: AndroidAudioFocusGainType = AndroidAudioFocusGainType.GAIN,
        usage: AndroidAudioUsage = AndroidAudioUsage.MEDIA,
        will_pause_when_ducked: bool = False,
    ) -> bool:
        """Ask for focus; false when denied (a voice call is going on).

        Asking again while holding focus updates the request without any event.
        """
        gain_type = coerce_enum(AndroidAudioFocusGainType, gain_type, "gain_type")
        usage = coerce_enum(AndroidAudioUsage, usage, "usage")
        if not isinstance(will_pause_when_ducked, bool):
            raise TypeError(
                f"will_pause_when_ducked must be a bool, not {will_pause_when_ducked!r}"
            )
        node = self._require_node()
        self._in_flight = True
        self._held_back.clear()
        try:
            granted, sequence = await self._send_request(
                node, gain_type, usage, will_pause_when_ducked
            )
        finally:
            self._in_flight = False
        if granted:
            self._grant = _Grant(gain_type, usage, will_pause_when_ducked, sequence)
        self._release_held_back()
        return granted

    async def _send_request(
        self,
        node: _Node,
        gain_type: AndroidAudioFocusGainType,
        usage: AndroidAudioUsage,
        will_pause_when_ducked: bool,
    ) -> tuple[bool, int]:
        request = FocusRequest(
            node.unique_name, self.request_id, gain_type, usage, will_pause_when_ducked
        )
        return await node.invoke(
            lambda arbiter: arbiter.request(request),
            lambda body: (bool(body[0]), int(body[1])),
            "Request",
            "suub",
            [self.request_id, int(gain_type), int(usage), will_pause_when_ducked],
        )

    async def abandon(self) -> bool:
        """Give focus back; false when nothing was held."""
        node = self._require_node()
        self._grant = None
        return await node.invoke(
            lambda arbiter: arbiter.abandon(node.unique_name, self.request_id),
            lambda body: bool(body[0]),
            "Abandon",
            "s",
            [self.request_id],
        )

    async def close(self) -> None:
        """Abandon focus, leave the arbiter and end both streams."""
        node = self._node
        if node is not None:
            if self._grant is not None:
                # Best effort: a dead bus must not keep the app from shutting down.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.abandon(), 1.0)
            self._node = None
            node.clients.pop(self.request_id, None)
            if not node.clients:
                await _release_node(node)
        self._changes.close()
        self._interruptions.close()

    async def __aenter__(self) -> FocusClient:
        if self._node is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _require_node(self) -> _Node:
        if self._node is None:
            raise RuntimeError("call connect() first")
        return self._node

    def _entry(self) -> FocusEntry | None:
        grant, node = self._grant, self._node
        if grant is None or node is None:
            return None
        request = FocusRequest(
            node.unique_name,
            self.request_id,
            grant.gain_type,
            grant.usage,
            grant.will_pause_when_ducked,
        )
        loss = None if grant.focus is AndroidAudioFocus.GAIN else grant.focus
        return FocusEntry(request, grant.sequence, loss)

    def _renumber(self, old: int, new: int) -> None:
        grant = self._grant
        if grant is not None and grant.sequence == old:
            grant.sequence = new

    def _lose_place(self, sequence: int) -> None:
        """The new arbiter refused to restore grant ``sequence``: it is lost for good."""
        grant, node = self._grant, self._node
        if grant is None or grant.sequence != sequence or node is None:
            return
        before = interruption_for(
            None if grant.focus is AndroidAudioFocus.GAIN else grant.focus,
            grant.will_pause_when_ducked,
        )
        change = FocusChange(
            node.unique_name,
            self.request_id,
            sequence,
            AndroidAudioFocus.LOSS,
            interruptions_between(before, AudioInterruptionType.UNKNOWN),
        )
        self._held_back.append(change)
        self._emit(change)

    def _release_held_back(self) -> None:
        if self._in_flight or self._restoring:
            return
        held_back, self._held_back = self._held_back, []
        for change in held_back:
            self._apply(change)

    def _on_change(self, change: FocusChange) -> None:
        # A change may overtake the reply to our own request (or to a Restore): keep it
        # until the reply says which grant is current.
        if self._in_flight or self._restoring:
            self._held_back.append(change)
        else:
            self._apply(change)
        self._emit(change)

    def _emit(self, change: FocusChange) -> None:
        if not self._changes.closed:
            self._changes.add(change)
            for event in change.interruptions:
                self._interruptions.add(event)

    def _apply(self, change: FocusChange) -> None:
        grant = self._grant
        if grant is None or grant.sequence != change.sequence:
            return
        if change.focus is AndroidAudioFocus.LOSS:
            self._grant = None
        else:
            grant.focus = change.focus


async def _node_for(bus: MessageBus | str | None) -> _Node:
    if isinstance(bus, MessageBus):
        node = _nodes.get(id(bus))
        if node is not None and node.bus is bus:
            return node
        return await _start_node(bus, owns_bus=False)
    if bus is not None and not isinstance(bus, str):
        raise TypeError(f"bus must be a MessageBus, an address or None, not {bus!r}")
    try:
        if bus is None and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            raise ConnectionError("DBUS_SESSION_BUS_ADDRESS is not set")
        connection = await connect_bus(bus)
    except Exception as error:
        return await _local_node(error)
    return await _start_node(connection, owns_bus=True)


async def _start_node(bus: MessageBus, *, owns_bus: bool) -> _Node:
    node = _Node(bus, owns_bus)
    _nodes[id(bus)] = node
    try:
        await node.start()
    except Exception as error:
        # A bus that cannot carry the protocol is no reason to fail the app's playback.
        await _release_node(node)
        return await _local_node(error)
    return node


async def _local_node(error: BaseException) -> _Node:
    global _warned_no_bus
    if not _warned_no_bus:
        _warned_no_bus = True
        _log.warning("no D-Bus session bus (%s): audio focus is shared within this process", error)
    loop = asyncio.get_running_loop()
    node = _local_nodes.get(loop)
    if node is None:
        node = _local_nodes[loop] = _Node(None, owns_bus=False)
        await node.start()
    return node


async def _release_node(node: _Node) -> None:
    if node.bus is None:
        return  # the process-local arbiter outlives its clients
    if _nodes.get(id(node.bus)) is node:
        del _nodes[id(node.bus)]
    await node.close()
