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

__version__ = "0.1.0.dev0"
from typing import TYPE_CHECKING

# Names load on first use (PEP 562), so that a process imports only the parts it
# uses: a background host, a CLI or an app that needs one enum stays quick to start.
_LAZY = {
    "InterruptionPolicy": "._linux",
    "LinuxBackend": "._linux",
    "PolicyAction": "._linux",
    "RoleClass": "._linux",
    "AndroidAudioAdjustment": "._android",
    "AndroidAudioAttributes": "._android",
    "AndroidAudioCapturePolicy": "._android",
    "AndroidAudioContentType": "._android",
    "AndroidAudioDeviceInfo": "._android",
    "AndroidAudioDeviceType": "._android",
    "AndroidAudioFlags": "._android",
    "AndroidAudioFocus": "._android",
    "AndroidAudioFocusGainType": "._android",
    "AndroidAudioFocusRequest": "._android",
    "AndroidAudioHardwareMode": "._android",
    "AndroidAudioUsage": "._android",
    "AndroidAudioVolumeFlags": "._android",
    "AndroidFocusInterruptionMapper": "._android",
    "AndroidGetAudioDevicesFlags": "._android",
    "AndroidKeyEvent": "._android",
    "AndroidMicrophoneDirectionality": "._android",
    "AndroidMicrophoneInfo": "._android",
    "AndroidMicrophoneLocation": "._android",
    "AndroidOnAudioDevicesChanged": "._android",
    "AndroidOnAudioFocusChanged": "._android",
    "AndroidRingerMode": "._android",
    "AndroidScoAudioEvent": "._android",
    "AndroidScoAudioState": "._android",
    "AndroidSoundEffectType": "._android",
    "AndroidStreamType": "._android",
    "BACKEND_ENV": "._backend",
    "ActivationRequest": "._backend",
    "AudioSessionError": "._backend",
    "BackendUnavailableError": "._backend",
    "NullBackend": "._backend",
    "SessionBackend": "._backend",
    "SessionBackendListener": "._backend",
    "SessionCapabilities": "._backend",
    "available_backends": "._backend",
    "create_backend": "._backend",
    "default_backend_name": "._backend",
    "register_backend": "._backend",
    "AudioSessionConfiguration": "._configuration",
    "AVAudioSessionCategory": "._darwin",
    "AVAudioSessionCategoryOptions": "._darwin",
    "AVAudioSessionChannelDescription": "._darwin",
    "AVAudioSessionDataSourceDescription": "._darwin",
    "AVAudioSessionInterruptionNotification": "._darwin",
    "AVAudioSessionInterruptionOptions": "._darwin",
    "AVAudioSessionInterruptionType": "._darwin",
    "AVAudioSessionLocation": "._darwin",
    "AVAudioSessionMode": "._darwin",
    "AVAudioSessionOrientation": "._darwin",
    "AVAudioSessionPolarPattern": "._darwin",
    "AVAudioSessionPort": "._darwin",
    "AVAudioSessionPortDescription": "._darwin",
    "AVAudioSessionPortOverride": "._darwin",
    "AVAudioSessionPromptStyle": "._darwin",
    "AVAudioSessionRecordPermission": "._darwin",
    "AVAudioSessionRouteChange": "._darwin",
    "AVAudioSessionRouteChangeReason": "._darwin",
    "AVAudioSessionRouteDescription": "._darwin",
    "AVAudioSessionRouteSharingPolicy": "._darwin",
    "AVAudioSessionSetActiveOptions": "._darwin",
    "AVAudioSessionSilenceSecondaryAudioHintType": "._darwin",
    "AudioDevice": "._events",
    "AudioDevicesChangedEvent": "._events",
    "AudioDeviceType": "._events",
    "AudioInterruptionEvent": "._events",
    "AudioInterruptionType": "._events",
    "MemoryBackend": "._memory_backend",
    "LinuxRole": "._roles",
    "AudioSession": "._session",
    "Stream": "._stream",
    "StreamController": "._stream",
    "Subscription": "._stream",
}

if TYPE_CHECKING:
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
    from ._configuration import (
        AudioSessionConfiguration,
    )
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
    from ._linux import (
        InterruptionPolicy,
        LinuxBackend,
        PolicyAction,
        RoleClass,
    )
    from ._memory_backend import (
        MemoryBackend,
    )
    from ._roles import (
        LinuxRole,
    )
    from ._session import (
        AudioSession,
    )
    from ._stream import (
        Stream,
        StreamController,
        Subscription,
    )


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
