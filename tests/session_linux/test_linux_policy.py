"""The interruption policy table and the state machine that merges interrupters."""

from __future__ import annotations

import pytest

from audio_session import AudioInterruptionEvent, AudioInterruptionType
from audio_session._linux import (
    DEFAULT_ACTIONS,
    InterruptionPolicy,
    InterruptionTracker,
    PolicyAction,
    RoleClass,
)

PAUSE = AudioInterruptionType.PAUSE
DUCK = AudioInterruptionType.DUCK
UNKNOWN = AudioInterruptionType.UNKNOWN


@pytest.mark.parametrize(
    ("role", "role_class"),
    [
        ("phone", RoleClass.COMMUNICATION),
        ("Communication", RoleClass.COMMUNICATION),
        ("event", RoleClass.NOTIFICATION),
        ("Notification", RoleClass.NOTIFICATION),
        ("a11y", RoleClass.ACCESSIBILITY),
        ("Accessibility", RoleClass.ACCESSIBILITY),
        ("Navigation", RoleClass.NAVIGATION),
        ("Assistant", RoleClass.ASSISTANT),
        ("Alert", RoleClass.ALARM),
        ("music", RoleClass.MEDIA),
        ("Movie", RoleClass.MEDIA),
        ("game", RoleClass.MEDIA),
        ("production", RoleClass.OTHER),
        ("", RoleClass.OTHER),
        (None, RoleClass.OTHER),
        ("  PHONE ", RoleClass.COMMUNICATION),
    ],
)
def test_roles_of_both_servers_fall_into_the_same_classes(
    role: str | None, role_class: RoleClass
) -> None:
    assert InterruptionPolicy().role_class(role) is role_class


@pytest.mark.parametrize(
    ("role", "pause_when_ducked", "expected"),
    [
        ("phone", False, PAUSE),
        ("event", False, DUCK),
        ("event", True, PAUSE),
        ("Navigation", False, DUCK),
        ("Navigation", True, PAUSE),
        ("alarm", False, PAUSE),
        ("music", False, None),
        (None, True, None),
    ],
)
def test_default_actions(role: str | None, pause_when_ducked: bool, expected: object) -> None:
    assert (
        InterruptionPolicy().interruption_type(role, pause_when_ducked=pause_when_ducked)
        is expected
    )


def test_overrides_merge_with_the_defaults_and_accept_strings() -> None:
    policy = InterruptionPolicy(
        actions={"media": "STOP", RoleClass.NOTIFICATION: PolicyAction.IGNORE},
        roles={"Radio": "media", "pager": RoleClass.COMMUNICATION},
    )
    assert policy.actions[RoleClass.MEDIA] is PolicyAction.STOP
    assert policy.actions[RoleClass.NOTIFICATION] is PolicyAction.IGNORE
    assert policy.actions[RoleClass.COMMUNICATION] is DEFAULT_ACTIONS[RoleClass.COMMUNICATION]
    assert policy.interruption_type("radio", pause_when_ducked=False) is UNKNOWN
    assert policy.interruption_type("event", pause_when_ducked=False) is None
    assert policy.role_class("PAGER") is RoleClass.COMMUNICATION
    assert policy == InterruptionPolicy(
        actions={RoleClass.MEDIA: PolicyAction.STOP, "notification": "ignore"},
        roles={"radio": RoleClass.MEDIA, "pager": "communication"},
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "names"),
    [
        ({"actions": {"media": "explode"}}, ValueError, "actions['media']"),
        ({"actions": {"noise": "pause"}}, ValueError, "actions key"),
        ({"actions": {RoleClass.MEDIA: 3}}, TypeError, "actions['media']"),
        ({"actions": [("media", "stop")]}, TypeError, "actions"),
        ({"roles": {"radio": "loud"}}, ValueError, "roles['radio']"),
        ({"roles": {"": "media"}}, TypeError, "roles keys"),
        ({"follow_server_cork": "yes"}, TypeError, "follow_server_cork"),
    ],
)
def test_bad_policies_name_the_field(
    kwargs: dict[str, object], error: type[Exception], names: str
) -> None:
    with pytest.raises(error, match=names.replace("[", r"\[")):
        InterruptionPolicy(**kwargs)  # type: ignore[arg-type]


def _b(kind: AudioInterruptionType) -> AudioInterruptionEvent:
    return AudioInterruptionEvent(True, kind)


def _e(kind: AudioInterruptionType) -> AudioInterruptionEvent:
    return AudioInterruptionEvent(False, kind)


def test_tracker_merges_overlaps_escalates_and_ends_once() -> None:
    tracker = InterruptionTracker()
    assert tracker.update({}) == []
    assert tracker.update({"ding": DUCK}) == [_b(DUCK)]
    assert tracker.update({"ding": DUCK, "ding2": DUCK}) == []
    assert tracker.update({"ding": DUCK, "call": PAUSE}) == [_b(PAUSE)]
    # The same cause seen twice (policy and server cork) is one interruption.
    assert tracker.update({"ding": DUCK, "call": PAUSE, "corked": PAUSE}) == []
    # Milder causes leaving or remaining change nothing until the last one goes.
    assert tracker.update({"ding": DUCK}) == []
    assert tracker.current is PAUSE
    assert tracker.update({}) == [_e(PAUSE)]
    assert tracker.current is None
    assert tracker.update({}) == []


def test_tracker_escalates_to_unknown_and_never_back() -> None:
    tracker = InterruptionTracker()
    assert tracker.update({"call": PAUSE}) == [_b(PAUSE)]
    assert tracker.update({"call": PAUSE, "player": UNKNOWN}) == [_b(UNKNOWN)]
    assert tracker.update({"call": PAUSE, "ding": DUCK}) == []
    assert tracker.update({}) == [_e(UNKNOWN)]


def test_tracker_reset_forgets_silently() -> None:
    tracker = InterruptionTracker()
    tracker.update({"call": PAUSE})
    tracker.reset()
    assert tracker.update({}) == []
    assert tracker.update({"ding": DUCK}) == [_b(DUCK)]
