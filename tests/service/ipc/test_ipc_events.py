"""Server pushes: ordering, replay on connect, slow clients, and connection lifecycles."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import msgspec
import pytest
from ipc_support import APP_ID, Gate, RawPeer, standard_handler

from audio_service._connect._ipc import (
    Client,
    Connection,
    ConnectionLostError,
    Event,
    FrameTooLargeError,
    PeerInfo,
    Server,
    list_services,
)
from audio_session.testing import wait_until
from conftest import MakeClient, MakeServer

encode = msgspec.msgpack.encode
decode = msgspec.msgpack.decode


async def _take(client: Client, count: int, timeout: float = 5.0) -> list[Event]:
    events: list[Event] = []
    async with asyncio.timeout(timeout):
        async for event in client.events:
            events.append(event)
            if len(events) == count:
                break
    return events


async def test_broadcasts_arrive_in_order_at_every_client(
    server: Server, make_client: MakeClient
) -> None:
    clients = [await make_client(name=f"c{i}") for i in range(3)]
    receivers = [asyncio.ensure_future(_take(c, 500)) for c in clients]
    await asyncio.sleep(0)
    for i in range(500):
        assert server.broadcast("tick", encode(i)) == 3
        if i % 50 == 0:
            await asyncio.sleep(0)
    for received in await asyncio.gather(*receivers):
        assert [e.topic for e in received] == ["tick"] * 500
        assert [decode(e.payload) for e in received] == list(range(500))


async def test_replies_and_events_keep_the_order_they_were_sent_in(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    async def handler(method: str, payload: bytes, peer: PeerInfo) -> bytes:
        server.broadcast("before-reply", payload)
        return payload

    server = await make_server(handler)
    client = await make_client()
    with client.events.subscribe() as events:
        assert await client.call("x", b"\x01") == b"\x01"
        # The event was written before the reply, so it is already here.
        assert events._buffer[0] == Event("before-reply", b"\x01")


async def test_state_sent_on_connect_precedes_later_broadcasts(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    state = {"n": 0}

    def on_connect(connection: Connection) -> None:
        connection.send("state", encode(state["n"]))

    server = await make_server(on_connect=on_connect)
    state["n"] = 5
    client = await make_client()
    state["n"] = 6
    server.broadcast("state", encode(6))
    # Subscribing only now still gets the replay: it was kept for the first listener.
    received = await _take(client, 2)
    assert [decode(e.payload) for e in received] == [5, 6]


async def test_an_async_on_connect_can_replay_before_its_first_await(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    connected: list[Connection] = []
    go_on = asyncio.Event()

    async def on_connect(connection: Connection) -> None:
        connection.send("snapshot", b"\x01")
        connected.append(connection)
        await go_on.wait()
        connection.send("after-await", b"\x03")

    server = await make_server(on_connect=on_connect)
    client = await make_client()
    server.broadcast("update", b"\x02")
    go_on.set()
    received = await _take(client, 3)
    assert [e.topic for e in received] == ["snapshot", "update", "after-await"]
    assert connected[0].client_name == "test client"


async def test_events_before_the_first_listener_are_bounded(
    make_server: MakeServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server = await make_server()
    client = await make_client(event_buffer=10)
    for i in range(25):
        server.broadcast("e", encode(i))
    await client.call("echo")  # everything broadcast before is in
    received = await _take(client, 10)
    assert [decode(e.payload) for e in received] == list(range(15, 25))
    assert "dropping the oldest" in caplog.text


async def test_connect_and_disconnect_callbacks(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    log: list[tuple[str, str, str | None]] = []
    server = await make_server(
        on_connect=lambda c: log.append(("in", c.client_name, c.close_reason)),
        on_disconnect=lambda c: log.append(("out", c.client_name, c.close_reason)),
    )
    client = await make_client(name="ui")
    assert log == [("in", "ui", None)]
    await client.close()
    await wait_until(lambda: len(log) == 2)
    assert log[1] == ("out", "ui", "the client disconnected")
    assert server.connections == ()


async def test_a_failing_on_connect_closes_only_that_connection(
    make_server: MakeServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def on_connect(connection: Connection) -> None:
        if connection.client_name == "unlucky":
            raise RuntimeError("replay failed")

    server = await make_server(on_connect=on_connect)
    lucky = await make_client(name="lucky")
    unlucky = await make_client(name="unlucky")
    await asyncio.wait_for(unlucky.closed, 2)
    assert "on_connect raised" in caplog.text
    assert await lucky.call("echo", b"\x01") == b"\x01"
    assert [c.client_name for c in server.connections] == ["lucky"]


async def test_sending_to_one_client_and_closing_it(
    server: Server, make_client: MakeClient
) -> None:
    first = await make_client(name="first")
    second = await make_client(name="second")
    one, two = server.connections
    assert one.send("private", b"\x01")
    assert (await _take(first, 1))[0] == Event("private", b"\x01")
    two.close("go away")
    await asyncio.wait_for(second.closed, 2)
    assert not two.send("late", b"")
    assert two.is_closed
    assert two.close_reason == "go away"
    assert server.broadcast("all", b"") == 1


async def test_bad_broadcast_arguments_are_clear_errors(server: Server) -> None:
    with pytest.raises(TypeError, match="topic must be a str"):
        server.broadcast(1, b"")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="payload must be bytes"):
        server.broadcast("t", "text")  # type: ignore[arg-type]
    with pytest.raises(FrameTooLargeError, match="event 't'"):
        server.broadcast("t", b"x" * (server.max_frame_size + 1))


async def test_a_client_that_stops_reading_is_disconnected_not_waited_for(
    make_server: MakeServer,
    make_client: MakeClient,
    raw_peer: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # stall_timeout=0: over its send buffer without reading, it is dropped at once.
    server = await make_server(max_send_buffer=64 * 1024, stall_timeout=0)
    good = await make_client(name="good")
    stuck: RawPeer = await raw_peer(server.path)
    await stuck.handshake()
    stuck.writer.transport.pause_reading()
    await wait_until(lambda: len(server.connections) == 2)
    receiver = asyncio.ensure_future(_take(good, 200, timeout=10))
    chunk = b"z" * 16 * 1024
    for i in range(200):
        server.broadcast("bulk", i.to_bytes(4, "big") + chunk)
        await asyncio.sleep(0)
    received = await receiver
    assert [int.from_bytes(e.payload[:4], "big") for e in received] == list(range(200))
    assert [c.client_name for c in server.connections] == ["good"]
    assert "does not read fast enough" in caplog.text
    # Its last frame says why, after what it had not read yet.
    stuck.writer.transport.resume_reading()
    last = (await stuck.expect_eof())[-1]
    assert last[:3] == ["err", None, "too_slow"], last
    assert "does not read fast enough" in last[4]
    assert any(
        r.levelno == logging.WARNING and "raw peer" in r.getMessage() for r in caplog.records
    )
    assert await good.call("echo", b"\x01") == b"\x01"


async def test_server_close_ends_every_connection_with_a_reason(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    gate = Gate()
    server = await make_server(gate.handler)
    client = await make_client()
    pending = asyncio.ensure_future(client.call("gate"))
    await gate.entered()
    await server.close()
    with pytest.raises(ConnectionLostError, match=r"gate: .* ended the connection .*shutting_down"):
        await pending
    await asyncio.wait_for(client.closed, 2)
    assert client.is_closed
    assert client.close_reason is not None
    # The event stream ends too.
    assert [e async for e in client.events] == []
    assert not server.path.exists()
    assert list_services() == []
    await server.close()  # idempotent


_KILLABLE_SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from audio_service._connect._ipc import Server

    async def handler(method, payload, peer):
        if method == "hang":
            print("entered", flush=True)
            await asyncio.Event().wait()
        return payload

    async def main():
        server = Server(sys.argv[1], handler)
        await server.start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


async def test_pending_calls_fail_fast_when_the_server_is_killed(
    runtime_dir: Path, make_client: MakeClient
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _KILLABLE_SERVER,
        APP_ID,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime_dir)},
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            assert await process.stdout.readline() == b"ready\n"
        client = await make_client()
        assert await client.call("echo", b"\x01") == b"\x01"
        assert client.server_pid == process.pid
        pending = [asyncio.ensure_future(client.call("hang")) for _ in range(5)]
        async with asyncio.timeout(10):
            for _ in range(5):  # every call has reached the server
                assert await process.stdout.readline() == b"entered\n"
        process.kill()
        async with asyncio.timeout(2):
            results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(r, ConnectionLostError) for r in results), results
        await asyncio.wait_for(client.closed, 2)
        with pytest.raises(ConnectionLostError):
            await client.call("echo")
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
    # The crashed host left its socket behind: listing finds it stale and removes it,
    # and a new host can take over.
    socket = runtime_dir / "audio-service" / f"{APP_ID}.sock"
    assert socket.exists()
    assert list_services() == []
    assert not socket.exists()
    async with Server(APP_ID, standard_handler):
        assert list_services() == [APP_ID]


async def test_server_close_cuts_a_client_that_never_reads(
    make_server: MakeServer, raw_peer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audio_service._connect._ipc import _server

    monkeypatch.setattr(_server, "_CLOSE_GRACE", 0.05)
    server = await make_server(max_send_buffer=8 * 1024 * 1024)
    stuck: RawPeer = await raw_peer(server.path)
    await stuck.handshake()
    stuck.writer.transport.pause_reading()
    await wait_until(lambda: len(server.connections) == 1)
    for _ in range(64):
        server.broadcast("bulk", b"b" * 65536)
    async with asyncio.timeout(2):
        await server.close()
    assert server.connections == ()
    assert not server.is_serving
