"""Android ``AudioManager`` values; every number equals the Android SDK constant.

Members the Flutter plugin lacks but Android defines (newer device types, audio
modes, the hidden virtual-source usage, two public attribute flags) are included
and marked, so values written by a newer platform decode to what they mean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from audio_session._checks import is_int

from ._enums import CodedIntEnum, CodedIntFlag, coerce_enum
from ._events import AudioDevice, AudioDeviceType, AudioInterruptionEvent, AudioInterruptionType

__all__ = [
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
]


class AndroidAudioContentType(CodedIntEnum, default="UNKNOWN"):
    """``AudioAttributes.CONTENT_TYPE_*``: what is being played."""

    UNKNOWN = 0
    SPEECH = 1
    MUSIC = 2
    MOVIE = 3
    SONIFICATION = 4


class AndroidAudioFlags(CodedIntFlag):
    """``AudioAttributes.FLAG_*``; bits without a name are kept as they are."""

    NONE = 0
    AUDIBILITY_ENFORCED = 0x1
    #: Not named by the Flutter plugin.
    HW_AV_SYNC = 0x10
    #: Not named by the Flutter plugin; deprecated by Android in favour of performance modes.
    LOW_LATENCY = 0x100


class AndroidAudioUsage(CodedIntEnum, default="UNKNOWN"):
    """``AudioAttributes.USAGE_*``: why the sound is played."""

    UNKNOWN = 0
    MEDIA = 1
    VOICE_COMMUNICATION = 2
    VOICE_COMMUNICATION_SIGNALLING = 3
    ALARM = 4
    NOTIFICATION = 5
    NOTIFICATION_RINGTONE = 6
    NOTIFICATION_COMMUNICATION_REQUEST = 7
    NOTIFICATION_COMMUNICATION_INSTANT = 8
    NOTIFICATION_COMMUNICATION_DELAYED = 9
    NOTIFICATION_EVENT = 10
    ASSISTANCE_ACCESSIBILITY = 11
    ASSISTANCE_NAVIGATION_GUIDANCE = 12
    ASSISTANCE_SONIFICATION = 13
    GAME = 14
    #: Hidden in Android (``USAGE_VIRTUAL_SOURCE``); absent from the Flutter plugin.
    VIRTUAL_SOURCE = 15
    ASSISTANT = 16


class AndroidAudioFocusGainType(CodedIntEnum, default="GAIN"):
    """``AudioManager.AUDIOFOCUS_GAIN*``: how focus is requested. There is no 0."""

    GAIN = 1
    GAIN_TRANSIENT = 2
    GAIN_TRANSIENT_MAY_DUCK = 3
    #: API 19.
    GAIN_TRANSIENT_EXCLUSIVE = 4


class AndroidAudioFocus(CodedIntEnum, default="GAIN"):
    """Focus changes delivered to a focus listener (``AUDIOFOCUS_*``)."""

    GAIN = 1
    LOSS = -1
    LOSS_TRANSIENT = -2
    LOSS_TRANSIENT_CAN_DUCK = -3


class AndroidStreamType(CodedIntEnum, default="MUSIC"):
    """``AudioManager.STREAM_*``."""

    VOICE_CALL = 0
    SYSTEM = 1
    RING = 2
    MUSIC = 3
    ALARM = 4
    NOTIFICATION = 5
    #: Marked unsupported by the Flutter plugin.
    BLUETOOTH_SCO = 6
    #: Marked unsupported by the Flutter plugin.
    SYSTEM_ENFORCED = 7
    DTMF = 8
    #: Marked unsupported by the Flutter plugin.
    TTS = 9
    #: API 26.
    ACCESSIBILITY = 10


class AndroidAudioAdjustment(CodedIntEnum, default="SAME"):
    """``AudioManager.ADJUST_*``."""

    LOWER = -1
    SAME = 0
    RAISE = 1
    #: API 23.
    MUTE = -100
    #: API 23.
    UNMUTE = 100
    #: API 23.
    TOGGLE_MUTE = 101


class AndroidAudioVolumeFlags(CodedIntFlag):
    """``AudioManager.FLAG_*`` for volume changes.

    Two Flutter names were spelled inconsistently there (``allowRinger_modes``,
    ``show_silent_hint``); here they follow the same rule as the rest.
    """

    SHOW_UI = 1 << 0
    ALLOW_RINGER_MODES = 1 << 1
    PLAY_SOUND = 1 << 2
    REMOVE_SOUND_AND_VIBRATE = 1 << 3
    VIBRATE = 1 << 4
    FIXED_VOLUME = 1 << 5
    BLUETOOTH_ABS_VOLUME = 1 << 6
    SHOW_SILENT_HINT = 1 << 7
    HDMI_SYSTEM_AUDIO_VOLUME = 1 << 8
    ACTIVE_MEDIA_ONLY = 1 << 9
    SHOW_UI_WARNINGS = 1 << 10
    SHOW_VIBRATE_HINT = 1 << 11
    FROM_KEY = 1 << 12


class AndroidRingerMode(CodedIntEnum, default="NORMAL"):
    """``AudioManager.RINGER_MODE_*``."""

    SILENT = 0
    VIBRATE = 1
    NORMAL = 2


class AndroidAudioHardwareMode(CodedIntEnum, default="NORMAL"):
    """``AudioManager.MODE_*``."""

    INVALID = -2
    CURRENT = -1
    NORMAL = 0
    RINGTONE = 1
    IN_CALL = 2
    IN_COMMUNICATION = 3
    #: Absent from the Flutter plugin.
    CALL_SCREENING = 4
    #: Absent from the Flutter plugin.
    CALL_REDIRECT = 5
    #: Absent from the Flutter plugin.
    COMMUNICATION_REDIRECT = 6


class AndroidAudioCapturePolicy(CodedIntEnum, default="ALLOW_ALL"):
    """``AudioAttributes.ALLOW_CAPTURE_BY_*`` (API 29)."""

    ALLOW_ALL = 1
    ALLOW_SYSTEM = 2
    ALLOW_NONE = 3


class AndroidSoundEffectType(CodedIntEnum, default="KEY_CLICK"):
    """``AudioManager.FX_*``."""

    KEY_CLICK = 0
    FOCUS_NAVIGATION_UP = 1
    FOCUS_NAVIGATION_DOWN = 2
    FOCUS_NAVIGATION_LEFT = 3
    FOCUS_NAVIGATION_RIGHT = 4
    KEYPRESS_STANDARD = 5
    KEYPRESS_SPACEBAR = 6
    KEYPRESS_DELETE = 7
    KEYPRESS_RETURN = 8
    KEYPRESS_INVALID = 9


class AndroidAudioDeviceType(CodedIntEnum, default="UNKNOWN"):
    """``AudioDeviceInfo.TYPE_*``."""

    UNKNOWN = 0
    BUILT_IN_EARPIECE = 1
    BUILT_IN_SPEAKER = 2
    WIRED_HEADSET = 3
    WIRED_HEADPHONES = 4
    LINE_ANALOG = 5
    LINE_DIGITAL = 6
    BLUETOOTH_SCO = 7
    BLUETOOTH_A2DP = 8
    HDMI = 9
    HDMI_ARC = 10
    USB_DEVICE = 11
    USB_ACCESSORY = 12
    DOCK = 13
    FM = 14
    BUILT_IN_MIC = 15
    FM_TUNER = 16
    TV_TUNER = 17
    TELEPHONY = 18
    AUX_LINE = 19
    IP = 20
    BUS = 21
    USB_HEADSET = 22
    HEARING_AID = 23
    BUILT_IN_SPEAKER_SAFE = 24
    REMOTE_SUBMIX = 25
    #: 26-32 are absent from the Flutter plugin.
    BLE_HEADSET = 26
    BLE_SPEAKER = 27
    ECHO_REFERENCE = 28
    HDMI_EARC = 29
    BLE_BROADCAST = 30
    DOCK_ANALOG = 31
    MULTICHANNEL_GROUP = 32

    @property
    def audio_device_type(self) -> AudioDeviceType:
        """The cross-platform device type: the same name, except every USB type is USB audio.

        The types the Flutter plugin lacks map to their nearest kind (BLE devices to
        Bluetooth LE, eARC to HDMI ARC, analog dock to dock, the rest to unknown).
        """
        special = _ANDROID_DEVICE_TYPES.get(self.name)
        return AudioDeviceType[self.name] if special is None else special


_ANDROID_DEVICE_TYPES: dict[str, AudioDeviceType] = {
    "USB_DEVICE": AudioDeviceType.USB_AUDIO,
    "USB_ACCESSORY": AudioDeviceType.USB_AUDIO,
    "USB_HEADSET": AudioDeviceType.USB_AUDIO,
    "BLE_HEADSET": AudioDeviceType.BLUETOOTH_LE,
    "BLE_SPEAKER": AudioDeviceType.BLUETOOTH_LE,
    "BLE_BROADCAST": AudioDeviceType.BLUETOOTH_LE,
    "ECHO_REFERENCE": AudioDeviceType.UNKNOWN,
    "HDMI_EARC": AudioDeviceType.HDMI_ARC,
    "DOCK_ANALOG": AudioDeviceType.DOCK,
    "MULTICHANNEL_GROUP": AudioDeviceType.UNKNOWN,
}


class AndroidGetAudioDevicesFlags(CodedIntFlag):
    """``AudioManager.GET_DEVICES_*`` (API 23)."""

    NONE = 0
    INPUTS = 1
    OUTPUTS = 2
    ALL = 3


class AndroidScoAudioState(CodedIntEnum, default="ERROR"):
    """``AudioManager.SCO_AUDIO_STATE_*``."""

    ERROR = -1
    DISCONNECTED = 0
    CONNECTED = 1
    CONNECTING = 2


class AndroidMicrophoneLocation(CodedIntEnum, default="UNKNOWN"):
    """``MicrophoneInfo.LOCATION_*``."""

    UNKNOWN = 0
    MAIN_BODY = 1
    MAIN_BODY_MOVABLE = 2
    PERIPHERAL = 3


class AndroidMicrophoneDirectionality(CodedIntEnum, default="UNKNOWN"):
    """``MicrophoneInfo.DIRECTIONALITY_*``."""

    UNKNOWN = 0
    OMNI = 1
    BIDIRECTIONAL = 2
    CARDIOID = 3
    HYPER_CARDIOID = 4
    SUPER_CARDIOID = 5


def json_int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    """``data[key]`` as an int (None when absent or null); ValueError naming the key."""
    value = data.get(key)
    if value is None:
        return None
    if not is_int(value):
        raise ValueError(f"{where}{key}: expected an integer, got {value!r}")
    return value


def json_mask(data: Mapping[str, Any], key: str, where: str) -> int | None:
    """``data[key]`` as a non-negative bitmask (None when absent or null)."""
    value = json_int(data, key, where)
    if value is not None and value < 0:
        raise ValueError(f"{where}{key}: expected a non-negative bitmask, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class AndroidAudioAttributes:
    """Android ``AudioAttributes``: what is played and why. Equal when all fields are equal.

    Plain ints are accepted for every field and converted; a number the enum does
    not define raises :class:`ValueError`, a value of another type :class:`TypeError`.
    """

    content_type: AndroidAudioContentType = AndroidAudioContentType.UNKNOWN
    flags: AndroidAudioFlags = AndroidAudioFlags.NONE
    usage: AndroidAudioUsage = AndroidAudioUsage.UNKNOWN

    def __post_init__(self) -> None:
        for name, cls in (
            ("content_type", AndroidAudioContentType),
            ("flags", AndroidAudioFlags),
            ("usage", AndroidAudioUsage),
        ):
            object.__setattr__(self, name, coerce_enum(cls, getattr(self, name), name))

    def to_json(self) -> dict[str, int]:
        """``{"contentType", "flags", "usage"}`` with Android's numbers, as the Flutter plugin."""
        return {
            "contentType": int(self.content_type),
            "flags": int(self.flags),
            "usage": int(self.usage),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AndroidAudioAttributes:
        """Read :meth:`to_json` output. Unknown numbers decode to ``UNKNOWN``; flags keep
        every bit; a missing key takes the field's default. Wrong types raise ValueError."""
        return cls._from_json(data, "")

    @classmethod
    def _from_json(cls, data: object, where: str) -> AndroidAudioAttributes:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where.rstrip('.') or 'audio attributes'}: expected an object")
        return cls(
            content_type=AndroidAudioContentType.decode(json_int(data, "contentType", where)),
            flags=AndroidAudioFlags.decode(json_mask(data, "flags", where)),
            usage=AndroidAudioUsage.decode(json_int(data, "usage", where)),
        )


#: A focus listener, given each focus change.
AndroidOnAudioFocusChanged = Callable[[AndroidAudioFocus], object]


@dataclass(frozen=True, slots=True)
class AndroidAudioFocusRequest:
    """An ``AudioFocusRequest``: gain type, attributes and whether the app pauses when ducked."""

    gain_type: AndroidAudioFocusGainType
    audio_attributes: AndroidAudioAttributes | None = None
    will_pause_when_ducked: bool | None = None
    on_audio_focus_changed: AndroidOnAudioFocusChanged | None = None

    def __post_init__(self) -> None:
        gain = coerce_enum(AndroidAudioFocusGainType, self.gain_type, "gain_type")
        object.__setattr__(self, "gain_type", gain)
        if self.audio_attributes is not None and not isinstance(
            self.audio_attributes, AndroidAudioAttributes
        ):
            raise TypeError("audio_attributes must be AndroidAudioAttributes or None")
        if self.will_pause_when_ducked is not None and not isinstance(
            self.will_pause_when_ducked, bool
        ):
            raise TypeError("will_pause_when_ducked must be a bool or None")

    def to_json(self) -> dict[str, Any]:
        """The wire form ``{gainType, audioAttributes, willPauseWhenDucked}``.

        The key is ``audioAttributes``: before 0.2.3 the Dart side wrote
        ``audioAttribute`` and the attributes never reached Android.
        """
        return {
            "gainType": int(self.gain_type),
            "audioAttributes": (
                self.audio_attributes.to_json() if self.audio_attributes is not None else None
            ),
            "willPauseWhenDucked": self.will_pause_when_ducked,
        }


@dataclass(frozen=True, slots=True)
class AndroidAudioDeviceInfo:
    """An Android ``AudioDeviceInfo``."""

    id: int
    product_name: str
    address: str | None
    is_source: bool
    is_sink: bool
    sample_rates: tuple[int, ...]
    channel_masks: tuple[int, ...]
    channel_index_masks: tuple[int, ...]
    channel_counts: tuple[int, ...]
    encodings: tuple[int, ...]
    type: AndroidAudioDeviceType

    def to_audio_device(self) -> AudioDevice:
        """The cross-platform :class:`AudioDevice` (``id`` is the number as a string)."""
        return AudioDevice(
            id=str(self.id),
            name=self.product_name,
            is_input=self.is_source,
            is_output=self.is_sink,
            type=self.type.audio_device_type,
        )


#: A listener for devices added or removed.
AndroidOnAudioDevicesChanged = Callable[[list[AndroidAudioDeviceInfo]], object]


@dataclass(frozen=True, slots=True)
class AndroidMicrophoneInfo:
    """An Android ``MicrophoneInfo`` (API 28)."""

    description: str
    id: int
    type: int
    address: str
    location: AndroidMicrophoneLocation
    group: int
    index_in_the_group: int
    position: tuple[float, float, float]
    orientation: tuple[float, float, float]
    #: Pairs of (frequency in Hz, response in dB).
    frequency_response: tuple[tuple[float, float], ...]
    #: Pairs of (channel index, channel mapping type).
    channel_mapping: tuple[tuple[int, int], ...]
    sensitivity: float
    max_spl: float
    min_spl: float
    directionality: AndroidMicrophoneDirectionality


@dataclass(frozen=True, slots=True)
class AndroidKeyEvent:
    """An Android ``KeyEvent`` to dispatch as a media key."""

    device_id: int
    source: int
    meta_state: int
    action: int
    key_code: int
    scan_code: int
    repeat_count: int
    flags: int
    down_time: int
    event_time: int


@dataclass(frozen=True, slots=True)
class AndroidScoAudioEvent:
    """A Bluetooth SCO audio state change."""

    current_state: AndroidScoAudioState
    previous_state: AndroidScoAudioState


class AndroidFocusInterruptionMapper:
    """Turns focus changes into interruption events, for one activation.

    Keeps the "ducked" state between a can-duck loss and the following gain, so the
    gain says ``DUCK`` (restore the volume) or ``PAUSE`` (resume). Give it the
    *effective* ``will_pause_when_ducked`` (per-call override, else configured):
    the original consulted only the configured value.

    ============================ ================================================ =========
    Focus change                 Event                                            Ducked
    ============================ ================================================ =========
    ``GAIN``                     end, ``DUCK`` if ducked else ``PAUSE``            no
    ``LOSS``                     begin, ``UNKNOWN`` (no gain will follow)          no
    ``LOSS_TRANSIENT``           begin, ``PAUSE``                                  no
    ``LOSS_TRANSIENT_CAN_DUCK``  begin, ``PAUSE`` if pause-when-ducked else        unless
                                 ``DUCK``                                          pausing
    ============================ ================================================ =========
    """

    def __init__(self, *, pause_when_ducked: bool) -> None:
        self.pause_when_ducked = pause_when_ducked
        self.ducked = False

    def map(self, focus: AndroidAudioFocus) -> AudioInterruptionEvent:
        """The event for ``focus``; updates the ducked state."""
        focus = coerce_enum(AndroidAudioFocus, focus, "focus")
        if focus is AndroidAudioFocus.GAIN:
            kind = AudioInterruptionType.DUCK if self.ducked else AudioInterruptionType.PAUSE
            self.ducked = False
            return AudioInterruptionEvent(False, kind)
        if focus is AndroidAudioFocus.LOSS:
            self.ducked = False
            return AudioInterruptionEvent(True, AudioInterruptionType.UNKNOWN)
        if focus is AndroidAudioFocus.LOSS_TRANSIENT:
            self.ducked = False
            return AudioInterruptionEvent(True, AudioInterruptionType.PAUSE)
        if self.pause_when_ducked:
            self.ducked = False
            return AudioInterruptionEvent(True, AudioInterruptionType.PAUSE)
        self.ducked = True
        return AudioInterruptionEvent(True, AudioInterruptionType.DUCK)
