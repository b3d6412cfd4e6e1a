"""Handlers that answer through a Deferred: no task per request, events and reply in one write."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import msgspec
import pytest
from ipc_support import APP_ID, RawPeer

from audio_service._connect._ipc import (
    ConnectionLostError,
    Deferred,
    ErrorCode,
    PeerInfo,
    RemoteError,
    Server,
    _client,
)
from audio_service._connect._ipc._server import _BATCH
from audio_session.testing import wait_until
from conftest import MakeServer

encode = msgspec.msgpack.encode
decode = msgspec.msgpack.decode


class Pending:
    """A handler that keeps each request's Deferred for the test to settle."""

    def __init__(self) -> None:
        self.waiting: dict[str, Deferred] = {}
        self.server: Server | None = None

    def __call__(self, method: str, payload: bytes, peer: PeerInfo) -> Deferred:
        reply = Deferred()
        if method == "now":
            reply.resolve(payload)
        elif method == "publish":
            # Like the host: the callback publishes, then its reply is settled in the same step.
            assert self.server is not None
            self.server.broadcast("state", payload)
            self.server.broadcast("state", payload + b"!")
            reply.resolve(b"done")
        elif method == "publish_big":
            assert self.server is not None
            self.server.broadcast("state", b"s")
            self.server.broadcast("queue", bytes(_BATCH))
            reply.resolve(b"done")
        elif method == "explode":
            raise ValueError("the handler broke before deferring")
        else:
            self.waiting[method] = reply
        return reply


@pytest.fixture
async def pending(make_server: MakeServer) -> Pending:
    handler = Pending()
    handler.server = await make_server(handler)
    return handler


async def test_a_deferred_settled_before_the_handler_returns_is_the_reply(
    pending: Pending,
) -> None:
    client = await _client.connect(APP_ID, "t")
    try:
        assert await client.call("now", b"\x01") == b"\x01"
    finally:
        await client.close()


async def test_a_deferred_settled_later_answers_its_own_call(pending: Pending) -> None:
    client = await _client.connect(APP_ID, "t")
    try:
        first = asyncio.ensure_future(client.call("first", b""))
        second = asyncio.ensure_future(client.call("second", b""))
        await wait_until(lambda: len(pending.waiting) == 2)
        pending.waiting["second"].resolve(b"2")
        assert await second == b"2"
        assert not first.done()
        pending.waiting["first"].resolve(b"1")
        pending.waiting["first"].resolve(b"ignored: the first outcome stays")
        assert await first == b"1"
    finally:
        await client.close()


async def test_a_rejected_deferred_and_a_raising_handler_are_error_replies(
    pending: Pending,
) -> None:
    client = await _client.connect(APP_ID, "t")
    try:
        call = asyncio.ensure_future(client.call("rejected", b""))
        await wait_until(lambda: "rejected" in pending.waiting)
        pending.waiting["rejected"].reject(KeyError("no such item"))
        with pytest.raises(RemoteError) as rejected:
            await call
        assert rejected.value.code == ErrorCode.HANDLER_FAILED
        assert "no such item" in str(rejected.value)
        with pytest.raises(RemoteError, match="broke before deferring"):
            await client.call("explode", b"")
        assert await client.call("now", b"ok") == b"ok"
    finally:
        await client.close()


async def test_a_deferred_settled_after_its_client_left_changes_nothing(
    pending: Pending,
) -> None:
    client = await _client.connect(APP_ID, "t")
    call = asyncio.ensure_future(client.call("orphan", b""))
    await wait_until(lambda: "orphan" in pending.waiting)
    await client.close()
    with pytest.raises(ConnectionLostError):
        await call
    await wait_until(lambda: not pending.server or not pending.server.connections)
    pending.waiting["orphan"].resolve(b"too late")
    other = await _client.connect(APP_ID, "t2")
    try:
        assert await other.call("now", b"still serving") == b"still serving"
    finally:
        await other.close()


async def test_events_published_while_answering_leave_with_the_reply_in_one_write(
    pending: Pending,
) -> None:
    assert pending.server is not None
    peer = await RawPeer.open(pending.server.path)
    try:
        await peer.handshake()
        (protocol,) = pending.server._protocols
        transport = protocol._transport
        assert transport is not None
        writes: list[bytes] = []
        real_write = transport.write

        def counting_write(data: Any) -> None:
            writes.append(bytes(data))
            real_write(data)

        transport.write = counting_write  # type: ignore[method-assign]
        peer.send(["req", 7, "publish", b"s"])
        messages = await peer.until(lambda message: message[0] == "rep")
        assert [m[0] for m in messages] == ["evt", "evt", "rep"], messages
        assert [m[2] for m in messages[:2]] == [b"s", b"s!"]
        assert messages[2][1] == 7
        assert len(writes) == 1, "the events and the reply went out in separate writes"
        assert _split(writes[0]) == messages
        # With no request of this client's running, an event goes out at once, on its own.
        pending.server.broadcast("state", b"alone")
        assert len(writes) == 2
    finally:
        await peer.close()


async def test_an_event_too_large_to_share_a_write_is_not_held_for_the_reply(
    pending: Pending,
) -> None:
    server = pending.server
    assert server is not None
    requester = await RawPeer.open(server.path)
    other = await RawPeer.open(server.path)
    try:
        await requester.handshake()
        await other.handshake()
        await wait_until(lambda: len(server.connections) == 2)
        writes: list[tuple[str, list[str], int]] = []
        for name, connection in zip(("requester", "other"), server.connections, strict=True):
            transport = connection._protocol._transport
            assert transport is not None

            def counting_write(data: Any, name: str = name, real: Any = transport.write) -> None:
                frames = _split(bytes(data))
                writes.append((name, [m[0] for m in frames], len(data)))
                real(data)

            transport.write = counting_write  # type: ignore[method-assign]
        requester.send(["req", 8, "publish_big", b""])
        messages = await requester.until(lambda message: message[0] == "rep")
        assert [m[0] for m in messages] == ["evt", "evt", "rep"]
        assert len(messages[1][2]) == _BATCH
        big = [(name, index) for index, (name, _, size) in enumerate(writes) if size > _BATCH]
        # Written to the requester as it was broadcast, before the other client's copy: held
        # for the reply, it would have reached the requester last.
        assert [name for name, _ in big] == ["requester", "other"]
    finally:
        await requester.close()
        await other.close()


async def test_a_flood_of_deferred_requests_is_held_back_at_max_in_flight(
    make_server: MakeServer,
) -> None:
    handler = Pending()
    await make_server(handler, max_in_flight=2)
    client = await _client.connect(APP_ID, "burst")
    try:
        calls = [asyncio.ensure_future(client.call(f"m{i}", b"")) for i in range(6)]
        await wait_until(lambda: len(handler.waiting) == 2)
        await asyncio.sleep(0.02)
        assert len(handler.waiting) == 2
        for index in range(6):
            await wait_until(lambda index=index: f"m{index}" in handler.waiting)  # type: ignore[misc]
            handler.waiting[f"m{index}"].resolve(encode(index))
        assert [decode(await call) for call in calls] == list(range(6))
    finally:
        await client.close()


def _split(data: bytes) -> list[Any]:
    messages = []
    offset = 0
    while offset < len(data):
        size = struct.unpack(">I", data[offset : offset + 4])[0]
        messages.append(decode(data[offset + 4 : offset + 4 + size]))
        offset += 4 + size
    return messages


@pytest.mark.parametrize("when", ["now", "later"])
async def test_a_deferred_reply_larger_than_the_client_limit_becomes_an_error(
    pending: Pending, when: str
) -> None:
    client = await _client.connect(APP_ID, "t", max_frame_size=2048)
    try:
        if when == "now":
            big = asyncio.ensure_future(client.call("now", b"y" * 3000))
        else:
            big = asyncio.ensure_future(client.call("big", b""))
            await wait_until(lambda: "big" in pending.waiting)
            pending.waiting["big"].resolve(b"y" * 3000)
        with pytest.raises(RemoteError) as caught:
            await big
        assert caught.value.code == ErrorCode.TOO_LARGE
        assert await client.call("now", b"fits") == b"fits"
    finally:
        await client.close()
