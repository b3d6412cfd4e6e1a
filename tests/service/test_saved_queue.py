"""The session store's queue: bytes re-encoded only where the queue changed, large pages."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from audio_service import BackgroundAudioTask, MediaItem, MediaQueue
from audio_service._model._events import QueueChanged, ServiceSnapshot, StateChanged
from audio_service._model._models import PlaybackState, ServiceConfig
from audio_service._model._queue import QueueSplice, queue_blocks
from audio_service._service._core import ServiceCore
from audio_service._service._persistence import SessionStore
from audio_service._service._saved_queue import QueueEncoder
from service_support import item


def items(count: int, prefix: str = "") -> list[MediaItem]:
    return [item(f"{prefix}{number}", album="Saved") for number in range(count)]


@pytest.mark.parametrize("count", [0, 1, 15, 16, 600, 70_000])
def test_a_queue_encodes_as_msgpack_of_its_items(count: int) -> None:
    queue = MediaQueue(items(count))
    data = QueueEncoder().encode(queue)
    assert data == msgspec.msgpack.encode(tuple(queue))
    assert msgspec.msgpack.decode(data, type=tuple[MediaItem, ...]) == tuple(queue)


def test_an_edited_queue_reuses_the_bytes_of_the_blocks_it_shares() -> None:
    encoder = QueueEncoder()
    first = MediaQueue(items(3000))
    encoder.encode(first)
    before = {id(block): data for block, data in encoder._last.values()}
    edited = first.splice(1500, 1, [item("new")]).update(10, item("0", title="Renamed"))
    assert encoder.encode(edited) == msgspec.msgpack.encode(tuple(edited))
    reused = [
        block
        for block, data in encoder._last.values()
        if id(block) in before and before[id(block)] is data
    ]
    assert len(reused) == len(queue_blocks(edited)) - 2  # all but the two edited blocks
    # A queue of other blocks, then the first one again: nothing stale comes back.
    assert encoder.encode(MediaQueue(items(5))) == msgspec.msgpack.encode(tuple(items(5)))
    assert encoder.encode(first) == msgspec.msgpack.encode(tuple(first))


async def test_the_store_saves_the_edited_queue_in_large_pages(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite3"
    store = SessionStore(path, delay=0)
    source = items(2000)
    store.observe(
        ServiceSnapshot(
            running=True,
            config=ServiceConfig(),
            state=PlaybackState(),
            media_item=None,
        )
    )
    store.observe(QueueChanged(ops=(QueueSplice(0, 0, tuple(source)),), length=2000))
    await store.flush()
    store.observe(QueueChanged(ops=(QueueSplice(1000, 0, (item("x"),)),), length=2001))
    await store.flush()
    saved = store.load()
    assert saved is not None
    assert [entry.id for entry in saved.queue] == [
        entry.id for entry in [*source[:1000], item("x"), *source[1000:]]
    ]
    with store._db_lock:
        assert store._connection().execute("PRAGMA page_size").fetchone() == (65536,)
    await store.close()


async def test_changes_while_a_save_is_armed_go_with_it(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "session.sqlite3", delay=60.0)
    store.observe(
        ServiceSnapshot(
            running=True, config=ServiceConfig(), state=PlaybackState(), media_item=None
        )
    )
    store.observe(StateChanged(state=PlaybackState(speed=1.5)))
    timer = store._timer
    assert timer is not None
    store.observe(StateChanged(state=PlaybackState(speed=2.0)))
    assert store._timer is timer  # one save for both
    await store.flush()
    saved = store.load()
    assert saved is not None
    assert saved.speed == 2.0
    await store.close()


async def test_a_store_following_a_core_saves_the_cores_queue_after_each_edit(
    tmp_path: Path,
) -> None:
    # The core applied the edit already: the store takes that queue instead of a copy of its own.
    core = ServiceCore(BackgroundAudioTask(), ServiceConfig(app_id="org.example.Saved"))
    store = SessionStore(tmp_path / "session.sqlite3", delay=60.0)
    store.attach(core, close_when_stopped=False)
    await core.start()
    try:
        core.set_queue(items(1500))
        core.splice_queue(700, 1, [item("x")])
        assert store._queue is core.queue
        await store.flush()
        saved = store.load()
        assert saved is not None
        assert list(saved.queue) == list(core.queue)
        edited = core.queue
    finally:
        await core.shutdown()
    assert len(core.queue) == 0
    assert store._queue is edited  # the last real queue, not the stopped core's empty one
    await store.close()
