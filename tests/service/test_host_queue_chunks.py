"""Large queue edits travel in bounded chunks that a mirror applies to the same result."""

from __future__ import annotations

from pathlib import Path

import host_task
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_service import MediaItem
from audio_service._api._client import AudioServiceClient
from audio_service._connect._host import SNAPSHOT_CHUNK, chunk_queue_event
from audio_service._connect._remote import HostLauncher
from audio_service._connect._wire import encode_event
from audio_service._model._events import QueueChanged
from audio_service._model._queue import (
    MediaQueue,
    QueueOp,
    QueueReplace,
    QueueSplice,
    QueueUpdate,
    apply,
)

ITEMS = [MediaItem(id=f"i{n}", title=str(n)) for n in range(3 * SNAPSHOT_CHUNK + 7)]


@st.composite
def edits(draw: st.DrawFn) -> tuple[MediaQueue, tuple[QueueOp, ...]]:
    queue = MediaQueue(ITEMS[: draw(st.integers(0, len(ITEMS)))])
    ops: list[QueueOp] = []
    length = len(queue)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "splice", "update"]))
        count = draw(st.sampled_from([0, 1, SNAPSHOT_CHUNK, SNAPSHOT_CHUNK + 1, len(ITEMS)]))
        items = tuple(ITEMS[:count])
        if kind == "replace":
            ops.append(QueueReplace(items=items))
            length = count
        elif kind == "splice":
            index = draw(st.integers(0, length))
            delete = draw(st.integers(0, length - index))
            ops.append(QueueSplice(index=index, delete_count=delete, items=items))
            length += count - delete
        elif length:
            ops.append(QueueUpdate(index=draw(st.integers(0, length - 1)), item=ITEMS[0]))
    return queue, tuple(ops)


@settings(max_examples=60, deadline=None)
@given(edits())
def test_chunks_apply_to_the_same_queue_with_correct_running_lengths(
    case: tuple[MediaQueue, tuple[QueueOp, ...]],
) -> None:
    queue, ops = case
    expected = apply(ops, queue)
    event = QueueChanged(ops=ops, length=len(expected))
    mirror = queue
    for part in chunk_queue_event(event, len(queue)):
        mirror = apply(part.ops, mirror)
        assert len(mirror) == part.length
        assert sum(len(getattr(op, "items", ())) for op in part.ops) <= SNAPSHOT_CHUNK
    assert list(mirror) == list(expected)


async def test_a_100k_queue_reaches_connected_and_new_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    first = AudioServiceClient()
    first.host_launcher = HostLauncher()
    assert await first.start(host_task.entrypoint, app_id="org.example.BigQueue")
    late = AudioServiceClient()
    late.host_launcher = HostLauncher()
    try:
        assert await first.custom_action("big_queue", 100_000) == 100_000
        await first.queue_stream.first(lambda queue: len(queue) == 100_000)
        assert first.queue[99_999].id == "item-99999"

        await late.connect("org.example.BigQueue")
        assert len(late.queue) == 100_000, "a new client is in sync when connect() returns"
        assert list(late.queue) == list(first.queue)

        insert = MediaItem(id="inserted", title="Inserted")
        await first.add_queue_item(insert)
        await late.queue_stream.first(lambda queue: len(queue) == 100_001)
        assert late.queue[100_000].id == "inserted"
        assert (
            len(encode_event(QueueChanged(ops=(QueueSplice(index=0, items=(insert,)),), length=1)))
            < 1024
        )
    finally:
        await late.disconnect()
        await first.stop()
        await first.disconnect()
