"""The transport methods answered from the bus's reader: order, errors, and the fall-backs."""

from __future__ import annotations

import asyncio
import io
import logging
from functools import partial

import pytest
from dbus_fast import Message, MessageFlag, MessageType
from dbus_fast._private.unmarshaller import Unmarshaller
from dbus_fast.aio import MessageBus
from mpris_support import APP_ID, BUS_NAME, PATH, PLAYER, Harness, PlayerTask

from audio_service import ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._service._requests import Play
from audio_service._surfaces._linux._mpris import MprisServer
from audio_service._surfaces._linux._mpris._interfaces import PlayerInterface, PlaylistsInterface
from audio_service._surfaces._linux._mpris._link import MARSHALLED_KEPT
from audio_session.testing import PrivateSessionBus
from bus_writes_support import record_writes


async def test_the_reply_comes_after_the_state_it_caused(player: Harness) -> None:
    assert player.server._bus is not None
    me = player.server._bus.unique_name
    async with player.bus.monitor() as monitor:
        await player.call(f"{PLAYER}.PlayPause")
        await monitor.wait_for(lambda m: m.kind == "method return" and m.sender == me)
    # gdbus introspects the object first; look at what follows the PlayPause call.
    messages = monitor.messages
    call = next(i for i, m in enumerate(messages) if m.member == "PlayPause")
    answers = [m for m in messages[call + 1 :] if m.sender == me]
    assert [(m.kind, m.member) for m in answers[:2]] == [
        ("signal", "PropertiesChanged"),
        ("method return", ""),
    ]
    assert 'string "PlaybackStatus"' in answers[0].text
    assert await player.playerctl("status") == "Playing"


def _messages(data: bytes) -> list[Message]:
    stream = io.BytesIO(data)
    unmarshaller = Unmarshaller(stream)
    messages = []
    while stream.tell() < len(data):
        message = unmarshaller.unmarshall()
        assert message is not None
        messages.append(message)
    return messages


async def test_the_state_and_the_reply_leave_in_one_write(player: Harness) -> None:
    bus = player.server._bus
    assert bus is not None
    _writes, recorder = record_writes(bus)
    caller = await MessageBus(bus_address=player.bus.address).connect()
    try:
        reply = await caller.call(
            Message(destination=BUS_NAME, path=PATH, interface=PLAYER, member="PlayPause")
        )
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN
    finally:
        caller.disconnect()
    (write,) = [data for data in recorder.sent if b"PlaybackStatus" in data]
    kinds = [(m.message_type, m.member) for m in _messages(write)]
    assert kinds == [
        (MessageType.SIGNAL, "PropertiesChanged"),
        (MessageType.METHOD_RETURN, None),
    ]


async def test_a_callback_that_waits_has_its_state_sent_before_it_ends(
    player: Harness,
) -> None:
    release = asyncio.Event()

    async def play_and_wait() -> None:
        player.core.set_state(playing=True)  # published before the first await
        await release.wait()

    player.task.on_play = play_and_wait  # type: ignore[method-assign]
    player.server._reply_after = 3600.0  # only the callback's end answers the call
    assert player.server._bus is not None
    me = player.server._bus.unique_name
    caller = await MessageBus(bus_address=player.bus.address).connect()
    try:
        async with player.bus.monitor() as monitor:
            call = asyncio.ensure_future(
                caller.call(
                    Message(destination=BUS_NAME, path=PATH, interface=PLAYER, member="Play")
                )
            )
            await monitor.wait_for(lambda m: m.sender == me and 'string "PlaybackStatus"' in m.text)
            assert not call.done()
        release.set()
        reply = await asyncio.wait_for(call, 5)
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN
    finally:
        release.set()
        caller.disconnect()


async def test_a_raising_transport_callback_is_a_task_failed_error(player: Harness) -> None:
    async def broken_play() -> None:
        raise RuntimeError("no audio device")

    player.task.on_play = broken_play  # type: ignore[method-assign]
    result = await player.call(f"{PLAYER}.Play", check=False)
    assert "org.audioservicekit.Error.TaskFailed" in result.stderr
    assert "no audio device" in result.stderr
    assert player.core.running


async def test_a_failure_after_the_reply_is_logged(
    player: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    release = asyncio.Event()

    async def slow_then_broken() -> None:
        await release.wait()
        raise RuntimeError("lost the stream")

    player.task.on_play = slow_then_broken  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="audio_service.mpris"):
        await player.call(f"{PLAYER}.Play")  # answered after reply_after, successfully
        release.set()
        for _ in range(200):
            if caplog.records:
                break
            await asyncio.sleep(0.01)
    assert "lost the stream" in caplog.records[0].getMessage()


async def test_a_call_that_expects_no_reply_gets_none(player: Harness) -> None:
    assert player.server._bus is not None
    me = player.server._bus.unique_name
    bus = await MessageBus(bus_address=player.bus.address).connect()
    try:
        async with player.bus.monitor() as monitor:
            await bus.send(
                Message(
                    destination=BUS_NAME,
                    path=PATH,
                    interface=PLAYER,
                    member="Play",
                    flags=MessageFlag.NO_REPLY_EXPECTED,
                )
            )
            await monitor.wait_for(lambda m: 'string "PlaybackStatus"' in m.text)
            # A call that is answered: once its reply shows, everything before it has too.
            answered = await bus.call(
                Message(destination=BUS_NAME, path=PATH, interface=PLAYER, member="Pause")
            )
            assert answered is not None
            assert answered.message_type is MessageType.METHOD_RETURN
            await monitor.wait_for(lambda m: m.kind == "method return" and m.sender == me)
    finally:
        bus.disconnect()
    replies = [m for m in monitor.messages if m.kind == "method return" and m.sender == me]
    assert len(replies) == 1
    assert player.task.called("play") == [None]
    assert player.task.called("pause") == [None]


async def test_a_call_without_an_interface_is_served_too(player: Harness) -> None:
    bus = await MessageBus(bus_address=player.bus.address).connect()
    try:
        reply = await bus.call(Message(destination=BUS_NAME, path=PATH, member="PlayPause"))
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN
        assert player.core.state.playing
        # Arguments where none belong: dbus-fast's own dispatch refuses them.
        wrong = await bus.call(
            Message(
                destination=BUS_NAME,
                path=PATH,
                interface=PLAYER,
                member="Next",
                signature="s",
                body=["extra"],
            )
        )
        assert wrong is not None
        assert wrong.message_type is MessageType.ERROR
    finally:
        bus.disconnect()


async def test_stop_stops_playback_and_the_player_stays(player: Harness) -> None:
    # The spec's Stop (the desktop's Stop key): playback stops, Play starts it again.
    await player.playerctl("play")
    await player.playerctl("position", "42")
    result = await player.call(f"{PLAYER}.Stop", check=False)
    assert result.returncode == 0, result.stderr
    assert player.core.running
    assert await player.playerctl("status") == "Stopped"
    assert await player.playerctl("position") == "0.000000"
    assert await player.get(PLAYER, "CanPlay") == "true"  # still on GNOME's panel
    assert BUS_NAME in await player.bus.list_names()
    await player.playerctl("play")
    assert await player.playerctl("status") == "Playing"
    assert player.core.running


async def test_stop_ends_the_service_with_stop_ends_service(
    dbus_session: PrivateSessionBus,
) -> None:
    task = PlayerTask()
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID, stop_ends_service=True))
    await core.start()
    server = MprisServer(core, identity="Example Player", bus_address=dbus_session.address)
    await server.start()
    try:
        player = Harness(core, task, server, dbus_session)
        result = await player.call(f"{PLAYER}.Stop", check=False)
        assert result.returncode == 0, result.stderr  # answered before the player leaves
        await asyncio.wait_for(core.wait_stopped(), 5)
    finally:
        await server.close()
        await core.shutdown()


async def test_the_flushed_values_are_the_properties_that_signal_changes(player: Harness) -> None:
    values = player.server._player_values()
    assert list(values) == list(PlayerInterface.CHANGING)
    # Each flushed value is what a Get of the property answers (Metadata stands for its dict).
    for name, value in values.items():
        if name != "Metadata":
            assert getattr(player.server._player, name) == value, name
    assert values["Metadata"][0] is player.core.media_item
    playlists = player.server.changes._playlists_values()
    assert list(playlists) == list(PlaylistsInterface.CHANGING)
    for name, value in playlists.items():
        assert getattr(player.server._playlists, name) == value, name


async def test_callbacks_that_outlast_the_reply_are_each_answered_after_reply_after(
    player: Harness,
) -> None:
    release = asyncio.Event()

    async def play_until_released() -> None:
        await release.wait()

    player.task.on_play = play_until_released  # type: ignore[method-assign]
    loop = asyncio.get_running_loop()
    bus = await MessageBus(bus_address=player.bus.address).connect()
    try:

        async def play_after(delay: float) -> tuple[float, float]:
            await asyncio.sleep(delay)
            sent = loop.time()
            reply = await bus.call(
                Message(destination=BUS_NAME, path=PATH, interface=PLAYER, member="Play")
            )
            assert reply is not None
            assert reply.message_type is MessageType.METHOD_RETURN
            return sent, loop.time()

        # Staggered calls: one timer serves them all, re-armed for each in turn.
        times = await asyncio.wait_for(asyncio.gather(*map(play_after, (0, 0.2, 0.3))), 5)
        # Each is answered on its own deadline: not before it (one early timer for all would
        # answer the later calls too soon), and not never (the timer is re-armed).
        for sent, answered in times:
            assert answered - sent >= 0.5, times
        assert player.server._unanswered == {}
        # A quick callback leaves nothing behind to answer later.
        del player.task.on_play
        await bus.call(Message(destination=BUS_NAME, path=PATH, interface=PLAYER, member="Play"))
        assert player.server._unanswered == {}
    finally:
        release.set()
        bus.disconnect()


async def test_closing_answers_the_calls_still_running(player: Harness) -> None:
    release = asyncio.Event()

    async def play_until_released() -> None:
        await release.wait()

    player.task.on_play = play_until_released  # type: ignore[method-assign]
    player.server._reply_after = 3600.0  # only close() can answer this call
    bus = await MessageBus(bus_address=player.bus.address).connect()
    try:
        call = asyncio.ensure_future(
            bus.call(Message(destination=BUS_NAME, path=PATH, interface=PLAYER, member="Play"))
        )
        for _ in range(200):
            if player.server._unanswered:
                break
            await asyncio.sleep(0.005)
        await player.server.close()
        reply = await asyncio.wait_for(call, 5)
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN
    finally:
        release.set()
        bus.disconnect()


async def test_toggling_sends_the_signals_and_replies_marshalled_once_renumbered(
    player: Harness,
) -> None:
    bus = player.server._bus
    assert bus is not None
    _writes, recorder = record_writes(bus)
    caller = await MessageBus(bus_address=player.bus.address).connect()
    serials = []
    try:
        for _ in range(4):
            call = Message(destination=BUS_NAME, path=PATH, interface=PLAYER, member="PlayPause")
            reply = await caller.call(call)
            assert reply is not None
            assert reply.message_type is MessageType.METHOD_RETURN
            serials.append(call.serial)
    finally:
        caller.disconnect()
    sent = [m for data in recorder.sent for m in _messages(data)]
    signals = [m for m in sent if m.member == "PropertiesChanged" and m.body[0] == PLAYER]
    replies = [m for m in sent if m.message_type is MessageType.METHOD_RETURN]
    statuses = [m.body[1]["PlaybackStatus"].value for m in signals]
    assert statuses == ["Playing", "Paused", "Playing", "Paused"]
    assert [m.reply_serial for m in replies] == serials
    assert all(m.destination == caller.unique_name for m in replies)
    ours = [m.serial for m in sent]
    assert len(set(ours)) == len(ours)
    assert ours == sorted(ours)
    # Two signals and one reply, each marshalled once: the same bytes but for the serials.
    assert set(player.server.link._marshalled) >= {
        (PLAYER, ("PlaybackStatus", "Playing")),
        (PLAYER, ("PlaybackStatus", "Paused")),
        ("empty method return to", caller.unique_name),
    }


async def test_a_connection_keeps_a_bounded_number_of_marshalled_messages(
    player: Harness,
) -> None:
    link = player.server.link
    writes = link.hold_writes()
    assert writes is not None
    try:
        for key in range(MARSHALLED_KEPT + 5):
            link.send_marshalled(
                key, partial(Message.new_signal, PATH, "org.example.Test", "Tick", "i", [key])
            )
    finally:
        writes.release()
    assert list(link._marshalled) == list(range(5, MARSHALLED_KEPT + 5))  # the oldest went


async def test_the_metadata_key_of_the_same_item_is_the_same_object(player: Harness) -> None:
    artwork = player.server.artwork
    item = player.core.media_item
    assert item is not None
    key = artwork.metadata_key(item)
    # The flush compares what it sends by identity first: an unchanged item gives the same key.
    assert artwork.metadata_key(item) is key
    retitled = item.copy_with(title="Another title")
    other = artwork.metadata_key(retitled)
    assert other is not key
    assert other != key
    assert artwork.metadata_key(retitled) is other
    assert artwork.metadata_key(item) == key


async def test_wait_idle_waits_for_the_calls_still_running(player: Harness) -> None:
    release = asyncio.Event()

    async def play_and_wait() -> None:
        await release.wait()

    replies = player.server.replies
    await asyncio.wait_for(replies.wait_idle(5.0), 1.0)  # nothing running: at once
    assert replies._idle is None  # and nothing made for it
    player.task.on_play = play_and_wait  # type: ignore[method-assign]
    player.server._reply_after = 3600.0  # only the callback's end answers the call
    answers: list[object] = []
    replies.submit(Play(), lambda value, error: answers.append((value, error)))
    await replies.wait_idle(0.05)  # times out: the callback runs on
    first = asyncio.ensure_future(replies.wait_idle(5.0))
    second = asyncio.ensure_future(replies.wait_idle(5.0))
    await asyncio.sleep(0.01)
    assert not first.done()
    assert not second.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 1.0)
    assert answers == [(None, None)]
    assert replies._idle is None
