"""Which other streams interrupt ours, and how overlapping interruptions merge.

Linux has no audio focus, so the backend emulates it: another application's
stream that starts playing is an interruption when its role says so. The same
table serves PulseAudio and PipeWire, because roles are read from ``media.role``
whatever the naming scheme (``phone`` and ``Communication`` are one class).

Default policy (:data:`DEFAULT_ACTIONS`):

==================  ======================================================  ===========
Class               Roles (case-insensitive)                                Action
==================  ======================================================  ===========
``COMMUNICATION``   ``phone``, ``communication``, ``call``, ``voip``         ``PAUSE``
``ALARM``           ``alarm``, ``alert``, ``emergency``, ``ringtone``        ``PAUSE``
``NOTIFICATION``    ``event``, ``notification``                             ``DUCK``
``ACCESSIBILITY``   ``a11y``, ``accessibility``                             ``DUCK``
``NAVIGATION``      ``navigation``                                          ``DUCK``
``ASSISTANT``       ``assistant``                                           ``DUCK``
``MEDIA``           ``music``, ``video``, ``movie``, ``game``,              ``IGNORE``
                    ``animation``, ``multimedia``
``OTHER``           no role, ``production``, ``test``, anything else        ``IGNORE``
==================  ======================================================  ===========

``DUCK`` is reported as a pause when the activation asked to pause when ducked
(``android_will_pause_when_ducked``, the effective value). ``STOP`` is the
opt-in for other media (``InterruptionPolicy(actions={RoleClass.MEDIA:
PolicyAction.STOP})``): another player taking over is a permanent loss, as on
Android, reported as ``begin`` with type ``UNKNOWN`` after which the activation is
over.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, TypeVar

from audio_session._events import AudioInterruptionEvent, AudioInterruptionType

__all__ = [
    "DEFAULT_ACTIONS",
    "DEFAULT_ROLE_CLASSES",
    "InterruptionPolicy",
    "InterruptionTracker",
    "PolicyAction",
    "RoleClass",
]


class RoleClass(enum.StrEnum):
    """What kind of sound a stream is, from its ``media.role``."""

    COMMUNICATION = "communication"
    ALARM = "alarm"
    NOTIFICATION = "notification"
    ACCESSIBILITY = "accessibility"
    NAVIGATION = "navigation"
    ASSISTANT = "assistant"
    MEDIA = "media"
    OTHER = "other"


class PolicyAction(enum.StrEnum):
    """What another application's stream of a class does to this session."""

    #: Nothing.
    IGNORE = "ignore"
    #: Lower the volume (``DUCK``), or pause when the activation pauses when ducked.
    DUCK = "duck"
    #: Pause until it ends (``PAUSE``).
    PAUSE = "pause"
    #: Stop for good (``UNKNOWN``, and the activation is lost).
    STOP = "stop"


#: ``media.role`` values (lower case) and their class; PulseAudio and PipeWire names.
DEFAULT_ROLE_CLASSES: Final[Mapping[str, RoleClass]] = MappingProxyType(
    {
        "phone": RoleClass.COMMUNICATION,
        "communication": RoleClass.COMMUNICATION,
        "call": RoleClass.COMMUNICATION,
        "voip": RoleClass.COMMUNICATION,
        "alarm": RoleClass.ALARM,
        "alert": RoleClass.ALARM,
        "emergency": RoleClass.ALARM,
        "ringtone": RoleClass.ALARM,
        "event": RoleClass.NOTIFICATION,
        "notification": RoleClass.NOTIFICATION,
        "a11y": RoleClass.ACCESSIBILITY,
        "accessibility": RoleClass.ACCESSIBILITY,
        "navigation": RoleClass.NAVIGATION,
        "assistant": RoleClass.ASSISTANT,
        "music": RoleClass.MEDIA,
        "video": RoleClass.MEDIA,
        "movie": RoleClass.MEDIA,
        "game": RoleClass.MEDIA,
        "animation": RoleClass.MEDIA,
        "multimedia": RoleClass.MEDIA,
    }
)

#: The action of each class unless the policy says otherwise.
DEFAULT_ACTIONS: Final[Mapping[RoleClass, PolicyAction]] = MappingProxyType(
    {
        RoleClass.COMMUNICATION: PolicyAction.PAUSE,
        RoleClass.ALARM: PolicyAction.PAUSE,
        RoleClass.NOTIFICATION: PolicyAction.DUCK,
        RoleClass.ACCESSIBILITY: PolicyAction.DUCK,
        RoleClass.NAVIGATION: PolicyAction.DUCK,
        RoleClass.ASSISTANT: PolicyAction.DUCK,
        RoleClass.MEDIA: PolicyAction.IGNORE,
        RoleClass.OTHER: PolicyAction.IGNORE,
    }
)


_E = TypeVar("_E", bound=enum.StrEnum)


def _coerce(kind: type[_E], value: object, what: str) -> _E:
    if isinstance(value, kind):
        return value
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        try:
            return kind(value.lower())
        except ValueError:
            pass
        valid = ", ".join(member.value for member in kind)
        raise ValueError(f"{what}: {value!r} is not a {kind.__name__} (one of {valid})")
    raise TypeError(f"{what} must be a {kind.__name__} or its str value, not {value!r}")


@dataclass(frozen=True, slots=True)
class InterruptionPolicy:
    """How the Linux backend reacts to other applications' streams.

    ``actions`` overrides :data:`DEFAULT_ACTIONS` class by class (the rest keep
    their default); ``roles`` adds or overrides ``media.role`` names (matched case
    insensitively) on top of :data:`DEFAULT_ROLE_CLASSES`. ``follow_server_cork``
    reports the server muting or corking one of our streams while another stream
    plays (PulseAudio's ``module-role-cork``) as a pause.
    """

    actions: Mapping[RoleClass, PolicyAction] = field(default_factory=dict)
    roles: Mapping[str, RoleClass] = field(default_factory=dict)
    follow_server_cork: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.actions, Mapping):
            raise TypeError(f"actions must be a mapping, not {self.actions!r}")
        if not isinstance(self.roles, Mapping):
            raise TypeError(f"roles must be a mapping, not {self.roles!r}")
        if not isinstance(self.follow_server_cork, bool):
            raise TypeError(f"follow_server_cork must be a bool, not {self.follow_server_cork!r}")
        actions = dict(DEFAULT_ACTIONS)
        for key, action in self.actions.items():
            role_class = _coerce(RoleClass, key, "actions key")
            actions[role_class] = _coerce(PolicyAction, action, f"actions[{role_class.value!r}]")
        roles = dict(DEFAULT_ROLE_CLASSES)
        for name, assigned in self.roles.items():
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"roles keys must be non-empty str role names, not {name!r}")
            roles[name.strip().lower()] = _coerce(RoleClass, assigned, f"roles[{name!r}]")
        object.__setattr__(self, "actions", MappingProxyType(actions))
        object.__setattr__(self, "roles", MappingProxyType(roles))

    def role_class(self, role: str | None) -> RoleClass:
        """The class of a stream with ``media.role`` ``role`` (``OTHER`` when None)."""
        if not role:
            return RoleClass.OTHER
        return self.roles.get(role.strip().lower(), RoleClass.OTHER)

    def action_for(self, role: str | None) -> PolicyAction:
        """What another application's stream with this role does to us."""
        return self.actions[self.role_class(role)]

    def interruption_type(
        self, role: str | None, *, pause_when_ducked: bool
    ) -> AudioInterruptionType | None:
        """The interruption a stream with this role causes, or None when it causes none."""
        action = self.action_for(role)
        if action is PolicyAction.PAUSE:
            return AudioInterruptionType.PAUSE
        if action is PolicyAction.DUCK:
            return AudioInterruptionType.PAUSE if pause_when_ducked else AudioInterruptionType.DUCK
        if action is PolicyAction.STOP:
            return AudioInterruptionType.UNKNOWN
        return None


_SEVERITY: Final = {
    AudioInterruptionType.DUCK: 0,
    AudioInterruptionType.PAUSE: 1,
    AudioInterruptionType.UNKNOWN: 2,
}


class InterruptionTracker:
    """Merges overlapping interrupters into one begin/end pair.

    Feed it the complete set of current interrupters after every change
    (:meth:`update`); it answers the events to report:

    - the first interrupter: ``begin`` with its type;
    - a more severe one joining (duck -> pause -> unknown): a new ``begin`` with
      that type; a milder one joining, or one leaving while others remain: nothing;
    - the last one leaving: one ``end``, with the type of the last ``begin``.

    Since the input is a set, one cause seen twice (a call that the policy
    reports and that also makes the server cork our stream) is one interruption.
    """

    def __init__(self) -> None:
        self._current: AudioInterruptionType | None = None

    @property
    def current(self) -> AudioInterruptionType | None:
        """The type of the interruption going on (of its last begin), or None."""
        return self._current

    def update(
        self, interrupters: Mapping[Hashable, AudioInterruptionType]
    ) -> list[AudioInterruptionEvent]:
        """The events caused by the interrupters now being exactly ``interrupters``."""
        if not interrupters:
            if self._current is None:
                return []
            ended, self._current = self._current, None
            return [AudioInterruptionEvent(False, ended)]
        strongest = max(interrupters.values(), key=_SEVERITY.__getitem__)
        if self._current is None or _SEVERITY[strongest] > _SEVERITY[self._current]:
            self._current = strongest
            return [AudioInterruptionEvent(True, strongest)]
        return []

    def reset(self) -> None:
        """Forget the interruption going on, without reporting its end."""
        self._current = None
