"""A remote client's queue: edits decoded with their items left encoded until read."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import host_task
import msgspec
import pytest

from audio_service import MediaItem, MediaQueue
from audio_service._api._client import AudioServiceClient
from audio_service._api._mirror import ServiceMirror
from audio_service._connect._wire import decode_event, decode_received_event, encode_event
from audio_service._model._encoded import EncodedBlock
from audio_service._model._events import EncodedQueueChanged, QueueChanged
from audio_service._model._position import monotonic
from audio_service._model._queue import QueueOp, QueueReplace, QueueSplice, QueueUpdate, apply

APP_ID = "org.example.Enc"


def items(count: int, prefix: str = "") -> list[MediaItem]:
    return [
        MediaItem(
            id=f"{prefix}{number}",
            title=f"Track {number}",
            album=f"Album {number // 12}",
            duration=timedelta(seconds=150 + number % 90),
        )
        for number in range(count)
    ]


def received(*ops: QueueOp, length: int) -> EncodedQueueChanged:
    """What a remote client makes of ``QueueChanged(ops)`` sent by a host."""
    event = decode_received_event(encode_event(QueueChanged(ops=ops, length=length)))
    assert isinstance(event, EncodedQueueChanged)
    return event


def content(queue: Any) -> list[tuple[Any, ...]]:
    return [msgspec.structs.astuple(entry) for entry in queue]


def decoded_blocks(queue: MediaQueue) -> list[bool]:
    return [not isinstance(b, EncodedBlock) or b.decoded for b in queue._blocks]


def test_a_received_queue_reads_as_the_queue_sent_and_decodes_only_what_is_read() -> None:
    source = items(3000)
    queue = apply(received(QueueReplace(tuple(source)), length=3000).ops, MediaQueue())
    assert len(queue) == 3000
    assert decoded_blocks(queue) == [False] * 6
    assert queue[-1].id == "2999"
    assert queue[0].id == "0"
    assert decoded_blocks(queue) == [True, False, False, False, False, True]
    assert queue[700:705] == tuple(source[700:705])
    assert decoded_blocks(queue)[1]
    assert list(reversed(queue)) == source[::-1]
    assert queue == source
    assert content(queue) == content(source)
    assert queue.index_of("1234") == 1234


def test_edits_apply_to_encoded_blocks_and_to_decoded_ones_alike() -> None:
    source = items(3000)
    long_run = tuple(items(1500, "long-"))
    ops: list[QueueOp] = [
        QueueReplace(tuple(source)),
        QueueSplice(1000, 1, (MediaItem(id="new", title="New"),)),
        QueueSplice(1700, 600, long_run),
        QueueUpdate(5, MediaItem(id="5", title="Renamed")),
        QueueSplice(0, 3, ()),
    ]
    expected = apply(ops, MediaQueue())
    queue = apply(received(*ops, length=len(expected)).ops, MediaQueue())
    # The long run stayed encoded: nothing read it yet.
    assert decoded_blocks(queue).count(False) >= 3
    assert content(queue) == content(expected)
    # Edits on top of a received queue, as the mirror's next events make them.
    more: list[QueueOp] = [QueueSplice(2500, 0, tuple(items(800, "more-"))), QueueSplice(10, 2)]
    assert content(apply(received(*more, length=0).ops, queue)) == content(apply(more, expected))


def test_the_full_decoder_still_gives_every_item() -> None:
    source = tuple(items(1500))
    event = decode_event(encode_event(QueueChanged(ops=(QueueReplace(source),), length=1500)))
    assert isinstance(event, QueueChanged)
    assert isinstance(event.ops[0], QueueReplace)
    assert content(event.ops[0].items) == content(source)


def unreadable_event(count: int) -> bytes:
    """A queue event whose items lack a title, as a future version might send them."""
    ops = [["splice", 0, 0, [{"id": f"x{n}"} for n in range(count)]]]
    return msgspec.msgpack.encode({"type": "queue", "ops": ops, "length": count})


def test_unreadable_items_are_a_clear_error_when_read() -> None:
    event = decode_received_event(unreadable_event(2000))
    queue = apply(event.ops, MediaQueue())  # a long run waits to be read
    assert len(queue) == 2000
    with pytest.raises(ValueError, match=r"queue items this client cannot read.*title"):
        queue[0]


def test_a_mirror_ignores_a_short_unreadable_edit(caplog: pytest.LogCaptureFixture) -> None:
    mirror = ServiceMirror(monotonic)
    caplog.set_level(logging.ERROR, "audio_service")
    assert mirror.apply(decode_received_event(unreadable_event(3)))
    assert len(mirror.queue) == 0
    assert "unreadable queue edit" in caplog.text


def test_received_items_stay_valid_when_the_message_buffer_is_reused() -> None:
    source = items(2000)
    buffer = bytearray(encode_event(QueueChanged(ops=(QueueReplace(tuple(source)),), length=2000)))
    event = decode_received_event(memoryview(buffer))
    buffer[:] = bytes(len(buffer))
    assert content(apply(event.ops, MediaQueue())) == content(source)


async def test_host_queue_reads_as_sent(
    client: AudioServiceClient,
) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    assert await client.custom_action("big_queue", 5000) == 5000
    queue = client.queue
    assert len(queue) == 5000
    assert not any(decoded_blocks(queue))
    assert queue[2600].id == "item-2600"
    assert decoded_blocks(queue).count(True) == 1
    assert content(queue) == content(host_task.big_queue(5000))

    # Appended runs long enough to stay encoded, then a short edit through a request.
    assert await client.custom_action("edits", [2, 700]) == 6400
    await client.add_queue_item(MediaItem(id="extra", title="Extra"))
    queue = await client.queue_stream.first(lambda q: len(q) == 6401)
    expected = [item.id for item in host_task.big_queue(5000)]
    expected += [f"edit-{number}-{i}" for number in range(2) for i in range(700)] + ["extra"]
    assert [item.id for item in queue] == expected


@pytest.mark.parametrize("count", [1, 512, 513, 1000, 3000])
def test_a_received_queue_is_cut_into_the_blocks_a_local_one_has(count: int) -> None:
    # A client decodes a block whole when one of its items is first read, and an insert
    # copies the block it lands in: a received 1000-item queue must not be one block.
    source = items(count)
    remote = apply(received(QueueReplace(tuple(source)), length=count).ops, MediaQueue())
    local = MediaQueue(source)
    assert [len(b) for b in remote._blocks] == [len(b) for b in local._blocks]
    assert max(len(b) for b in remote._blocks) <= 512
