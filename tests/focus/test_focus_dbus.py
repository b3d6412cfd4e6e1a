"""The arbiter's D-Bus surface: bad input, vanished callers, introspection, no bus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from focus_calls import call

from audio_session import (
    AndroidAudioFocus,
    AndroidAudioFocusGainType,
    AndroidAudioUsage,
    AudioInterruptionEvent,
    AudioInterruptionType,
)
from audio_session._focus import (
    BUS_NAME,
    INTERFACE,
    INTROSPECTION_XML,
    OBJECT_PATH,
    FocusClient,
    FocusError,
)
from audio_session._focus import _client as client_module
from audio_session.testing import PrivateSessionBus

DOCS = Path(__file__).parents[2] / "docs" / "focus-dbus-interface.xml"
G = AndroidAudioFocusGainType


@pytest.fixture
async def host(dbus_session: PrivateSessionBus) -> AsyncIterator[FocusClient]:
    client = FocusClient()
    await client.connect(dbus_session.address)
    assert client.hosting
    yield client
    await client.close()


@pytest.fixture
async def raw(dbus_session: PrivateSessionBus) -> AsyncIterator[MessageBus]:
    bus = await MessageBus(bus_address=dbus_session.address).connect()
    yield bus
    bus.disconnect()


def error_of(reply: Message) -> str:
    assert reply.message_type is MessageType.ERROR, reply.body
    return reply.error_name or ""


async def test_calls_before_register_are_refused(host: FocusClient, raw: MessageBus) -> None:
    reply = await call(raw, "Request", "suub", "r", 1, 1, False)
    assert error_of(reply) == f"{INTERFACE}.Error.NotRegistered"
    assert error_of(await call(raw, "Abandon", "s", "r")) == f"{INTERFACE}.Error.NotRegistered"


async def test_bad_arguments_are_refused_and_change_nothing(
    host: FocusClient, raw: MessageBus
) -> None:
    assert (await call(raw, "Register")).message_type is MessageType.METHOD_RETURN
    invalid = "org.freedesktop.DBus.Error.InvalidArgs"
    reply = await call(raw, "Request", "suub", "r", 0, 1, False)
    assert error_of(reply) == invalid
    assert "gain_type" in reply.body[0]
    assert error_of(await call(raw, "Request", "suub", "r", 5, 1, False)) == invalid
    assert "usage" in (await call(raw, "Request", "suub", "r", 1, 99, False)).body[0]
    assert error_of(await call(raw, "Request", "suub", "", 1, 1, False)) == invalid
    assert error_of(await call(raw, "Request", "s", "r")) == invalid
    assert error_of(await call(raw, "Restore", "suubti", "r", 1, 1, False, 5, -1)) == invalid
    assert (await call(raw, "GetStack")).body == [[]]
    # A good request still works afterwards; Restore is refused outside a takeover.
    assert (await call(raw, "Request", "suub", "r", 1, 1, False)).body == [True, 1]
    reply = await call(raw, "Restore", "suubti", "r", 1, 1, False, 1, 1)
    assert error_of(reply) == f"{INTERFACE}.Error.NotRecovering"
    assert (await call(raw, "Abandon", "s", "nothing")).body == [False]
    assert (await call(raw, "Abandon", "s", "r")).body == [True]
    assert (await call(raw, "GetStack")).body == [[]]


async def test_a_caller_vanishing_while_holding_focus_gives_it_back(
    host: FocusClient, dbus_session: PrivateSessionBus
) -> None:
    assert await host.request(G.GAIN)
    events = host.interruptions.subscribe()
    other = await MessageBus(bus_address=dbus_session.address).connect()
    await call(other, "Register")
    assert (await call(other, "Request", "suub", "x", 2, 1, False)).body == [True, 2]
    assert await asyncio.wait_for(events.__anext__(), 2) == AudioInterruptionEvent(
        True, AudioInterruptionType.PAUSE
    )
    other.disconnect()
    assert await asyncio.wait_for(events.__anext__(), 2) == AudioInterruptionEvent(
        False, AudioInterruptionType.PAUSE
    )
    assert host.focus is AndroidAudioFocus.GAIN


async def test_changes_are_unicast(dbus_session: PrivateSessionBus, host: FocusClient) -> None:
    guest = FocusClient()
    await guest.connect(dbus_session.address)
    try:
        async with dbus_session.monitor(f"interface='{INTERFACE}'") as monitor:
            assert await guest.request(G.GAIN)
            assert await host.request(G.GAIN_TRANSIENT_MAY_DUCK)
            signal = await monitor.wait_for(lambda m: m.member == "FocusChanged")
        assert signal.destination == guest.unique_name
        assert guest.focus is AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK
    finally:
        await guest.close()


async def test_a_denied_request_during_a_call_from_a_remote_client(
    dbus_session: PrivateSessionBus, host: FocusClient
) -> None:
    guest = FocusClient()
    await guest.connect(dbus_session.address)
    try:
        assert await host.request(G.GAIN_TRANSIENT, AndroidAudioUsage.VOICE_COMMUNICATION)
        assert not await guest.request(G.GAIN)
        assert guest.focus is None
    finally:
        await guest.close()


async def test_introspection_matches_the_published_xml(
    host: FocusClient, dbus_session: PrivateSessionBus
) -> None:
    assert DOCS.read_text() == INTROSPECTION_XML
    text = await dbus_session.gdbus_introspect(BUS_NAME, OBJECT_PATH)
    for member in ("Register", "Request", "Abandon", "Restore", "GetStack", "FocusChanged"):
        assert member in text


async def test_clients_sharing_a_connection(dbus_session: PrivateSessionBus) -> None:
    bus = await MessageBus(bus_address=dbus_session.address).connect()
    music, prompt = FocusClient("music"), FocusClient("prompt")
    try:
        await music.connect(bus)
        await prompt.connect(bus)
        with pytest.raises(ValueError, match="prompt"):
            await FocusClient("prompt").connect(bus)
        assert await music.request(G.GAIN)
        assert await prompt.request(G.GAIN_TRANSIENT_MAY_DUCK)
        assert music.focus is AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK
    finally:
        await music.close()
        await prompt.close()
        bus.disconnect()


async def test_without_a_bus_focus_is_arbitrated_in_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setattr(client_module, "_warned_no_bus", False)
    first, second = FocusClient("first"), FocusClient("second")
    with caplog.at_level(logging.WARNING):
        await first.connect()
        await second.connect("unix:path=/nonexistent/bus")
    assert len([r for r in caplog.records if "no D-Bus session bus" in r.message]) == 1
    assert first.hosting
    assert first.unique_name == "local"
    assert await first.request(G.GAIN)
    assert await second.request(G.GAIN_TRANSIENT)
    assert first.focus is AndroidAudioFocus.LOSS_TRANSIENT
    await second.close()
    assert first.focus is AndroidAudioFocus.GAIN
    await first.close()


async def test_client_misuse_raises_clear_errors(dbus_session: PrivateSessionBus) -> None:
    with pytest.raises(ValueError, match="request_id"):
        FocusClient("")
    client = FocusClient()
    with pytest.raises(RuntimeError, match="connect"):
        await client.request()
    with pytest.raises(TypeError, match="bus"):
        await client.connect(42)  # type: ignore[arg-type]
    await client.connect(dbus_session.address)
    try:
        with pytest.raises(RuntimeError, match="already connected"):
            await client.connect(dbus_session.address)
        with pytest.raises(ValueError, match="gain_type"):
            await client.request(7)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="will_pause_when_ducked"):
            await client.request(G.GAIN, AndroidAudioUsage.MEDIA, 1)  # type: ignore[arg-type]
    finally:
        await client.close()


async def test_focus_error_carries_the_dbus_name() -> None:
    error = FocusError("org.example.Error.Bad", "nope")
    assert error.name == "org.example.Error.Bad"
    assert "nope" in str(error)


async def test_a_request_racing_the_hosts_death_is_served_by_the_next_host(
    dbus_session: PrivateSessionBus,
) -> None:
    buses = [await MessageBus(bus_address=dbus_session.address).connect() for _ in range(3)]
    host, holder, late = FocusClient(), FocusClient(), FocusClient()
    try:
        for client, bus in zip((host, holder, late), buses, strict=True):
            await client.connect(bus)
        assert await holder.request(G.GAIN)
        with holder.changes.subscribe() as changes:
            assert await host.request(G.GAIN_TRANSIENT)
            await asyncio.wait_for(changes.__anext__(), 2)
        assert holder.focus is AndroidAudioFocus.LOSS_TRANSIENT
        events = holder.interruptions.subscribe()
        buses[0].disconnect()  # the host's connection dies without a word
        # Served once the stack is rebuilt: the holder first regains focus, then ducks.
        assert await late.request(G.GAIN_TRANSIENT_MAY_DUCK)
        for expected in ((False, AudioInterruptionType.PAUSE), (True, AudioInterruptionType.DUCK)):
            assert await asyncio.wait_for(events.__anext__(), 2) == AudioInterruptionEvent(
                *expected
            )
        assert holder.hosting != late.hosting
        stack = (await call(buses[2], "GetStack")).body[0]
        assert [(owner, focus) for owner, _, _, _, _, _, focus in stack] == [
            (late.unique_name, 1),
            (holder.unique_name, -3),
        ]
    finally:
        for client in (host, holder, late):
            await client.close()
        for bus in buses[1:]:
            bus.disconnect()


async def test_losing_the_bus_leaves_each_connection_its_own_focus(
    dbus_session: PrivateSessionBus, caplog: pytest.LogCaptureFixture
) -> None:
    music, prompt = FocusClient("music"), FocusClient("prompt")
    await music.connect(dbus_session.address)
    await prompt.connect(dbus_session.address)
    assert music.hosting
    assert not prompt.hosting
    try:
        assert await music.request(G.GAIN)
        assert await prompt.request(G.GAIN_TRANSIENT)
        assert music.focus is AndroidAudioFocus.LOSS_TRANSIENT
        events: list[AudioInterruptionEvent] = []
        music.interruptions.listen(events.append)
        with caplog.at_level(logging.WARNING):
            assert dbus_session.process is not None
            dbus_session.process.stop()
            dbus_session.process = None
            # The app that interrupted us is out of reach: the interruption ends with it.
            for _ in range(300):
                if music.focus is AndroidAudioFocus.GAIN:
                    break
                await asyncio.sleep(0.01)
            assert music.focus is AndroidAudioFocus.GAIN
            assert events == [AudioInterruptionEvent(False, AudioInterruptionType.PAUSE)]
            # Requests go on, answered at once by each connection's own arbiter.
            assert await asyncio.wait_for(prompt.request(G.GAIN_TRANSIENT_MAY_DUCK), 1)
            assert await asyncio.wait_for(music.abandon(), 1)
            assert await asyncio.wait_for(music.request(G.GAIN), 1)
    finally:
        await asyncio.wait_for(prompt.close(), 2)
        await asyncio.wait_for(music.close(), 2)
    lost = [r for r in caplog.records if "lost the D-Bus session bus" in r.getMessage()]
    assert len(lost) == 2  # one per connection
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
