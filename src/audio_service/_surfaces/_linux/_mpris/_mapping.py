"""How the service's model reads in MPRIS terms: metadata, status, loop, capabilities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Final

from dbus_fast import Variant

from audio_service._model._models import (
    AudioProcessingState,
    AudioServiceRepeatMode,
    MediaAction,
    MediaItem,
    PlaybackState,
    Rating,
    RatingStyle,
)
from audio_service._surfaces._linux._mpris._ids import track_path

__all__ = [
    "LOOP_STATUS_TO_REPEAT",
    "PLAY_PAUSE_ACTIONS",
    "comparable",
    "loop_status",
    "metadata",
    "microseconds",
    "own_art",
    "playback_status",
    "user_rating",
]

#: Writable ``LoopStatus`` values and the repeat modes they select.
LOOP_STATUS_TO_REPEAT: Final = {
    "None": AudioServiceRepeatMode.NONE,
    "Track": AudioServiceRepeatMode.ONE,
    "Playlist": AudioServiceRepeatMode.ALL,
}

#: Actions any of which makes a track playable and pausable from a desktop widget:
#: tasks show "play" while paused and "pause" while playing, never both.
PLAY_PAUSE_ACTIONS: Final = frozenset({MediaAction.PLAY, MediaAction.PAUSE, MediaAction.PLAY_PAUSE})


def microseconds(value: timedelta) -> int:
    """``value`` in whole microseconds (MPRIS times are ``x`` µs)."""
    return value // timedelta(microseconds=1)


# Enum members the statuses below read on every change: module globals, since on
# Python 3.11 each AudioProcessingState.X is a lookup through the enum's metaclass.
_STOPPED_STATES: Final = frozenset({AudioProcessingState.IDLE, AudioProcessingState.ERROR})
_COMPLETED: Final = AudioProcessingState.COMPLETED
_REPEAT_NONE: Final = AudioServiceRepeatMode.NONE
_REPEAT_ONE: Final = AudioServiceRepeatMode.ONE


def playback_status(state: PlaybackState) -> str:
    """``Playing``, ``Paused`` or ``Stopped``.

    ``playing`` is the intent: a buffering player that means to play is
    "Playing". Nothing loaded (idle) or failed reads as "Stopped"; a completed
    track that is not meant to play on reads as "Paused".
    """
    processing = state.processing_state
    if processing in _STOPPED_STATES:
        return "Stopped"
    if state.playing and processing is not _COMPLETED:
        return "Playing"
    return "Paused"


def loop_status(mode: AudioServiceRepeatMode) -> str:
    """The ``LoopStatus`` of a repeat mode; ``group`` has no MPRIS name and reads as a playlist."""
    if mode is _REPEAT_NONE:
        return "None"
    if mode is _REPEAT_ONE:
        return "Track"
    return "Playlist"


def user_rating(rating: Rating | None) -> float | None:
    """A rating as ``xesam:userRating`` (0.0..1.0), or None when unrated."""
    if rating is None or rating.value is None:
        return None
    style = rating.style
    if style in (RatingStyle.HEART, RatingStyle.THUMB_UP_DOWN):
        return 1.0 if rating.value else 0.0
    if style is RatingStyle.PERCENTAGE:
        return float(rating.value) / 100.0
    stars = rating.get_star_rating()
    maximum = Rating._STARS.get(style)
    if stars is None or not maximum:
        return None
    return stars / maximum


def own_art(item: MediaItem) -> str | None:
    """The item's own ``art_uri``: the ``mpris:artUrl`` when no art cache is involved."""
    return item.art_uri


def metadata(
    item: MediaItem | None, art_url: Callable[[MediaItem], str | None] = own_art
) -> dict[str, Variant]:
    """The MPRIS ``Metadata`` of ``item``, each value with its spec type.

    Empty for no item (the spec's "no current track"). List-valued xesam keys
    are lists even for one value, and absent fields are left out rather than
    sent as empty or "null" strings. ``art_url`` gives the ``mpris:artUrl``
    (None: no art key); the server passes one that answers from its art cache.
    """
    if item is None:
        return {}
    result: dict[str, Variant] = {
        "mpris:trackid": Variant("o", track_path(item.id)),
        "xesam:title": Variant("s", item.title),
    }
    if item.duration is not None:
        result["mpris:length"] = Variant("x", microseconds(item.duration))
    art = art_url(item)
    if art:
        result["mpris:artUrl"] = Variant("s", art)
    if item.album is not None:
        result["xesam:album"] = Variant("s", item.album)
    if item.artist is not None:
        result["xesam:artist"] = Variant("as", [item.artist])
    if item.genre is not None:
        result["xesam:genre"] = Variant("as", [item.genre])
    if item.display_description:
        result["xesam:comment"] = Variant("as", [item.display_description])
    rating = user_rating(item.rating)
    if rating is not None:
        result["xesam:userRating"] = Variant("d", rating)
    return result


def comparable(values: dict[str, Variant]) -> dict[str, tuple[str, object]]:
    """``values`` in a form that compares by content (to tell whether metadata changed)."""
    return {key: (variant.signature, variant.value) for key, variant in values.items()}
