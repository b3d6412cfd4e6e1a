"""The bus helpers every D-Bus user shares: teardown, waiting for the end, back-off."""

from __future__ import annotations

import asyncio

import pytest
from dbus_fast import NameFlag, RequestNameReply

from audio_session._bus import Backoff, close_bus, connect_bus, wait_disconnected
from audio_session.testing import PrivateSessionBus

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
