"""What the session reports: interruptions, device changes and the devices themselves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._enums import CodedIntEnum, coerce_enum

__all__ = [
    "AudioDevice",
    "AudioDeviceType",
    "AudioDevicesChangedEvent",
    "AudioInterruptionEvent",
    "AudioInterruptionType",
]


class AudioInterruptionType(CodedIntEnum, default="UNKNOWN"):
    """How the app should react to an interruption (Flutter ``AudioInterruptionType``)."""

    #: Pause while the interruption lasts; resume when it ends.
    PAUSE = 0
    #: Lower the volume while it lasts; restore it when it ends.
    DUCK = 1
    #: Pause, possibly for good; when it ends, do not resume on your own.
    UNKNOWN = 2


@dataclass(frozen=True, slots=True)
class AudioInterruptionEvent:
    """Another app (or the system) started or stopped interrupting this session.

    ``begin`` is true when the interruption starts and false when it ends; ``type``
    says what to do about it (see :class:`AudioInterruptionType`).
    """

    begin: bool
    type: AudioInterruptionType

    def __post_init__(self) -> None:
        if not isinstance(self.begin, bool):
            raise TypeError(f"begin must be a bool, not {self.begin!r}")
        object.__setattr__(self, "type", coerce_enum(AudioInterruptionType, self.type, "type"))


class AudioDeviceType(CodedIntEnum, default="UNKNOWN"):
    """The kind of an audio device (Flutter ``AudioDeviceType``, experimental there)."""

    UNKNOWN = 0
    BUILT_IN_EARPIECE = 1
    BUILT_IN_SPEAKER = 2
    WIRED_HEADSET = 3
    WIRED_HEADPHONES = 4
    #: Kept for parity; no platform of the original ever produces it.
    HEADSET_MIC = 5
    LINE_ANALOG = 6
    LINE_DIGITAL = 7
    BLUETOOTH_SCO = 8
    BLUETOOTH_A2DP = 9
    HDMI = 10
    HDMI_ARC = 11
    USB_AUDIO = 12
    DOCK = 13
    FM = 14
    BUILT_IN_MIC = 15
    FM_TUNER = 16
    TV_TUNER = 17
    TELEPHONY = 18
    AUX_LINE = 19
    IP = 20
    BUS = 21
    HEARING_AID = 22
    AIR_PLAY = 23
    BLUETOOTH_LE = 24
    AVB = 25
    DISPLAY_PORT = 26
    CAR_AUDIO = 27
    FIRE_WIRE = 28
    PCI = 29
    THUNDERBOLT = 30
    VIRTUAL = 31
    BUILT_IN_SPEAKER_SAFE = 32
    REMOTE_SUBMIX = 33


@dataclass(frozen=True, slots=True, eq=False)
class AudioDevice:
    """One audio input and/or output device.

    Two devices are equal when their ``id`` is equal, whatever the other fields say,
    so a set of devices holds each device once even while its name or type changes.
    """

    id: str
    name: str = ""
    is_input: bool = False
    is_output: bool = False
    type: AudioDeviceType = AudioDeviceType.UNKNOWN

    def __post_init__(self) -> None:
        if not isinstance(self.id, str):
            raise TypeError(f"id must be a str, not {self.id!r}")
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, not {self.name!r}")
        for flag in ("is_input", "is_output"):
            if not isinstance(getattr(self, flag), bool):
                raise TypeError(f"{flag} must be a bool, not {getattr(self, flag)!r}")
        object.__setattr__(self, "type", coerce_enum(AudioDeviceType, self.type, "type"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AudioDevice):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)


def _device_set(devices: object, name: str) -> frozenset[AudioDevice]:
    if isinstance(devices, (str, bytes)) or not isinstance(devices, Iterable):
        raise TypeError(f"{name} must be an iterable of AudioDevice, not {devices!r}")
    result = frozenset(devices)
    for device in result:
        if not isinstance(device, AudioDevice):
            raise TypeError(f"{name} must contain AudioDevice objects, not {device!r}")
    return result


@dataclass(frozen=True, slots=True, init=False)
class AudioDevicesChangedEvent:
    """Devices that appeared and disappeared since the previous event.

    Any iterable of devices is accepted; it is stored as a frozenset.
    """

    devices_added: frozenset[AudioDevice]
    devices_removed: frozenset[AudioDevice]

    def __init__(
        self,
        devices_added: Iterable[AudioDevice] = (),
        devices_removed: Iterable[AudioDevice] = (),
    ) -> None:
        object.__setattr__(self, "devices_added", _device_set(devices_added, "devices_added"))
        object.__setattr__(self, "devices_removed", _device_set(devices_removed, "devices_removed"))
