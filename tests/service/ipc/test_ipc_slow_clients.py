"""Clients that read slowly or not at all: bounded memory, coalescing, bursts, freeing.

Stalled clients are raw sockets that finish the handshake and stop reading; what the
server holds for them is read from its own accounting (transport buffers and backlog),
which is what grew the host to 918 MB before.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from ipc_support import RawPeer

from audio_service._connect._ipc import ConnectionLostError, ErrorCode, Event, Server
from audio_service._connect._ipc import _server as server_module
from audio_service._connect._remote import RemoteConnection
from audio_service._errors import NotConnectedError
from audio_service._service._requests import Play
from audio_session.testing import wait_until
from conftest import MakeClient, MakeServer

STALLED = 100


def held_bytes(server: Server) -> int:
    """Bytes of copies the server keeps for its clients: transport buffers and backlogs."""
    total = server.backlog_bytes
    for protocol in server._protocols:
        if protocol._transport is not None:
            total += protocol._transport.get_write_buffer_size()
        total += protocol._pending_size
    return total


async def stall(raw_peer: Any, server: Server, count: int) -> list[RawPeer]:
    peers = []
    for _ in range(count):
        peer: RawPeer = await raw_peer(server.path)
        await peer.handshake()
        peer.writer.transport.pause_reading()
        peers.append(peer)
    await wait_until(lambda: server.connection_count == count)
    return peers


async def test_stalled_clients_hold_only_the_latest_state(
    make_server: MakeServer, raw_peer: Any
) -> None:
    server = await make_server()
    peers = await stall(raw_peer, server, STALLED)
    state = b"s" * 200
    for number in range(3000):
        server.broadcast("state", number.to_bytes(4, "big") + state, key="state")
        if number % 100 == 99:
            await asyncio.sleep(0)
    # Before: 3000 x 200 bytes copied for each of the 100 clients (about 60 MB).
    assert held_bytes(server) < STALLED * 1024, held_bytes(server)
    assert all(len(p._backlog or ()) <= 1 for p in server._protocols)
    # A stalled client that reads again gets what the kernel had, then the latest state.
    peer = peers[0]
    peer.writer.transport.resume_reading()
    events = await peer.until(lambda m: m[0] == "evt" and m[2][:4] == (2999).to_bytes(4, "big"))
    numbers = [int.from_bytes(m[2][:4], "big") for m in events]
    assert numbers == sorted(numbers)
    assert len(numbers) < 3000


def _resync(connection: Any) -> Iterator[tuple[str, bytes]]:
    yield "snapshot", b"everything"


async def test_queue_diffs_that_pile_up_become_one_resync(
    make_server: MakeServer, raw_peer: Any
) -> None:
    server = await make_server(resync=_resync)
    (peer,) = await stall(raw_peer, server, 1)
    diff = b"d" * 1000
    for number in range(2000):
        server.broadcast("diff", number.to_bytes(4, "big") + diff, resyncable=True)
    server.broadcast("custom", b"kept in order")
    assert server.backlog_bytes < 100_000
    peer.writer.transport.resume_reading()
    seen = await peer.until(lambda m: m[1] == "custom")
    topics = [m[1] for m in seen if m[0] == "evt"]
    first = topics.index("snapshot")
    assert set(topics[:first]) == {"diff"}
    assert topics[first:] == ["snapshot", "custom"]
    # After the resync the client gets the diffs again, as they come.
    server.broadcast("diff", b"next", resyncable=True)
    assert (await peer.receive())[1:3] == ["diff", b"next"]


async def test_a_reading_client_is_not_dropped_for_a_burst_it_keeps_up_with(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    # 30 MB sent at once, 30 times its send buffer: it reads, so it gets all of it.
    server = await make_server(max_send_buffer=1024 * 1024)
    client = await make_client()
    received: list[int] = []
    done = asyncio.get_running_loop().create_future()

    def sink(event: Event) -> None:
        received.append(int.from_bytes(event.payload[:4], "big"))
        if len(received) == 300:
            done.set_result(None)

    client.set_event_sink(sink)
    await wait_until(lambda: server.connection_count == 1)
    big = b"b" * 100_000
    for number in range(300):
        server.broadcast("custom", number.to_bytes(4, "big") + big)
    await asyncio.wait_for(done, 20)
    assert received == list(range(300))
    assert server.connection_count == 1
    assert await client.call("echo", b"\x01") == b"\x01"
    assert server.backlog_bytes == 0


async def test_what_waits_for_all_clients_together_is_bounded(
    make_server: MakeServer, raw_peer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Each client may hold 10 MB and is never stalled long enough to be dropped for that;
    # the 1 MB they may hold together is what cuts the one that would pass it.
    limit = 1024 * 1024
    server = await make_server(
        max_send_buffer=10 * limit, max_total_backlog=limit, stall_timeout=3600
    )
    peers = await stall(raw_peer, server, 3)
    chunk = b"c" * 50_000
    for _ in range(200):
        server.broadcast("custom", chunk)
        assert server.backlog_bytes <= limit
    assert server.connection_count < 3
    assert "wait for slow clients (limit 1048576)" in caplog.text
    peers[0].writer.transport.resume_reading()
    last = (await peers[0].expect_eof())[-1]
    assert last[:3] == ["err", None, "too_slow"], last


async def _hang(method: str, payload: bytes, peer: Any) -> bytes:
    await asyncio.Event().wait()
    return b""


async def test_a_client_dropped_for_being_slow_is_told_so(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    server = await make_server(_hang, max_send_buffer=64 * 1024, stall_timeout=0)
    client = await make_client()
    pending = asyncio.ensure_future(client.call("anything"))
    remote = asyncio.ensure_future(RemoteConnection(client).request(Play()))
    await wait_until(lambda: server.connection_count == 1)
    client._protocol.transport.pause_reading()
    chunk = b"z" * 16 * 1024
    for _ in range(100):
        server.broadcast("bulk", chunk)
        await asyncio.sleep(0)
    assert server.connection_count == 0
    client._protocol.transport.resume_reading()
    with pytest.raises(ConnectionLostError, match="does not read fast enough") as lost:
        await asyncio.wait_for(pending, 5)
    assert lost.value.code == ErrorCode.TOO_SLOW
    # One layer up, the service is not said to be gone: only this client was cut off.
    with pytest.raises(NotConnectedError, match="reading its events too slowly"):
        await asyncio.wait_for(remote, 5)


async def test_closed_connections_are_freed_without_the_cycle_collector(
    make_server: MakeServer, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    protocols: list[weakref.ref[Any]] = []
    make_protocol = Server._make_protocol

    def tracked(self: Server) -> Any:
        protocol = make_protocol(self)
        protocols.append(weakref.ref(protocol))
        return protocol

    monkeypatch.setattr(Server, "_make_protocol", tracked)
    server = await make_server()
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            clients = [await make_client() for _ in range(20)]
            await wait_until(lambda: server.connection_count == 20)
            server.broadcast("state", msgspec.msgpack.encode({"n": 1}), key="state")
            assert [await c.call("echo", b"\x02") for c in clients] == [b"\x02"] * 20
            for c in clients:
                await c.close()
            await wait_until(lambda: server.connection_count == 0 and not server._protocols)
        await asyncio.sleep(0)  # the transports' last callbacks
        alive = [ref for ref in protocols if ref() is not None]
        assert alive == [], f"{len(alive)} of {len(protocols)} connections kept alive by cycles"
    finally:
        gc.enable()


def test_the_new_limits_are_checked() -> None:
    async def handler(method: str, payload: bytes, peer: Any) -> bytes:
        return b""

    with pytest.raises(ValueError, match="stall_timeout must not be negative"):
        Server("org.test.Player", handler, stall_timeout=-1)
    with pytest.raises(TypeError, match="resync must be callable"):
        Server("org.test.Player", handler, resync=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_total_backlog must be at least 1"):
        Server("org.test.Player", handler, max_total_backlog=0)
    assert server_module.DEFAULT_MAX_TOTAL_BACKLOG >= 64 * 1024 * 1024
