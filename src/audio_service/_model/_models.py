"""The data model shared by the background task, the clients and the wire.

Every class is a frozen :class:`msgspec.Struct`, so the same objects are used in
memory and encoded with msgpack between processes, losslessly. Construction
validates: a wrong type is a :class:`TypeError`, a wrong value a
:class:`ValueError`, both naming the field. Decoding runs the same checks, so a
malformed message fails with :class:`msgspec.ValidationError` naming the field.

Enums travel as their numbers. A number this version does not know (sent by a
newer peer) is rejected with :class:`msgspec.ValidationError` rather than mapped
to a default: host and client ship in the same distribution, so a mismatch is a
deployment bug worth hearing about.
"""

from __future__ import annotations

import enum
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Final, TypedDict, Unpack

import msgspec

from audio_service._model._position import check_finite_time, extrapolate
from audio_session._checks import check_int, check_optional_str, check_str, is_int, is_number
from audio_session._enums import coerce_enum

__all__ = [
    "MEDIA_ROOT_ID",
    "RECENT_ROOT_ID",
    "UNSET",
    "AudioProcessingState",
    "AudioServiceRepeatMode",
    "AudioServiceShuffleMode",
    "CustomMediaAction",
    "MediaAction",
    "MediaButton",
    "MediaControl",
    "MediaItem",
    "PlaybackState",
    "Rating",
    "RatingStyle",
    "ServiceConfig",
    "Unset",
]

#: The id of the root of the browsable media tree.
MEDIA_ROOT_ID: Final = "root"
#: The id of the "recently played" root (Android 11 media resumption).
RECENT_ROOT_ID: Final = "recent"

_ZERO = timedelta(0)


class Unset(enum.Enum):
    """The type of :data:`UNSET`: "argument not given", distinct from ``None``."""

    UNSET = enum.auto()

    def __repr__(self) -> str:
        return "UNSET"


#: Marks an omitted argument, so that ``None`` can still mean "clear this field".
UNSET: Final = Unset.UNSET


# --------------------------------------------------------------------------- enums


class AudioProcessingState(enum.IntEnum):
    """What the player is doing, independently of whether it is meant to be playing."""

    #: Nothing loaded; the service may stop.
    IDLE = 0
    #: Loading media.
    LOADING = 1
    #: Waiting for data; the position does not advance.
    BUFFERING = 2
    #: Able to play; the position advances when ``playing`` is true.
    READY = 3
    #: Reached the end of the media.
    COMPLETED = 4
    #: Failed; see ``error_code`` and ``error_message``.
    ERROR = 5


class AudioServiceRepeatMode(enum.IntEnum):
    """Repeat modes; the numbers are Android's ``REPEAT_MODE_*``."""

    NONE = 0
    ONE = 1
    ALL = 2
    GROUP = 3


class AudioServiceShuffleMode(enum.IntEnum):
    """Shuffle modes; the numbers are Android's ``SHUFFLE_MODE_*``."""

    NONE = 0
    ALL = 1
    GROUP = 2


class MediaButton(enum.IntEnum):
    """The button of a headset click."""

    MEDIA = 0
    NEXT = 1
    PREVIOUS = 2


class RatingStyle(enum.IntEnum):
    """Rating styles; the numbers are Android's ``RATING_*``."""

    NONE = 0
    HEART = 1
    THUMB_UP_DOWN = 2
    RANGE_3_STARS = 3
    RANGE_4_STARS = 4
    RANGE_5_STARS = 5
    PERCENTAGE = 6


class MediaAction(enum.IntEnum):
    """An action a client may perform. The value is the bit position in Android's action mask."""

    STOP = 0
    PAUSE = 1
    PLAY = 2
    REWIND = 3
    SKIP_TO_PREVIOUS = 4
    SKIP_TO_NEXT = 5
    FAST_FORWARD = 6
    SET_RATING = 7
    SEEK = 8
    PLAY_PAUSE = 9
    PLAY_FROM_MEDIA_ID = 10
    PLAY_FROM_SEARCH = 11
    SKIP_TO_QUEUE_ITEM = 12
    PLAY_FROM_URI = 13
    PREPARE = 14
    PREPARE_FROM_MEDIA_ID = 15
    PREPARE_FROM_SEARCH = 16
    PREPARE_FROM_URI = 17
    SET_REPEAT_MODE = 18
    #: Deprecated by Android; kept so that bit 19 has a name.
    SET_SHUFFLE_MODE_ENABLED = 19
    SET_CAPTIONING_ENABLED = 20
    SET_SHUFFLE_MODE = 21
    SEEK_BACKWARD = 22
    SEEK_FORWARD = 23
    SET_SPEED = 24
    CUSTOM = 25

    @property
    def mask(self) -> int:
        """This action's bit: ``1 << value``."""
        return 1 << self.value

    @classmethod
    def to_mask(cls, actions: Iterable[MediaAction]) -> int:
        """The Android action mask of ``actions``."""
        mask = 0
        for action in actions:
            mask |= 1 << coerce_enum(cls, action, "actions").value
        return mask

    @classmethod
    def from_mask(cls, mask: int) -> frozenset[MediaAction]:
        """The actions whose bits are set in ``mask``; bits without a name are ignored."""
        if not is_int(mask) or mask < 0:
            raise ValueError(f"mask must be a non-negative int, not {mask!r}")
        return frozenset(action for action in cls if mask & (1 << action.value))


#: The actions that can be shown as buttons (the rest are "system actions").
_BUTTON_ACTIONS: Final = frozenset(
    {
        MediaAction.STOP,
        MediaAction.PAUSE,
        MediaAction.PLAY,
        MediaAction.REWIND,
        MediaAction.SKIP_TO_PREVIOUS,
        MediaAction.SKIP_TO_NEXT,
        MediaAction.FAST_FORWARD,
        MediaAction.PLAY_PAUSE,
        MediaAction.CUSTOM,
    }
)
_PLAIN_BUTTON_ACTIONS: Final = _BUTTON_ACTIONS - {MediaAction.CUSTOM}


# ---------------------------------------------------------------------- validators


def _check_bool(value: object, field: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, bool):
        raise TypeError(f"{field} must be a bool, not {value!r}")


def check_duration(value: object, field: str, *, optional: bool = False) -> None:
    """Raise unless ``value`` is a non-negative :class:`~datetime.timedelta` (or allowed None)."""
    if value is None and optional:
        return
    if not isinstance(value, timedelta):
        raise TypeError(f"{field} must be a datetime.timedelta, not {value!r}")
    if value < _ZERO:
        raise ValueError(f"{field} must not be negative, not {value}")


def check_speed(value: object, field: str = "speed") -> float:
    """``value`` as a finite, non-negative float, or a clear error."""
    if not is_number(value):
        raise TypeError(f"{field} must be a float, not {value!r}")
    result = float(value)
    if not math.isfinite(result) or result < 0:
        raise ValueError(f"{field} must be a finite number >= 0, not {value!r}")
    return result


def _check_mapping(value: object, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise TypeError(f"{field} must be a dict or None, not {value!r}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{field} keys must be str, not {key!r}")


def _set(struct: msgspec.Struct, field: str, value: object) -> None:
    msgspec.structs.force_setattr(struct, field, value)


# -------------------------------------------------------------------------- rating


class Rating(msgspec.Struct, frozen=True, omit_defaults=True):
    """A rating of a media item in one of the :class:`RatingStyle` styles.

    Build one with the ``new_*`` constructors. ``value`` is ``None`` when unrated,
    a bool for heart and thumb ratings, an int of stars, or a float percentage.
    """

    style: RatingStyle = msgspec.field(name="type")
    value: bool | int | float | None = None

    _STARS: ClassVar[dict[RatingStyle, int]] = {
        RatingStyle.RANGE_3_STARS: 3,
        RatingStyle.RANGE_4_STARS: 4,
        RatingStyle.RANGE_5_STARS: 5,
    }

    def __post_init__(self) -> None:
        style = coerce_enum(RatingStyle, self.style, "style")
        _set(self, "style", style)
        value = self.value
        if value is None:
            return
        if style is RatingStyle.NONE:
            raise ValueError(f"value must be None for RatingStyle.NONE, not {value!r}")
        if style in (RatingStyle.HEART, RatingStyle.THUMB_UP_DOWN):
            if not isinstance(value, bool):
                raise TypeError(f"value of a {style.name} rating must be a bool, not {value!r}")
        elif style in self._STARS:
            stars = self._STARS[style]
            if not is_int(value):
                raise TypeError(f"value of a {style.name} rating must be an int, not {value!r}")
            if not 0 <= value <= stars:
                raise ValueError(f"value of a {style.name} rating must be 0..{stars}, not {value}")
        else:
            if not is_number(value):
                raise TypeError(f"value of a PERCENTAGE rating must be a float, not {value!r}")
            if not (math.isfinite(value) and 0 <= value <= 100):
                raise ValueError(f"value of a PERCENTAGE rating must be 0..100, not {value!r}")
            _set(self, "value", float(value))

    @classmethod
    def new_heart_rating(cls, has_heart: bool) -> Rating:
        """A heart rating: ``True`` when the item is "loved"."""
        _check_bool(has_heart, "has_heart")
        return cls(RatingStyle.HEART, has_heart)

    @classmethod
    def new_thumb_rating(cls, is_thumbs_up: bool) -> Rating:
        """A thumb rating: ``True`` for thumbs up, ``False`` for thumbs down."""
        _check_bool(is_thumbs_up, "is_thumbs_up")
        return cls(RatingStyle.THUMB_UP_DOWN, is_thumbs_up)

    @classmethod
    def new_star_rating(cls, star_rating_style: RatingStyle, star_rating: int) -> Rating:
        """A star rating of ``star_rating`` (0..N) in a 3-, 4- or 5-star style."""
        style = coerce_enum(RatingStyle, star_rating_style, "star_rating_style")
        if style not in cls._STARS:
            raise ValueError(f"star_rating_style must be a RANGE_*_STARS style, not {style.name}")
        return cls(style, star_rating)

    @classmethod
    def new_percentage_rating(cls, percent: float) -> Rating:
        """A percentage rating, 0.0..100.0."""
        return cls(RatingStyle.PERCENTAGE, percent)

    @classmethod
    def new_unrated_rating(cls, rating_style: RatingStyle) -> Rating:
        """ "Not rated yet" in ``rating_style``."""
        return cls(coerce_enum(RatingStyle, rating_style, "rating_style"), None)

    def get_rating_style(self) -> RatingStyle:
        """The style of this rating."""
        return self.style

    def get_percent_rating(self) -> float | None:
        """The percentage, or ``None`` if unrated or not a percentage rating."""
        if self.style is RatingStyle.PERCENTAGE and self.value is not None:
            return float(self.value)
        return None

    def get_star_rating(self) -> int | None:
        """The number of stars, or ``None`` if unrated or not a star rating."""
        if self.style in self._STARS and self.value is not None:
            return int(self.value)
        return None

    def has_heart(self) -> bool:
        """True for a heart rating that has the heart."""
        return self.style is RatingStyle.HEART and self.value is True

    def is_thumb_up(self) -> bool:
        """True for a thumb rating that is thumbs up."""
        return self.style is RatingStyle.THUMB_UP_DOWN and self.value is True

    def is_rated(self) -> bool:
        """True when a value has been given."""
        return self.value is not None


# ------------------------------------------------------------------------ controls


class CustomMediaAction(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The action behind a custom :class:`MediaControl`; a click reaches ``custom_action``."""

    name: str
    extras: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        check_str(self.name, "name")
        _check_mapping(self.extras, "extras")

    def __hash__(self) -> int:
        # extras is a dict; equal actions have equal names, so this stays consistent with ==.
        return hash(self.name)


class MediaControl(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A button shown by media surfaces (notification, lock screen, desktop widgets).

    Use the predefined controls (``MediaControl.play`` …) or :meth:`custom`.
    ``android_icon`` is an Android resource name; desktops pick their own icons
    from ``action``.
    """

    android_icon: str
    label: str
    action: MediaAction
    custom_action: CustomMediaAction | None = None

    stop: ClassVar[MediaControl]
    pause: ClassVar[MediaControl]
    play: ClassVar[MediaControl]
    rewind: ClassVar[MediaControl]
    skip_to_next: ClassVar[MediaControl]
    skip_to_previous: ClassVar[MediaControl]
    fast_forward: ClassVar[MediaControl]

    def __post_init__(self) -> None:
        # Every state a client receives rebuilds its controls: the usual shape is checked inline.
        if (
            type(self.android_icon) is str
            and type(self.label) is str
            and self.custom_action is None
            and type(self.action) is MediaAction
            and self.action in _PLAIN_BUTTON_ACTIONS
        ):
            return
        check_str(self.android_icon, "android_icon")
        check_str(self.label, "label")
        action = coerce_enum(MediaAction, self.action, "action")
        _set(self, "action", action)
        if action not in _BUTTON_ACTIONS:
            raise ValueError(f"action {action.name} cannot be a button; use system_actions")
        if (action is MediaAction.CUSTOM) != (self.custom_action is not None):
            raise ValueError("custom_action must be given exactly when action is CUSTOM")
        if self.custom_action is not None and not isinstance(self.custom_action, CustomMediaAction):
            raise TypeError(
                f"custom_action must be a CustomMediaAction, not {self.custom_action!r}"
            )

    @classmethod
    def custom(
        cls, *, android_icon: str, label: str, name: str, extras: dict[str, Any] | None = None
    ) -> MediaControl:
        """A button whose click calls ``custom_action(name, extras)``."""
        return cls(
            android_icon=android_icon,
            label=label,
            action=MediaAction.CUSTOM,
            custom_action=CustomMediaAction(name=name, extras=extras),
        )


MediaControl.stop = MediaControl(
    android_icon="drawable/audio_service_stop", label="Stop", action=MediaAction.STOP
)
MediaControl.pause = MediaControl(
    android_icon="drawable/audio_service_pause", label="Pause", action=MediaAction.PAUSE
)
MediaControl.play = MediaControl(
    android_icon="drawable/audio_service_play_arrow", label="Play", action=MediaAction.PLAY
)
MediaControl.rewind = MediaControl(
    android_icon="drawable/audio_service_fast_rewind", label="Rewind", action=MediaAction.REWIND
)
MediaControl.skip_to_next = MediaControl(
    android_icon="drawable/audio_service_skip_next", label="Next", action=MediaAction.SKIP_TO_NEXT
)
MediaControl.skip_to_previous = MediaControl(
    android_icon="drawable/audio_service_skip_previous",
    label="Previous",
    action=MediaAction.SKIP_TO_PREVIOUS,
)
MediaControl.fast_forward = MediaControl(
    android_icon="drawable/audio_service_fast_forward",
    label="Fast Forward",
    action=MediaAction.FAST_FORWARD,
)


# ---------------------------------------------------------------------- media item


class MediaItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, eq=False):
    """Metadata of one playable or browsable item.

    Two items are equal (and hash alike) when their ``id`` is equal, whatever
    their other fields: the id names the item, the rest describes it.
    """

    #: Unique id of the item within the app (the queue is keyed by it).
    id: str
    title: str
    album: str | None = None
    artist: str | None = None
    genre: str | None = None
    duration: timedelta | None = None
    #: ``file://`` or ``http(s)://`` URI of the artwork.
    art_uri: str | None = None
    #: HTTP headers for fetching ``art_uri``.
    art_headers: dict[str, str] | None = None
    #: True for playable items, False for browsable folders.
    playable: bool | None = True
    display_title: str | None = None
    display_subtitle: str | None = None
    display_description: str | None = None
    rating: Rating | None = None
    extras: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Runs for every item of a queue on both sides of the wire (100k items: 85 ms with the
        # general checks below), so the usual shape is recognised inline first.
        duration = self.duration
        if (
            type(self.id) is str
            and type(self.title) is str
            and (self.album is None or type(self.album) is str)
            and (self.artist is None or type(self.artist) is str)
            and (self.genre is None or type(self.genre) is str)
            and (self.art_uri is None or type(self.art_uri) is str)
            and (self.display_title is None or type(self.display_title) is str)
            and (self.display_subtitle is None or type(self.display_subtitle) is str)
            and (self.display_description is None or type(self.display_description) is str)
            and (duration is None or (type(duration) is timedelta and duration >= _ZERO))
            and (self.playable is True or self.playable is False or self.playable is None)
            and self.art_headers is None
            and self.rating is None
            and self.extras is None
        ):
            return
        self._validate()

    def _validate(self) -> None:
        check_str(self.id, "id")
        check_str(self.title, "title")
        for name in (
            "album",
            "artist",
            "genre",
            "art_uri",
            "display_title",
            "display_subtitle",
            "display_description",
        ):
            check_optional_str(getattr(self, name), name)
        check_duration(self.duration, "duration", optional=True)
        _check_bool(self.playable, "playable", optional=True)
        if self.art_headers is not None:
            _check_mapping(self.art_headers, "art_headers")
            for header, value in self.art_headers.items():
                check_str(value, f"art_headers[{header!r}]")
        if self.rating is not None and not isinstance(self.rating, Rating):
            raise TypeError(f"rating must be a Rating or None, not {self.rating!r}")
        _check_mapping(self.extras, "extras")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MediaItem):
            return self.id == other.id
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, MediaItem):
            return self.id != other.id
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)

    def same_content(self, other: MediaItem) -> bool:
        """True when every field, not just ``id``, is equal."""
        return self is other or (msgspec.structs.astuple(self) == msgspec.structs.astuple(other))

    def copy_with(self, **changes: Any) -> MediaItem:
        """A copy with the given fields replaced (``None`` clears an optional field)."""
        return msgspec.structs.replace(self, **changes)


def check_media_items(items: tuple[object, ...], what: str) -> None:
    """Raise ``TypeError`` (``what``, then the culprit) unless every item is a MediaItem.

    Runs for every item of every queue that is set, decoded or published: a
    100 000-item queue passes here several times on its way from one process
    to another, so the usual case (every item exactly a MediaItem) is checked
    at C speed, and only a queue that fails it is searched item by item.
    """
    if not items or _ONLY_ITEMS.issuperset(map(type, items)):
        return
    for item in items:
        if not isinstance(item, MediaItem):
            raise TypeError(f"{what}, not {item!r}")


_ONLY_ITEMS = frozenset({MediaItem})


# ------------------------------------------------------------------ playback state


def _normalize_controls(value: object, field: str = "controls") -> tuple[MediaControl, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{field} must be a sequence of MediaControl, not {value!r}")
    controls = tuple(value)
    for control in controls:
        if not isinstance(control, MediaControl):
            raise TypeError(f"{field} must contain only MediaControl, not {control!r}")
    return controls


def _normalize_actions(value: object, field: str = "system_actions") -> frozenset[MediaAction]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"{field} must be a set of MediaAction, not {value!r}")
    return frozenset(coerce_enum(MediaAction, action, field) for action in value)


_CONTROL_TYPE: Final = frozenset({MediaControl})
# A global, not math.inf: read twice for every state made or decoded.
_INF: Final = math.inf
_ACTION_TYPE: Final = frozenset({MediaAction})


class PlaybackState(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Everything a client shows about playback, except the media item.

    The position is not stored as such: ``update_position`` was the position at
    ``update_time`` (monotonic seconds), and :attr:`position` extrapolates from
    it. Derive new states with :meth:`copy_with` (or ``set_state`` in the
    task), which re-bases the position so the timeline never jumps back.
    """

    processing_state: AudioProcessingState = AudioProcessingState.IDLE
    playing: bool = False
    #: Buttons to show, in order.
    controls: tuple[MediaControl, ...] = ()
    #: Up to 3 indices into ``controls`` for the compact notification (None: the first ≤3).
    android_compact_action_indices: tuple[int, ...] | None = None
    #: Actions that are not buttons (seek, seek_forward, ...).
    system_actions: frozenset[MediaAction] = frozenset()
    #: The position at ``update_time``.
    update_position: timedelta = _ZERO
    buffered_position: timedelta = _ZERO
    speed: float = 1.0
    #: When ``update_position`` was true, in :func:`time.monotonic` seconds.
    update_time: float = msgspec.field(default_factory=time.monotonic)
    error_code: int | None = None
    error_message: str | None = None
    repeat_mode: AudioServiceRepeatMode = AudioServiceRepeatMode.NONE
    shuffle_mode: AudioServiceShuffleMode = AudioServiceShuffleMode.NONE
    captioning_enabled: bool = False
    #: Index of the current item in the queue, if any.
    queue_index: int | None = None

    def __post_init__(self) -> None:
        # Runs for every state published and every state a client decodes; a state already in
        # normal form (members, a tuple of controls, a frozenset of actions, float times) is
        # recognised inline and left as it is.
        controls: tuple[MediaControl, ...] | list[MediaControl] = self.controls
        if type(controls) is list:  # the usual ``controls=[MediaControl.pause, ...]``
            controls = tuple(controls)
            _set(self, "controls", controls)
        update_time = self.update_time
        speed = self.speed
        actions = self.system_actions
        if (
            type(self.processing_state) is AudioProcessingState
            and type(self.playing) is bool
            and type(controls) is tuple
            # The types of all elements, at C speed (a generator would cost a frame per item).
            and {*map(type, controls)} <= _CONTROL_TYPE
            and self.android_compact_action_indices is None
            and type(actions) is frozenset
            # None by default: then the set and the map, more than any other line, are skipped.
            and (not actions or {*map(type, actions)} <= _ACTION_TYPE)
            and type(self.update_position) is timedelta
            and self.update_position >= _ZERO
            and type(self.buffered_position) is timedelta
            and self.buffered_position >= _ZERO
            and type(speed) is float
            and 0.0 <= speed < _INF
            and type(update_time) is float
            and -_INF < update_time < _INF
            and self.error_code is None
            and self.error_message is None
            and type(self.repeat_mode) is AudioServiceRepeatMode
            and type(self.shuffle_mode) is AudioServiceShuffleMode
            and type(self.captioning_enabled) is bool
            and (
                self.queue_index is None
                or (type(self.queue_index) is int and self.queue_index >= 0)
            )
        ):
            return
        self._validate()

    def _validate(self) -> None:
        _set(
            self,
            "processing_state",
            coerce_enum(AudioProcessingState, self.processing_state, "processing_state"),
        )
        _check_bool(self.playing, "playing")
        controls = _normalize_controls(self.controls)
        _set(self, "controls", controls)
        given: object = self.android_compact_action_indices
        if given is not None:
            if isinstance(given, str | bytes) or not isinstance(given, Iterable):
                raise TypeError(
                    f"android_compact_action_indices must be a sequence of int, not {given!r}"
                )
            indices = tuple(given)
            if len(indices) > 3:
                raise ValueError(
                    f"android_compact_action_indices may hold at most 3 indices, not {indices}"
                )
            for index in indices:
                check_int(index, "android_compact_action_indices", minimum=0)
                if index >= len(controls):
                    raise ValueError(
                        f"android_compact_action_indices: {index} is not an index into "
                        f"controls ({len(controls)} controls)"
                    )
            _set(self, "android_compact_action_indices", indices)
        _set(self, "system_actions", _normalize_actions(self.system_actions))
        check_duration(self.update_position, "update_position")
        check_duration(self.buffered_position, "buffered_position")
        _set(self, "speed", check_speed(self.speed))
        _set(self, "update_time", check_finite_time(self.update_time, "update_time"))
        if self.error_code is not None:
            check_int(self.error_code, "error_code")
        check_optional_str(self.error_message, "error_message")
        _set(
            self,
            "repeat_mode",
            coerce_enum(AudioServiceRepeatMode, self.repeat_mode, "repeat_mode"),
        )
        _set(
            self,
            "shuffle_mode",
            coerce_enum(AudioServiceShuffleMode, self.shuffle_mode, "shuffle_mode"),
        )
        _check_bool(self.captioning_enabled, "captioning_enabled")
        if self.queue_index is not None:
            check_int(self.queue_index, "queue_index", minimum=0)

    @property
    def advancing(self) -> bool:
        """True while the position moves: playing, ready and a positive speed."""
        return (
            self.playing
            and self.processing_state is AudioProcessingState.READY
            and (self.speed > 0)
        )

    @property
    def actions(self) -> frozenset[MediaAction]:
        """Every enabled action: those of the controls plus the system actions."""
        return self.system_actions | {control.action for control in self.controls}

    @property
    def position(self) -> timedelta:
        """The current position, extrapolated to now (not clamped: the state has no duration)."""
        return self.position_at(time.monotonic())

    def position_at(self, now: float, duration: timedelta | None = None) -> timedelta:
        """The position at monotonic time ``now``, clamped to ``duration`` when given.

        It advances at ``speed`` only while playing and ready; otherwise it stays
        at ``update_position``.
        """
        return extrapolate(
            self.update_position, self.update_time, self.speed, self.advancing, now, duration
        )

    def copy_with(
        self,
        *,
        now: float | None = None,
        duration: timedelta | None = None,
        **changes: Unpack[StateChanges],
    ) -> PlaybackState:
        """A copy with the given fields changed (see :class:`StateChanges`); others keep theirs.

        The timeline stays continuous: without ``position``, the new state's
        ``update_position`` is this state's position extrapolated to
        ``update_time`` (default: ``now``), clamped to ``duration`` when given.
        With ``position``, that position holds at ``update_time`` (default ``now``).
        ``now`` defaults to :func:`time.monotonic`.
        """
        return self._derive(dict(changes), now, duration)

    def _derive(
        self, changes: dict[str, Any], now: float | None, duration: timedelta | None
    ) -> PlaybackState:
        """:meth:`copy_with` from a dict of the given fields, which it consumes.

        ``set_state`` comes here directly: a request's callback publishes a state
        on the hot path, and binding fifteen keywords twice costs more than the copy.
        """
        if not changes.keys() <= _COPY_FIELDS:
            unknown = ", ".join(sorted(changes.keys() - _COPY_FIELDS))
            raise TypeError(f"PlaybackState has no field {unknown}")
        if now is None:
            now = time.monotonic()
        update_time = changes.pop("update_time", UNSET)
        base_time = now if update_time is UNSET else check_finite_time(update_time, "update_time")
        position = changes.pop("position", UNSET)
        if position is UNSET:  # position_at's, without its frame
            position = extrapolate(
                self.update_position,
                self.update_time,
                self.speed,
                self.advancing,
                base_time,
                duration,
            )
        else:
            check_duration(position, "position")
        if (
            type(self) is PlaybackState
            and _copy is not None
            and type(position) is timedelta  # not negative: extrapolate or check_duration saw to it
            and type(base_time) is float
            and -_INF < base_time < _INF
        ):
            # The usual change (playing, processing state, position): when each new value has
            # the form __post_init__'s first check accepts (the rest passed it already), the copy
            # is made without replace()'s call of it, half the cost of a state change.
            state = _copy(self)
            for name, value in changes.items():
                if _QUICK_TYPES.get(name) is not type(value):
                    break  # anything else is replace()'s to check
                _force_setattr(state, name, value)
            else:
                _force_setattr(state, "update_position", position)
                _force_setattr(state, "update_time", base_time)
                return state
        changes["update_position"] = position
        changes["update_time"] = base_time
        return msgspec.structs.replace(self, **changes)


class StateChanges(TypedDict, total=False):
    """The fields a ``set_state`` call may change (each optional; ``None`` clears)."""

    controls: Sequence[MediaControl]
    system_actions: Iterable[MediaAction]
    processing_state: AudioProcessingState
    playing: bool
    position: timedelta
    buffered_position: timedelta
    speed: float
    update_time: float
    android_compact_action_indices: Sequence[int] | None
    repeat_mode: AudioServiceRepeatMode
    shuffle_mode: AudioServiceShuffleMode
    error_code: int | None
    error_message: str | None
    captioning_enabled: bool
    queue_index: int | None


#: What copy_with takes: the fields, except that ``position`` stands for ``update_position``.
_COPY_FIELDS: Final = (frozenset(PlaybackState.__struct_fields__) - {"update_position"}) | {
    "position"
}

#: The fields _derive sets on a plain copy, with the type each value must have for that.
_QUICK_TYPES: Final[dict[str, type]] = {"playing": bool, "processing_state": AudioProcessingState}
_force_setattr = msgspec.structs.force_setattr
# A struct's copy without __post_init__ (msgspec's, for copy.copy); without it, replace() it is.
_copy: Callable[[PlaybackState], PlaybackState] | None = getattr(PlaybackState, "__copy__", None)

# -------------------------------------------------------------------------- config


_APP_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")


class ServiceConfig(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """How a service was started: what the task reads through its interval getters."""

    #: The app's id, used for the MPRIS bus name and the host's socket (dotted name).
    app_id: str | None = None
    #: Offer the task the session saved by the last run (media resumption).
    resume: bool = True
    fast_forward_interval: timedelta = timedelta(seconds=10)
    rewind_interval: timedelta = timedelta(seconds=10)
    #: Publish the service as an MPRIS2 player (Linux, with a session bus).
    mpris: bool = True
    #: The player's friendly name (MPRIS ``Identity``); default: the app id.
    identity: str | None = None
    #: The UI's desktop file id, without ``.desktop`` (icon and window matching).
    desktop_entry: str | None = None
    #: Also show a desktop notification with transport buttons (GNOME and KDE
    #: already show MPRIS players, hence off by default).
    notification: bool = False
    #: Turn bursts of play/pause presses into gestures: 2 = next, 3 = previous.
    headset_clicks: bool = False
    #: Read media keys from evdev devices (kiosks and headless systems without a desktop,
    #: whose compositor would otherwise turn them into MPRIS calls).
    media_keys: bool = False
    #: Android's meaning of Stop: MPRIS ``Stop`` (the desktop's Stop key) ends the service
    #: (``on_stop``) and dismissing the notification calls ``on_close``. Default: the
    #: desktop's meaning, Stop stops playback (``on_stop_playback``) and the player stays;
    #: a dismissed notification only hides until the next item.
    stop_ends_service: bool = False
    #: Hold an inhibitor against automatic suspend while playing (never against
    #: screen blanking or locking).
    keep_awake: bool = True
    #: Pause through the task before the machine sleeps (a logind delay lock).
    pause_on_sleep: bool = True
    #: Play again after the wake-up that followed such a pause.
    resume_after_wake: bool = False

    def __post_init__(self) -> None:
        for flag in (
            "resume",
            "mpris",
            "notification",
            "headset_clicks",
            "media_keys",
            "stop_ends_service",
            "keep_awake",
            "pause_on_sleep",
            "resume_after_wake",
        ):
            _check_bool(getattr(self, flag), flag)
        check_optional_str(self.identity, "identity")
        check_optional_str(self.desktop_entry, "desktop_entry")
        if self.desktop_entry is not None and self.desktop_entry.endswith(".desktop"):
            raise ValueError(
                f"desktop_entry is the desktop file id without .desktop, not {self.desktop_entry!r}"
            )
        if self.app_id is not None:
            check_str(self.app_id, "app_id")
            if len(self.app_id) > 200 or not _APP_ID.match(self.app_id):
                raise ValueError(
                    f"app_id must be a dotted name of letters, digits, '_' and '-' "
                    f"(each part not starting with a digit), not {self.app_id!r}"
                )
        for name in ("fast_forward_interval", "rewind_interval"):
            value = getattr(self, name)
            check_duration(value, name)
            if value <= _ZERO:
                raise ValueError(f"{name} must be positive, not {value}")
