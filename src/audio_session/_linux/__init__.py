"""The Linux audio session backend (PulseAudio, and PipeWire through pipewire-pulse).

Loaded lazily by the backend registry as ``audio_session._linux.LinuxBackend``.
The policy types configure which other applications' streams interrupt a session::

    backend = LinuxBackend(
        policy=InterruptionPolicy(actions={RoleClass.MEDIA: PolicyAction.STOP})
    )
    session = await AudioSession.create(backend)
"""

from ._backend import LinuxBackend
from ._connection import Backoff
from ._devices import device_type, is_private_output
from ._focus import DBusFocusArbiter, FocusGate, GrantingArbiter
from ._ours import TOKEN_PROPERTY, OwnStreams
from ._policy import (
    DEFAULT_ACTIONS,
    DEFAULT_ROLE_CLASSES,
    InterruptionPolicy,
    InterruptionTracker,
    PolicyAction,
    RoleClass,
)

__all__ = [
    "DEFAULT_ACTIONS",
    "DEFAULT_ROLE_CLASSES",
    "TOKEN_PROPERTY",
    "Backoff",
    "DBusFocusArbiter",
    "FocusGate",
    "GrantingArbiter",
    "InterruptionPolicy",
    "InterruptionTracker",
    "LinuxBackend",
    "OwnStreams",
    "PolicyAction",
    "RoleClass",
    "device_type",
    "is_private_output",
]
