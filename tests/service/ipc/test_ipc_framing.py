"""Frames, wire messages and peer credentials, without sockets where possible."""

from __future__ import annotations

import itertools
import os
import socket
import struct
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio_service._connect._ipc import FrameTooLargeError
from audio_service._connect._ipc._framing import FrameReader, check_max_frame_size, encode_frame
from audio_service._connect._ipc._peer import check_peer_uid, peer_credentials
from audio_service._connect._ipc._protocol import (
    Error,
    Event,
    Hello,
    Reply,
    Request,
    Welcome,
    as_payload,
    client_decoder,
    server_decoder,
)


def _frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def _collect(reader: FrameReader, *chunks: bytes) -> list[bytes]:
    frames: list[bytes] = []
    for chunk in chunks:
        reader.feed(chunk, lambda body: frames.append(bytes(body)))
    return frames


def test_frames_split_byte_by_byte_are_reassembled() -> None:
    stream = _frame(b"first") + _frame(b"") + _frame(b"third frame")
    reader = FrameReader(1024)
    assert _collect(reader, *(stream[i : i + 1] for i in range(len(stream)))) == [
        b"first",
        b"",
        b"third frame",
    ]
    assert reader.buffered == 0


def test_many_frames_in_one_chunk_and_a_partial_tail() -> None:
    reader = FrameReader(1024)
    frames = _collect(reader, _frame(b"a") + _frame(b"bb") + _frame(b"ccc")[:5])
    assert frames == [b"a", b"bb"]
    assert reader.buffered == 5
    assert _collect(reader, b"cc") == [b"ccc"]


@given(
    bodies=st.lists(st.binary(max_size=300), max_size=20),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30),
)
def test_any_chunking_yields_the_same_frames(bodies: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(_frame(body) for body in bodies)
    points = sorted({cut % (len(stream) + 1) for cut in cuts} | {0, len(stream)})
    chunks = [stream[a:b] for a, b in itertools.pairwise(points)]
    reader = FrameReader(1024)
    assert _collect(reader, *chunks) == bodies
    assert reader.buffered == 0


def test_an_oversized_length_prefix_is_rejected_before_any_allocation() -> None:
    reader = FrameReader(1024)
    assert _collect(reader, _frame(b"x" * 1024)) == [b"x" * 1024]
    with pytest.raises(FrameTooLargeError, match="4294967295 bytes exceeds the frame limit"):
        _collect(reader, struct.pack(">I", 2**32 - 1))
    # Only the four prefix bytes were ever held.
    assert reader.buffered <= 4


def test_an_oversized_prefix_behind_a_partial_frame_is_rejected_too() -> None:
    reader = FrameReader(1024)
    _collect(reader, b"\x00\x00")
    with pytest.raises(FrameTooLargeError) as caught:
        _collect(reader, b"\x04\x01")
    assert caught.value.size == 1025
    assert caught.value.limit == 1024


def test_the_callback_can_stop_the_reader_and_resume_later() -> None:
    reader = FrameReader(1024)
    seen: list[bytes] = []

    def take_one(body: Any) -> bool:
        seen.append(bytes(body))
        return True

    reader.feed(_frame(b"1") + _frame(b"2") + _frame(b"3"), take_one)
    assert seen == [b"1"]
    reader.feed(b"", take_one)
    reader.feed(b"", take_one)
    assert seen == [b"1", b"2", b"3"]
    assert reader.buffered == 0


def _read(reader: FrameReader, data: bytes, frames: list[bytes]) -> memoryview:
    """What a BufferedProtocol's transport does: read into get_buffer(), report the count."""
    space = reader.get_buffer()
    assert len(space) >= len(data)
    space[: len(data)] = data
    reader.received(len(data), lambda body: frames.append(bytes(body)))
    return space


def test_reads_reuse_one_buffer() -> None:
    reader = FrameReader(1 << 20, read_size=1024)
    frames: list[bytes] = []
    first = _read(reader, _frame(b"one") + _frame(b"two")[:3], frames)
    second = _read(reader, _frame(b"two")[3:], frames)
    third = _read(reader, _frame(b"three"), frames)
    assert frames == [b"one", b"two", b"three"]
    assert first.obj is second.obj is third.obj
    assert reader.buffered == 0


def test_a_large_frame_gets_room_for_all_of_it_and_gives_it_back() -> None:
    reader = FrameReader(1 << 20, read_size=1024)
    body = bytes(range(256)) * 400
    frames: list[bytes] = []
    small = _read(reader, _frame(body)[:100], frames)
    # The prefix is known: the next read can take the rest of the frame at once.
    rest = reader.get_buffer()
    assert len(rest) >= len(body) + 4 - 100
    rest[: len(body) + 4 - 100] = _frame(body)[100:]
    reader.received(len(body) + 4 - 100, lambda view: frames.append(bytes(view)))
    assert frames == [body]
    after = reader.get_buffer()
    assert len(after.obj) == 1024  # type: ignore[arg-type]
    assert after.obj is not rest.obj
    assert small.obj is not rest.obj


def test_an_empty_reader_hands_out_the_same_view_of_its_own_buffer() -> None:
    reader = FrameReader(1 << 20, read_size=1024)
    frames: list[bytes] = []
    first = _read(reader, _frame(b"one"), frames)
    assert reader.get_buffer() is first  # nothing held: all of the buffer, the same view
    partial = _read(reader, _frame(b"two")[:3], frames)
    assert partial is first
    rest = reader.get_buffer()  # a frame is held: the space after it
    assert rest is not first
    assert len(rest) == 1024 - 3
    _read(reader, _frame(b"two")[3:], frames)
    big = bytes(2000)
    _read(reader, _frame(big)[:10], frames)
    grown = reader.get_buffer()
    assert len(grown.obj) > 1024  # type: ignore[arg-type]
    grown[: len(big) + 4 - 10] = _frame(big)[10:]
    reader.received(len(big) + 4 - 10, lambda body: frames.append(bytes(body)))
    again = reader.get_buffer()  # back to a buffer of its own size, reused from now on
    assert len(again) == 1024
    assert reader.get_buffer() is again
    assert frames == [b"one", b"two", big]


def test_a_partial_frame_is_moved_to_the_front_when_the_end_is_full() -> None:
    reader = FrameReader(1 << 20, read_size=64)
    frames: list[bytes] = []
    stream = b"".join(_frame(bytes([n]) * 10) for n in range(20))
    position = 0
    buffers = set()
    while position < len(stream):
        space = reader.get_buffer()
        buffers.add(id(space.obj))
        taken = min(len(space), 9, len(stream) - position)
        space[:taken] = stream[position : position + taken]
        position += taken
        reader.received(taken, lambda body: frames.append(bytes(body)))
    assert frames == [bytes([n]) * 10 for n in range(20)]
    assert len(buffers) == 1


def test_resuming_from_inside_the_callback_hands_over_each_frame_once() -> None:
    reader = FrameReader(1024)
    seen: list[bytes] = []

    def on_frame(body: Any) -> bool:
        seen.append(bytes(body))
        reader.resume(on_frame)  # as a request settled synchronously resumes a paused server
        return False

    reader.feed(_frame(b"1") + _frame(b"2") + _frame(b"3"), on_frame)
    assert seen == [b"1", b"2", b"3"]


@pytest.mark.parametrize("limit", [0, -1, 2**32, True, 1.5])
def test_an_invalid_frame_limit_is_refused(limit: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="max_frame_size"):
        check_max_frame_size(limit)


@pytest.mark.parametrize(
    "message",
    [
        Hello(1, "org.x", "cli", 1 << 20),
        Welcome(1, "org.x", 1 << 20),
        Request(7, "play", b"\x90"),
        Reply(7, b"\xc0"),
        Error(None, "protocol", "ProtocolError", "bad"),
        Error(3, "handler_failed", "ValueError", "boom"),
        Event("playback_state", b"\x81\xa1a\x01"),
    ],
)
def test_wire_messages_round_trip_through_frames(message: Any) -> None:
    frame = bytes(encode_frame(msgspec.msgpack.Encoder(), message))
    assert struct.unpack(">I", frame[:4])[0] == len(frame) - 4
    decoder = client_decoder() if isinstance(message, Reply | Event | Welcome) else server_decoder()
    assert decoder.decode(frame[4:]) == message


def test_messages_are_arrays_tagged_first_so_any_version_can_read_them() -> None:
    body = bytes(encode_frame(msgspec.msgpack.Encoder(), Hello(1, "org.x", "cli", 2048)))[4:]
    assert msgspec.msgpack.decode(body) == ["hello", 1, "org.x", "cli", 2048]
    # A later version may append fields.
    longer = msgspec.msgpack.encode(["req", 1, "m", b"", "future field"])
    assert server_decoder().decode(longer) == Request(1, "m", b"")


@pytest.mark.parametrize(
    "payload", [b"ab", bytearray(b"ab"), memoryview(b"ab"), msgspec.Raw(b"ab")]
)
def test_every_payload_kind_is_sent_as_the_same_bin(payload: Any) -> None:
    frame = encode_frame(msgspec.msgpack.Encoder(), Reply(1, as_payload(payload)))
    assert client_decoder().decode(bytes(frame)[4:]) == Reply(1, b"ab")


@pytest.mark.parametrize("payload", ["text", 3, None, [b"a"]])
def test_a_payload_of_another_type_is_a_type_error(payload: Any) -> None:
    with pytest.raises(TypeError, match="payload must be bytes"):
        as_payload(payload)


def test_peer_credentials_come_from_the_kernel() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        credentials = peer_credentials(left)
    assert (credentials.pid, credentials.uid, credentials.gid) == (
        os.getpid(),
        os.geteuid(),
        os.getegid(),
    )


def test_the_uid_check_accepts_only_the_same_user() -> None:
    assert check_peer_uid(1000, 1000) is None
    reason = check_peer_uid(1001, 1000)
    assert reason is not None
    assert "uid 1001" in reason
    assert "uid 1000" in reason
    assert check_peer_uid(0, 1000) is not None, "not even root"
