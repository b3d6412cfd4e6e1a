"""Audio focus shared between the apps of a desktop session, with Android's rules.

Linux has no audio-focus API: two players simply play over each other. Apps using
:class:`FocusClient` take, share and return focus as Android apps do, through an
arbiter on the D-Bus session bus that the first participating process hosts (see
``docs/FOCUS.md``). :class:`FocusStack` is the same rules as a pure state machine.
"""

from audio_session._focus._arbiter import RECOVERY_WINDOW, FocusArbiter
from audio_session._focus._client import FocusClient, FocusError
from audio_session._focus._interface import BUS_NAME, INTERFACE, INTROSPECTION_XML, OBJECT_PATH
from audio_session._focus._stack import (
    FocusChange,
    FocusEntry,
    FocusRequest,
    FocusResult,
    FocusStack,
)

__all__ = [
    "BUS_NAME",
    "INTERFACE",
    "INTROSPECTION_XML",
    "OBJECT_PATH",
    "RECOVERY_WINDOW",
    "FocusArbiter",
    "FocusChange",
    "FocusClient",
    "FocusEntry",
    "FocusError",
    "FocusRequest",
    "FocusResult",
    "FocusStack",
]
