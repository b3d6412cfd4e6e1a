"""What waits for a client that fell behind: frames in order, coalesced where they may be.

A client falls behind when its socket's kernel buffer is full. From then on the
server does not copy frames into its transport; it keeps them here, by reference
(one broadcast frame is shared by every client that holds it), and coalesces:

* a *keyed* event (the playback state, the current item) keeps only its latest
  value, moved to where that value was sent, so what came before it stays before it;
* *resyncable* events (queue diffs) that pile up are replaced by one resync: the
  events a callback yields (a snapshot), made only when the client reaches them;
* every other frame (replies, custom events) is kept, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

__all__ = ["RESYNC_AFTER_BYTES", "RESYNC_AFTER_FRAMES", "Backlog", "Totals"]

#: Diffs held for one client before they are replaced by a resync.
RESYNC_AFTER_FRAMES = 64
RESYNC_AFTER_BYTES = 1024 * 1024


class Totals:
    """Bytes held by all the backlogs of one server (shared frames counted per client)."""

    __slots__ = ("bytes",)

    def __init__(self) -> None:
        self.bytes = 0


class _Resync:
    """A backlog's place for the resync events; they are made when the client reaches it."""

    __slots__ = ("frames",)

    def __init__(self) -> None:
        self.frames: Iterator[bytearray] | None = None


# Entry keys: an int for a plain frame (value: the frame and whether it is resyncable), the
# key's str for a keyed event (value None: its frame is the server's latest), a _Resync.
_Entry = tuple[bytearray, bool] | None


class Backlog:
    """The frames waiting for one client, in the order it must get them."""

    __slots__ = (
        "_entries",
        "_next",
        "_pending_resync",
        "_totals",
        "diff_bytes",
        "diffs",
        "held_bytes",
        "tail",
    )

    def __init__(self, totals: Totals) -> None:
        self._totals = totals
        self._entries: dict[object, _Entry] = {}
        self._next = 0
        # A resync not started yet: it will carry every diff and keyed event until then.
        self._pending_resync: _Resync | None = None
        #: The key of the last entry when it is a keyed event (its value reads as the latest).
        self.tail: str | None = None
        #: Bytes of the plain frames held.
        self.held_bytes = 0
        self.diffs = 0
        self.diff_bytes = 0

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def hold_keyed(self, key: str) -> None:
        """The latest event of ``key`` goes here (its place moves to the end)."""
        if self._pending_resync is None and self.tail != key:
            self._entries.pop(key, None)
            self._entries[key] = None
            self.tail = key

    def covers_diffs(self) -> bool:
        """True while a resync not started yet will carry any new diff."""
        return self._pending_resync is not None

    def wants_resync(self, size: int) -> bool:
        """Whether a diff of ``size`` bytes would pile up too much."""
        return self.diffs >= RESYNC_AFTER_FRAMES or self.diff_bytes + size > RESYNC_AFTER_BYTES

    def hold(self, frame: bytearray, resyncable: bool) -> None:
        self._next += 1
        self._entries[self._next] = (frame, resyncable)
        self.tail = None
        size = len(frame)
        self.held_bytes += size
        self._totals.bytes += size
        if resyncable:
            self.diffs += 1
            self.diff_bytes += size

    def start_resync(self) -> None:
        """Replace the diffs and keyed events held by one resync, at the end."""
        kept: dict[object, _Entry] = {}
        for key, entry in self._entries.items():
            if type(key) is str:
                continue
            if entry is not None and entry[1]:
                self._release(entry)
                continue
            kept[key] = entry
        marker = _Resync()
        kept[marker] = None
        self._entries = kept
        self._pending_resync = marker
        self.tail = None

    def next_frame(
        self,
        latest: dict[str, bytearray],
        resync: Callable[[], Iterator[bytearray]],
    ) -> bytearray | None:
        """Take the next frame to write (None when nothing is left)."""
        entries = self._entries
        while entries:
            key = next(iter(entries))
            if type(key) is _Resync:
                if key.frames is None:
                    # The snapshot is taken now: diffs from here on follow it.
                    if self._pending_resync is key:
                        self._pending_resync = None
                    key.frames = resync()
                frame = next(key.frames, None)
                if frame is not None:
                    return frame
                del entries[key]
                continue
            entry = entries.pop(key)
            if type(key) is str:
                if self.tail == key:
                    self.tail = None
                return latest[key]
            assert entry is not None
            self._release(entry)
            return entry[0]
        return None

    def discard(self) -> None:
        """Drop everything held (the client is going)."""
        self._totals.bytes -= self.held_bytes
        self._entries = {}
        self._pending_resync = None
        self.tail = None
        self.held_bytes = self.diffs = self.diff_bytes = 0

    def _release(self, entry: tuple[bytearray, bool]) -> None:
        size = len(entry[0])
        self.held_bytes -= size
        self._totals.bytes -= size
        if entry[1]:
            self.diffs -= 1
            self.diff_bytes -= size
