"""One hostile or broken peer against the real arbiter: nobody else may notice.

The adversary speaks raw D-Bus (dbus-fast) on the private bus; the victims are
ordinary :class:`FocusClient` participants.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dbus_fast import Message, MessageType, NameFlag, RequestNameReply
from dbus_fast.aio import MessageBus
from focus_calls import call

from audio_session import (
    AndroidAudioFocus,
    AndroidAudioFocusGainType,
    AudioInterruptionEvent,
    AudioInterruptionType,
    AudioSessionConfiguration,
)
from audio_session._backend import ActivationRequest
from audio_session._focus import BUS_NAME, INTERFACE, FocusArbiter, FocusClient
from audio_session._focus._interface import (
    ERROR_INVALID_ARGS,
    ERROR_LIMITS_EXCEEDED,
    ERROR_NOT_RECOVERING,
    ERROR_NOT_REGISTERED,
    MAX_REQUEST_ID_LENGTH,
    MAX_REQUESTS_PER_PARTICIPANT,
)
from audio_session._linux._focus import DBusFocusArbiter
from audio_session.testing import PrivateSessionBus

G = AndroidAudioFocusGainType
UINT64_MAX = 2**64 - 1


@pytest.fixture
async def host(dbus_session: PrivateSessionBus) -> AsyncIterator[FocusClient]:
    client = FocusClient()
    await client.connect(dbus_session.address)
    assert client.hosting
    yield client
    await client.close()


@pytest.fixture
async def connect(dbus_session: PrivateSessionBus) -> AsyncIterator[Any]:
    buses: list[MessageBus] = []

    async def make() -> MessageBus:
        bus = await MessageBus(bus_address=dbus_session.address).connect()
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        bus.disconnect()


async def test_a_restore_with_the_largest_sequence_outside_a_takeover_breaks_nobody(
    host: FocusClient, connect: Any, dbus_session: PrivateSessionBus
) -> None:
    """The reported attack: Restore(2**64-1), Abandon, leave. It used to overflow the
    arbiter's uint64 counter, so every later request failed for every app."""
    assert await host.request(G.GAIN)
    adversary = await connect()
    await call(adversary, "Register")
    reply = await call(adversary, "Restore", "suubti", "r1", 1, 1, False, UINT64_MAX, 1)
    assert reply.error_name == ERROR_NOT_RECOVERING
    # Not placed above the holder: the holder heard nothing and still holds focus.
    assert host.focus is AndroidAudioFocus.GAIN
    assert [row[0] for row in (await call(adversary, "GetStack")).body[0]] == [host.unique_name]
    await call(adversary, "Abandon", "s", "r1")
    adversary.disconnect()

    other = FocusClient()
    await other.connect(dbus_session.address)
    try:
        with host.interruptions.subscribe() as events:
            assert await other.request(G.GAIN_TRANSIENT)
            pause = AudioInterruptionEvent(True, AudioInterruptionType.PAUSE)
            assert await asyncio.wait_for(events.__anext__(), 2) == pause
            assert await other.abandon()
            resume = AudioInterruptionEvent(False, AudioInterruptionType.PAUSE)
            assert await asyncio.wait_for(events.__anext__(), 2) == resume
        assert host.focus is AndroidAudioFocus.GAIN
    finally:
        await other.close()


async def test_a_takeover_renumbers_claimed_sequences_so_nothing_overflows(
    dbus_session: PrivateSessionBus, connect: Any
) -> None:
    """During a real recovery a peer may claim any sequence; the new arbiter keeps the
    claimed order but numbers the stack afresh, so later grants stay small."""
    owner = await connect()
    arbiter = FocusArbiter(owner, owner.unique_name, lambda change: None, recovering=True)
    arbiter.attach()
    try:
        assert await owner.request_name(BUS_NAME, NameFlag.DO_NOT_QUEUE) in (
            RequestNameReply.PRIMARY_OWNER,
        )
        honest, adversary = await connect(), await connect()
        for bus in (honest, adversary):
            await call(bus, "Register")
        restores = [
            asyncio.ensure_future(
                call(honest, "Restore", "suubti", "mine", 1, 1, False, 41, -2)  # was paused
            ),
            asyncio.ensure_future(
                call(adversary, "Restore", "suubti", "evil", 2, 1, False, UINT64_MAX, 1)
            ),
        ]
        # A call behind each Restore on the same connection: both were handled by then,
        # and are answered only when the recovery ends.
        for bus in (honest, adversary):
            assert (await call(bus, "GetStack")).message_type is MessageType.METHOD_RETURN
        assert len(arbiter.stack) == 2
        assert not any(restore.done() for restore in restores)
        request = asyncio.ensure_future(call(honest, "Request", "suub", "next", 3, 1, False))
        arbiter.finish_recovery()
        mine, evil = await asyncio.gather(*restores)
        assert (mine.signature, mine.body, evil.signature, evil.body) == ("t", [1], "t", [2])
        # The request held during the recovery gets the next small number.
        assert (await request).body == [True, 3]
        stack = (await call(honest, "GetStack")).body[0]
        assert [(row[1], row[5]) for row in stack] == [("next", 3), ("evil", 2), ("mine", 1)]
        # The adversary's grant is now an ordinary one: asking again moves on from 4.
        assert (await call(adversary, "Request", "suub", "evil2", 2, 1, False)).body == [True, 4]
    finally:
        arbiter.detach()


async def test_failing_to_signal_one_peer_fails_neither_the_call_nor_the_others(
    host: FocusClient, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await host.request(G.GAIN)
    victim, caller = await connect(), await connect()
    for bus in (victim, caller):
        await call(bus, "Register")
    assert (await call(victim, "Request", "suub", "v", 3, 1, False)).body == [True, 2]
    send = FocusArbiter._send_quietly

    def broken_send(self: FocusArbiter, what: Any) -> None:
        if isinstance(what, Message) and what.destination == victim.unique_name:
            raise ValueError("cannot marshal this FocusChanged")
        send(self, what)

    monkeypatch.setattr(FocusArbiter, "_send_quietly", broken_send)
    with host.changes.subscribe() as changes:
        # The victim is the holder, so it is the first to be told; the failure must
        # stop neither the caller's grant nor the host's loss.
        reply = await call(caller, "Request", "suub", "c", 2, 1, False)
        assert reply.message_type is MessageType.METHOD_RETURN, reply.body
        assert reply.body == [True, 3]
        change = await asyncio.wait_for(changes.__anext__(), 2)
    assert change.focus is AndroidAudioFocus.LOSS_TRANSIENT
    assert host.focus is AndroidAudioFocus.LOSS_TRANSIENT


async def test_get_stack_is_for_registered_participants_only(
    host: FocusClient, connect: Any
) -> None:
    stranger = await connect()
    assert (await call(stranger, "GetStack")).error_name == ERROR_NOT_REGISTERED
    await call(stranger, "Register")
    assert (await call(stranger, "GetStack")).message_type is MessageType.METHOD_RETURN


async def test_request_ids_and_requests_per_peer_are_bounded(
    host: FocusClient, connect: Any
) -> None:
    peer = await connect()
    await call(peer, "Register")
    longest = "r" * MAX_REQUEST_ID_LENGTH
    assert (await call(peer, "Request", "suub", longest, 3, 1, False)).body[0] is True
    for member, signature, body in (
        ("Request", "suub", ["x" * 1_000_000, 1, 1, False]),
        ("Abandon", "s", ["x" * (MAX_REQUEST_ID_LENGTH + 1)]),
    ):
        reply = await call(peer, member, signature, *body)
        assert reply.error_name == ERROR_INVALID_ARGS
        assert f"at most {MAX_REQUEST_ID_LENGTH} characters" in reply.body[0]
        assert len(reply.body[0]) < 200
    for number in range(1, MAX_REQUESTS_PER_PARTICIPANT):
        assert (await call(peer, "Request", "suub", f"r{number}", 3, 1, False)).body[0] is True
    reply = await call(peer, "Request", "suub", "one-too-many", 3, 1, False)
    assert reply.error_name == ERROR_LIMITS_EXCEEDED
    # Asking again with an id it has is still an update, not a new request.
    assert (await call(peer, "Request", "suub", "r1", 3, 1, False)).body[0] is True
    stack = (await call(peer, "GetStack")).body[0]
    assert sum(1 for row in stack if row[0] == peer.unique_name) == MAX_REQUESTS_PER_PARTICIPANT


async def test_set_active_falls_back_to_a_local_grant_when_the_arbiter_fails(
    connect: Any, dbus_session: PrivateSessionBus, caplog: pytest.LogCaptureFixture
) -> None:
    """Whoever owns the arbiter's name answers every call with an error: the app's
    activation is granted here (as without a bus) with one warning, never an exception."""
    impostor = await connect()

    def refuse(message: Message) -> Message | None:
        if message.message_type is MessageType.METHOD_CALL and message.interface == INTERFACE:
            if message.member == "Register":
                return Message.new_method_return(message)
            return Message.new_error(message, "org.example.Error.Broken", "out of order")
        return None

    impostor.add_message_handler(refuse)
    assert await impostor.request_name(BUS_NAME) is RequestNameReply.PRIMARY_OWNER
    focus = DBusFocusArbiter(dbus_session.address)
    request = ActivationRequest.resolve(AudioSessionConfiguration.music())
    try:
        with caplog.at_level(logging.WARNING):
            assert await focus.request_focus(request) is True
            assert await focus.request_focus(request) is True
            await focus.abandon_focus(request)
        assert focus.loss() is None
        warnings = [r for r in caplog.records if "arbiter failed" in r.getMessage()]
        assert len(warnings) == 1
        assert "out of order" in warnings[0].getMessage()
    finally:
        await focus.close()
