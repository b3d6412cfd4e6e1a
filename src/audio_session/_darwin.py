"""Apple ``AVAudioSession`` values, with the numbers and strings the Flutter plugin uses.

Integer members equal what the Flutter plugin puts on the wire: Apple's own value
where the plugin sends it (options, route-change reasons), otherwise the Dart enum
index (modes, route-sharing policies, ports). Where the two differ, the Apple value
is available as ``raw_value``.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field

from ._enums import CodedIntEnum, CodedIntFlag, CodedStrEnum
from ._events import (
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioDeviceType,
    AudioInterruptionEvent,
    AudioInterruptionType,
)

__all__ = [
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
]


class AVAudioSessionCategory(CodedStrEnum, default="SOLO_AMBIENT"):
    """The app-wide iOS audio category; values are Apple's raw strings.

    Unknown strings decode to ``SOLO_AMBIENT``, the category iOS itself uses when
    none is set (the original raised instead).
    """

    AMBIENT = "AVAudioSessionCategoryAmbient"
    SOLO_AMBIENT = "AVAudioSessionCategorySoloAmbient"
    PLAYBACK = "AVAudioSessionCategoryPlayback"
    RECORD = "AVAudioSessionCategoryRecord"
    PLAY_AND_RECORD = "AVAudioSessionCategoryPlayAndRecord"
    MULTI_ROUTE = "AVAudioSessionCategoryMultiRoute"

    @property
    def raw_value(self) -> str:
        """Apple's string for this category (the same as ``value``)."""
        return self.value


class AVAudioSessionCategoryOptions(CodedIntFlag):
    """Category options; bits equal Apple's."""

    NONE = 0x0
    MIX_WITH_OTHERS = 0x1
    DUCK_OTHERS = 0x2
    ALLOW_BLUETOOTH = 0x4
    DEFAULT_TO_SPEAKER = 0x8
    #: Includes the ``MIX_WITH_OTHERS`` bit, as in Apple's definition.
    INTERRUPT_SPOKEN_AUDIO_AND_MIX_WITH_OTHERS = 0x11
    ALLOW_BLUETOOTH_A2DP = 0x20
    ALLOW_AIR_PLAY = 0x40
    #: iOS 14.5; not named by the Flutter plugin, which accepts it only as a raw int.
    OVERRIDE_MUTED_MICROPHONE_INTERRUPTION = 0x80


class AVAudioSessionMode(CodedIntEnum, default="DEFAULT_MODE"):
    """The iOS audio mode; values are the Flutter plugin's indices."""

    DEFAULT_MODE = 0
    GAME_CHAT = 1
    MEASUREMENT = 2
    MOVIE_PLAYBACK = 3
    #: iOS 9+; iOS falls back to the default mode before.
    SPOKEN_AUDIO = 4
    VIDEO_CHAT = 5
    VIDEO_RECORDING = 6
    VOICE_CHAT = 7
    #: iOS 12+; iOS falls back to the default mode before.
    VOICE_PROMPT = 8


_ROUTE_SHARING_RAW = {0: 0, 1: 1, 2: 3, 3: 2}


class AVAudioSessionRouteSharingPolicy(CodedIntEnum, default="DEFAULT_POLICY"):
    """The iOS route-sharing policy; values are the Flutter plugin's indices.

    The index is not Apple's number: see :attr:`raw_value`.
    """

    DEFAULT_POLICY = 0
    #: iOS 13+.
    LONG_FORM_AUDIO = 1
    #: iOS 13+.
    LONG_FORM_VIDEO = 2
    INDEPENDENT = 3

    @property
    def raw_value(self) -> int:
        """Apple's ``AVAudioSessionRouteSharingPolicy`` number for this policy."""
        return _ROUTE_SHARING_RAW[self.value]

    @classmethod
    def from_raw_value(cls, raw: object) -> AVAudioSessionRouteSharingPolicy:
        """The policy for Apple's number; ``DEFAULT_POLICY`` for an unknown one."""
        for index, apple in _ROUTE_SHARING_RAW.items():
            if apple == raw and not isinstance(raw, bool):
                return cls(index)
        return cls.DEFAULT_POLICY


class AVAudioSessionSetActiveOptions(CodedIntFlag):
    """Options for activating or deactivating the session; bits equal Apple's."""

    NONE = 0
    NOTIFY_OTHERS_ON_DEACTIVATION = 1


class AVAudioSessionRecordPermission(CodedIntEnum, default="UNDETERMINED"):
    """Microphone permission, as the plugin encodes Apple's four-character codes."""

    UNDETERMINED = 0
    DENIED = 1
    GRANTED = 2


class AVAudioSessionPromptStyle(CodedIntEnum, default="NORMAL"):
    """How voice prompts should sound given the current session state (iOS 13+)."""

    NONE = 0
    SHORT = 1
    NORMAL = 2


class AVAudioSessionInterruptionType(CodedIntEnum, default="BEGAN"):
    """Start or end of an interruption, in the plugin's encoding.

    Apple numbers them the other way round (began 1, ended 0); see :attr:`raw_value`.
    """

    BEGAN = 0
    ENDED = 1

    @property
    def raw_value(self) -> int:
        """Apple's ``AVAudioSessionInterruptionType`` number."""
        return 1 - self.value

    @classmethod
    def from_raw_value(cls, raw: object) -> AVAudioSessionInterruptionType:
        """The type for Apple's number; ``BEGAN`` for an unknown one."""
        return cls.ENDED if raw == 0 and not isinstance(raw, bool) else cls.BEGAN


class AVAudioSessionInterruptionOptions(CodedIntFlag):
    """Options delivered when an interruption ends; bits equal Apple's."""

    NONE = 0
    SHOULD_RESUME = 1


class AVAudioSessionRouteChangeReason(CodedIntEnum, default="UNKNOWN"):
    """Why the audio route changed; values are Apple's (5 is unused by Apple).

    The original decoded Apple's number as a Dart index, which misreads 6, 7 and 8;
    this enum is decoded by value.
    """

    UNKNOWN = 0
    NEW_DEVICE_AVAILABLE = 1
    OLD_DEVICE_UNAVAILABLE = 2
    CATEGORY_CHANGE = 3
    OVERRIDE = 4
    WAKE_FROM_SLEEP = 6
    NO_SUITABLE_ROUTE_FOR_CATEGORY = 7
    ROUTE_CONFIGURATION_CHANGE = 8


class AVAudioSessionSilenceSecondaryAudioHintType(CodedIntEnum, default="END"):
    """Whether another app asks secondary audio to be silenced; values equal Apple's."""

    END = 0
    BEGIN = 1


class AVAudioSessionPort(CodedIntEnum, default="UNKNOWN"):
    """An iOS audio port type; values are the Flutter plugin's indices.

    ``UNKNOWN`` is new: the original decoded unknown port types as ``BUILT_IN_MIC``.
    """

    UNKNOWN = -1
    BUILT_IN_MIC = 0
    HEADSET_MIC = 1
    LINE_IN = 2
    AIR_PLAY = 3
    BLUETOOTH_A2DP = 4
    BLUETOOTH_LE = 5
    BUILT_IN_RECEIVER = 6
    BUILT_IN_SPEAKER = 7
    HDMI = 8
    HEADPHONES = 9
    LINE_OUT = 10
    #: iOS 14+.
    AVB = 11
    BLUETOOTH_HFP = 12
    #: iOS 14+.
    DISPLAY_PORT = 13
    CAR_AUDIO = 14
    #: iOS 14+.
    FIRE_WIRE = 15
    #: iOS 14+.
    PCI = 16
    #: iOS 14+.
    THUNDERBOLT = 17
    USB_AUDIO = 18
    #: iOS 14+.
    VIRTUAL = 19

    def audio_device_type(self, *, headset_mic_present: bool = False) -> AudioDeviceType:
        """The cross-platform device type for this port.

        ``HEADPHONES`` is a wired headset when a headset microphone is among the
        current inputs, and plain wired headphones otherwise.
        """
        if self is AVAudioSessionPort.HEADPHONES:
            if headset_mic_present:
                return AudioDeviceType.WIRED_HEADSET
            return AudioDeviceType.WIRED_HEADPHONES
        return _PORT_DEVICE_TYPES[self]


_PORT_DEVICE_TYPES: dict[AVAudioSessionPort, AudioDeviceType] = {
    AVAudioSessionPort.UNKNOWN: AudioDeviceType.UNKNOWN,
    AVAudioSessionPort.BUILT_IN_MIC: AudioDeviceType.BUILT_IN_MIC,
    AVAudioSessionPort.HEADSET_MIC: AudioDeviceType.WIRED_HEADSET,
    AVAudioSessionPort.LINE_IN: AudioDeviceType.DOCK,
    AVAudioSessionPort.AIR_PLAY: AudioDeviceType.AIR_PLAY,
    AVAudioSessionPort.BLUETOOTH_A2DP: AudioDeviceType.BLUETOOTH_A2DP,
    AVAudioSessionPort.BLUETOOTH_LE: AudioDeviceType.BLUETOOTH_LE,
    AVAudioSessionPort.BUILT_IN_RECEIVER: AudioDeviceType.BUILT_IN_EARPIECE,
    AVAudioSessionPort.BUILT_IN_SPEAKER: AudioDeviceType.BUILT_IN_SPEAKER,
    AVAudioSessionPort.HDMI: AudioDeviceType.HDMI,
    AVAudioSessionPort.HEADPHONES: AudioDeviceType.WIRED_HEADPHONES,
    AVAudioSessionPort.LINE_OUT: AudioDeviceType.DOCK,
    AVAudioSessionPort.AVB: AudioDeviceType.AVB,
    AVAudioSessionPort.BLUETOOTH_HFP: AudioDeviceType.BLUETOOTH_SCO,
    AVAudioSessionPort.DISPLAY_PORT: AudioDeviceType.DISPLAY_PORT,
    AVAudioSessionPort.CAR_AUDIO: AudioDeviceType.CAR_AUDIO,
    AVAudioSessionPort.FIRE_WIRE: AudioDeviceType.FIRE_WIRE,
    AVAudioSessionPort.PCI: AudioDeviceType.PCI,
    AVAudioSessionPort.THUNDERBOLT: AudioDeviceType.THUNDERBOLT,
    AVAudioSessionPort.USB_AUDIO: AudioDeviceType.USB_AUDIO,
    AVAudioSessionPort.VIRTUAL: AudioDeviceType.VIRTUAL,
}


class AVAudioSessionPortOverride(CodedIntEnum, default="NONE"):
    """Output port override."""

    NONE = 0
    SPEAKER = 1


class AVAudioSessionLocation(CodedIntEnum, default="LOWER"):
    """Where a data source (microphone) sits on the device."""

    LOWER = 0
    UPPER = 1


class AVAudioSessionOrientation(CodedIntEnum, default="TOP"):
    """Which way a data source faces."""

    TOP = 0
    BOTTOM = 1
    FRONT = 2
    BACK = 3
    LEFT = 4
    RIGHT = 5


class AVAudioSessionPolarPattern(CodedIntEnum, default="OMNIDIRECTIONAL"):
    """A microphone's polar pattern."""

    #: iOS 14+.
    STEREO = 0
    CARDIOID = 1
    SUBCARDIOID = 2
    OMNIDIRECTIONAL = 3


@dataclass(frozen=True, slots=True)
class AVAudioSessionInterruptionNotification:
    """An iOS interruption notification as the plugin forwards it.

    ``was_suspended`` is None before iOS 10.3.
    """

    type: AVAudioSessionInterruptionType
    options: AVAudioSessionInterruptionOptions = AVAudioSessionInterruptionOptions.NONE
    was_suspended: bool | None = None

    def to_audio_interruption_event(self) -> AudioInterruptionEvent | None:
        """The cross-platform event for this notification, or None when it is stale.

        A "began" that iOS delivers only because the app was suspended is dropped.
        An "ended" says ``PAUSE`` (resume now) only when the should-resume bit is
        set (tested as a bit; the original compared the whole mask), else ``UNKNOWN``.
        """
        if self.type is AVAudioSessionInterruptionType.BEGAN:
            if self.was_suspended is True:
                return None
            return AudioInterruptionEvent(True, AudioInterruptionType.UNKNOWN)
        if AVAudioSessionInterruptionOptions.SHOULD_RESUME in self.options:
            return AudioInterruptionEvent(False, AudioInterruptionType.PAUSE)
        return AudioInterruptionEvent(False, AudioInterruptionType.UNKNOWN)


@dataclass(frozen=True, slots=True)
class AVAudioSessionRouteChange:
    """A route change; only the reason is carried."""

    reason: AVAudioSessionRouteChangeReason


@dataclass(frozen=True, slots=True)
class AVAudioSessionChannelDescription:
    """One channel of a port."""

    name: str
    number: int
    owning_port_uid: str
    label: int


@dataclass(frozen=True, slots=True)
class AVAudioSessionDataSourceDescription:
    """A data source (e.g. one of several microphones) of a port."""

    id: int
    name: str
    location: AVAudioSessionLocation | None = None
    orientation: AVAudioSessionOrientation | None = None
    selected_polar_pattern: AVAudioSessionPolarPattern | None = None
    supported_polar_patterns: tuple[AVAudioSessionPolarPattern, ...] | None = None
    preferred_polar_pattern: AVAudioSessionPolarPattern | None = None


@dataclass(frozen=True, slots=True, eq=False)
class AVAudioSessionPortDescription:
    """An iOS audio port; equal to another port with the same ``uid``."""

    port_name: str
    port_type: AVAudioSessionPort
    uid: str
    channels: tuple[AVAudioSessionChannelDescription, ...] = ()
    has_hardware_voice_call_processing: bool = False
    data_sources: tuple[AVAudioSessionDataSourceDescription, ...] | None = None
    selected_data_source: AVAudioSessionDataSourceDescription | None = None
    preferred_data_source: AVAudioSessionDataSourceDescription | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AVAudioSessionPortDescription):
            return NotImplemented
        return self.uid == other.uid

    def __hash__(self) -> int:
        return hash(self.uid)

    def to_audio_device(
        self, *, is_input: bool, is_output: bool, headset_mic_present: bool = False
    ) -> AudioDevice:
        """This port as a cross-platform :class:`AudioDevice` (``id`` is the port uid)."""
        return AudioDevice(
            id=self.uid,
            name=self.port_name,
            is_input=is_input,
            is_output=is_output,
            type=self.port_type.audio_device_type(headset_mic_present=headset_mic_present),
        )


@dataclass(frozen=True, slots=True)
class AVAudioSessionRouteDescription:
    """The current route: the ports audio comes in from and goes out to."""

    inputs: frozenset[AVAudioSessionPortDescription] = field(default_factory=frozenset)
    outputs: frozenset[AVAudioSessionPortDescription] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", frozenset(self.inputs))
        object.__setattr__(self, "outputs", frozenset(self.outputs))

    @property
    def headset_mic_present(self) -> bool:
        """True when a headset microphone is among the inputs."""
        return any(p.port_type is AVAudioSessionPort.HEADSET_MIC for p in self.inputs)

    def devices(self) -> frozenset[AudioDevice]:
        """Every port of the route as an :class:`AudioDevice`, merged by uid."""
        mic = self.headset_mic_present
        input_uids = {p.uid for p in self.inputs}
        output_uids = {p.uid for p in self.outputs}
        ports = {p.uid: p for p in (*self.inputs, *self.outputs)}
        return frozenset(
            port.to_audio_device(
                is_input=uid in input_uids, is_output=uid in output_uids, headset_mic_present=mic
            )
            for uid, port in ports.items()
        )

    def changes_since(self, previous: AVAudioSessionRouteDescription) -> AudioDevicesChangedEvent:
        """The devices added and removed going from ``previous`` to this route.

        Callers keep the route seen at start-up as the first ``previous``; diffing
        the first change against itself is why the original's first event was empty.
        """
        now: Set[AudioDevice] = self.devices()
        before: Set[AudioDevice] = previous.devices()
        return AudioDevicesChangedEvent(frozenset(now - before), frozenset(before - now))
