"""Focus between real processes on a private session bus: every transition, and takeover."""

from __future__ import annotations

import asyncio
from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

from audio_session._focus import BUS_NAME, INTERFACE, OBJECT_PATH
from audio_session.testing import PrivateSessionBus

GAIN, TRANSIENT, MAY_DUCK, EXCLUSIVE = 1, 2, 3, 4
VOICE = 2
PAUSE, DUCK, UNKNOWN = 0, 1, 2
BEGIN, END = True, False


async def expect(participant: Any, *changes: tuple[int, list[list[Any]]]) -> None:
    await participant.wait_changes(len(changes))
    assert participant.take(len(changes)) == [(focus, events) for focus, events in changes]


async def stack(bus: PrivateSessionBus) -> list[tuple[str, int]]:
    # GetStack answers registered participants only, so it takes one connection for both.
    connection = await MessageBus(bus_address=bus.address).connect()
    try:
        replies = [
            await connection.call(
                Message(destination=BUS_NAME, path=OBJECT_PATH, interface=INTERFACE, member=member)
            )
            for member in ("Register", "GetStack")
        ]
    finally:
        connection.disconnect()
    assert replies[1].message_type is MessageType.METHOD_RETURN, replies[1].body
    return [(row[0], int(row[6])) for row in replies[1].body[0]]


async def test_three_processes_take_share_and_return_focus(
    spawn: Any, dbus_session: PrivateSessionBus
) -> None:
    a = await spawn()
    b = await spawn()
    c = await spawn()
    assert [a.hosting, b.hosting, c.hosting] == [True, False, False]

    assert await a.request(GAIN)
    # Transient: pause, and resume when it is given back.
    assert await b.request(TRANSIENT)
    await expect(a, (-2, [[BEGIN, PAUSE]]))
    assert await b.abandon()
    await expect(a, (1, [[END, PAUSE]]))
    # May duck, then an exclusive transient on top: the duck turns into a pause.
    assert await b.request(MAY_DUCK)
    await expect(a, (-3, [[BEGIN, DUCK]]))
    assert await c.request(EXCLUSIVE)
    await expect(b, (-2, [[BEGIN, PAUSE]]))
    await expect(a, (-2, [[END, DUCK], [BEGIN, PAUSE]]))
    assert await stack(dbus_session) == [(c.name, 1), (b.name, -2), (a.name, -2)]
    assert await c.abandon()
    await expect(b, (1, [[END, PAUSE]]))
    assert await b.abandon()
    await expect(a, (1, [[END, PAUSE]]))
    # The holder asking again is a re-request: nothing is announced to anyone.
    assert await a.request(GAIN, 1, True)
    # will_pause_when_ducked turns the duck into a pause.
    assert await b.request(MAY_DUCK)
    await expect(a, (-3, [[BEGIN, PAUSE]]))
    assert await b.abandon()
    await expect(a, (1, [[END, PAUSE]]))
    # A voice call denies everyone else until it ends.
    assert await c.request(TRANSIENT, VOICE)
    await expect(a, (-2, [[BEGIN, PAUSE]]))
    assert not await b.request(MAY_DUCK)
    assert await c.abandon()
    await expect(a, (1, [[END, PAUSE]]))
    # A permanent gain: the loser leaves the stack and must not resume.
    assert await b.request(GAIN)
    await expect(a, (-1, [[BEGIN, UNKNOWN]]))
    assert await a.state() == (None, True)
    assert await stack(dbus_session) == [(b.name, 1)]
    # Nobody heard anything meant for someone else.
    assert a.changes == b.changes == c.changes == []


async def test_killed_host_is_replaced_and_the_stack_survives(
    spawn: Any, dbus_session: PrivateSessionBus
) -> None:
    host = await spawn()
    b = await spawn()
    c = await spawn()
    assert host.hosting
    assert await b.request(GAIN)
    assert await c.request(MAY_DUCK)
    await expect(b, (-3, [[BEGIN, DUCK]]))
    assert await host.request(TRANSIENT)
    await expect(c, (-2, [[BEGIN, PAUSE]]))
    await expect(b, (-2, [[END, DUCK], [BEGIN, PAUSE]]))

    loop = asyncio.get_running_loop()
    started = loop.time()
    await host.stop()  # SIGKILL while it holds transient focus
    # The next one down regains focus; the one below keeps its pause (Android's rule).
    await expect(c, (1, [[END, PAUSE]]))
    assert loop.time() - started < 1.0
    states = [await b.state(), await c.state()]
    assert [focus for focus, _ in states] == [-2, 1]
    assert sorted(hosting for _, hosting in states) == [False, True]
    assert await stack(dbus_session) == [(c.name, 1), (b.name, -2)]
    # The new arbiter carries on.
    assert await c.abandon()
    await expect(b, (1, [[END, PAUSE]]))
    assert b.changes == c.changes == []


async def test_after_a_takeover_participants_follow_their_renumbered_grants(
    spawn: Any, dbus_session: PrivateSessionBus
) -> None:
    """Sequences with gaps (1, 3, 4) become 1, 2 in the new arbiter; each participant takes
    its new number from the Restore reply, so later changes still reach its grant."""
    host = await spawn()
    b = await spawn()
    c = await spawn()
    assert await b.request(GAIN)  # 1
    assert await c.request(MAY_DUCK)  # 2
    await expect(b, (-3, [[BEGIN, DUCK]]))
    assert await c.abandon()
    await expect(b, (1, [[END, DUCK]]))
    assert await c.request(MAY_DUCK)  # 3
    await expect(b, (-3, [[BEGIN, DUCK]]))
    assert await host.request(TRANSIENT)  # 4
    await expect(c, (-2, [[BEGIN, PAUSE]]))
    await expect(b, (-2, [[END, DUCK], [BEGIN, PAUSE]]))
    await host.stop()
    # c's grant was 3 and is 2 now: the GAIN for 2 is its own, so it holds focus.
    await expect(c, (1, [[END, PAUSE]]))
    assert [(await p.state())[0] for p in (b, c)] == [-2, 1]
    assert await stack(dbus_session) == [(c.name, 1), (b.name, -2)]
    assert await c.abandon()
    await expect(b, (1, [[END, PAUSE]]))
    assert (await b.state())[0] == 1


async def test_host_quitting_hands_over_cleanly(
    spawn: Any, dbus_session: PrivateSessionBus
) -> None:
    host = await spawn()
    b = await spawn()
    c = await spawn()
    assert await b.request(GAIN)
    assert await c.request(TRANSIENT)
    await expect(b, (-2, [[BEGIN, PAUSE]]))
    assert host.process.stdin is not None
    host.process.stdin.write(b"quit\n")
    await host.process.stdin.drain()
    assert await asyncio.wait_for(host.process.wait(), 5.0) == 0
    # Nobody lost anything; the stack is the same, served by someone else.
    for _ in range(50):
        try:
            if await stack(dbus_session) == [(c.name, 1), (b.name, -2)]:
                break
        except Exception:
            pass
        await asyncio.sleep(0.02)
    assert await stack(dbus_session) == [(c.name, 1), (b.name, -2)]
    assert await c.abandon()
    await expect(b, (1, [[END, PAUSE]]))
