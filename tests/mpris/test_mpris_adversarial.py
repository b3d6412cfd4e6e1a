"""Calls meant to hurt: huge id lists for GetTracksMetadata, huge arguments echoed in errors."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from mpris_support import BUS_NAME, PATH, PLAYER, TRACKLIST, Harness, track_id

from audio_service._surfaces._linux._mpris._tracklist import MAX_ERROR_TEXT, MAX_TRACK_IDS

INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"


@pytest.fixture
async def raw(player: Harness) -> AsyncIterator[MessageBus]:
    bus = await MessageBus(bus_address=player.bus.address).connect()
    yield bus
    bus.disconnect()


async def call(bus: MessageBus, interface: str, member: str, signature: str, *body: Any) -> Message:
    return await bus.call(
        Message(
            destination=BUS_NAME,
            path=PATH,
            interface=interface,
            member=member,
            signature=signature,
            body=list(body),
        )
    )


async def test_repeated_track_ids_are_answered_once(player: Harness, raw: MessageBus) -> None:
    songs = [track_id(f"song-{i}") for i in range(5)]
    reply = await call(raw, TRACKLIST, "GetTracksMetadata", "ao", songs * 1600)
    assert reply.message_type is MessageType.METHOD_RETURN, reply.body
    assert [entry["mpris:trackid"].value for entry in reply.body[0]] == songs


async def test_too_many_track_ids_are_refused_with_invalid_args(
    player: Harness, raw: MessageBus
) -> None:
    distinct = [track_id(f"gone-{i}") for i in range(MAX_TRACK_IDS + 1)]
    reply = await call(raw, TRACKLIST, "GetTracksMetadata", "ao", distinct)
    assert reply.message_type is MessageType.ERROR
    assert reply.error_name == INVALID_ARGS
    assert f"at most {MAX_TRACK_IDS} track ids, not {MAX_TRACK_IDS + 1}" in reply.body[0]
    # Exactly the cap is fine (and unknown ids are skipped, as the spec says).
    reply = await call(raw, TRACKLIST, "GetTracksMetadata", "ao", distinct[:MAX_TRACK_IDS])
    assert reply.message_type is MessageType.METHOD_RETURN
    assert reply.body == [[]]


_FLOOD = textwrap.dedent(
    """
    import asyncio, sys
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

    async def main():
        bus = await MessageBus(bus_address=sys.argv[1]).connect()
        songs = [f"/org/audioservicekit/track/{f'song-{i}'.encode().hex()}" for i in range(5)]
        ids = songs * 20_000
        message = Message(destination=sys.argv[2], path=sys.argv[3], interface=sys.argv[4],
                          member="GetTracksMetadata", signature="ao", body=[ids])
        print("sending", flush=True)
        reply = await bus.call(message)
        print(reply.error_name or "ok", len(str(reply.body)), flush=True)

    asyncio.run(main())
    """
)


async def test_a_hundred_thousand_track_ids_do_not_stall_the_player(player: Harness) -> None:
    """The call comes from another process, so the longest gap in this loop is the server's."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _FLOOD,
        player.bus.address,
        BUS_NAME,
        PATH,
        TRACKLIST,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ},
    )
    assert process.stdout is not None
    longest = 0.0
    assert await asyncio.wait_for(process.stdout.readline(), 20) == b"sending\n"
    answered = asyncio.ensure_future(process.stdout.read())
    before = time.perf_counter()
    while not answered.done():
        await asyncio.sleep(0.002)
        now = time.perf_counter()
        longest, before = max(longest, now - before), now
    await process.wait()
    print(f"longest gap {longest * 1000:.1f} ms")
    error, size = answered.result().split()
    assert error == INVALID_ARGS.encode()
    assert int(size) < 1000
    assert longest < 0.05, f"the loop stalled {longest * 1000:.0f} ms"


@pytest.mark.parametrize(
    ("member", "argument", "error"),
    [
        ("OpenUri", "x" * 10_000_000, INVALID_ARGS),  # no scheme
        ("OpenUri", "a" * 10_000_000 + ":tail", "org.freedesktop.DBus.Error.NotSupported"),
    ],
)
async def test_error_replies_cut_a_huge_argument_short(
    player: Harness, raw: MessageBus, member: str, argument: str, error: str
) -> None:
    reply = await call(raw, PLAYER, member, "s", argument)
    assert reply.error_name == error
    assert len(reply.body[0]) < MAX_ERROR_TEXT + 100
    assert "characters, cut" in reply.body[0]
    # And the player still answers.
    reply = await call(raw, TRACKLIST, "GetTracksMetadata", "ao", [track_id("song-1")])
    assert len(reply.body[0]) == 1


async def test_a_huge_property_value_is_cut_in_the_error(player: Harness, raw: MessageBus) -> None:
    reply = await call(
        raw,
        "org.freedesktop.DBus.Properties",
        "Set",
        "ssv",
        PLAYER,
        "LoopStatus",
        Variant("s", "L" * 10_000_000),
    )
    assert reply.error_name == INVALID_ARGS
    assert len(reply.body[0]) < MAX_ERROR_TEXT + 100
