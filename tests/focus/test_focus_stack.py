"""The focus stack's Android rules, transition by transition."""

from __future__ import annotations

import pytest

from audio_session import (
    AndroidAudioFocus,
    AndroidAudioFocusGainType,
    AndroidAudioUsage,
    AudioInterruptionEvent,
    AudioInterruptionType,
)
from audio_session._focus import FocusChange, FocusEntry, FocusRequest, FocusStack
from audio_session._focus._stack import loss_for_gain

G = AndroidAudioFocusGainType
F = AndroidAudioFocus
T = AudioInterruptionType
VOICE = AndroidAudioUsage.VOICE_COMMUNICATION


def begin(kind: AudioInterruptionType) -> AudioInterruptionEvent:
    return AudioInterruptionEvent(True, kind)


def end(kind: AudioInterruptionType) -> AudioInterruptionEvent:
    return AudioInterruptionEvent(False, kind)


def req(
    owner: str,
    gain: G = G.GAIN,
    *,
    usage: AndroidAudioUsage = AndroidAudioUsage.MEDIA,
    wpwd: bool = False,
    rid: str = "r",
) -> FocusRequest:
    return FocusRequest(owner, rid, gain, usage, wpwd)


def owners(stack: FocusStack) -> list[str]:
    return [e.request.owner for e in stack.entries]


def test_first_request_is_granted_without_changes() -> None:
    stack = FocusStack()
    result = stack.request(req("a"))
    assert result.granted
    assert result.sequence == 1
    assert result.changes == ()
    assert stack.holder is not None
    assert stack.holder.focus is F.GAIN


@pytest.mark.parametrize(
    ("gain", "wpwd", "loss", "began", "ended"),
    [
        (G.GAIN_TRANSIENT, False, F.LOSS_TRANSIENT, T.PAUSE, T.PAUSE),
        (G.GAIN_TRANSIENT_EXCLUSIVE, False, F.LOSS_TRANSIENT, T.PAUSE, T.PAUSE),
        (G.GAIN_TRANSIENT_MAY_DUCK, False, F.LOSS_TRANSIENT_CAN_DUCK, T.DUCK, T.DUCK),
        (G.GAIN_TRANSIENT_MAY_DUCK, True, F.LOSS_TRANSIENT_CAN_DUCK, T.PAUSE, T.PAUSE),
        (G.GAIN_TRANSIENT, True, F.LOSS_TRANSIENT, T.PAUSE, T.PAUSE),
    ],
)
def test_transient_gain_and_abandon(gain: G, wpwd: bool, loss: F, began: T, ended: T) -> None:
    stack = FocusStack()
    stack.request(req("a", wpwd=wpwd))
    result = stack.request(req("b", gain))
    assert result.granted
    assert result.changes == (FocusChange("a", "r", 1, loss, (begin(began),)),)
    assert owners(stack) == ["b", "a"]
    result = stack.abandon("b", "r")
    assert result.granted
    assert result.changes == (FocusChange("a", "r", 1, F.GAIN, (end(ended),)),)
    assert owners(stack) == ["a"]


def test_permanent_gain_removes_every_entry_below() -> None:
    stack = FocusStack()
    stack.request(req("a"))
    stack.request(req("b", G.GAIN_TRANSIENT_MAY_DUCK))
    result = stack.request(req("c", G.GAIN))
    assert result.changes == (
        FocusChange("b", "r", 2, F.LOSS, (begin(T.UNKNOWN),)),
        FocusChange("a", "r", 1, F.LOSS, (begin(T.UNKNOWN),)),
    )
    assert owners(stack) == ["c"]
    # Nobody is left to regain focus.
    assert stack.abandon("c", "r").changes == ()
    assert len(stack) == 0


def test_duck_upgraded_to_pause_ends_the_duck_first() -> None:
    stack = FocusStack()
    stack.request(req("a"))
    stack.request(req("b", G.GAIN_TRANSIENT_MAY_DUCK))
    result = stack.request(req("c", G.GAIN_TRANSIENT))
    assert result.changes == (
        FocusChange("b", "r", 2, F.LOSS_TRANSIENT, (begin(T.PAUSE),)),
        FocusChange("a", "r", 1, F.LOSS_TRANSIENT, (end(T.DUCK), begin(T.PAUSE))),
    )
    # Android keeps the deeper loss: c leaving gives b focus, a stays paused.
    result = stack.abandon("c", "r")
    assert result.changes == (FocusChange("b", "r", 2, F.GAIN, (end(T.PAUSE),)),)
    assert [e.focus for e in stack.entries] == [F.GAIN, F.LOSS_TRANSIENT]


def test_pause_when_ducked_upgrade_changes_code_but_not_interruption() -> None:
    stack = FocusStack()
    stack.request(req("a", wpwd=True))
    stack.request(req("b", G.GAIN_TRANSIENT_MAY_DUCK))
    result = stack.request(req("c", G.GAIN_TRANSIENT_EXCLUSIVE))
    assert FocusChange("a", "r", 1, F.LOSS_TRANSIENT, ()) in result.changes


def test_same_loss_is_not_repeated() -> None:
    stack = FocusStack()
    stack.request(req("a"))
    stack.request(req("b", G.GAIN_TRANSIENT))
    result = stack.request(req("c", G.GAIN_TRANSIENT_MAY_DUCK))
    # a is already paused; only b is told to duck.
    assert result.changes == (
        FocusChange("b", "r", 2, F.LOSS_TRANSIENT_CAN_DUCK, (begin(T.DUCK),)),
    )


def test_holder_re_request_updates_without_events() -> None:
    stack = FocusStack()
    stack.request(req("a"))
    first = stack.request(req("b", G.GAIN_TRANSIENT))
    again = stack.request(req("b", G.GAIN_TRANSIENT_MAY_DUCK, wpwd=True))
    assert again.granted
    assert again.changes == ()
    assert again.sequence == first.sequence
    holder = stack.holder
    assert holder is not None
    assert holder.request.gain_type is G.GAIN_TRANSIENT_MAY_DUCK
    assert len(stack) == 2


def test_re_request_from_below_moves_to_top_and_ends_its_interruption() -> None:
    stack = FocusStack()
    stack.request(req("a"))
    stack.request(req("b", G.GAIN_TRANSIENT))
    result = stack.request(req("a", G.GAIN_TRANSIENT))
    assert result.changes == (
        FocusChange("b", "r", 2, F.LOSS_TRANSIENT, (begin(T.PAUSE),)),
        FocusChange("a", "r", 3, F.GAIN, (end(T.PAUSE),)),
    )
    assert owners(stack) == ["a", "b"]
    assert result.sequence == 3


def test_abandon_below_top_is_silent_and_unknown_abandon_is_false() -> None:
    stack = FocusStack()
    stack.request(req("a"))
    stack.request(req("b", G.GAIN_TRANSIENT))
    assert stack.abandon("a", "r").changes == ()
    assert owners(stack) == ["b"]
    assert not stack.abandon("a", "r").granted
    assert not stack.abandon("zz", "r").granted


def test_voice_call_denies_other_usages() -> None:
    stack = FocusStack()
    stack.request(req("music"))
    call = stack.request(req("call", G.GAIN_TRANSIENT, usage=VOICE))
    assert call.granted
    denied = stack.request(req("nav", G.GAIN_TRANSIENT_MAY_DUCK))
    assert not denied.granted
    assert denied.changes == ()
    # Even the paused music cannot take focus back during the call.
    assert not stack.request(req("music", G.GAIN)).granted
    # Another call may.
    assert stack.request(req("call2", G.GAIN_TRANSIENT, usage=VOICE)).granted
    stack.abandon("call2", "r")
    # The caller itself may re-request with another usage.
    assert stack.request(req("call", G.GAIN_TRANSIENT)).granted
    stack.abandon("call", "r")
    assert stack.request(req("nav", G.GAIN_TRANSIENT_MAY_DUCK)).granted


def test_owner_vanishing_is_an_abandon_of_all_its_requests() -> None:
    stack = FocusStack()
    stack.request(req("a"))
    stack.request(req("b", G.GAIN_TRANSIENT, rid="one"))
    stack.request(req("b", G.GAIN_TRANSIENT_MAY_DUCK, rid="two"))
    changes = stack.remove_owner("b")
    assert changes == (FocusChange("a", "r", 1, F.GAIN, (end(T.PAUSE),)),)
    assert owners(stack) == ["a"]
    assert stack.remove_owner("nobody") == ()


def test_requests_of_one_owner_are_separate() -> None:
    stack = FocusStack()
    stack.request(req("a", rid="music"))
    result = stack.request(req("a", G.GAIN_TRANSIENT_MAY_DUCK, rid="prompt"))
    assert result.changes == (
        FocusChange("a", "music", 1, F.LOSS_TRANSIENT_CAN_DUCK, (begin(T.DUCK),)),
    )


def test_restore_rebuilds_in_sequence_order_and_settle_fills_the_gap() -> None:
    old = FocusStack()
    old.request(req("a"))
    old.request(req("b", G.GAIN_TRANSIENT_MAY_DUCK))
    old.request(req("host", G.GAIN_TRANSIENT))
    new = FocusStack()
    # Participants come back in any order; the host is gone.
    for entry in reversed(old.entries[1:]):
        new.restore(entry)
    for entry in old.entries[1:]:
        with pytest.raises(ValueError, match="already in the stack"):
            new.restore(entry)
    assert owners(new) == ["b", "a"]
    assert new.settle() == (FocusChange("b", "r", 2, F.GAIN, (end(T.PAUSE),)),)
    assert new.settle() == ()
    # Numbering carries on after the highest restored sequence.
    assert new.request(req("c")).sequence == 3


def test_settle_interrupts_a_restored_holder_that_is_not_on_top() -> None:
    stack = FocusStack()
    stack.restore(FocusEntry(req("late"), 1))
    stack.restore(FocusEntry(req("top", G.GAIN_TRANSIENT_MAY_DUCK), 2))
    assert stack.settle() == (
        FocusChange("late", "r", 1, F.LOSS_TRANSIENT_CAN_DUCK, (begin(T.DUCK),)),
    )


def test_restore_rejects_impossible_entries() -> None:
    stack = FocusStack()
    with pytest.raises(ValueError, match="loss"):
        stack.restore(FocusEntry(req("a"), 1, F.LOSS))
    with pytest.raises(ValueError, match="sequence"):
        stack.restore(FocusEntry(req("a"), 0))
    stack.restore(FocusEntry(req("a"), 3))
    with pytest.raises(ValueError, match="sequence 3"):
        stack.restore(FocusEntry(req("b"), 3))


def test_bad_requests_name_the_field() -> None:
    with pytest.raises(ValueError, match="gain_type"):
        FocusRequest("a", "r", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="owner"):
        FocusRequest("", "r", G.GAIN)
    with pytest.raises(ValueError, match="request_id"):
        FocusRequest("a", "", G.GAIN)
    with pytest.raises(TypeError, match="will_pause_when_ducked"):
        FocusRequest("a", "r", G.GAIN, AndroidAudioUsage.MEDIA, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "gain", "expected"),
    [
        (None, G.GAIN, F.LOSS),
        (F.LOSS_TRANSIENT, G.GAIN, F.LOSS),
        (None, G.GAIN_TRANSIENT, F.LOSS_TRANSIENT),
        (F.LOSS_TRANSIENT_CAN_DUCK, G.GAIN_TRANSIENT_EXCLUSIVE, F.LOSS_TRANSIENT),
        (None, G.GAIN_TRANSIENT_MAY_DUCK, F.LOSS_TRANSIENT_CAN_DUCK),
        (F.LOSS_TRANSIENT, G.GAIN_TRANSIENT_MAY_DUCK, F.LOSS_TRANSIENT),
        (F.LOSS_TRANSIENT_CAN_DUCK, G.GAIN_TRANSIENT_MAY_DUCK, F.LOSS_TRANSIENT_CAN_DUCK),
        (F.LOSS, G.GAIN_TRANSIENT_MAY_DUCK, F.LOSS),
    ],
)
def test_android_loss_table(current: F | None, gain: G, expected: F) -> None:
    assert loss_for_gain(current, gain) is expected


def test_renumber_keeps_the_order_and_restarts_the_count() -> None:
    stack = FocusStack()
    stack.restore(FocusEntry(req("low"), 7, F.LOSS_TRANSIENT))
    stack.restore(FocusEntry(req("high"), 2**64 - 1))
    assert stack.renumber() == {("low", "r"): (7, 1), ("high", "r"): (2**64 - 1, 2)}
    assert [(e.request.owner, e.sequence) for e in stack.entries] == [("high", 2), ("low", 1)]
    assert stack.request(req("next", G.GAIN_TRANSIENT)).sequence == 3
