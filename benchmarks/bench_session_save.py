"""The session store's save after one edit of a long queue, against writing the queue whole.

Run with ``python -m benchmarks.bench_session_save`` (or ``python -m benchmarks session_save``).

A user adds songs one at a time to a 100 000-item queue; half a second after each
insert the host's session store saves the session (in its worker thread, off the
event loop). Measured, in interleaved rounds, per insert:

* **baseline**: what a save did before the queue was stored by blocks, and what a
  store that keeps the queue as one value does: encode the whole queue
  (``msgspec.msgpack.encode``) and write it as one row, in the same SQLite setup
  (64 KiB pages, WAL, ``synchronous=NORMAL``);
* **subject**: ``SessionStore.flush()`` after the insert, which encodes and writes
  only the block the insert changed and the list of blocks.

Wall time and the bytes appended to the write-ahead log. Target: a save at most
0.1x the baseline's time (the point of saving by blocks).
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from audio_service._model._events import QueueChanged, ServiceSnapshot
from audio_service._model._models import PlaybackState, ServiceConfig
from audio_service._model._queue import MediaQueue, QueueSplice
from audio_service._service._persistence import SessionStore
from benchmarks.service_support import music_items

SIZE = 100_000
ROUNDS = 40


def _whole_value_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA page_size=65536")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE session (key TEXT PRIMARY KEY, value BLOB)")
    return db


def _wal_size(database: Path) -> int:
    wal = database.with_name(database.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-session-save-") as directory:
        ours_path = Path(directory, "ours.sqlite3")
        whole_path = Path(directory, "whole.sqlite3")
        store = SessionStore(ours_path, delay=0)
        store.observe(
            ServiceSnapshot(
                running=True, config=ServiceConfig(), state=PlaybackState(), media_item=None
            )
        )
        source = music_items("q", SIZE)
        store.observe(QueueChanged(ops=(QueueSplice(0, 0, tuple(source)),), length=SIZE))
        await store.flush()
        whole = _whole_value_db(whole_path)
        queue = MediaQueue(source)
        ours_times: list[float] = []
        whole_times: list[float] = []
        ours_bytes: list[int] = []
        whole_bytes: list[int] = []
        length = SIZE
        for number, new in enumerate(music_items("added", ROUNDS)):
            index = length // 2
            queue = queue.splice(index, 0, [new])
            before = _wal_size(whole_path)
            start = time.perf_counter()
            whole.execute(
                "INSERT OR REPLACE INTO session VALUES ('queue', ?)",
                (msgspec.msgpack.encode(tuple(queue)),),
            )
            whole_times.append(time.perf_counter() - start)
            whole_bytes.append(_wal_size(whole_path) - before)
            length += 1
            store.observe(QueueChanged(ops=(QueueSplice(index, 0, (new,)),), length=length))
            before = _wal_size(ours_path)
            start = time.perf_counter()
            await store.flush()
            ours_times.append(time.perf_counter() - start)
            ours_bytes.append(_wal_size(ours_path) - before)
            if number % 5 == 4:
                # Before SQLite's own checkpoint (1000 pages) reuses the log and hides its growth.
                whole.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        saved = store.load()
        if saved is None or [item.id for item in saved.queue] != [item.id for item in queue]:
            raise RuntimeError("the saved queue differs from the queue")
        await store.close()
        whole.close()
    ours, base = statistics.median(ours_times), statistics.median(whole_times)
    ratio = ours / base
    print(
        f"A save after one insert into a {SIZE:,}-item queue, {ROUNDS} inserts, "
        f"Python {sys.version.split()[0]}\n"
    )
    print("| subject | p50 | max | bytes to the WAL, p50 | p50 / baseline |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| the queue written whole as one value (**baseline**) | {base * 1e3:.2f} ms "
        f"| {max(whole_times) * 1e3:.2f} ms | {statistics.median(whole_bytes):,.0f} | 1.00x |"
    )
    print(
        f"| `SessionStore.flush()` (blocks) | {ours * 1e3:.2f} ms | {max(ours_times) * 1e3:.2f} ms "
        f"| {statistics.median(ours_bytes):,.0f} | {ratio:.3f}x |"
    )
    print("\n| target | measured | result |\n|---|---:|---|")
    verdict = "PASS" if ratio <= 0.1 else "MISS"
    print(f"| save p50 <= 0.1x the baseline | {ratio:.3f}x | {verdict} |")


if __name__ == "__main__":
    asyncio.run(main())
