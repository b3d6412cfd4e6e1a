"""The position model: extrapolation, re-basing on change (#1040, #68), clamping."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio_service import (
    AudioProcessingState,
    AudioServiceRepeatMode,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
    PlaybackState,
)
from audio_service._model._position import position_period
from audio_service._service._core import ServiceCore
from service_support import FakeClock

pytestmark = pytest.mark.usefixtures("no_leftover_service")

READY = AudioProcessingState.READY
T0 = 1000.0


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def playing_state(**fields: object) -> PlaybackState:
    base: dict[str, object] = {
        "processing_state": READY,
        "playing": True,
        "update_position": seconds(10),
        "update_time": T0,
    }
    base.update(fields)
    return PlaybackState(**base)  # type: ignore[arg-type]


# ------------------------------------------------------------- extrapolation


def test_playing_and_ready_advances_at_speed() -> None:
    assert playing_state().position_at(T0 + 5) == seconds(15)
    assert playing_state(speed=2.0).position_at(T0 + 5) == seconds(20)
    assert playing_state(speed=0.5).position_at(T0 + 5) == seconds(12.5)


@pytest.mark.parametrize(
    "fields",
    [
        {"playing": False},
        {"processing_state": AudioProcessingState.BUFFERING},
        {"processing_state": AudioProcessingState.LOADING},
        {"processing_state": AudioProcessingState.COMPLETED},
        {"processing_state": AudioProcessingState.IDLE},
        {"processing_state": AudioProcessingState.ERROR},
        {"speed": 0.0},
    ],
)
def test_the_position_stands_still_unless_playing_and_ready(fields: dict[str, object]) -> None:
    state = playing_state(**fields)
    assert not state.advancing
    assert state.position_at(T0 + 30) == seconds(10)


def test_the_position_is_clamped_to_the_duration_when_known() -> None:
    state = playing_state()
    assert state.position_at(T0 + 100, duration=seconds(60)) == seconds(60)
    assert state.position_at(T0 + 100) == seconds(110)


def test_a_time_before_the_update_time_does_not_run_backwards() -> None:
    assert playing_state().position_at(T0 - 5) == seconds(10)


def test_position_property_uses_the_monotonic_clock() -> None:
    state = PlaybackState(
        processing_state=READY,
        playing=True,
        update_position=seconds(1),
        update_time=time.monotonic(),
    )
    assert seconds(1) <= state.position < seconds(60)


# ------------------------------------------------------------------ re-basing


def test_changing_speed_rebases_on_the_extrapolated_position() -> None:
    """#1040: a copy must not jump back to the stale update_position."""
    state = playing_state()
    faster = state.copy_with(speed=2.0, now=T0 + 5)
    assert faster.update_position == seconds(15)
    assert faster.update_time == T0 + 5
    assert faster.position_at(T0 + 6) == seconds(17)


def test_pausing_freezes_and_resuming_continues_from_there() -> None:
    """#68: the update time after a resume is the resume time."""
    paused = playing_state().copy_with(playing=False, now=T0 + 4)
    assert paused.position_at(T0 + 100) == seconds(14)
    resumed = paused.copy_with(playing=True, now=T0 + 100)
    assert resumed.update_time == T0 + 100
    assert resumed.position_at(T0 + 101) == seconds(15)


def test_buffering_holds_the_position_and_ready_resumes() -> None:
    buffering = playing_state().copy_with(
        processing_state=AudioProcessingState.BUFFERING, now=T0 + 3
    )
    assert buffering.position_at(T0 + 10) == seconds(13)
    ready = buffering.copy_with(processing_state=READY, now=T0 + 10)
    assert ready.position_at(T0 + 12) == seconds(15)


def test_an_explicit_position_holds_at_now() -> None:
    seeked = playing_state().copy_with(position=seconds(3), now=T0 + 50)
    assert seeked.update_position == seconds(3)
    assert seeked.update_time == T0 + 50
    assert seeked.position_at(T0 + 51) == seconds(4)


def test_an_explicit_update_time_is_kept() -> None:
    state = playing_state().copy_with(position=seconds(3), update_time=T0 + 40, now=T0 + 50)
    assert state.update_time == T0 + 40
    assert state.position_at(T0 + 50) == seconds(13)
    rebased = playing_state().copy_with(update_time=T0 + 2, now=T0 + 50)
    assert rebased.update_position == seconds(12)


@pytest.mark.parametrize(
    "changes",
    [
        {"playing": False},
        {"processing_state": AudioProcessingState.BUFFERING},
        {"playing": False, "processing_state": READY, "position": seconds(3)},
        {"position": seconds(3), "update_time": T0 + 2},
    ],
)
def test_a_copy_of_the_usual_changes_equals_a_validated_construction(
    changes: dict[str, object],
) -> None:
    # set_state(playing=...) and the like are copied without a second validation; the result
    # must be the state a construction from all the fields makes.
    state = playing_state(controls=(MediaControl.pause,), queue_index=2)
    copy = state.copy_with(now=T0 + 5, **changes)  # type: ignore[arg-type]
    fields = {name: getattr(copy, name) for name in PlaybackState.__struct_fields__}
    assert copy == PlaybackState(**fields)
    assert type(copy.update_time) is float


@pytest.mark.parametrize(
    ("changes", "now", "error"),
    [
        ({"playing": "yes"}, T0, TypeError),
        ({"playing": 1}, T0, TypeError),
        ({"processing_state": "ready"}, T0, TypeError),
        ({"playing": True}, float("nan"), ValueError),
        ({"position": seconds(1)}, float("inf"), ValueError),
    ],
)
def test_the_usual_changes_are_still_checked(
    changes: dict[str, object], now: float, error: type[Exception]
) -> None:
    with pytest.raises(error):
        playing_state().copy_with(now=now, **changes)  # type: ignore[arg-type]


def test_the_usual_changes_normalise_as_a_construction_does() -> None:
    # An int clock and an enum's number take the slow path, which normalises them.
    copy = playing_state().copy_with(processing_state=2, now=1000)  # type: ignore[arg-type]
    assert copy.processing_state is AudioProcessingState.BUFFERING
    assert type(copy.update_time) is float


def test_copy_with_keeps_omitted_fields_and_clears_given_nones() -> None:
    state = playing_state(
        controls=(MediaControl.pause,),
        repeat_mode=AudioServiceRepeatMode.ONE,
        queue_index=4,
        error_message="x",
    )
    copy = state.copy_with(speed=1.5, queue_index=None, now=T0)
    assert copy.controls == (MediaControl.pause,)
    assert copy.repeat_mode is AudioServiceRepeatMode.ONE
    assert copy.error_message == "x"
    assert copy.queue_index is None
    assert copy.speed == 1.5


def test_copy_with_clamps_the_rebased_position_to_the_duration() -> None:
    state = playing_state().copy_with(playing=False, now=T0 + 500, duration=seconds(60))
    assert state.update_position == seconds(60)


def test_copy_with_validates() -> None:
    with pytest.raises(ValueError, match="speed"):
        playing_state().copy_with(speed=-2.0, now=T0)
    with pytest.raises(ValueError, match="position"):
        playing_state().copy_with(position=seconds(-1), now=T0)


_steps = st.lists(
    st.tuples(
        st.floats(0, 30),  # seconds elapsed before the change
        st.sampled_from(["speed", "playing", "processing_state", "buffered"]),
        st.floats(0, 4),
        st.booleans(),
    ),
    max_size=25,
)


@given(_steps)
def test_rebasing_never_drifts_from_an_exact_integration(
    steps: list[tuple[float, str, float, bool]],
) -> None:
    """Any sequence of changes without a seek gives the integral of speed over advancing time."""
    now = T0
    state = PlaybackState(processing_state=READY, playing=True, update_time=now)
    expected = 0.0
    for elapsed, field, number, flag in steps:
        if state.advancing:
            expected += elapsed * state.speed
        now += elapsed
        before = state.position_at(now)
        if field == "speed":
            state = state.copy_with(speed=number, now=now)
        elif field == "playing":
            state = state.copy_with(playing=flag, now=now)
        elif field == "processing_state":
            new = READY if flag else AudioProcessingState.BUFFERING
            state = state.copy_with(processing_state=new, now=now)
        else:
            state = state.copy_with(buffered_position=seconds(number), now=now)
        assert state.position_at(now) == before
    tolerance = timedelta(microseconds=len(steps) + 1)
    assert abs(state.position_at(now) - seconds(expected)) <= tolerance


# ------------------------------------------------- set_state through the core


class _Task(BackgroundAudioTask):
    pass


async def test_core_set_state_rebases_with_its_clock_and_clamps_to_the_item(
    clock: FakeClock,
) -> None:
    core = ServiceCore(_Task(), clock=clock)
    await core.start()
    try:
        core.set_media_item(MediaItem(id="a", title="A", duration=seconds(30)))
        core.set_state(playing=True, processing_state=READY, position=seconds(20))
        assert core.state.update_time == clock.now
        clock.advance(5)
        core.set_state(speed=2.0)
        assert core.state.update_position == seconds(25)
        clock.advance(2)
        assert core.position() == seconds(29)
        clock.advance(10)
        assert core.position() == seconds(30)
        core.set_state(playing=False)
        assert core.state.update_position == seconds(30)
    finally:
        await core.shutdown()


async def test_core_set_state_names_an_unknown_field_and_keeps_the_state(
    clock: FakeClock,
) -> None:
    core = ServiceCore(_Task(), clock=clock)
    await core.start()
    try:
        core.set_state(playing=True, controls=[MediaControl.pause])
        before = core.state
        assert before.controls == (MediaControl.pause,)  # a list is stored as a tuple
        with pytest.raises(TypeError, match="no field update_position, volume"):
            core.set_state(volume=0.5, update_position=seconds(3))
        with pytest.raises(TypeError, match="controls"):
            core.set_state(controls=["pause"])
        assert core.state is before
    finally:
        await core.shutdown()


def test_position_period_is_duration_over_steps_clamped() -> None:
    low, high = timedelta(milliseconds=16), timedelta(milliseconds=200)
    assert position_period(None, steps=800, min_period=low, max_period=high) == 0.2
    assert position_period(seconds(8), steps=800, min_period=low, max_period=high) == 0.016
    assert position_period(seconds(80), steps=800, min_period=low, max_period=high) == 0.1
    assert position_period(seconds(8000), steps=800, min_period=low, max_period=high) == 0.2
