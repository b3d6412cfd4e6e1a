"""The data model: values as in the original, validation, equality, lossless msgpack."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio_service import (
    AudioProcessingState,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    CustomMediaAction,
    MediaAction,
    MediaButton,
    MediaControl,
    MediaItem,
    PlaybackState,
    Rating,
    RatingStyle,
    ServiceConfig,
    ServiceNotRunningError,
    TaskError,
    TaskErrorInfo,
)
from audio_service._connect._wire import (
    SUCCEEDED_NONE,
    Failed,
    NotRunning,
    Succeeded,
    decode_outcome,
    encode_outcome,
)
from audio_service._model._events import (
    ChildrenChanged,
    ConnectionLost,
    CustomEvent,
    MediaItemChanged,
    QueueChanged,
    ServiceEvent,
    ServiceSnapshot,
    ServiceStarted,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._queue import QueueReplace, QueueSplice, QueueUpdate
from audio_service._service._requests import REQUEST_TYPES, CustomAction, Play, Request, SeekTo
from service_support import ITEM_A, ITEM_B, REQUEST_TABLE, request_made_by

# ------------------------------------------------------------------------ enums


def test_media_action_values_are_android_bit_positions() -> None:
    expected = [
        "STOP",
        "PAUSE",
        "PLAY",
        "REWIND",
        "SKIP_TO_PREVIOUS",
        "SKIP_TO_NEXT",
        "FAST_FORWARD",
        "SET_RATING",
        "SEEK",
        "PLAY_PAUSE",
        "PLAY_FROM_MEDIA_ID",
        "PLAY_FROM_SEARCH",
        "SKIP_TO_QUEUE_ITEM",
        "PLAY_FROM_URI",
        "PREPARE",
        "PREPARE_FROM_MEDIA_ID",
        "PREPARE_FROM_SEARCH",
        "PREPARE_FROM_URI",
        "SET_REPEAT_MODE",
        "SET_SHUFFLE_MODE_ENABLED",
        "SET_CAPTIONING_ENABLED",
        "SET_SHUFFLE_MODE",
        "SEEK_BACKWARD",
        "SEEK_FORWARD",
        "SET_SPEED",
        "CUSTOM",
    ]
    assert [action.name for action in MediaAction] == expected
    assert [action.value for action in MediaAction] == list(range(26))
    assert MediaAction.SEEK.mask == 1 << 8


def test_media_action_mask_round_trip() -> None:
    actions = {MediaAction.PLAY, MediaAction.SEEK, MediaAction.SET_SPEED}
    mask = MediaAction.to_mask(actions)
    assert mask == (1 << 2) | (1 << 8) | (1 << 24)
    assert MediaAction.from_mask(mask) == actions
    assert MediaAction.from_mask(mask | (1 << 40)) == actions
    with pytest.raises(ValueError, match="mask"):
        MediaAction.from_mask(-1)


def test_other_enum_values_match_the_original() -> None:
    assert [(s.name, s.value) for s in AudioProcessingState] == [
        ("IDLE", 0),
        ("LOADING", 1),
        ("BUFFERING", 2),
        ("READY", 3),
        ("COMPLETED", 4),
        ("ERROR", 5),
    ]
    assert [(m.name, m.value) for m in AudioServiceRepeatMode] == [
        ("NONE", 0),
        ("ONE", 1),
        ("ALL", 2),
        ("GROUP", 3),
    ]
    assert [(m.name, m.value) for m in AudioServiceShuffleMode] == [
        ("NONE", 0),
        ("ALL", 1),
        ("GROUP", 2),
    ]
    assert [(b.name, b.value) for b in MediaButton] == [("MEDIA", 0), ("NEXT", 1), ("PREVIOUS", 2)]
    assert [(r.name, r.value) for r in RatingStyle] == [
        ("NONE", 0),
        ("HEART", 1),
        ("THUMB_UP_DOWN", 2),
        ("RANGE_3_STARS", 3),
        ("RANGE_4_STARS", 4),
        ("RANGE_5_STARS", 5),
        ("PERCENTAGE", 6),
    ]


# ----------------------------------------------------------------- strategies

_text = st.text(max_size=12)
_durations = st.builds(
    timedelta,
    seconds=st.integers(0, 10**7),
    microseconds=st.integers(0, 999_999),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
_ratings = st.one_of(
    st.builds(Rating.new_heart_rating, st.booleans()),
    st.builds(Rating.new_thumb_rating, st.booleans()),
    st.builds(Rating.new_star_rating, st.just(RatingStyle.RANGE_5_STARS), st.integers(0, 5)),
    st.builds(Rating.new_percentage_rating, st.floats(0, 100)),
    st.builds(Rating.new_unrated_rating, st.sampled_from(RatingStyle)),
)
_items = st.builds(
    MediaItem,
    id=_text,
    title=_text,
    album=st.none() | _text,
    artist=st.none() | _text,
    genre=st.none() | _text,
    duration=st.none() | _durations,
    art_uri=st.none() | st.just("file:///art.png"),
    art_headers=st.none() | st.dictionaries(_text, _text, max_size=2),
    playable=st.none() | st.booleans(),
    display_title=st.none() | _text,
    display_subtitle=st.none() | _text,
    display_description=st.none() | _text,
    rating=st.none() | _ratings,
    extras=st.none() | st.dictionaries(_text, _json, max_size=3),
)
_button_actions = st.sampled_from(
    [MediaAction.PLAY, MediaAction.PAUSE, MediaAction.STOP, MediaAction.SKIP_TO_NEXT]
)
_controls = st.one_of(
    st.builds(MediaControl, android_icon=_text, label=_text, action=_button_actions),
    st.builds(
        MediaControl.custom,
        android_icon=_text,
        label=_text,
        name=_text,
        extras=st.none() | st.dictionaries(_text, _json, max_size=2),
    ),
)


@st.composite
def _states(draw: st.DrawFn) -> PlaybackState:
    controls = draw(st.lists(_controls, max_size=5))
    compact = draw(
        st.none()
        | st.lists(st.integers(0, max(len(controls) - 1, 0)), max_size=min(3, len(controls)))
    )
    return PlaybackState(
        processing_state=draw(st.sampled_from(AudioProcessingState)),
        playing=draw(st.booleans()),
        controls=tuple(controls),
        android_compact_action_indices=None if compact is None else tuple(compact),
        system_actions=draw(st.frozensets(st.sampled_from(MediaAction))),
        update_position=draw(_durations),
        buffered_position=draw(_durations),
        speed=draw(st.floats(0, 16)),
        update_time=draw(st.floats(-1e9, 1e9)),
        error_code=draw(st.none() | st.integers(-(2**31), 2**31)),
        error_message=draw(st.none() | _text),
        repeat_mode=draw(st.sampled_from(AudioServiceRepeatMode)),
        shuffle_mode=draw(st.sampled_from(AudioServiceShuffleMode)),
        captioning_enabled=draw(st.booleans()),
        queue_index=draw(st.none() | st.integers(0, 10**6)),
    )


def _round_trip(value: Any, kind: Any) -> Any:
    return msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=kind)


# ---------------------------------------------------------------- round trips


@given(_items)
def test_media_item_round_trips_losslessly(media_item: MediaItem) -> None:
    decoded = _round_trip(media_item, MediaItem)
    assert msgspec.structs.astuple(decoded) == msgspec.structs.astuple(media_item)
    assert decoded.same_content(media_item)


@given(_states())
def test_playback_state_round_trips_losslessly(state: PlaybackState) -> None:
    assert _round_trip(state, PlaybackState) == state


@given(_ratings)
def test_rating_round_trips_with_type_and_value_keys(rating: Rating) -> None:
    assert _round_trip(rating, Rating) == rating
    raw = msgspec.msgpack.decode(msgspec.msgpack.encode(rating))
    assert raw["type"] == rating.style.value


@given(_controls)
def test_media_control_round_trips(control: MediaControl) -> None:
    assert _round_trip(control, MediaControl) == control


def test_service_config_round_trips() -> None:
    config = ServiceConfig(app_id="org.example.Player", rewind_interval=timedelta(seconds=3))
    assert _round_trip(config, ServiceConfig) == config


def test_durations_round_trip_at_microsecond_precision() -> None:
    odd = timedelta(days=3, seconds=7, microseconds=13)
    item = MediaItem(id="x", title="t", duration=odd)
    assert _round_trip(item, MediaItem).duration == odd


@pytest.mark.parametrize(("method", "args", "_callback", "_expected"), REQUEST_TABLE)
async def test_every_request_round_trips_through_the_tagged_union(
    method: str, args: tuple[Any, ...], _callback: str, _expected: tuple[Any, ...]
) -> None:
    request = await request_made_by(method, args)
    data = msgspec.msgpack.encode(request)
    decoded = msgspec.msgpack.decode(data, type=Request)
    assert type(decoded) is type(request)
    assert msgspec.structs.astuple(decoded) == msgspec.structs.astuple(request)
    assert decoded.method == request.method == REQUEST_TYPES[decoded.method].__struct_config__.tag


def test_request_types_cover_every_request_of_the_brief() -> None:
    assert set(REQUEST_TYPES) == {
        "play", "pause", "stop", "prepare", "prepare_from_media_id", "play_from_media_id",
        "play_media_item", "play_from_uri", "play_from_search", "skip_to_next",
        "skip_to_previous", "skip_to_queue_item", "fast_forward", "rewind", "seek_to",
        "seek_forward", "seek_backward", "add_queue_item", "add_queue_item_at",
        "add_queue_items", "remove_queue_item", "update_queue", "update_media_item", "click",
        "set_repeat_mode", "set_shuffle_mode", "set_rating", "set_speed", "set_volume",
        "custom_action", "load_children", "task_removed", "close",
        # Not in the brief: MPRIS Stop, which keeps the service (on_stop ends it).
        "stop_playback",
    }  # fmt: skip


def test_every_event_round_trips_through_the_tagged_union() -> None:
    events: list[ServiceEvent] = [
        ServiceSnapshot(
            running=True,
            config=ServiceConfig(),
            state=PlaybackState(update_time=5.0),
            media_item=ITEM_A,
            queue=(ITEM_A, ITEM_B),
        ),
        ServiceStarted(),
        ServiceStopped(),
        StateChanged(state=PlaybackState(playing=True, update_time=1.0)),
        MediaItemChanged(media_item=None),
        QueueChanged(
            ops=(QueueReplace((ITEM_A,)), QueueSplice(1, 0, (ITEM_B,)), QueueUpdate(0, ITEM_A)),
            length=2,
        ),
        CustomEvent(event={"level": [1, 2]}),
        ChildrenChanged(parent_media_id="root"),
        ConnectionLost(reason="bye"),
    ]
    for event in events:
        decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(event), type=ServiceEvent)
        assert decoded == event


def test_a_reply_of_nothing_is_one_constant_and_every_outcome_still_decodes() -> None:
    # Most replies (play, pause, seek…) are "succeeded with nothing": encoded once, and
    # recognised by their bytes, without the outcome decoder.
    assert encode_outcome(Succeeded(value=None)) == SUCCEEDED_NONE
    assert decode_outcome(SUCCEEDED_NONE, Play()) is None
    # A request that returns something takes the general path, also for a None result.
    assert decode_outcome(SUCCEEDED_NONE, CustomAction(name="x")) is None
    assert decode_outcome(encode_outcome(Succeeded(value=[1])), CustomAction(name="x")) == [1]
    info = TaskErrorInfo(request="play", error_type="RuntimeError", message="bad")
    with pytest.raises(TaskError, match="bad"):
        decode_outcome(encode_outcome(Failed(info=info)), Play())
    with pytest.raises(ServiceNotRunningError, match="gone"):
        decode_outcome(encode_outcome(NotRunning(message="gone")), Play())


# ------------------------------------------------------------- wire errors


def test_an_unknown_enum_value_from_the_wire_is_a_clear_error() -> None:
    raw = msgspec.msgpack.encode({"processing_state": 9, "update_time": 1.0})
    with pytest.raises(msgspec.ValidationError, match=r"processing_state"):
        msgspec.msgpack.decode(raw, type=PlaybackState)


def test_a_request_with_an_invalid_value_fails_to_decode() -> None:
    raw = msgspec.msgpack.encode({"type": "seek_to", "position": "-PT1S"})
    with pytest.raises(msgspec.ValidationError, match="position"):
        msgspec.msgpack.decode(raw, type=Request)
    raw = msgspec.msgpack.encode({"type": "set_speed", "speed": float("nan")})
    with pytest.raises(msgspec.ValidationError, match="speed"):
        msgspec.msgpack.decode(raw, type=Request)
    raw = msgspec.msgpack.encode({"type": "no_such_request"})
    with pytest.raises(msgspec.ValidationError):
        msgspec.msgpack.decode(raw, type=Request)


# -------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "error", "field"),
    [
        (lambda: PlaybackState(speed=float("nan")), ValueError, "speed"),
        (lambda: PlaybackState(speed=-1.0), ValueError, "speed"),
        (lambda: PlaybackState(speed=math.inf), ValueError, "speed"),
        (
            lambda: PlaybackState(update_position=timedelta(seconds=-1)),
            ValueError,
            "update_position",
        ),
        (lambda: PlaybackState(buffered_position=5), TypeError, "buffered_position"),  # type: ignore[arg-type]
        (lambda: PlaybackState(update_time=float("nan")), ValueError, "update_time"),
        (lambda: PlaybackState(playing=1), TypeError, "playing"),  # type: ignore[arg-type]
        (lambda: PlaybackState(processing_state=17), ValueError, "processing_state"),  # type: ignore[arg-type]
        (lambda: PlaybackState(queue_index=-1), ValueError, "queue_index"),
        (
            lambda: PlaybackState(
                controls=(MediaControl.play,) * 4, android_compact_action_indices=(0, 1, 2, 3)
            ),
            ValueError,
            "android_compact_action_indices",
        ),
        (
            lambda: PlaybackState(
                controls=(MediaControl.play,), android_compact_action_indices=(1,)
            ),
            ValueError,
            "android_compact_action_indices",
        ),
        (lambda: PlaybackState(controls=("play",)), TypeError, "controls"),  # type: ignore[arg-type]
        (lambda: PlaybackState(system_actions={99}), ValueError, "system_actions"),  # type: ignore[arg-type]
        (lambda: MediaItem(id="x", title="t", duration=timedelta(-1)), ValueError, "duration"),
        (lambda: MediaItem(id=3, title="t"), TypeError, "id"),  # type: ignore[arg-type]
        (lambda: MediaItem(id="x", title=None), TypeError, "title"),  # type: ignore[arg-type]
        (lambda: MediaItem(id="x", title="t", extras={1: 2}), TypeError, "extras"),  # type: ignore[dict-item]
        (lambda: MediaItem(id="x", title="t", rating=3), TypeError, "rating"),  # type: ignore[arg-type]
        (lambda: MediaItem(id="x", title="t", playable="yes"), TypeError, "playable"),  # type: ignore[arg-type]
        (lambda: Rating.new_star_rating(RatingStyle.RANGE_3_STARS, 4), ValueError, "value"),
        (lambda: Rating.new_star_rating(RatingStyle.HEART, 1), ValueError, "star_rating_style"),
        (lambda: Rating.new_percentage_rating(101), ValueError, "value"),
        (lambda: Rating(RatingStyle.HEART, 1), TypeError, "value"),
        (lambda: Rating(RatingStyle.NONE, True), ValueError, "value"),
        (
            lambda: MediaControl(android_icon="i", label="l", action=MediaAction.SEEK),
            ValueError,
            "SEEK",
        ),
        (
            lambda: MediaControl(android_icon="i", label="l", action=MediaAction.CUSTOM),
            ValueError,
            "custom_action",
        ),
        (lambda: ServiceConfig(fast_forward_interval=timedelta(0)), ValueError, "fast_forward"),
        (lambda: ServiceConfig(rewind_interval=timedelta(-1)), ValueError, "rewind_interval"),
        (lambda: ServiceConfig(app_id="has space"), ValueError, "app_id"),
        (lambda: SeekTo(position=timedelta(seconds=-1)), ValueError, "position"),
    ],
)
def test_bad_values_raise_errors_naming_the_field(
    build: Any, error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        build()


def test_state_accepts_lists_and_sets_and_stores_immutables() -> None:
    state = PlaybackState(
        controls=[MediaControl.play, MediaControl.pause],  # type: ignore[arg-type]
        system_actions={MediaAction.SEEK},  # type: ignore[arg-type]
        android_compact_action_indices=[1],  # type: ignore[arg-type]
        speed=2,
        processing_state=3,  # type: ignore[arg-type]
    )
    assert state.controls == (MediaControl.play, MediaControl.pause)
    assert state.system_actions == frozenset({MediaAction.SEEK})
    assert state.android_compact_action_indices == (1,)
    assert state.speed == 2.0
    assert isinstance(state.speed, float)
    assert state.processing_state is AudioProcessingState.READY
    assert state.actions == {MediaAction.PLAY, MediaAction.PAUSE, MediaAction.SEEK}
    hash(state)


# ---------------------------------------------------------------- semantics


def test_media_items_are_equal_and_hash_by_id_only() -> None:
    first = MediaItem(id="x", title="one", artist="A")
    second = MediaItem(id="x", title="two")
    other = MediaItem(id="y", title="one", artist="A")
    assert first == second
    assert hash(first) == hash(second)
    assert first != other
    assert not first.same_content(second)
    assert first.same_content(MediaItem(id="x", title="one", artist="A"))
    assert len({first, second, other}) == 2
    assert first != "x"


def test_media_item_copy_with_validates_and_can_clear() -> None:
    item = MediaItem(id="x", title="t", artist="A", duration=timedelta(seconds=5))
    assert item.copy_with(artist=None).artist is None
    assert item.copy_with(title="u").title == "u"
    with pytest.raises(ValueError, match="duration"):
        item.copy_with(duration=timedelta(seconds=-5))


def test_media_item_defaults() -> None:
    item = MediaItem(id="x", title="t")
    assert item.playable is True
    assert item.album is None
    assert item.duration is None
    assert item.extras is None


def test_rating_getters() -> None:
    heart = Rating.new_heart_rating(True)
    assert heart.get_rating_style() is RatingStyle.HEART
    assert heart.has_heart()
    assert heart.is_rated()
    assert not heart.is_thumb_up()
    assert heart.get_star_rating() is None
    assert heart.get_percent_rating() is None
    thumb = Rating.new_thumb_rating(False)
    assert not thumb.is_thumb_up()
    assert thumb.is_rated()
    stars = Rating.new_star_rating(RatingStyle.RANGE_4_STARS, 4)
    assert stars.get_star_rating() == 4
    assert stars.get_percent_rating() is None
    percent = Rating.new_percentage_rating(42)
    assert percent.get_percent_rating() == 42.0
    assert isinstance(percent.value, float)
    unrated = Rating.new_unrated_rating(RatingStyle.RANGE_5_STARS)
    assert not unrated.is_rated()
    assert unrated.get_star_rating() is None
    assert Rating.new_heart_rating(True) == heart
    assert hash(Rating.new_heart_rating(True)) == hash(heart)


def test_standard_controls_and_custom_controls() -> None:
    assert MediaControl.play.action is MediaAction.PLAY
    assert MediaControl.pause.action is MediaAction.PAUSE
    assert MediaControl.stop.action is MediaAction.STOP
    assert MediaControl.rewind.action is MediaAction.REWIND
    assert MediaControl.fast_forward.action is MediaAction.FAST_FORWARD
    assert MediaControl.skip_to_next.action is MediaAction.SKIP_TO_NEXT
    assert MediaControl.skip_to_previous.action is MediaAction.SKIP_TO_PREVIOUS
    assert MediaControl.play.android_icon == "drawable/audio_service_play_arrow"
    like = MediaControl.custom(android_icon="i", label="Like", name="like", extras={"x": 1})
    assert like.action is MediaAction.CUSTOM
    assert like.custom_action == CustomMediaAction(name="like", extras={"x": 1})
    assert like != MediaControl.custom(android_icon="i", label="Like", name="love")
    assert len({like, like}) == 1
