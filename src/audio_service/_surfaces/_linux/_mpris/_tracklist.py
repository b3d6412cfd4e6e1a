"""The TrackList window: which queue items clients see, and the signals that move it.

The spec means the track list as context around the current track, not a copy
of the queue, so a 100 000-item queue costs clients no more than a 20-item one.
When the window changes, the difference between the old and new windows (by
id) becomes TrackRemoved/TrackAdded signals; only a change that touches most
of the window becomes one TrackListReplaced.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

from audio_service._model._models import MediaItem

__all__ = [
    "MAX_ERROR_TEXT",
    "MAX_TRACK_IDS",
    "TrackAdded",
    "TrackChanged",
    "TrackRemoved",
    "Window",
    "WindowChange",
    "cut_text",
    "requested_track_ids",
    "window_of",
]

#: Track ids one ``GetTracksMetadata`` call may ask for (after duplicates are dropped). Each
#: costs a lookup and a metadata dict; this many stay far below 50 ms of the event loop.
MAX_TRACK_IDS = 1000
#: Characters of an error message sent back to a caller; the rest (an echoed 10 MB
#: argument, say) is cut, so a bad call never costs a reply as large as itself.
MAX_ERROR_TEXT = 400


def requested_track_ids(track_ids: list[str], limit: int = MAX_TRACK_IDS) -> list[str]:
    """``track_ids`` without repeats, in order; ValueError when more than ``limit`` differ.

    Checked before anything is looked up: a call with 400 000 ids is refused in
    microseconds, instead of stalling the loop and failing on the reply's size.
    """
    # Many repeats of a few ids are fine; a list this long cannot be, and is not even scanned.
    if len(track_ids) > 8 * limit:
        raise ValueError(f"GetTracksMetadata takes at most {limit} track ids, not {len(track_ids)}")
    unique = list(dict.fromkeys(track_ids))
    if len(unique) > limit:
        raise ValueError(f"GetTracksMetadata takes at most {limit} track ids, not {len(unique)}")
    return unique


def cut_text(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text``, or its start and how long it was when longer than ``limit``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters, cut)"


@dataclass(frozen=True)
class Window:
    """The items the track list shows, in queue order, with unique ids."""

    items: tuple[MediaItem, ...] = ()

    @property
    def ids(self) -> list[str]:
        return [item.id for item in self.items]

    def find(self, media_id: str) -> MediaItem | None:
        for item in self.items:
            if item.id == media_id:
                return item
        return None


def current_index(
    queue: Sequence[MediaItem], current: MediaItem | None, hint: int | None
) -> int | None:
    """The queue index of ``current``: ``hint`` (the state's queue index) or a search."""
    if current is None:
        return None
    if hint is not None and 0 <= hint < len(queue) and queue[hint].id == current.id:
        return hint
    for index, item in enumerate(queue):
        if item.id == current.id:
            return index
    return None


def window_of(
    queue: Sequence[MediaItem], current: MediaItem | None, hint: int | None, size: int
) -> Window:
    """Up to ``size`` queue items around the current one (from the start without one)."""
    index = current_index(queue, current, hint)
    before = size // 2
    start = 0 if index is None else max(0, min(index - before, len(queue) - size))
    seen: set[str] = set()
    items: list[MediaItem] = []
    # Track ids must be unique in the list; a repeated id shows once.
    for item in queue[start : start + size]:
        if item.id not in seen:
            seen.add(item.id)
            items.append(item)
    return Window(tuple(items))


@dataclass(frozen=True)
class TrackAdded:
    item: MediaItem
    #: The id of the item it follows, or None at the start.
    after: str | None


@dataclass(frozen=True)
class TrackRemoved:
    media_id: str


@dataclass(frozen=True)
class TrackChanged:
    item: MediaItem


@dataclass
class WindowChange:
    """What clients must be told when the window goes from ``old`` to ``new``."""

    #: True when the whole list is re-sent (TrackListReplaced); the other lists are empty then.
    replaced: bool = False
    removed: list[TrackRemoved] = field(default_factory=list)
    added: list[TrackAdded] = field(default_factory=list)
    changed: list[TrackChanged] = field(default_factory=list)

    @property
    def tracks_changed(self) -> bool:
        """Whether the ``Tracks`` property (the ids) changed."""
        return self.replaced or bool(self.removed or self.added)

    @classmethod
    def between(cls, old: Window, new: Window) -> WindowChange:
        old_ids, new_ids = old.ids, new.ids
        change = cls()
        matcher = difflib.SequenceMatcher(a=old_ids, b=new_ids, autojunk=False)
        kept = 0
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                kept += i2 - i1
                for old_item, new_item in zip(old.items[i1:i2], new.items[j1:j2], strict=True):
                    if not old_item.same_content(new_item):
                        change.changed.append(TrackChanged(new_item))
                continue
            change.removed.extend(TrackRemoved(media_id) for media_id in old_ids[i1:i2])
            for j in range(j1, j2):
                after = new_ids[j - 1] if j > 0 else None
                change.added.append(TrackAdded(new.items[j], after))
        # Once most of the list changes, one signal with the new list says it best.
        if (change.removed or change.added) and kept < max(len(old_ids), len(new_ids)) // 2:
            return cls(replaced=True)
        return change
