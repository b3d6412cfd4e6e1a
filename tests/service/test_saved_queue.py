"""The session store's queue: a row per block, written only where the queue changed; large pages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from audio_service import BackgroundAudioTask, MediaItem, MediaQueue
from audio_service._model._events import QueueChanged, ServiceSnapshot, StateChanged
from audio_service._model._models import PlaybackState, ServiceConfig
from audio_service._model._queue import QueueSplice, queue_blocks
from audio_service._service._core import ServiceCore
from audio_service._service._persistence import SessionStore
from audio_service._service._saved_queue import (
    BLOCKS_KEY,
    QueuePlan,
    QueueRows,
    block_key,
    read_queue,
)
from service_support import item


def items(count: int, prefix: str = "") -> list[MediaItem]:
    return [item(f"{prefix}{number}", album="Saved") for number in range(count)]


def _written(rows: dict[str, bytes], plan: QueuePlan) -> dict[str, bytes]:
    """``rows`` after ``plan`` was written, as the store writes it."""
    if plan.reset:
        rows = {k: v for k, v in rows.items() if k != "queue" and not k.startswith("queue.block.")}
    rows = {k: v for k, v in rows.items() if k not in plan.drop}
    return {**rows, **dict(plan.rows)}


@pytest.mark.parametrize("count", [0, 1, 15, 16, 600, 70_000])
def test_a_queue_saved_as_rows_reads_back_as_that_queue(count: int) -> None:
    queue = MediaQueue(items(count))
    plan = QueueRows().plan(queue)
    assert plan.reset
    rows = _written({}, plan)
    assert read_queue(rows) == tuple(queue)
    # Each block row is its items' msgpack without the array header: readable alone.
    for block in queue_blocks(queue)[:1]:
        header = len(msgspec.msgpack.encode(block)) - len(rows[block_key(0)])
        assert msgspec.msgpack.encode(block)[header:] == rows[block_key(0)]


def test_an_edited_queue_writes_only_the_blocks_it_does_not_share() -> None:
    planner = QueueRows()
    first = MediaQueue(items(3000))
    rows = _written({}, planner.plan(first))
    edited = first.splice(1500, 1, [item("new")]).update(10, item("0", title="Renamed"))
    plan = planner.plan(edited)
    assert not plan.reset
    assert [key for key, _ in plan.rows] == [block_key(6), block_key(7), BLOCKS_KEY]
    assert len(plan.drop) == 2  # the two blocks the edits replaced
    rows = _written(rows, plan)
    assert read_queue(rows) == tuple(edited)
    assert len([k for k in rows if k.startswith("queue.block.")]) == len(queue_blocks(edited))
    # A queue of other blocks, then the first one again: nothing stale comes back.
    rows = _written(rows, planner.plan(MediaQueue(items(5))))
    assert read_queue(rows) == tuple(items(5))
    rows = _written(rows, planner.plan(first))
    assert read_queue(rows) == tuple(first)
    assert len([k for k in rows if k.startswith("queue.block.")]) == len(queue_blocks(first))


def test_after_a_failed_write_the_next_plan_writes_everything_again() -> None:
    planner = QueueRows()
    queue = MediaQueue(items(2000))
    rows = _written({}, planner.plan(queue))
    lost = planner.plan(queue.splice(0, 0, [item("lost")]))  # never written
    assert not lost.reset
    planner.forget()
    again = queue.splice(0, 0, [item("again")])
    plan = planner.plan(again)
    assert plan.reset
    assert len(plan.rows) == len(queue_blocks(again)) + 1
    assert read_queue(_written(rows, plan)) == tuple(again)


def test_a_missing_block_makes_the_saved_queue_unreadable() -> None:
    rows = _written({}, QueueRows().plan(MediaQueue(items(1200))))
    del rows[block_key(1)]
    with pytest.raises(msgspec.DecodeError, match="block 1 is missing"):
        read_queue(rows)


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


def _snapshot() -> ServiceSnapshot:
    return ServiceSnapshot(
        running=True, config=ServiceConfig(), state=PlaybackState(), media_item=None
    )


def _keys(store: SessionStore) -> list[str]:
    with store._db_lock:
        rows = store._connection().execute("SELECT key FROM session ORDER BY key").fetchall()
    return [key for (key,) in rows]


async def test_a_file_with_the_whole_queue_in_one_row_is_read_and_then_replaced(
    tmp_path: Path,
) -> None:
    # As files were written before the queue was saved by blocks.
    path = tmp_path / "session.sqlite3"
    source = items(1500)
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE session (key TEXT PRIMARY KEY, value BLOB)")
    old.execute("INSERT INTO session VALUES ('queue', ?)", (msgspec.msgpack.encode(source),))
    old.commit()
    old.close()
    store = SessionStore(path, delay=0)
    saved = store.load()
    assert saved is not None
    assert list(saved.queue) == source
    store.observe(_snapshot())
    store.observe(QueueChanged(ops=(QueueSplice(0, 0, tuple(source)),), length=1500))
    store.observe(QueueChanged(ops=(QueueSplice(3, 0, (item("x"),)),), length=1501))
    await store.flush()
    assert "queue" not in _keys(store)
    assert BLOCKS_KEY in _keys(store)
    saved = store.load()
    assert saved is not None
    assert [entry.id for entry in saved.queue] == [
        e.id for e in [*source[:3], item("x"), *source[3:]]
    ]
    await store.close()


async def test_a_save_that_failed_is_made_whole_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = SessionStore(tmp_path / "session.sqlite3", delay=0)
    store.observe(_snapshot())
    source = items(2000)
    store.observe(QueueChanged(ops=(QueueSplice(0, 0, tuple(source)),), length=2000))
    await store.flush()
    connect = store._connection
    failing = [True]

    def flaky() -> sqlite3.Connection:
        if failing.pop(0) if failing else False:
            raise sqlite3.OperationalError("disk I/O error")
        return connect()

    monkeypatch.setattr(store, "_connection", flaky)
    store.observe(QueueChanged(ops=(QueueSplice(1000, 0, (item("a"),)),), length=2001))
    await store.flush()
    assert "cannot save the session" in caplog.text
    store.observe(QueueChanged(ops=(QueueSplice(0, 0, (item("b"),)),), length=2002))
    await store.flush()
    saved = store.load()
    assert saved is not None
    expected = [item("b"), *source[:1000], item("a"), *source[1000:]]
    assert [entry.id for entry in saved.queue] == [entry.id for entry in expected]
    blocks = [key for key in _keys(store) if key.startswith("queue.block.")]
    assert len(blocks) == len(queue_blocks(store._queue))  # nothing left over
    await store.close()


async def test_a_saved_queue_missing_a_block_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SessionStore(tmp_path / "session.sqlite3", delay=0)
    store.observe(_snapshot())
    store.observe(QueueChanged(ops=(QueueSplice(0, 0, tuple(items(1200))),), length=1200))
    await store.flush()
    with store._db_lock:
        store._connection().execute("DELETE FROM session WHERE key = ?", (block_key(1),))
    assert store.load() is None
    assert "unreadable saved session" in caplog.text
    await store.close()
