"""Nothing lost: the queue, the current item and the position survive a crash or reboot.

A :class:`SessionStore` mirrors what the task publishes and writes it to SQLite
in the user's state directory (``$XDG_STATE_HOME/audio-service/<app_id>.sqlite3``),
a moment after the last change and from a worker thread, so publishing state
never waits for the disk. The next start offers it to the task as
``AudioServiceBackground.saved_session`` (Android calls this media resumption).

The queue and the "current" record are separate rows: a position update never
rewrites a 100 000-item queue, and the queue is a row per block of items, so an
insert rewrites one block (see ``_saved_queue``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import msgspec

from audio_service._model._events import (
    MediaItemChanged,
    QueueChanged,
    ServiceEvent,
    ServiceSnapshot,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._models import (
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaItem,
    PlaybackState,
)
from audio_service._model._queue import MediaQueue, apply
from audio_service._service._core import ServiceCore
from audio_service._service._saved_queue import (
    BLOCK_ROWS,
    BLOCKS_KEY,
    LEGACY_KEY,
    QueueRows,
    read_queue,
)
from audio_service._service._statedir import private_file, state_dir
from audio_session._tasks import BackgroundTasks

__all__ = ["SavedSession", "SessionStore", "store_path"]

_log = logging.getLogger(__name__)

#: Seconds between the last change and the write that records it.
SAVE_DELAY = 0.5


class SavedSession(msgspec.Struct, frozen=True, kw_only=True):
    """What the user was listening to when the service last ran."""

    queue: tuple[MediaItem, ...] = ()
    media_item: MediaItem | None = None
    #: The position in ``media_item`` when it was saved (extrapolated if it was playing).
    position: timedelta = timedelta(0)
    queue_index: int | None = None
    speed: float = 1.0
    repeat_mode: AudioServiceRepeatMode = AudioServiceRepeatMode.NONE
    shuffle_mode: AudioServiceShuffleMode = AudioServiceShuffleMode.NONE
    #: Wall-clock time (``time.time()``) of the save.
    saved_at: float = 0.0


class _Current(msgspec.Struct, frozen=True, kw_only=True):
    media_item: MediaItem | None
    position: timedelta
    queue_index: int | None
    speed: float
    repeat_mode: AudioServiceRepeatMode
    shuffle_mode: AudioServiceShuffleMode
    saved_at: float


def store_path(app_id: str) -> Path:
    return state_dir() / f"{app_id}.sqlite3"


class SessionStore:
    """Loads the saved session and keeps it up to date while a service runs."""

    def __init__(
        self,
        path: Path,
        *,
        delay: float = SAVE_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._delay = delay
        self._clock = clock
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="audio-service-store")
        self._queue_rows = QueueRows()
        self._db: sqlite3.Connection | None = None
        self._db_lock = threading.Lock()
        self._queue = MediaQueue()
        # The core followed (see attach): its queue after an edit is the one to save.
        self._core: ServiceCore | None = None
        self._state: PlaybackState | None = None
        self._media_item: MediaItem | None = None
        self._queue_dirty = False
        self._current_dirty = False
        self._timer: asyncio.TimerHandle | None = None
        self._writes = BackgroundTasks(_log, "saving the session")
        self._closer: asyncio.Task[None] | None = None
        self._closing: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ loading

    def load(self) -> SavedSession | None:
        """The session saved by an earlier run, or None (also when the file is unreadable)."""
        try:
            with self._db_lock:
                rows = dict(self._connection().execute("SELECT key, value FROM session").fetchall())
        except sqlite3.Error as error:
            _log.warning("cannot read the saved session from %s: %s", self.path, error)
            return None
        if "current" not in rows and BLOCKS_KEY not in rows and LEGACY_KEY not in rows:
            return None
        try:
            queue = read_queue(rows) or ()
            current = (
                msgspec.msgpack.decode(rows["current"], type=_Current)
                if "current" in rows
                else None
            )
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            _log.warning("ignoring the unreadable saved session in %s: %s", self.path, error)
            return None
        if current is None:
            return SavedSession(queue=queue)
        return SavedSession(
            queue=queue,
            media_item=current.media_item,
            position=current.position,
            queue_index=current.queue_index,
            speed=current.speed,
            repeat_mode=current.repeat_mode,
            shuffle_mode=current.shuffle_mode,
            saved_at=current.saved_at,
        )

    # ------------------------------------------------------------------ mirroring

    def observe(self, event: ServiceEvent) -> None:
        """Feed every event of the service here (a core observer), in order."""
        if isinstance(event, StateChanged):  # by far the most frequent: tested first
            self._state = event.state
            self._current_dirty = True
        elif isinstance(event, ServiceSnapshot):
            self._queue = MediaQueue(event.queue)
            self._state, self._media_item = event.state, event.media_item
            return
        elif isinstance(event, MediaItemChanged):
            self._media_item = event.media_item
            self._current_dirty = True
        elif isinstance(event, QueueChanged):
            # The core has applied the edit already: applying it again here copied a block
            # and the table of blocks (100k items: 200 entries) per insert, cold when paced.
            core = self._core
            self._queue = core.queue if core is not None else apply(event.ops, self._queue)
            self._queue_dirty = True
        elif isinstance(event, ServiceStopped):
            # The core has reset its values by now; keep the last real ones and write them.
            self._schedule(0.0)
            return
        else:
            return
        if self._timer is None:  # a save already armed takes this change too
            self._schedule(self._delay)

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            if delay > 0:
                return
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self._write_now)

    def _write_now(self) -> None:
        self._timer = None
        queue = self._queue if self._queue_dirty else None
        current = self._current() if self._current_dirty else None
        self._queue_dirty = self._current_dirty = False
        if queue is None and current is None:
            return
        self._writes.spawn(asyncio.wrap_future(self._executor.submit(self._store, queue, current)))

    def _current(self) -> _Current:
        state = self._state or PlaybackState(update_time=self._clock())
        duration = self._media_item.duration if self._media_item is not None else None
        return _Current(
            media_item=self._media_item,
            position=state.position_at(self._clock(), duration),
            queue_index=state.queue_index,
            speed=state.speed,
            repeat_mode=state.repeat_mode,
            shuffle_mode=state.shuffle_mode,
            saved_at=time.time(),
        )

    def _store(self, queue: MediaQueue | None, current: _Current | None) -> None:
        # Runs in the worker thread: encoding a large queue happens here too (what changed).
        plan = self._queue_rows.plan(queue) if queue is not None else None
        rows = plan.rows if plan is not None else []
        if current is not None:
            rows.append(("current", msgspec.msgpack.encode(current)))
        try:
            with self._db_lock:
                db = self._connection()
                db.execute("BEGIN")
                try:
                    if plan is not None:
                        if plan.reset:
                            db.execute(
                                "DELETE FROM session WHERE key = ? OR key LIKE ?",
                                (LEGACY_KEY, BLOCK_ROWS),
                            )
                        drop = [(key,) for key in plan.drop]
                        db.executemany("DELETE FROM session WHERE key = ?", drop)
                    db.executemany("INSERT OR REPLACE INTO session VALUES (?, ?)", rows)
                except BaseException:
                    db.execute("ROLLBACK")
                    if plan is not None:
                        self._queue_rows.forget()
                    raise
                db.execute("COMMIT")
        except sqlite3.Error as error:
            if plan is not None:
                self._queue_rows.forget()
            _log.warning("cannot save the session to %s: %s", self.path, error)

    async def flush(self) -> None:
        """Write what is pending now and wait until it is on disk."""
        if self._timer is not None:
            self._timer.cancel()
            self._write_now()
        if self._writes:
            # Shielded: a cancelled caller must not cancel a write under way.
            await asyncio.shield(self._writes.wait())

    async def close(self) -> None:
        """Write what is pending and release the database; safe to call more than once."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        await self.flush()
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def attach(self, core: ServiceCore, *, close_when_stopped: bool = True) -> SavedSession | None:
        """Load the saved session, offer it to ``core``'s task and follow ``core`` from now on.

        With ``close_when_stopped`` the store closes itself once the service stopped;
        otherwise the owner calls :meth:`close`.
        """
        # start(resume=False): the task starts fresh, and this run is still saved for the next.
        saved = self.load() if core.config.resume else None
        core.saved_session = saved
        self._core = core
        core.observe(self.observe)
        if close_when_stopped:

            async def close_after_stop() -> None:
                await core.wait_stopped()
                await self.close()

            self._closer = asyncio.get_running_loop().create_task(close_after_stop())
        return saved

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            # Created 0600 before SQLite opens it: its -wal and -shm files copy that mode.
            private_file(self.path)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            # Large pages for a new file: a 100 000-item queue is a 12 MB value, which SQLite
            # writes (to the log, then the file) and reads back one page per system call:
            # 4 KiB pages made that about 23 000 calls per save, 64 KiB pages about 1 200.
            db.execute("PRAGMA page_size=65536")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS session (key TEXT PRIMARY KEY, value BLOB)")
            self._db = db
        return self._db
