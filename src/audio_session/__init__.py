"""Tell the desktop what kind of audio app you are, and hear what it tells you back.

The Python counterpart of Flutter's ``audio_session``: configuration, activation
(audio focus), interruptions, becoming noisy and device changes::

    from audio_session import AudioSession, AudioSessionConfiguration

    session = await AudioSession.instance()
    await session.configure(AudioSessionConfiguration.speech())
    if await session.set_active(True):
        ...  # play

Enum members use UPPER_CASE forms of the Flutter names
(``AVAudioSessionCategory.PLAY_AND_RECORD`` for ``playAndRecord``) and carry the
platforms' exact numbers. Tests run a session on :class:`MemoryBackend`.
"""

from typing import TYPE_CHECKING

from ._android import (
    AndroidAudioAdjustment,
    AndroidAudioAttributes,
    AndroidAudioCapturePolicy,
    AndroidAudioContentType,
    AndroidAudioDeviceInfo,
    AndroidAudioDeviceType,
    AndroidAudioFlags,
    AndroidAudioFocus,
    AndroidAudioFocusGainType,
    AndroidAudioFocusRequest,
    AndroidAudioHardwareMode,
    AndroidAudioUsage,
    AndroidAudioVolumeFlags,
    AndroidFocusInterruptionMapper,
    AndroidGetAudioDevicesFlags,
    AndroidKeyEvent,
    AndroidMicrophoneDirectionality,
    AndroidMicrophoneInfo,
    AndroidMicrophoneLocation,
    AndroidOnAudioDevicesChanged,
    AndroidOnAudioFocusChanged,
    AndroidRingerMode,
    AndroidScoAudioEvent,
    AndroidScoAudioState,
    AndroidSoundEffectType,
    AndroidStreamType,
)
from ._backend import (
    BACKEND_ENV,
    ActivationRequest,
    AudioSessionError,
    BackendUnavailableError,
    NullBackend,
    SessionBackend,
    SessionBackendListener,
    SessionCapabilities,
    available_backends,
    create_backend,
    default_backend_name,
    register_backend,
)
from ._configuration import AudioSessionConfiguration
from ._darwin import (
    AVAudioSessionCategory,
    AVAudioSessionCategoryOptions,
    AVAudioSessionChannelDescription,
    AVAudioSessionDataSourceDescription,
    AVAudioSessionInterruptionNotification,
    AVAudioSessionInterruptionOptions,
    AVAudioSessionInterruptionType,
    AVAudioSessionLocation,
    AVAudioSessionMode,
    AVAudioSessionOrientation,
    AVAudioSessionPolarPattern,
    AVAudioSessionPort,
    AVAudioSessionPortDescription,
    AVAudioSessionPortOverride,
    AVAudioSessionPromptStyle,
    AVAudioSessionRecordPermission,
    AVAudioSessionRouteChange,
    AVAudioSessionRouteChangeReason,
    AVAudioSessionRouteDescription,
    AVAudioSessionRouteSharingPolicy,
    AVAudioSessionSetActiveOptions,
    AVAudioSessionSilenceSecondaryAudioHintType,
)
from ._events import (
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioDeviceType,
    AudioInterruptionEvent,
    AudioInterruptionType,
)
from ._memory_backend import MemoryBackend
from ._roles import LinuxRole
from ._session import AudioSession
from ._stream import Stream, StreamController, Subscription

__version__ = "0.1.0.dev0"

__all__ = [
    "BACKEND_ENV",
    "AVAudioSessionCategory",
    "AVAudioSessionCategoryOptions",
    "AVAudioSessionChannelDescription",
    "AVAudioSessionDataSourceDescription",
    "AVAudioSessionInterruptionNotification",
    "AVAudioSessionInterruptionOptions",
    "AVAudioSessionInterruptionType",
    "AVAudioSessionLocation",
    "AVAudioSessionMode",
    "AVAudioSessionOrientation",
    "AVAudioSessionPolarPattern",
    "AVAudioSessionPort",
    "AVAudioSessionPortDescription",
    "AVAudioSessionPortOverride",
    "AVAudioSessionPromptStyle",
    "AVAudioSessionRecordPermission",
    "AVAudioSessionRouteChange",
    "AVAudioSessionRouteChangeReason",
    "AVAudioSessionRouteDescription",
    "AVAudioSessionRouteSharingPolicy",
    "AVAudioSessionSetActiveOptions",
    "AVAudioSessionSilenceSecondaryAudioHintType",
    "ActivationRequest",
    "AndroidAudioAdjustment",
    "AndroidAudioAttributes",
    "AndroidAudioCapturePolicy",
    "AndroidAudioContentType",
    "AndroidAudioDeviceInfo",
    "AndroidAudioDeviceType",
    "AndroidAudioFlags",
    "AndroidAudioFocus",
    "AndroidAudioFocusGainType",
    "AndroidAudioFocusRequest",
    "AndroidAudioHardwareMode",
    "AndroidAudioUsage",
    "AndroidAudioVolumeFlags",
    "AndroidFocusInterruptionMapper",
    "AndroidGetAudioDevicesFlags",
    "AndroidKeyEvent",
    "AndroidMicrophoneDirectionality",
    "AndroidMicrophoneInfo",
    "AndroidMicrophoneLocation",
    "AndroidOnAudioDevicesChanged",
    "AndroidOnAudioFocusChanged",
    "AndroidRingerMode",
    "AndroidScoAudioEvent",
    "AndroidScoAudioState",
    "AndroidSoundEffectType",
    "AndroidStreamType",
    "AudioDevice",
    "AudioDeviceType",
    "AudioDevicesChangedEvent",
    "AudioInterruptionEvent",
    "AudioInterruptionType",
    "AudioSession",
    "AudioSessionConfiguration",
    "AudioSessionError",
    "BackendUnavailableError",
    "InterruptionPolicy",
    "LinuxBackend",
    "LinuxRole",
    "MemoryBackend",
    "NullBackend",
    "PolicyAction",
    "RoleClass",
    "SessionBackend",
    "SessionBackendListener",
    "SessionCapabilities",
    "Stream",
    "StreamController",
    "Subscription",
    "__version__",
    "available_backends",
    "create_backend",
    "default_backend_name",
    "register_backend",
]


# The Linux backend and its policy types load on first use, so that importing
# audio_session never loads libpulse (and works on any OS).
_LINUX_EXPORTS = ("LinuxBackend", "InterruptionPolicy", "PolicyAction", "RoleClass")

if TYPE_CHECKING:
    from ._linux import InterruptionPolicy, LinuxBackend, PolicyAction, RoleClass


def __getattr__(name: str) -> object:
    if name in _LINUX_EXPORTS:
        from . import _linux

        return getattr(_linux, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
