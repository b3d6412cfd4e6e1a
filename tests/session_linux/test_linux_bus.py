"""The bus helpers every D-Bus user shares: teardown, waiting for the end, back-off, held writes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from dbus_fast import Message, MessageFlag, MessageType, NameFlag, RequestNameReply, Variant
from dbus_fast.aio import MessageBus

from audio_session._bus import (
    Backoff,
    Marshalled,
    close_bus,
    connect_bus,
    wait_disconnected,
    write_hold,
)
from audio_session.testing import PrivateSessionBus
from bus_writes_support import record_writes

NAME = "org.example.BusHelpers"


async def test_close_bus_releases_the_name_and_ends_the_connection(
    dbus_session: PrivateSessionBus,
) -> None:
    bus = await connect_bus(dbus_session.address)
    other = await connect_bus(dbus_session.address)
    try:
        assert await bus.request_name(NAME) is RequestNameReply.PRIMARY_OWNER
        waiter = asyncio.create_task(wait_disconnected(bus))
        await close_bus(bus, release=NAME)
        assert not bus.connected
        await asyncio.wait_for(waiter, 5)
        # The name is free again at once, for someone else.
        reply = await other.request_name(NAME, NameFlag.DO_NOT_QUEUE)
        assert reply is RequestNameReply.PRIMARY_OWNER
        await close_bus(bus, release=NAME)  # again: a connection already gone is no error
    finally:
        await close_bus(other)


async def test_close_bus_leaves_a_shared_connection_open(dbus_session: PrivateSessionBus) -> None:
    bus = await connect_bus(dbus_session.address)
    try:
        await bus.request_name(NAME)
        await close_bus(bus, release=NAME, disconnect=False)
        assert bus.connected
        assert await bus.request_name(NAME, NameFlag.DO_NOT_QUEUE) is (
            RequestNameReply.PRIMARY_OWNER
        )
    finally:
        await close_bus(bus)


async def test_cancelling_a_waiter_leaves_the_bus_alone(dbus_session: PrivateSessionBus) -> None:
    bus = await connect_bus(dbus_session.address)
    waiter = asyncio.create_task(wait_disconnected(bus))
    await asyncio.sleep(0)  # the waiter is inside wait_for_disconnect (one step, no timing)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert bus.connected
    await close_bus(bus)  # would hang or raise if the waiter had cancelled the bus's future
    assert not bus.connected


async def test_backoff_doubles_up_to_its_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    delays = Backoff(0.1, 0.5).delays()
    for _ in range(5):
        await anext(delays)
    assert slept == [0.1, 0.2, 0.4, 0.5, 0.5]


@pytest.mark.parametrize(
    ("initial", "maximum", "error"),
    [(0, 1, ValueError), (1, 0.5, ValueError), (True, 1, TypeError), ("1", 2, TypeError)],
)
def test_backoff_checks_its_delays(
    initial: object, maximum: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        Backoff(initial, maximum)  # type: ignore[arg-type]


async def _receiver(address: str) -> tuple[MessageBus, list[str]]:
    bus = await connect_bus(address)
    members: list[str] = []

    def on_message(message: Message) -> bool:
        if message.message_type is MessageType.METHOD_CALL and message.interface == NAME:
            members.append(str(message.member))
            return True
        return False

    bus.add_message_handler(on_message)
    return bus, members


@dataclass
class _Pair:
    """A sending connection and the unique name of one that records what it receives."""

    bus: MessageBus
    to: str
    members: list[str]


@pytest.fixture
async def pair(dbus_session: PrivateSessionBus) -> AsyncIterator[_Pair]:
    bus = await connect_bus(dbus_session.address)
    receiver, members = await _receiver(dbus_session.address)
    try:
        assert receiver.unique_name is not None
        yield _Pair(bus, receiver.unique_name, members)
    finally:
        await close_bus(receiver)
        await close_bus(bus)


def _message(destination: str, member: str) -> Message:
    return Message(
        destination=destination,
        path="/",
        interface=NAME,
        member=member,
        flags=MessageFlag.NO_REPLY_EXPECTED,
    )


def _note(bus: MessageBus, destination: str, member: str) -> None:
    bus.send(_message(destination, member))


async def _received(members: list[str], count: int) -> list[str]:
    async with asyncio.timeout(5):
        while len(members) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    return members


async def test_held_messages_leave_in_one_write_in_order(pair: _Pair) -> None:
    writes, recorder = record_writes(pair.bus)
    bus, to, members = pair.bus, pair.to, pair.members
    assert not writes.take(_message(to, "Never"))  # not holding: the caller sends it
    writes.hold()
    _note(bus, to, "First")
    writes.hold()  # nested: only the outermost release writes
    second = _message(to, "Second")
    assert writes.take(second)  # straight into the held bytes, in its turn
    assert second.serial
    writes.release()
    _note(bus, to, "Third")
    assert recorder.sends == []
    writes.release()
    assert len(recorder.sends) == 1
    _note(bus, to, "Fourth")  # not held: written at once, on its own
    assert len(recorder.sends) == 2
    assert await _received(members, 4) == ["First", "Second", "Third", "Fourth"]


async def test_what_the_socket_does_not_take_at_release_goes_first(pair: _Pair) -> None:
    writes, recorder = record_writes(pair.bus, take=10)
    bus, to, members = pair.bus, pair.to, pair.members
    writes.hold()
    _note(bus, to, "First")
    _note(bus, to, "Second")
    writes.release()
    assert recorder.sends == [10]
    # Sent after the release: it goes behind the held bytes' rest, not into a new hold.
    writes.hold()
    third = _message(to, "Third")
    assert not writes.take(third)
    bus.send(third)
    writes.release()
    assert await _received(members, 3) == ["First", "Second", "Third"]
    assert bus.connected


async def test_write_hold_is_none_for_a_connection_made_elsewhere(
    dbus_session: PrivateSessionBus,
) -> None:
    bus = MessageBus(bus_address=dbus_session.address)
    assert write_hold(bus) is None  # not connected yet
    await bus.connect()
    try:
        assert write_hold(bus) is None  # dbus-fast's own socket: nothing is held
    finally:
        await close_bus(bus)


def _signal(status: str) -> Message:
    return Message.new_signal(
        "/org/example", NAME, "Changed", "sa{sv}", [status, {"n": Variant("d", 1.5)}]
    )


def test_a_marshalled_signal_renumbered_is_the_signal_marshalled_with_that_serial() -> None:
    marshalled = Marshalled(_signal("Playing"))
    for serial in (1, 7, 0x01020304, 0xFFFFFFFF):
        fresh = _signal("Playing")
        fresh.serial = serial
        assert marshalled.renumbered(serial) == fresh._marshall(False)


def test_a_marshalled_reply_is_renumbered_with_its_reply_serial_too() -> None:
    call = Message(destination=":1.9", path="/", interface=NAME, member="Call", serial=41)
    call.sender = ":1.7"
    reply = Message.new_method_return(call, "s", ["done"])
    marshalled = Marshalled(reply)
    assert reply.serial == 0
    assert reply.reply_serial == 41
    for serial, reply_serial in ((2, 42), (300, 0x0A0B0C0D), (5, 0xFFFFFFFF)):
        call.serial = reply_serial
        fresh = Message.new_method_return(call, "s", ["done"])
        fresh.serial = serial
        assert marshalled.renumbered(serial, reply_serial) == fresh._marshall(False)


def test_a_message_with_file_descriptors_is_not_marshalled_for_later() -> None:
    message = _signal("Playing")
    message.unix_fds = [0]
    with pytest.raises(ValueError, match="file descriptors"):
        Marshalled(message)


async def test_a_held_marshalled_message_goes_out_under_a_new_serial(pair: _Pair) -> None:
    writes, recorder = record_writes(pair.bus)
    bus, to, members = pair.bus, pair.to, pair.members
    marshalled = Marshalled(_message(to, "Again"))
    assert not writes.take_marshalled(marshalled)  # not holding: the caller sends it
    writes.hold()
    before = bus.next_serial()
    assert writes.take_marshalled(marshalled)
    assert writes.take_marshalled(marshalled)
    _note(bus, to, "Last")
    writes.release()
    assert len(recorder.sends) == 1
    assert await _received(members, 3) == ["Again", "Again", "Last"]
    assert bus.next_serial() == before + 4  # two renumbered, one sent, this one
