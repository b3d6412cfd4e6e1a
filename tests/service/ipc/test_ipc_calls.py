"""Requests and replies between a live server and clients."""

from __future__ import annotations

import asyncio
import logging
import os
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest
from ipc_support import APP_ID, Gate, RawPeer

from audio_service._connect._ipc import (
    Client,
    ConnectionLostError,
    ErrorCode,
    FrameTooLargeError,
    HandshakeError,
    PeerInfo,
    RemoteError,
    Server,
    ServerNotFoundError,
    VersionMismatchError,
    _client,
)
from audio_service._connect._ipc._framing import DEFAULT_MAX_FRAME_SIZE, encode_frame
from audio_service._connect._ipc._protocol import Event, Reply, encoder
from audio_session.testing import wait_until
from conftest import MakeClient, MakeServer

encode = msgspec.msgpack.encode
decode = msgspec.msgpack.decode


async def test_a_call_returns_the_reply_payload(client: Client) -> None:
    assert await client.call("echo", encode({"volume": 0.5})) == encode({"volume": 0.5})
    assert decode(await client.call("increment", encode(41))) == 42
    assert await client.call("echo") == b""


@pytest.mark.parametrize(
    "payload", [bytearray(b"\x01\x02"), memoryview(b"\x01\x02"), msgspec.Raw(b"\x01\x02")]
)
async def test_bytes_like_and_raw_payloads_are_accepted(client: Client, payload: Any) -> None:
    assert await client.call("echo", payload) == b"\x01\x02"


async def test_bad_arguments_to_call_are_type_errors(client: Client) -> None:
    with pytest.raises(TypeError, match="payload must be bytes"):
        await client.call("echo", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="method must be a str"):
        await client.call(b"echo")  # type: ignore[arg-type]
    assert await client.call("echo", b"\xc0") == b"\xc0"


async def test_the_handler_sees_who_called(client: Client, server: Server) -> None:
    peer = decode(await client.call("peer"))
    (connection,) = server.connections
    assert peer == {
        "pid": os.getpid(),
        "uid": os.geteuid(),
        "gid": os.getegid(),
        "client_name": "test client",
        "connection_id": connection.id,
    }
    assert connection.peer == PeerInfo(**peer)
    assert client.server_pid == os.getpid()
    assert client.app_id == APP_ID


@pytest.mark.parametrize(
    ("method", "payload", "code", "type_name", "message"),
    [
        ("nope", b"", "unknown_method", "UnknownMethodError", "unknown method 'nope'"),
        ("increment", b"\xc1garbage", "bad_request", "msgspec.DecodeError", "malformed"),
        ("increment", encode("text"), "bad_request", "msgspec.ValidationError", "Expected `int`"),
        ("fail", b"", "handler_failed", "ValueError", "the handler broke"),
        ("refuse", b"", "not_now", "RequestError", "try again later"),
        ("none", b"", "handler_failed", "TypeError", "the reply of the handler for 'none'"),
        (
            "cancelled",
            b"",
            "handler_failed",
            "asyncio.exceptions.CancelledError",
            "the handler was cancelled",
        ),
    ],
)
async def test_handler_failures_come_back_as_typed_remote_errors(
    client: Client,
    method: str,
    payload: bytes,
    code: str,
    type_name: str,
    message: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(RemoteError) as caught:
        await client.call(method, payload)
    error = caught.value
    assert error.code == code
    assert error.type_name == type_name
    assert message in error.message
    assert error.method == method
    assert str(error).startswith(f"{method}: {code}: {type_name}: ")
    # The connection is unaffected.
    assert await client.call("echo", b"\x01") == b"\x01"


async def test_error_codes_compare_equal_to_their_wire_strings(client: Client) -> None:
    with pytest.raises(RemoteError) as caught:
        await client.call("nope")
    assert caught.value.code == ErrorCode.UNKNOWN_METHOD


async def test_a_hundred_concurrent_calls_on_one_connection_get_their_own_replies(
    client: Client,
) -> None:
    rng = random.Random(7)
    delays = [rng.choice([0.0, 0.001, 0.003, 0.005]) for _ in range(100)]
    completed: list[int] = []

    async def one(index: int) -> None:
        # The handler sleeps, then echoes: a wrong correlation would swap payloads.
        reply = await client.call("sleep", encode(delays[index]))
        assert decode(reply) == delays[index]
        assert decode(await client.call("increment", encode(index))) == index + 1
        completed.append(index)

    async with asyncio.timeout(10):
        await asyncio.gather(*(one(i) for i in range(100)))
    assert sorted(completed) == list(range(100))
    assert completed != list(range(100)), "replies overtook each other"


async def test_a_fast_reply_overtakes_a_slow_one(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    release = asyncio.Event()

    async def handler(method: str, payload: bytes, peer: PeerInfo) -> bytes:
        if method == "slow":
            await release.wait()
        return payload

    await make_server(handler)
    client = await make_client()
    slow = asyncio.ensure_future(client.call("slow", b"\x01"))
    assert await client.call("fast", b"\x02") == b"\x02"
    assert not slow.done()
    release.set()
    assert await slow == b"\x01"


async def test_twenty_clients_call_concurrently(server: Server, make_client: MakeClient) -> None:
    clients = await asyncio.gather(*(make_client(name=f"client {i}") for i in range(20)))
    assert len(server.connections) == server.connection_count == 20

    async def work(index: int, client: Client) -> None:
        for step in range(10):
            value = index * 100 + step
            assert decode(await client.call("increment", encode(value))) == value + 1

    async with asyncio.timeout(10):
        await asyncio.gather(*(work(i, c) for i, c in enumerate(clients)))
    names = sorted(c.client_name for c in server.connections)
    assert names == sorted(f"client {i}" for i in range(20))


async def test_a_timed_out_call_leaves_the_connection_usable(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    gate = Gate()
    await make_server(gate.handler)
    client = await make_client()
    with pytest.raises(TimeoutError):
        await client.call("gate", b"\x00", timeout=0.01)
    assert await client.call("echo", b"\x01") == b"\x01"
    gate.release.set()
    await gate.returned.wait()
    # The late reply leaves before the server reads the next call: it is read and dropped first.
    assert await client.call("echo", b"\x02") == b"\x02"


async def test_a_cancelled_call_does_not_disturb_the_others(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    gate = Gate()
    await make_server(gate.handler)
    client = await make_client()
    hanging = asyncio.ensure_future(client.call("gate"))
    await gate.entered()
    hanging.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hanging
    assert await client.call("echo", b"\x03") == b"\x03"


async def test_max_in_flight_holds_back_further_requests(make_server: MakeServer) -> None:
    running = 0
    peak = 0
    release = asyncio.Event()

    async def handler(method: str, payload: bytes, peer: PeerInfo) -> bytes:
        nonlocal running, peak
        if method == "ping":
            return payload
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1
        return payload

    server = await make_server(handler, max_in_flight=3)
    client = await _client.connect(APP_ID, "burst")
    try:
        calls = [asyncio.ensure_future(client.call("x", encode(i))) for i in range(20)]
        await wait_until(lambda: running == 3)
        # A round trip on another connection: the server has read what it was going to read.
        other = await _client.connect(APP_ID, "other")
        assert await other.call("ping", b"\x01") == b"\x01"
        await other.close()
        assert running == 3
        release.set()
        results = await asyncio.gather(*calls)
        assert [decode(r) for r in results] == list(range(20))
        assert peak == 3
    finally:
        await client.close()
    assert server.is_serving


async def test_a_request_larger_than_the_server_limit_fails_locally(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    await make_server(max_frame_size=4096)
    client = await make_client()
    with pytest.raises(FrameTooLargeError, match="request 'echo' of 5"):
        await client.call("echo", b"x" * 5000)
    assert await client.call("echo", b"x" * 4000) == b"x" * 4000


async def test_a_reply_larger_than_the_client_limit_becomes_an_error(
    server: Server, make_client: MakeClient
) -> None:
    client = await make_client(max_frame_size=2048)
    big = encode(b"y" * 1900)

    async def grow(method: str, payload: bytes, peer: PeerInfo) -> bytes:
        return payload * 2

    server._handler = grow
    with pytest.raises(RemoteError) as caught:
        await client.call("double", big)
    assert caught.value.code == ErrorCode.TOO_LARGE
    assert await client.call("double", b"ab") == b"abab"


async def test_connecting_to_nothing_is_service_not_running(
    runtime_dir: Path, make_client: MakeClient
) -> None:
    with pytest.raises(ServerNotFoundError, match=r"'org\.test\.Nobody' is not running"):
        await make_client("org.test.Nobody")
    with pytest.raises(ServerNotFoundError, match="nothing listens"):
        await make_client(runtime_dir / "missing.sock")


async def test_connecting_by_path(server: Server, make_client: MakeClient) -> None:
    by_path = await make_client(server.path)
    by_str = await make_client(str(server.path))
    assert by_path.app_id == by_str.app_id == APP_ID
    assert await by_path.call("echo", b"\x01") == b"\x01"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"target": 3}, TypeError, "target must be an app id or a socket path"),
        ({"name": None}, TypeError, "client_name must be a str"),
        ({"name": ""}, ValueError, "client_name must not be empty"),
        ({"name": "n" * 300}, ValueError, "client_name must be at most 256"),
        ({"timeout": 0}, ValueError, "timeout must be positive"),
        ({"max_frame_size": 10}, ValueError, "max_frame_size must be between 1024"),
        ({"event_buffer": 0}, ValueError, "event_buffer must be at least 1"),
        ({"target": "bad id!"}, ValueError, "may only contain"),
    ],
)
async def test_bad_connect_arguments_are_clear_errors(
    server: Server, make_client: MakeClient, kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        await make_client(**kwargs)


async def test_a_version_mismatch_is_a_clear_error_on_both_sides(
    server: Server,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(_client, "PROTOCOL_VERSION", 2)
    with pytest.raises(VersionMismatchError) as caught:
        await make_client()
    assert "server speaks protocol version 1, the client speaks version 2" in str(caught.value)
    assert caught.value.local_version == 2
    assert any(
        "refused the client" in r.getMessage() and "version 2" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )
    assert server.connections == ()
    assert server.connection_count == 0


async def test_a_server_of_another_version_is_refused_by_the_client(
    runtime_dir: Path, make_client: MakeClient
) -> None:
    async def fake_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(4)
        body = encode(["welcome", 9, APP_ID, 1 << 20])
        writer.write(len(body).to_bytes(4, "big") + body)
        await writer.drain()
        await reader.read()
        writer.close()

    path = runtime_dir / "fake.sock"
    fake = await asyncio.start_unix_server(fake_server, os.fspath(path))
    async with fake:
        with pytest.raises(VersionMismatchError, match="speaks protocol version 9") as caught:
            await make_client(path)
    assert caught.value.remote_version == 9


async def test_a_client_of_another_uid_is_refused(
    server: Server, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server._expected_uid = os.geteuid() + 1
    with pytest.raises(HandshakeError) as caught:
        await make_client()
    assert caught.value.code == ErrorCode.PERMISSION_DENIED
    assert f"uid {os.geteuid()}" in str(caught.value)
    assert any("refused a connection" in r.getMessage() for r in caplog.records)
    assert server.connections == ()


async def test_a_server_of_another_uid_is_refused_by_the_client(
    server: Server, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_uid = os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: real_uid + 1)
    with pytest.raises(HandshakeError, match=f"runs as uid {real_uid}, not as you"):
        await make_client(server.path)


async def test_a_hello_for_another_app_is_refused(server: Server, raw_peer: Any) -> None:
    peer: RawPeer = await raw_peer(server.path)
    peer.hello(app_id="org.test.Other")
    messages = await peer.expect_eof()
    assert messages == [["err", None, "wrong_app", "ProtocolError", messages[0][4]]]
    assert "serves 'org.test.Player', not 'org.test.Other'" in messages[0][4]


async def test_a_silent_client_is_dropped_after_the_handshake_timeout(
    make_server: MakeServer,
    raw_peer: Any,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = await make_server(handshake_timeout=0.3)
    silent: RawPeer = await raw_peer(server.path)
    messages = await silent.expect_eof()
    assert messages[0][2] == "protocol"
    assert "handshake timeout" in messages[0][4]
    await wait_until(lambda: not server._protocols)
    loop = asyncio.get_running_loop()
    timers: list[asyncio.TimerHandle] = []
    schedule = loop.call_later

    def recording(delay: float, callback: Any, *args: Any) -> asyncio.TimerHandle:
        handle = schedule(delay, callback, *args)
        if getattr(callback, "__name__", "") == "_handshake_expired":
            timers.append(handle)
        return handle

    monkeypatch.setattr(loop, "call_later", recording)
    client = await make_client()
    assert len(timers) == 1
    assert timers[0].cancelled(), "the timer stops at the handshake"
    assert await client.call("echo", b"\x01") == b"\x01"


async def test_a_wrong_version_hello_gets_an_error_then_the_connection_ends(
    server: Server, raw_peer: Any
) -> None:
    peer: RawPeer = await raw_peer(server.path)
    peer.hello(version=99)
    (message,) = await peer.expect_eof()
    assert message[:3] == ["err", None, "version_mismatch"]
    assert "version 99" in message[4]


async def test_server_arguments_are_validated() -> None:
    async def handler(method: str, payload: bytes, peer: PeerInfo) -> bytes:
        return b""

    with pytest.raises(TypeError, match="handler must be callable"):
        Server(APP_ID, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="on_connect must be callable"):
        Server(APP_ID, handler, on_connect=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_frame_size must be between 1024 and"):
        Server(APP_ID, handler, max_frame_size=10)
    with pytest.raises(ValueError, match="max_send_buffer must be at least 1"):
        Server(APP_ID, handler, max_send_buffer=0)
    with pytest.raises(TypeError, match="max_in_flight must be an int"):
        Server(APP_ID, handler, max_in_flight=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="handshake_timeout must be positive"):
        Server(APP_ID, handler, handshake_timeout=0)
    with pytest.raises(ValueError, match="app_id"):
        Server("no/slash", handler)


async def test_start_twice_is_an_error(server: Server) -> None:
    with pytest.raises(RuntimeError, match="only be called once"):
        await server.start()


async def test_client_close_fails_pending_calls_and_later_calls(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    gate = Gate()
    server = await make_server(gate.handler)
    client = await make_client()
    pending = asyncio.ensure_future(client.call("gate"))
    await gate.entered()
    await client.close()
    with pytest.raises(ConnectionLostError, match="gate: the client was closed"):
        await pending
    with pytest.raises(ConnectionLostError, match="the client was closed"):
        await client.call("echo")
    assert client.is_closed
    assert client.closed.done()
    await wait_until(lambda: server.connections == ())
    await client.close()  # idempotent


async def test_a_busy_server_pushes_back_on_a_flooding_client(make_server: MakeServer) -> None:
    release = asyncio.Event()

    async def handler(method: str, payload: bytes, peer: PeerInfo) -> bytes:
        await release.wait()
        return payload[:4]

    await make_server(handler, max_in_flight=1)
    client = await _client.connect(APP_ID, "flood")
    try:
        chunk = b"f" * 8192
        calls = [
            asyncio.ensure_future(client.call("x", i.to_bytes(4, "big") + chunk))
            for i in range(300)
        ]
        await wait_until(lambda: client._protocol.write_paused)
        release.set()
        async with asyncio.timeout(10):
            results = await asyncio.gather(*calls)
        assert [int.from_bytes(r, "big") for r in results] == list(range(300))
        assert not client._protocol.write_paused
    finally:
        await client.close()


async def test_start_call_sends_at_once_and_returns_the_future_of_the_reply(
    client: Client, server: Server
) -> None:
    reply = client.start_call("echo", encode("now"))
    assert isinstance(reply, asyncio.Future)  # no coroutine around it
    assert await reply == encode("now")
    assert not client._protocol.pending


async def test_start_call_leaves_the_unusual_to_call(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    await make_server(max_frame_size=4096)
    client = await make_client()
    with pytest.raises(TypeError, match="payload must be bytes"):
        await client.start_call("echo", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="method must be a str"):
        await client.start_call(b"echo")  # type: ignore[arg-type]
    with pytest.raises(FrameTooLargeError, match="request 'echo' of 5"):
        await client.start_call("echo", b"x" * 5000)
    assert await client.start_call("echo", bytearray(b"\x03")) == b"\x03"
    assert not client._protocol.pending
    await client.close()
    with pytest.raises(ConnectionLostError, match="the client was closed"):
        await client.start_call("echo")


async def test_start_call_waits_like_call_while_the_server_reads_too_slowly(
    client: Client,
) -> None:
    protocol = client._protocol
    protocol.pause_writing()
    reply = client.start_call("echo", b"\x01")
    assert not isinstance(reply, asyncio.Future)
    waiting = asyncio.ensure_future(reply)
    await asyncio.sleep(0.05)
    assert not waiting.done()
    assert not protocol.pending  # not sent yet
    protocol.resume_writing()
    assert await waiting == b"\x01"


async def test_a_reply_that_comes_after_start_call_s_caller_gave_up_is_dropped(
    make_server: MakeServer, make_client: MakeClient
) -> None:
    gate = Gate()
    await make_server(gate.handler)
    client = await make_client()
    reply = client.start_call("gate")
    await gate.entered()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await reply
    assert client._protocol.pending  # the entry waits for the reply
    gate.release.set()
    await wait_until(lambda: not client._protocol.pending)
    assert await client.call("echo", b"\x02") == b"\x02"


def _reader_protocol(loop: asyncio.AbstractEventLoop) -> _client._ClientProtocol:
    return _client._ClientProtocol(loop, "test", DEFAULT_MAX_FRAME_SIZE, 16)


def _read(protocol: _client._ClientProtocol, *messages: Any) -> None:
    """Hand ``messages`` to ``protocol`` as one read would, from a loop callback."""
    data = b"".join(encode_frame(encoder(), message) for message in messages)
    buffer = protocol.get_buffer(-1)
    buffer[: len(data)] = data
    protocol.buffer_updated(len(data))


async def _waiting_caller(
    protocol: _client._ClientProtocol, order: list[str]
) -> asyncio.Task[None]:
    future: asyncio.Future[bytes] = protocol.new_future()
    protocol.pending[1] = (future, "m")

    async def caller() -> None:
        assert await future == b"ok"
        order.append("caller")

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)  # the caller waits for its reply
    return task


@pytest.mark.parametrize("others", [0, 1])
async def test_a_reply_resumes_its_caller_in_the_read_only_when_nothing_else_is_ready(
    others: int,
) -> None:
    loop = asyncio.get_running_loop()
    protocol = _reader_protocol(loop)
    order: list[str] = []
    task = await _waiting_caller(protocol, order)

    def read() -> None:
        for _ in range(others):
            loop.call_soon(order.append, "ready before")
        _read(protocol, Reply(1, b"ok"))
        order.append("read done")

    loop.call_soon(read)
    await task
    if others:
        # What was ready first runs first, as it would have without the shortcut.
        assert order == ["read done", "ready before", "caller"]
    else:
        assert order == ["caller", "read done"]  # resumed inside the read: an iteration saved


async def test_what_frames_after_a_reply_schedule_runs_after_its_caller() -> None:
    loop = asyncio.get_running_loop()
    protocol = _reader_protocol(loop)
    order: list[str] = []
    protocol.set_sink(lambda event: loop.call_soon(order.append, f"after {event.topic}"))
    task = await _waiting_caller(protocol, order)

    def read() -> None:
        _read(protocol, Reply(1, b"ok"), Event("state", b""))
        order.append("read done")

    loop.call_soon(read)
    await task
    await asyncio.sleep(0)
    # As if the reply had been settled as its frame was read: its caller first.
    assert order == ["read done", "caller", "after state"]


async def test_a_done_callback_that_raises_is_reported_and_the_connection_lives_on(
    client: Client,
) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    try:
        reply = client.start_call("echo", b"\x01")
        assert isinstance(reply, asyncio.Future)
        reply.add_done_callback(lambda future: 1 / 0)
        await wait_until(lambda: bool(reported))
    finally:
        loop.set_exception_handler(previous)
    assert isinstance(reported[0]["exception"], ZeroDivisionError)
    assert reply.result() == b"\x01"
    assert await client.call("echo", b"\x02") == b"\x02"


async def test_sequential_calls_cost_one_loop_iteration_less_each(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    selector = loop._selector  # type: ignore[attr-defined]
    select = selector.select
    polls = 0

    def counting(timeout: float | None = None) -> Any:
        nonlocal polls
        polls += 1
        return select(timeout)

    async def polls_for_50_calls() -> int:
        nonlocal polls
        await client.call("echo")
        polls = 0
        for _ in range(50):
            await client.call("echo", b"x")
        return polls

    monkeypatch.setattr(selector, "select", counting)
    with_shortcut = await polls_for_50_calls()
    monkeypatch.setattr(client._protocol, "_ready", None)  # as on a loop not asyncio's own
    without = await polls_for_50_calls()
    # The server is in this loop too (each of its requests takes iterations of its own).
    assert with_shortcut <= without - 45
