"""Every platform enum: exact values, Flutter names, lenient decoding, strict construction."""

from __future__ import annotations

import enum
import re

import pytest

import audio_session as a
from audio_session._enums import coerce_enum


def upper_snake(flutter_name: str) -> str:
    """``playAndRecord`` -> ``PLAY_AND_RECORD``; ``bluetoothA2dp`` -> ``BLUETOOTH_A2DP``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", flutter_name).upper()


# Flutter name -> value, transcribed from the reference. Entries marked "new" are
# platform values the Flutter plugin lacks.
PINNED: dict[type[enum.Enum], dict[str, object]] = {
    a.AVAudioSessionCategory: {
        "ambient": "AVAudioSessionCategoryAmbient",
        "soloAmbient": "AVAudioSessionCategorySoloAmbient",
        "playback": "AVAudioSessionCategoryPlayback",
        "record": "AVAudioSessionCategoryRecord",
        "playAndRecord": "AVAudioSessionCategoryPlayAndRecord",
        "multiRoute": "AVAudioSessionCategoryMultiRoute",
    },
    a.AVAudioSessionCategoryOptions: {
        "none": 0x0,
        "mixWithOthers": 0x1,
        "duckOthers": 0x2,
        "allowBluetooth": 0x4,
        "defaultToSpeaker": 0x8,
        "interruptSpokenAudioAndMixWithOthers": 0x11,
        "allowBluetoothA2dp": 0x20,
        "allowAirPlay": 0x40,
        "overrideMutedMicrophoneInterruption": 0x80,  # new
    },
    a.AVAudioSessionMode: {
        "defaultMode": 0,
        "gameChat": 1,
        "measurement": 2,
        "moviePlayback": 3,
        "spokenAudio": 4,
        "videoChat": 5,
        "videoRecording": 6,
        "voiceChat": 7,
        "voicePrompt": 8,
    },
    a.AVAudioSessionRouteSharingPolicy: {
        "defaultPolicy": 0,
        "longFormAudio": 1,
        "longFormVideo": 2,
        "independent": 3,
    },
    a.AVAudioSessionSetActiveOptions: {"none": 0, "notifyOthersOnDeactivation": 1},
    a.AVAudioSessionRecordPermission: {"undetermined": 0, "denied": 1, "granted": 2},
    a.AVAudioSessionPromptStyle: {"none": 0, "short": 1, "normal": 2},
    a.AVAudioSessionInterruptionType: {"began": 0, "ended": 1},
    a.AVAudioSessionInterruptionOptions: {"none": 0, "shouldResume": 1},
    a.AVAudioSessionRouteChangeReason: {
        "unknown": 0,
        "newDeviceAvailable": 1,
        "oldDeviceUnavailable": 2,
        "categoryChange": 3,
        "override": 4,
        "wakeFromSleep": 6,
        "noSuitableRouteForCategory": 7,
        "routeConfigurationChange": 8,
    },
    a.AVAudioSessionSilenceSecondaryAudioHintType: {"end": 0, "begin": 1},
    a.AVAudioSessionPort: {
        "unknown": -1,  # new
        "builtInMic": 0,
        "headsetMic": 1,
        "lineIn": 2,
        "airPlay": 3,
        "bluetoothA2dp": 4,
        "bluetoothLe": 5,
        "builtInReceiver": 6,
        "builtInSpeaker": 7,
        "hdmi": 8,
        "headphones": 9,
        "lineOut": 10,
        "avb": 11,
        "bluetoothHfp": 12,
        "displayPort": 13,
        "carAudio": 14,
        "fireWire": 15,
        "pci": 16,
        "thunderbolt": 17,
        "usbAudio": 18,
        "virtual": 19,
    },
    a.AVAudioSessionPortOverride: {"none": 0, "speaker": 1},
    a.AVAudioSessionLocation: {"lower": 0, "upper": 1},
    a.AVAudioSessionOrientation: {
        "top": 0,
        "bottom": 1,
        "front": 2,
        "back": 3,
        "left": 4,
        "right": 5,
    },
    a.AVAudioSessionPolarPattern: {
        "stereo": 0,
        "cardioid": 1,
        "subcardioid": 2,
        "omnidirectional": 3,
    },
    a.AndroidAudioContentType: {
        "unknown": 0,
        "speech": 1,
        "music": 2,
        "movie": 3,
        "sonification": 4,
    },
    a.AndroidAudioFlags: {
        "none": 0,
        "audibilityEnforced": 1,
        "hwAvSync": 0x10,  # new
        "lowLatency": 0x100,  # new
    },
    a.AndroidAudioUsage: {
        "unknown": 0,
        "media": 1,
        "voiceCommunication": 2,
        "voiceCommunicationSignalling": 3,
        "alarm": 4,
        "notification": 5,
        "notificationRingtone": 6,
        "notificationCommunicationRequest": 7,
        "notificationCommunicationInstant": 8,
        "notificationCommunicationDelayed": 9,
        "notificationEvent": 10,
        "assistanceAccessibility": 11,
        "assistanceNavigationGuidance": 12,
        "assistanceSonification": 13,
        "game": 14,
        "virtualSource": 15,  # new (hidden in Android)
        "assistant": 16,
    },
    a.AndroidAudioFocusGainType: {
        "gain": 1,
        "gainTransient": 2,
        "gainTransientMayDuck": 3,
        "gainTransientExclusive": 4,
    },
    a.AndroidAudioFocus: {
        "gain": 1,
        "loss": -1,
        "lossTransient": -2,
        "lossTransientCanDuck": -3,
    },
    a.AndroidStreamType: {
        "voiceCall": 0,
        "system": 1,
        "ring": 2,
        "music": 3,
        "alarm": 4,
        "notification": 5,
        "bluetoothSco": 6,
        "systemEnforced": 7,
        "dtmf": 8,
        "tts": 9,
        "accessibility": 10,
    },
    a.AndroidAudioAdjustment: {
        "lower": -1,
        "same": 0,
        "raise": 1,
        "mute": -100,
        "unmute": 100,
        "toggleMute": 101,
    },
    a.AndroidAudioVolumeFlags: {
        "showUi": 1,
        "allowRingerModes": 2,  # "allowRinger_modes" in the original
        "playSound": 4,
        "removeSoundAndVibrate": 8,
        "vibrate": 16,
        "fixedVolume": 32,
        "bluetoothAbsVolume": 64,
        "showSilentHint": 128,  # "show_silent_hint" in the original
        "hdmiSystemAudioVolume": 256,
        "activeMediaOnly": 512,
        "showUiWarnings": 1024,
        "showVibrateHint": 2048,
        "fromKey": 4096,
    },
    a.AndroidRingerMode: {"silent": 0, "vibrate": 1, "normal": 2},
    a.AndroidAudioHardwareMode: {
        "invalid": -2,
        "current": -1,
        "normal": 0,
        "ringtone": 1,
        "inCall": 2,
        "inCommunication": 3,
        "callScreening": 4,  # new
        "callRedirect": 5,  # new
        "communicationRedirect": 6,  # new
    },
    a.AndroidAudioCapturePolicy: {"allowAll": 1, "allowSystem": 2, "allowNone": 3},
    a.AndroidSoundEffectType: {
        "keyClick": 0,
        "focusNavigationUp": 1,
        "focusNavigationDown": 2,
        "focusNavigationLeft": 3,
        "focusNavigationRight": 4,
        "keypressStandard": 5,
        "keypressSpacebar": 6,
        "keypressDelete": 7,
        "keypressReturn": 8,
        "keypressInvalid": 9,
    },
    a.AndroidAudioDeviceType: {
        "unknown": 0,
        "builtInEarpiece": 1,
        "builtInSpeaker": 2,
        "wiredHeadset": 3,
        "wiredHeadphones": 4,
        "lineAnalog": 5,
        "lineDigital": 6,
        "bluetoothSco": 7,
        "bluetoothA2dp": 8,
        "hdmi": 9,
        "hdmiArc": 10,
        "usbDevice": 11,
        "usbAccessory": 12,
        "dock": 13,
        "fm": 14,
        "builtInMic": 15,
        "fmTuner": 16,
        "tvTuner": 17,
        "telephony": 18,
        "auxLine": 19,
        "ip": 20,
        "bus": 21,
        "usbHeadset": 22,
        "hearingAid": 23,
        "builtInSpeakerSafe": 24,
        "remoteSubmix": 25,
        "bleHeadset": 26,  # 26-32 new
        "bleSpeaker": 27,
        "echoReference": 28,
        "hdmiEarc": 29,
        "bleBroadcast": 30,
        "dockAnalog": 31,
        "multichannelGroup": 32,
    },
    a.AndroidGetAudioDevicesFlags: {"none": 0, "inputs": 1, "outputs": 2, "all": 3},
    a.AndroidScoAudioState: {
        "error": -1,
        "disconnected": 0,
        "connected": 1,
        "connecting": 2,
    },
    a.AndroidMicrophoneLocation: {
        "unknown": 0,
        "mainBody": 1,
        "mainBodyMovable": 2,
        "peripheral": 3,
    },
    a.AndroidMicrophoneDirectionality: {
        "unknown": 0,
        "omni": 1,
        "bidirectional": 2,
        "cardioid": 3,
        "hyperCardioid": 4,
        "superCardioid": 5,
    },
    a.AudioInterruptionType: {"pause": 0, "duck": 1, "unknown": 2},
    a.AudioDeviceType: {
        "unknown": 0,
        "builtInEarpiece": 1,
        "builtInSpeaker": 2,
        "wiredHeadset": 3,
        "wiredHeadphones": 4,
        "headsetMic": 5,
        "lineAnalog": 6,
        "lineDigital": 7,
        "bluetoothSco": 8,
        "bluetoothA2dp": 9,
        "hdmi": 10,
        "hdmiArc": 11,
        "usbAudio": 12,
        "dock": 13,
        "fm": 14,
        "builtInMic": 15,
        "fmTuner": 16,
        "tvTuner": 17,
        "telephony": 18,
        "auxLine": 19,
        "ip": 20,
        "bus": 21,
        "hearingAid": 22,
        "airPlay": 23,
        "bluetoothLe": 24,
        "avb": 25,
        "displayPort": 26,
        "carAudio": 27,
        "fireWire": 28,
        "pci": 29,
        "thunderbolt": 30,
        "virtual": 31,
        "builtInSpeakerSafe": 32,
        "remoteSubmix": 33,
    },
}

# The documented value an unknown raw value decodes to.
DECODE_DEFAULTS: dict[type[enum.Enum], object] = {
    a.AVAudioSessionCategory: a.AVAudioSessionCategory.SOLO_AMBIENT,
    a.AVAudioSessionMode: a.AVAudioSessionMode.DEFAULT_MODE,
    a.AVAudioSessionRouteSharingPolicy: a.AVAudioSessionRouteSharingPolicy.DEFAULT_POLICY,
    a.AVAudioSessionRecordPermission: a.AVAudioSessionRecordPermission.UNDETERMINED,
    a.AVAudioSessionPromptStyle: a.AVAudioSessionPromptStyle.NORMAL,
    a.AVAudioSessionInterruptionType: a.AVAudioSessionInterruptionType.BEGAN,
    a.AVAudioSessionRouteChangeReason: a.AVAudioSessionRouteChangeReason.UNKNOWN,
    a.AVAudioSessionSilenceSecondaryAudioHintType: (
        a.AVAudioSessionSilenceSecondaryAudioHintType.END
    ),
    a.AVAudioSessionPort: a.AVAudioSessionPort.UNKNOWN,
    a.AVAudioSessionPortOverride: a.AVAudioSessionPortOverride.NONE,
    a.AVAudioSessionLocation: a.AVAudioSessionLocation.LOWER,
    a.AVAudioSessionOrientation: a.AVAudioSessionOrientation.TOP,
    a.AVAudioSessionPolarPattern: a.AVAudioSessionPolarPattern.OMNIDIRECTIONAL,
    a.AndroidAudioContentType: a.AndroidAudioContentType.UNKNOWN,
    a.AndroidAudioUsage: a.AndroidAudioUsage.UNKNOWN,
    a.AndroidAudioFocusGainType: a.AndroidAudioFocusGainType.GAIN,
    a.AndroidAudioFocus: a.AndroidAudioFocus.GAIN,
    a.AndroidStreamType: a.AndroidStreamType.MUSIC,
    a.AndroidAudioAdjustment: a.AndroidAudioAdjustment.SAME,
    a.AndroidRingerMode: a.AndroidRingerMode.NORMAL,
    a.AndroidAudioHardwareMode: a.AndroidAudioHardwareMode.NORMAL,
    a.AndroidAudioCapturePolicy: a.AndroidAudioCapturePolicy.ALLOW_ALL,
    a.AndroidSoundEffectType: a.AndroidSoundEffectType.KEY_CLICK,
    a.AndroidAudioDeviceType: a.AndroidAudioDeviceType.UNKNOWN,
    a.AndroidScoAudioState: a.AndroidScoAudioState.ERROR,
    a.AndroidMicrophoneLocation: a.AndroidMicrophoneLocation.UNKNOWN,
    a.AndroidMicrophoneDirectionality: a.AndroidMicrophoneDirectionality.UNKNOWN,
    a.AudioInterruptionType: a.AudioInterruptionType.UNKNOWN,
    a.AudioDeviceType: a.AudioDeviceType.UNKNOWN,
}

FLAGS = [cls for cls in PINNED if issubclass(cls, enum.IntFlag)]
SINGLE = [cls for cls in PINNED if not issubclass(cls, enum.IntFlag)]


def test_every_public_enum_is_pinned() -> None:
    public = {
        value
        for name in a.__all__
        if isinstance(value := getattr(a, name), type)
        and issubclass(value, enum.Enum)
        # Our own enums, not platform values of the original:
        and value not in (a.SessionCapabilities, a.PolicyAction, a.RoleClass)
    }
    assert public == set(PINNED)


@pytest.mark.parametrize("cls", list(PINNED), ids=lambda c: c.__name__)
def test_members_names_and_values_are_exact(cls: type[enum.Enum]) -> None:
    expected = {upper_snake(name): value for name, value in PINNED[cls].items()}
    assert {name: member.value for name, member in cls.__members__.items()} == expected


@pytest.mark.parametrize("cls", SINGLE, ids=lambda c: c.__name__)
def test_every_non_flag_enum_documents_its_decoding_default(cls: type[enum.Enum]) -> None:
    default = DECODE_DEFAULTS[cls]
    assert cls.default() is default  # type: ignore[attr-defined]
    unknown: object = "no such value" if issubclass(cls, str) else 12345
    assert cls.decode(unknown) is default  # type: ignore[attr-defined]
    assert cls.decode(None) is default  # type: ignore[attr-defined]
    assert cls.decode(True) is default  # type: ignore[attr-defined]  # bool is not a number here


@pytest.mark.parametrize("cls", SINGLE, ids=lambda c: c.__name__)
def test_decode_by_value_round_trips_every_member(cls: type[enum.Enum]) -> None:
    for member in cls:
        assert cls.decode(member.value) is member  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", FLAGS, ids=lambda c: c.__name__)
def test_bitmask_decoding_keeps_unknown_bits(cls: type[enum.IntFlag]) -> None:
    raw = 0x4000_0000 | max(cls.__members__.values())
    decoded = cls.decode(raw)  # type: ignore[attr-defined]
    assert isinstance(decoded, cls)
    assert int(decoded) == raw
    assert cls.decode(-1) == 0  # type: ignore[attr-defined]
    assert cls.decode("3") == 0  # type: ignore[attr-defined]
    assert cls.default() == 0  # type: ignore[attr-defined]


def test_route_change_reason_decodes_by_apple_value_not_index() -> None:
    reason = a.AVAudioSessionRouteChangeReason
    assert reason.decode(6) is reason.WAKE_FROM_SLEEP
    assert reason.decode(7) is reason.NO_SUITABLE_ROUTE_FOR_CATEGORY
    assert reason.decode(8) is reason.ROUTE_CONFIGURATION_CHANGE
    assert reason.decode(5) is reason.UNKNOWN


def test_category_unknown_string_falls_back_instead_of_raising() -> None:
    category = a.AVAudioSessionCategory
    assert category.decode("AVAudioSessionCategoryFuture") is category.SOLO_AMBIENT
    assert category.PLAYBACK.raw_value == "AVAudioSessionCategoryPlayback"


def test_route_sharing_policy_apple_values() -> None:
    policy = a.AVAudioSessionRouteSharingPolicy
    assert [p.raw_value for p in policy] == [0, 1, 3, 2]
    assert policy.from_raw_value(3) is policy.LONG_FORM_VIDEO
    assert policy.from_raw_value(2) is policy.INDEPENDENT
    assert policy.from_raw_value(9) is policy.DEFAULT_POLICY
    assert policy.from_raw_value(True) is policy.DEFAULT_POLICY


def test_interruption_type_apple_values_are_swapped() -> None:
    kind = a.AVAudioSessionInterruptionType
    assert kind.BEGAN.raw_value == 1
    assert kind.ENDED.raw_value == 0
    assert kind.from_raw_value(1) is kind.BEGAN
    assert kind.from_raw_value(0) is kind.ENDED


def test_interrupt_spoken_audio_includes_the_mix_bit() -> None:
    options = a.AVAudioSessionCategoryOptions
    assert options.MIX_WITH_OTHERS in options.INTERRUPT_SPOKEN_AUDIO_AND_MIX_WITH_OTHERS
    combined = options.DUCK_OTHERS | options.INTERRUPT_SPOKEN_AUDIO_AND_MIX_WITH_OTHERS
    assert int(combined) == 0x13


class TestCoerce:
    def test_accepts_member_and_raw_value(self) -> None:
        usage = a.AndroidAudioUsage
        assert coerce_enum(usage, usage.GAME, "usage") is usage.GAME
        assert coerce_enum(usage, 14, "usage") is usage.GAME
        category = a.AVAudioSessionCategory
        assert coerce_enum(category, "AVAudioSessionCategoryRecord", "category") is category.RECORD

    def test_unknown_value_is_a_value_error_naming_the_field(self) -> None:
        with pytest.raises(ValueError, match=r"usage: 99 is not a AndroidAudioUsage"):
            coerce_enum(a.AndroidAudioUsage, 99, "usage")
        with pytest.raises(ValueError, match="category"):
            coerce_enum(a.AVAudioSessionCategory, "playback", "category")

    def test_wrong_type_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="usage must be a AndroidAudioUsage"):
            coerce_enum(a.AndroidAudioUsage, "1", "usage")
        with pytest.raises(TypeError, match="usage"):
            coerce_enum(a.AndroidAudioUsage, True, "usage")
        with pytest.raises(TypeError, match="category"):
            coerce_enum(a.AVAudioSessionCategory, 2, "category")

    def test_member_of_another_enum_is_rejected_even_with_a_valid_number(self) -> None:
        with pytest.raises(TypeError, match="content_type"):
            coerce_enum(a.AndroidAudioContentType, a.AndroidAudioUsage.MEDIA, "content_type")

    def test_flags_keep_unknown_bits_and_reject_negative(self) -> None:
        flags = coerce_enum(a.AndroidAudioFlags, 0x801, "flags")
        assert int(flags) == 0x801
        assert a.AndroidAudioFlags.AUDIBILITY_ENFORCED in flags
        with pytest.raises(ValueError, match="non-negative"):
            coerce_enum(a.AndroidAudioFlags, -1, "flags")
        with pytest.raises(TypeError, match="flags"):
            coerce_enum(a.AndroidAudioFlags, 1.0, "flags")
