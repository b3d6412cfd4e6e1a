"""Throw malformed input at a live server: it must answer or drop only that
connection, never crash or hang, and a well-behaved client must keep working."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ipc_support import RawPeer

from audio_service._connect._ipc import Client, Server
from audio_service._connect._ipc._protocol import client_decoder
from audio_session.testing import wait_until

_FUZZ_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

_SENTINEL_ID = -1
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(),
    st.text(max_size=8),
    st.binary(max_size=16),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
_tags = st.sampled_from(["req", "rep", "err", "evt", "hello", "welcome", "zzz", "", 1, None])
_methods = st.sampled_from(["echo", "increment", "nope", "fail", "refuse", "none", "peer", ""])


def _encode(value: Any) -> bytes:
    return msgspec.msgpack.encode(value)


# Bodies that are complete frames: each must get exactly one answer.
_bodies = st.one_of(
    st.binary(max_size=64),
    _values.map(_encode),
    st.tuples(_tags, st.lists(_values, max_size=5)).map(lambda t: _encode([t[0], *t[1]])),
    # A valid envelope around a garbage payload.
    st.tuples(st.integers(min_value=0, max_value=2**63), _methods, st.binary(max_size=32)).map(
        lambda t: _encode(["req", t[0], t[1], t[2]])
    ),
    # A valid request with trailing bytes after the envelope.
    st.binary(min_size=1, max_size=8).map(lambda junk: _encode(["req", 5, "echo", b""]) + junk),
)


def _frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


async def _open(server: Server, handshake: bool) -> RawPeer:
    peer = await RawPeer.open(server.path)
    if handshake:
        await peer.handshake()
    return peer


async def _check_the_good_client(client: Client, server: Server, marker: int) -> None:
    payload = msgspec.msgpack.encode(marker)
    assert await client.call("echo", payload, timeout=2) == payload
    assert server.is_serving


@_FUZZ_SETTINGS
@given(bodies=st.lists(_bodies, min_size=1, max_size=6), split=st.integers(0, 40))
async def test_malformed_frames_get_error_replies_and_the_connection_survives(
    server: Server, client: Client, bodies: list[bytes], split: int
) -> None:
    async with asyncio.timeout(5):
        peer = await _open(server, handshake=True)
        try:
            stream = b"".join(_frame(body) for body in bodies)
            stream += _frame(_encode(["req", _SENTINEL_ID, "echo", b"sentinel"]))
            # Arbitrary chunking must not matter.
            peer.send_raw(stream[:split])
            await peer.writer.drain()
            peer.send_raw(stream[split:])
            answers = [await peer.receive() for _ in range(len(bodies) + 1)]
            decoder = client_decoder()
            for answer in answers:
                assert answer[0] in ("rep", "err"), answer
                decoder.decode(_encode(answer))  # a well-formed message
            assert ["rep", _SENTINEL_ID, b"sentinel"] in answers
        finally:
            await peer.close()
        await _check_the_good_client(client, server, len(bodies))
        await wait_until(lambda: len(server._protocols) == 1)
        assert len(server.connections) == 1


_desynchronising = st.one_of(
    # Random bytes, framed or not, before or after the handshake.
    st.binary(max_size=128),
    # A truncated frame, then the peer goes away.
    st.tuples(st.integers(1, 5000), st.binary(max_size=64)).map(
        lambda t: struct.pack(">I", t[0] + len(t[1])) + t[1]
    ),
    # A length prefix beyond the limit.
    st.integers(min_value=16 * 1024 * 1024 + 1, max_value=2**32 - 1).map(
        lambda size: struct.pack(">I", size) + b"\x00" * 8
    ),
    # A first frame that is not a hello.
    _bodies.map(_frame),
)


@_FUZZ_SETTINGS
@given(data=_desynchronising, handshake=st.booleans(), linger=st.booleans())
async def test_garbage_streams_only_ever_cost_their_own_connection(
    server: Server, client: Client, data: bytes, handshake: bool, linger: bool
) -> None:
    async with asyncio.timeout(5):
        peer = await _open(server, handshake)
        try:
            peer.send_raw(data)
            await peer.writer.drain()
            if linger:
                # Whatever the server says must be a well-formed message, then maybe EOF.
                try:
                    answer = await peer.receive(timeout=0.05)
                except (EOFError, TimeoutError):
                    pass
                else:
                    assert answer[0] in ("err", "rep"), answer
        finally:
            await peer.close()
        await _check_the_good_client(client, server, len(data))
        await wait_until(lambda: len(server._protocols) == 1)
        assert [c.client_name for c in server.connections] == ["test client"]


async def test_a_huge_length_prefix_gets_an_error_then_only_that_connection_closes(
    server: Server, client: Client
) -> None:
    peer = await _open(server, handshake=True)
    try:
        peer.send_raw(struct.pack(">I", 2**32 - 1))
        messages = await peer.expect_eof()
    finally:
        await peer.close()
    assert len(messages) == 1
    assert messages[0][:3] == ["err", None, "too_large"]
    assert "4294967295 bytes exceeds the frame limit" in messages[0][4]
    await _check_the_good_client(client, server, 1)


async def test_an_undecodable_frame_gets_a_protocol_error_without_an_id(
    server: Server, client: Client
) -> None:
    peer = await _open(server, handshake=True)
    try:
        peer.send_body(b"\xc1\xc1")
        peer.send(["req", 9, 123, b""])  # a request id can still be salvaged
        peer.send(["evt", "topic", b""])  # a server-only message
        answers = [await peer.receive() for _ in range(3)]
        peer.send(["req", 10, "echo", b"\x01"])
        assert await peer.receive() == ["rep", 10, b"\x01"]
    finally:
        await peer.close()
    assert answers[0][:3] == ["err", None, "protocol"]
    assert answers[1][:3] == ["err", 9, "protocol"]
    assert "Expected `str`" in answers[1][4]
    assert answers[2][:3] == ["err", None, "protocol"]
    assert "may not send 'event'" in answers[2][4]
    await _check_the_good_client(client, server, 2)
