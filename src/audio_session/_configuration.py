"""``AudioSessionConfiguration``: what kind of audio app this is, for every platform."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, TypeVar

from . import _roles
from ._android import (
    AndroidAudioAttributes,
    AndroidAudioContentType,
    AndroidAudioFocusGainType,
    AndroidAudioUsage,
    json_int,
    json_mask,
)
from ._darwin import (
    AVAudioSessionCategory,
    AVAudioSessionCategoryOptions,
    AVAudioSessionMode,
    AVAudioSessionRouteSharingPolicy,
    AVAudioSessionSetActiveOptions,
)
from ._enums import coerce_enum

__all__ = ["KEEP", "AudioSessionConfiguration"]

_log = logging.getLogger(__name__)

_EnumT = TypeVar("_EnumT", bound=enum.Enum)


class _Keep(enum.Enum):
    KEEP = "KEEP"

    def __repr__(self) -> str:
        return "KEEP"


#: The default of every :meth:`AudioSessionConfiguration.copy_with` argument: keep the value.
#: Passing ``None`` instead resets an optional field.
KEEP: Final = _Keep.KEEP

_KeepT = Literal[_Keep.KEEP]


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioSessionConfiguration:
    """How the app's audio should behave and interact with other apps.

    Immutable; equal (and hashing equal) when every field is equal. Fields left
    ``None`` keep the platform's default. Enum fields also accept the raw value
    (an int, or Apple's string for the category) and convert it; a value the enum
    does not define raises :class:`ValueError`, a value of the wrong type
    :class:`TypeError`.

    Each field names the platform it comes from. On Linux the Android usage and
    content type (else the iOS category and mode) choose the stream role, see
    :meth:`linux_media_role`.
    """

    #: iOS: the app-wide category.
    av_audio_session_category: AVAudioSessionCategory | None = None
    #: iOS: category options (mix with others, duck others, Bluetooth, ...).
    av_audio_session_category_options: AVAudioSessionCategoryOptions | None = None
    #: iOS: the mode, refining the category.
    av_audio_session_mode: AVAudioSessionMode | None = None
    #: iOS 11+: the route-sharing policy.
    av_audio_session_route_sharing_policy: AVAudioSessionRouteSharingPolicy | None = None
    #: iOS: options used when activating and deactivating the session.
    av_audio_session_set_active_options: AVAudioSessionSetActiveOptions | None = None
    #: Android: attributes for players and for the focus request.
    android_audio_attributes: AndroidAudioAttributes | None = None
    #: Android: how audio focus is requested. Never None.
    android_audio_focus_gain_type: AndroidAudioFocusGainType = AndroidAudioFocusGainType.GAIN
    #: Android: pause rather than duck when another app may duck us (see ``speech()``).
    android_will_pause_when_ducked: bool | None = None

    def __post_init__(self) -> None:
        for name, cls in _ENUM_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, coerce_enum(cls, value, name))
        gain = self.android_audio_focus_gain_type
        if gain is None:
            raise TypeError("android_audio_focus_gain_type cannot be None")
        object.__setattr__(
            self,
            "android_audio_focus_gain_type",
            coerce_enum(AndroidAudioFocusGainType, gain, "android_audio_focus_gain_type"),
        )
        attributes = self.android_audio_attributes
        if attributes is not None and not isinstance(attributes, AndroidAudioAttributes):
            raise TypeError(
                f"android_audio_attributes must be AndroidAudioAttributes or None, "
                f"not {attributes!r}"
            )
        pause = self.android_will_pause_when_ducked
        if pause is not None and not isinstance(pause, bool):
            raise TypeError(f"android_will_pause_when_ducked must be a bool or None, not {pause!r}")

    # Presets -----------------------------------------------------------------

    @classmethod
    def music(cls) -> AudioSessionConfiguration:
        """Music playback: takes focus, plays through the silent switch."""
        return cls(
            av_audio_session_category=AVAudioSessionCategory.PLAYBACK,
            av_audio_session_mode=AVAudioSessionMode.DEFAULT_MODE,
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.MUSIC, usage=AndroidAudioUsage.MEDIA
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN,
        )

    @classmethod
    def speech(cls) -> AudioSessionConfiguration:
        """Podcasts and audiobooks: like music, but pauses instead of being ducked."""
        return cls(
            av_audio_session_category=AVAudioSessionCategory.PLAYBACK,
            av_audio_session_mode=AVAudioSessionMode.SPOKEN_AUDIO,
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.SPEECH, usage=AndroidAudioUsage.MEDIA
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN,
            android_will_pause_when_ducked=True,
        )

    @classmethod
    def movie(cls) -> AudioSessionConfiguration:
        """Video playback (films, clips): takes focus like music.

        Not in the Flutter plugin.
        """
        return cls(
            av_audio_session_category=AVAudioSessionCategory.PLAYBACK,
            av_audio_session_mode=AVAudioSessionMode.MOVIE_PLAYBACK,
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.MOVIE, usage=AndroidAudioUsage.MEDIA
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN,
        )

    @classmethod
    def game(cls) -> AudioSessionConfiguration:
        """A game with its own sound: takes focus, respects the silent switch, lets the
        system duck it under prompts rather than pausing.

        Not in the Flutter plugin.
        """
        return cls(
            av_audio_session_category=AVAudioSessionCategory.SOLO_AMBIENT,
            av_audio_session_mode=AVAudioSessionMode.DEFAULT_MODE,
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.SONIFICATION, usage=AndroidAudioUsage.GAME
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN,
            android_will_pause_when_ducked=False,
        )

    @classmethod
    def voice_communication(cls) -> AudioSessionConfiguration:
        """Calls (VoIP, video chat): records and plays, takes focus for the call only,
        and lets others resume afterwards. A call is ducked, never paused.

        Not in the Flutter plugin.
        """
        return cls(
            av_audio_session_category=AVAudioSessionCategory.PLAY_AND_RECORD,
            av_audio_session_category_options=AVAudioSessionCategoryOptions.ALLOW_BLUETOOTH,
            av_audio_session_mode=AVAudioSessionMode.VOICE_CHAT,
            av_audio_session_set_active_options=(
                AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ),
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.SPEECH,
                usage=AndroidAudioUsage.VOICE_COMMUNICATION,
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT,
            android_will_pause_when_ducked=False,
        )

    @classmethod
    def navigation(cls) -> AudioSessionConfiguration:
        """Spoken navigation prompts: briefly duck other audio (interrupting other
        spoken audio), then let it return to full volume.

        Not in the Flutter plugin.
        """
        return cls._prompt(AndroidAudioUsage.ASSISTANCE_NAVIGATION_GUIDANCE)

    @classmethod
    def assistant(cls) -> AudioSessionConfiguration:
        """A voice assistant's spoken answers: like :meth:`navigation`.

        Not in the Flutter plugin.
        """
        return cls._prompt(AndroidAudioUsage.ASSISTANT)

    @classmethod
    def accessibility(cls) -> AudioSessionConfiguration:
        """A screen reader or other accessibility speech: like :meth:`navigation`.

        Not in the Flutter plugin.
        """
        return cls._prompt(AndroidAudioUsage.ASSISTANCE_ACCESSIBILITY)

    @classmethod
    def _prompt(cls, usage: AndroidAudioUsage) -> AudioSessionConfiguration:
        return cls(
            av_audio_session_category=AVAudioSessionCategory.PLAYBACK,
            av_audio_session_category_options=(
                AVAudioSessionCategoryOptions.DUCK_OTHERS
                | AVAudioSessionCategoryOptions.INTERRUPT_SPOKEN_AUDIO_AND_MIX_WITH_OTHERS
            ),
            av_audio_session_mode=AVAudioSessionMode.VOICE_PROMPT,
            av_audio_session_set_active_options=(
                AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ),
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.SPEECH, usage=usage
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
            android_will_pause_when_ducked=True,
        )

    @classmethod
    def notification(cls) -> AudioSessionConfiguration:
        """Short notification sounds: mix with other audio (ducking it on Android),
        respect the silent switch.

        Not in the Flutter plugin.
        """
        return cls(
            av_audio_session_category=AVAudioSessionCategory.AMBIENT,
            av_audio_session_mode=AVAudioSessionMode.DEFAULT_MODE,
            av_audio_session_set_active_options=(
                AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ),
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.SONIFICATION,
                usage=AndroidAudioUsage.NOTIFICATION,
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
            android_will_pause_when_ducked=False,
        )

    @classmethod
    def alarm(cls) -> AudioSessionConfiguration:
        """Alarms and timers: interrupt other audio until dismissed, play through the
        silent switch, keep ringing (ducked) under prompts, let others resume after.

        Not in the Flutter plugin.
        """
        return cls(
            av_audio_session_category=AVAudioSessionCategory.PLAYBACK,
            av_audio_session_mode=AVAudioSessionMode.DEFAULT_MODE,
            av_audio_session_set_active_options=(
                AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ),
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.SONIFICATION, usage=AndroidAudioUsage.ALARM
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT,
            android_will_pause_when_ducked=False,
        )

    # Copying -----------------------------------------------------------------

    def copy_with(
        self,
        *,
        av_audio_session_category: AVAudioSessionCategory | _KeepT | None = KEEP,
        av_audio_session_category_options: AVAudioSessionCategoryOptions | _KeepT | None = KEEP,
        av_audio_session_mode: AVAudioSessionMode | _KeepT | None = KEEP,
        av_audio_session_route_sharing_policy: (
            AVAudioSessionRouteSharingPolicy | _KeepT | None
        ) = KEEP,
        av_audio_session_set_active_options: AVAudioSessionSetActiveOptions | _KeepT | None = KEEP,
        android_audio_attributes: AndroidAudioAttributes | _KeepT | None = KEEP,
        android_audio_focus_gain_type: AndroidAudioFocusGainType | _KeepT = KEEP,
        android_will_pause_when_ducked: bool | _KeepT | None = KEEP,
    ) -> AudioSessionConfiguration:
        """A copy with the given fields replaced; ``None`` resets an optional field.

        Omitted arguments keep their value (the original could not reset to null).
        """
        given: dict[str, Any] = {
            "av_audio_session_category": av_audio_session_category,
            "av_audio_session_category_options": av_audio_session_category_options,
            "av_audio_session_mode": av_audio_session_mode,
            "av_audio_session_route_sharing_policy": av_audio_session_route_sharing_policy,
            "av_audio_session_set_active_options": av_audio_session_set_active_options,
            "android_audio_attributes": android_audio_attributes,
            "android_audio_focus_gain_type": android_audio_focus_gain_type,
            "android_will_pause_when_ducked": android_will_pause_when_ducked,
        }
        return replace(self, **{k: v for k, v in given.items() if v is not KEEP})

    # JSON --------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The Flutter plugin's JSON form: camelCase keys, every key present.

        Category as Apple's string, options and set-active options as int masks,
        mode and route-sharing policy as the Dart enum index, attributes as
        ``{contentType, flags, usage}``, gain type 1-4, will-pause as bool or null.
        """

        def number(value: enum.Enum | None) -> int | None:
            return None if value is None else int(value.value)

        category = self.av_audio_session_category
        attributes = self.android_audio_attributes
        return {
            "avAudioSessionCategory": None if category is None else category.value,
            "avAudioSessionCategoryOptions": number(self.av_audio_session_category_options),
            "avAudioSessionMode": number(self.av_audio_session_mode),
            "avAudioSessionRouteSharingPolicy": number(self.av_audio_session_route_sharing_policy),
            "avAudioSessionSetActiveOptions": number(self.av_audio_session_set_active_options),
            "androidAudioAttributes": None if attributes is None else attributes.to_json(),
            "androidAudioFocusGainType": int(self.android_audio_focus_gain_type),
            "androidWillPauseWhenDucked": self.android_will_pause_when_ducked,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AudioSessionConfiguration:
        """Read the Flutter plugin's JSON form (see :meth:`to_json`).

        Missing or null keys leave the field unset (gain type: ``GAIN``); unknown
        keys are ignored. A value of the wrong type raises :class:`ValueError`
        naming the key. Like the original, a number or string the enum does not
        define decodes to the enum's default (logged); bitmasks keep every bit.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"audio session configuration: expected an object, got {data!r}")
        category_raw = data.get("avAudioSessionCategory")
        if category_raw is not None and not isinstance(category_raw, str):
            raise ValueError(f"avAudioSessionCategory: expected a string, got {category_raw!r}")
        attributes_raw = data.get("androidAudioAttributes")
        attributes = (
            None
            if attributes_raw is None
            else AndroidAudioAttributes._from_json(attributes_raw, "androidAudioAttributes.")
        )
        if attributes is not None:
            assert isinstance(attributes_raw, Mapping)
            _warn_unknown(attributes.content_type, attributes_raw.get("contentType"), "contentType")
            _warn_unknown(attributes.usage, attributes_raw.get("usage"), "usage")
        pause = data.get("androidWillPauseWhenDucked")
        if pause is not None and not isinstance(pause, bool):
            raise ValueError(f"androidWillPauseWhenDucked: expected a bool or null, got {pause!r}")
        options = json_mask(data, "avAudioSessionCategoryOptions", "")
        set_active = json_mask(data, "avAudioSessionSetActiveOptions", "")
        gain = json_int(data, "androidAudioFocusGainType", "")
        if gain is not None:
            _warn_unknown(AndroidAudioFocusGainType.decode(gain), gain, "androidAudioFocusGainType")
        return cls(
            av_audio_session_category=_decode(
                AVAudioSessionCategory.decode, category_raw, "avAudioSessionCategory"
            ),
            av_audio_session_category_options=(
                None if options is None else AVAudioSessionCategoryOptions.decode(options)
            ),
            av_audio_session_mode=_decode(
                AVAudioSessionMode.decode,
                json_int(data, "avAudioSessionMode", ""),
                "avAudioSessionMode",
            ),
            av_audio_session_route_sharing_policy=_decode(
                AVAudioSessionRouteSharingPolicy.decode,
                json_int(data, "avAudioSessionRouteSharingPolicy", ""),
                "avAudioSessionRouteSharingPolicy",
            ),
            av_audio_session_set_active_options=(
                None if set_active is None else AVAudioSessionSetActiveOptions.decode(set_active)
            ),
            android_audio_attributes=attributes,
            android_audio_focus_gain_type=(
                AndroidAudioFocusGainType.GAIN
                if gain is None
                else AndroidAudioFocusGainType.decode(gain)
            ),
            android_will_pause_when_ducked=pause,
        )

    # Linux -------------------------------------------------------------------

    def linux_media_role(self) -> str:
        """The PulseAudio ``media.role`` for this configuration (see :mod:`._roles`)."""
        return _roles.linux_media_role(self)

    def pipewire_media_role(self) -> str:
        """The native PipeWire / WirePlumber ``media.role`` (``Music``, ``Movie``, ...)."""
        return _roles.pipewire_media_role(self)

    def linux_stream_properties(
        self, *, server: Literal["pulseaudio", "pipewire"] = "pulseaudio"
    ) -> dict[str, str]:
        """Stream properties for a player that takes them directly (GStreamer
        ``stream-properties``, a PulseAudio or PipeWire stream's property list)."""
        return _roles.linux_stream_properties(self, server=server)

    def linux_environment(self) -> dict[str, str]:
        """``PULSE_PROP`` and ``PIPEWIRE_PROPS`` carrying this configuration's role."""
        return _roles.linux_environment(self)

    def apply_linux_environment(
        self, environ: MutableMapping[str, str] | None = None, *, override: bool = False
    ) -> dict[str, str]:
        """Put this configuration's role into ``environ`` (default ``os.environ``).

        Must happen before the audio library connects to the sound server (and before
        child processes start). See :func:`audio_session._roles.apply_linux_environment`.
        """
        return _roles.apply_linux_environment(self, environ, override=override)


_ENUM_FIELDS: tuple[tuple[str, type[enum.Enum]], ...] = (
    ("av_audio_session_category", AVAudioSessionCategory),
    ("av_audio_session_category_options", AVAudioSessionCategoryOptions),
    ("av_audio_session_mode", AVAudioSessionMode),
    ("av_audio_session_route_sharing_policy", AVAudioSessionRouteSharingPolicy),
    ("av_audio_session_set_active_options", AVAudioSessionSetActiveOptions),
)


def _decode(decode: Callable[[object], _EnumT], raw: object, key: str) -> _EnumT | None:
    if raw is None:
        return None
    value = decode(raw)
    _warn_unknown(value, raw, key)
    return value


def _warn_unknown(value: enum.Enum, raw: object, key: str) -> None:
    if raw is not None and value.value != raw:
        _log.warning("%s: unknown value %r, using %s", key, raw, value.name)
