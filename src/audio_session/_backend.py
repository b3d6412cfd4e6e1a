"""The interface between :class:`AudioSession` and the platform, and how one is chosen.

A backend talks to the sound server (or pretends to). The session owns exactly
one backend, calls it from its event loop, and turns what the backend reports
into the public streams. Writing a backend means subclassing
:class:`SessionBackend`; see its docstring for the contract.
"""

from __future__ import annotations

import abc
import enum
import importlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from ._android import AndroidAudioAttributes, AndroidAudioFocusGainType
from ._configuration import AudioSessionConfiguration
from ._darwin import AVAudioSessionSetActiveOptions
from ._enums import coerce_enum
from ._events import AudioDevice, AudioDevicesChangedEvent, AudioInterruptionEvent
from ._roles import LinuxRole, linux_role

__all__ = [
    "BACKEND_ENV",
    "ActivationRequest",
    "AudioSessionError",
    "BackendUnavailableError",
    "NullBackend",
    "SessionBackend",
    "SessionBackendListener",
    "SessionCapabilities",
    "available_backends",
    "create_backend",
    "default_backend_name",
    "register_backend",
]

_log = logging.getLogger(__name__)

#: Environment variable naming the backend to use (``memory``, ``null``, ``linux``, ...).
BACKEND_ENV = "AUDIO_SESSION_BACKEND"


class AudioSessionError(Exception):
    """The platform refused an audio session operation for a stated reason.

    Raised from :meth:`AudioSession.configure` when, for example, an option
    combination is invalid. ``code`` carries the platform's error code, if any.
    """

    def __init__(self, message: str, *, code: str | int | None = None) -> None:
        super().__init__(message)
        self.code = code


class BackendUnavailableError(AudioSessionError):
    """There is no sound server to talk to (not running, not reachable, not installed).

    Backends raise it; the session logs it and carries on as if the operation
    succeeded, so an app without a sound server still runs.
    """


class SessionCapabilities(enum.Flag):
    """What a backend really does. Anything missing is done as a no-op, never silently
    claimed: check ``session.capabilities`` before relying on an event."""

    NONE = 0
    #: ``configure`` reaches the system (e.g. sets the stream role or the iOS category).
    CONFIGURATION = enum.auto()
    #: Activation is arbitrated with other apps and can be denied.
    ACTIVATION = enum.auto()
    #: Interruptions (pause, duck) are reported.
    INTERRUPTIONS = enum.auto()
    #: Unplugging the output ("becoming noisy") is reported.
    BECOMING_NOISY = enum.auto()
    #: ``get_devices`` lists real devices.
    DEVICES = enum.auto()
    #: Devices appearing and disappearing are reported.
    DEVICE_CHANGES = enum.auto()
    ALL = CONFIGURATION | ACTIVATION | INTERRUPTIONS | BECOMING_NOISY | DEVICES | DEVICE_CHANGES


@dataclass(frozen=True, slots=True, kw_only=True)
class ActivationRequest:
    """What an activation asks for, with every per-call override already applied.

    Each field is the *effective* value: the ``set_active`` argument when given,
    else the configured value. Backends must use these, never the configuration's
    own fields (the original applied the will-pause override to the OS request but
    not to the pause-versus-duck decision).
    """

    #: The configuration in effect, as configured (without the overrides).
    configuration: AudioSessionConfiguration
    av_audio_session_set_active_options: AVAudioSessionSetActiveOptions | None
    android_audio_focus_gain_type: AndroidAudioFocusGainType
    android_audio_attributes: AndroidAudioAttributes | None
    android_will_pause_when_ducked: bool | None

    @classmethod
    def resolve(
        cls,
        configuration: AudioSessionConfiguration,
        *,
        av_audio_session_set_active_options: AVAudioSessionSetActiveOptions | None = None,
        android_audio_focus_gain_type: AndroidAudioFocusGainType | None = None,
        android_audio_attributes: AndroidAudioAttributes | None = None,
        android_will_pause_when_ducked: bool | None = None,
    ) -> ActivationRequest:
        """The request for ``configuration`` with each given override taking precedence."""
        options = av_audio_session_set_active_options
        if options is not None:
            options = coerce_enum(
                AVAudioSessionSetActiveOptions, options, "av_audio_session_set_active_options"
            )
        gain = android_audio_focus_gain_type
        if gain is not None:
            gain = coerce_enum(AndroidAudioFocusGainType, gain, "android_audio_focus_gain_type")
        attributes = android_audio_attributes
        if attributes is not None and not isinstance(attributes, AndroidAudioAttributes):
            raise TypeError("android_audio_attributes must be AndroidAudioAttributes or None")
        pause = android_will_pause_when_ducked
        if pause is not None and not isinstance(pause, bool):
            raise TypeError(f"android_will_pause_when_ducked must be a bool or None, not {pause!r}")
        return cls(
            configuration=configuration,
            av_audio_session_set_active_options=(
                options
                if options is not None
                else configuration.av_audio_session_set_active_options
            ),
            android_audio_focus_gain_type=(
                gain if gain is not None else configuration.android_audio_focus_gain_type
            ),
            android_audio_attributes=(
                attributes if attributes is not None else configuration.android_audio_attributes
            ),
            android_will_pause_when_ducked=(
                pause if pause is not None else configuration.android_will_pause_when_ducked
            ),
        )

    @property
    def pause_when_ducked(self) -> bool:
        """Whether a "may duck" interruption should be reported as a pause."""
        return self.android_will_pause_when_ducked is True

    @property
    def effective_configuration(self) -> AudioSessionConfiguration:
        """The configuration with this request's overrides folded in."""
        return self.configuration.copy_with(
            av_audio_session_set_active_options=self.av_audio_session_set_active_options,
            android_audio_focus_gain_type=self.android_audio_focus_gain_type,
            android_audio_attributes=self.android_audio_attributes,
            android_will_pause_when_ducked=self.android_will_pause_when_ducked,
        )

    @property
    def linux_role(self) -> LinuxRole:
        """The Linux stream role for the effective attributes (see ``_roles``)."""
        return linux_role(self.effective_configuration)


class SessionBackendListener(Protocol):
    """How a backend reports to its session. Obtained in :meth:`SessionBackend.open`.

    The methods may be called from any thread and return at once; the session
    delivers the events on its own event loop. It forwards interruptions and
    becoming-noisy only while it is active, so a backend may report them freely.
    What is reported while :meth:`SessionBackend.activate` runs is held, and
    delivered in order if the activation is granted.
    """

    def interruption(self, event: AudioInterruptionEvent) -> None:
        """Another app or the system started or ended an interruption."""

    def becoming_noisy(self) -> None:
        """The output the app plays on went away (e.g. headphones unplugged)."""

    def devices_changed(self, event: AudioDevicesChangedEvent) -> None:
        """Devices appeared or disappeared (diffed against the previous state, the
        first time against the devices present when the backend opened)."""

    def activation_lost(self) -> None:
        """The activation ended for good without ``deactivate`` (e.g. a permanent
        focus loss). Report the ``begin`` interruption first, then this."""


class SessionBackend(abc.ABC):
    """The platform side of an :class:`AudioSession`.

    Contract:

    - The session calls :meth:`open` once, first, and :meth:`close` once, last. It
      calls every method from its event loop and never two at a time.
    - No method may block the event loop: run blocking OS calls in a thread.
    - "No sound server" (not running, connection refused, library missing at run
      time) is :class:`BackendUnavailableError`; the session logs it and acts as if
      the call succeeded. A refusal with a reason the app should see is
      :class:`AudioSessionError`. A plain denial of activation is ``False``.
    - :meth:`activate` may be called while already active, with a different
      request: replace the activation (re-request focus with the new values). After
      a denial the backend holds no activation.
    - :attr:`capabilities` lists only what the backend really does.
    """

    #: Short name, as used in ``AUDIO_SESSION_BACKEND``.
    name: ClassVar[str] = "backend"

    @property
    @abc.abstractmethod
    def capabilities(self) -> SessionCapabilities:
        """What this backend really does."""

    @abc.abstractmethod
    async def open(self, listener: SessionBackendListener) -> None:
        """Connect, start watching for events, and report them to ``listener``."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop reporting events and release everything. The session deactivates first."""

    @abc.abstractmethod
    async def apply_configuration(self, configuration: AudioSessionConfiguration) -> None:
        """Make ``configuration`` the app's configuration (e.g. its stream role)."""

    @abc.abstractmethod
    async def activate(self, request: ActivationRequest) -> bool:
        """Ask to play: true when granted, false when denied (e.g. a call is going on)."""

    @abc.abstractmethod
    async def deactivate(self, request: ActivationRequest) -> bool:
        """Give the activation up. ``request`` carries this call's effective values
        (e.g. whether to notify others on deactivation). True on success."""

    @abc.abstractmethod
    async def get_devices(
        self, *, include_inputs: bool = True, include_outputs: bool = True
    ) -> frozenset[AudioDevice]:
        """The current input and/or output devices."""

    async def current_configuration(self) -> AudioSessionConfiguration | None:
        """The configuration already in effect for this app, if the platform keeps one
        (set by another process of the app, or by an earlier session).

        Called once after :meth:`open`; the session starts with it as its
        configuration and as the first value of its configuration stream. The
        default keeps nothing and answers None.
        """
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class NullBackend(SessionBackend):
    """A backend for platforms without one: grants every activation, reports nothing."""

    name = "null"

    @property
    def capabilities(self) -> SessionCapabilities:
        return SessionCapabilities.NONE

    async def open(self, listener: SessionBackendListener) -> None:
        return None

    async def close(self) -> None:
        return None

    async def apply_configuration(self, configuration: AudioSessionConfiguration) -> None:
        return None

    async def activate(self, request: ActivationRequest) -> bool:
        return True

    async def deactivate(self, request: ActivationRequest) -> bool:
        return True

    async def get_devices(
        self, *, include_inputs: bool = True, include_outputs: bool = True
    ) -> frozenset[AudioDevice]:
        return frozenset()


# Registry --------------------------------------------------------------------

BackendFactory = Callable[[], SessionBackend]

_warned: set[str] = set()


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        _log.warning(message, *args)


def _memory_backend() -> SessionBackend:
    from ._memory_backend import MemoryBackend

    return MemoryBackend()


def _linux_backend() -> SessionBackend:
    # Imported lazily: it pulls in D-Bus and PulseAudio libraries, and may be absent.
    module = importlib.import_module("audio_session._linux")
    backend_class: type[SessionBackend] = module.LinuxBackend
    return backend_class()


_FACTORIES: dict[str, BackendFactory] = {
    "null": NullBackend,
    "memory": _memory_backend,
    "linux": _linux_backend,
}


def register_backend(name: str, factory: BackendFactory, *, replace: bool = False) -> None:
    """Make ``factory`` available as backend ``name`` (for ``AUDIO_SESSION_BACKEND``)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"backend name must be a non-empty str, not {name!r}")
    if not callable(factory):
        raise TypeError(f"factory must be callable, not {factory!r}")
    if name in _FACTORIES and not replace:
        raise ValueError(f"a backend named {name!r} is already registered")
    _FACTORIES[name] = factory


def available_backends() -> tuple[str, ...]:
    """The registered backend names."""
    return tuple(_FACTORIES)


def default_backend_name() -> str:
    """``linux`` on Linux, ``null`` elsewhere."""
    return "linux" if sys.platform.startswith("linux") else "null"


def create_backend(name: str | None = None) -> SessionBackend:
    """A new backend: ``name``, else ``$AUDIO_SESSION_BACKEND``, else the platform default.

    An explicit unknown ``name`` raises :class:`ValueError`. Anything else that goes
    wrong (an unknown name in the environment, a backend that cannot be loaded or
    built) is logged once and gives a :class:`NullBackend`, so the app keeps running.
    """
    if name is not None:
        if name not in _FACTORIES:
            raise ValueError(f"unknown audio session backend {name!r}; known: {_known()}")
        chosen = name
    else:
        chosen = os.environ.get(BACKEND_ENV, "").strip() or default_backend_name()
        if chosen not in _FACTORIES:
            _warn_once(
                f"env:{chosen}",
                "%s=%r names no audio session backend (known: %s); using 'null'",
                BACKEND_ENV,
                chosen,
                _known(),
            )
            return NullBackend()
    try:
        return _FACTORIES[chosen]()
    except Exception as error:
        _warn_once(
            f"load:{chosen}",
            "audio session backend %r is unavailable (%s: %s); using 'null': "
            "no interruptions, devices or focus",
            chosen,
            type(error).__name__,
            error,
        )
        return NullBackend()


def _known() -> str:
    return ", ".join(sorted(_FACTORIES))
