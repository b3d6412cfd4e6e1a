"""Events, devices, and the platform tables that produce them (focus, iOS interruptions, ports)."""

from __future__ import annotations

import dataclasses

import pytest

from audio_session import (
    AndroidAudioAttributes,
    AndroidAudioDeviceInfo,
    AndroidAudioDeviceType,
    AndroidAudioFocus,
    AndroidAudioFocusGainType,
    AndroidAudioFocusRequest,
    AndroidFocusInterruptionMapper,
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioDeviceType,
    AudioInterruptionEvent,
    AudioInterruptionType,
    AVAudioSessionInterruptionNotification,
    AVAudioSessionInterruptionOptions,
    AVAudioSessionInterruptionType,
    AVAudioSessionPort,
    AVAudioSessionPortDescription,
    AVAudioSessionRouteDescription,
)

PAUSE = AudioInterruptionType.PAUSE
DUCK = AudioInterruptionType.DUCK
UNKNOWN = AudioInterruptionType.UNKNOWN


class TestAudioDevice:
    def test_equality_and_hash_use_the_id_only(self) -> None:
        first = AudioDevice("sink-1", "Speakers", is_output=True, type=AudioDeviceType.HDMI)
        renamed = AudioDevice("sink-1", "TV", is_input=True, type=AudioDeviceType.UNKNOWN)
        other = AudioDevice("sink-2", "Speakers", is_output=True, type=AudioDeviceType.HDMI)
        assert first == renamed
        assert hash(first) == hash(renamed)
        assert first != other
        assert len({first, renamed, other}) == 2
        assert first != "sink-1"

    def test_defaults_and_repr(self) -> None:
        device = AudioDevice("x")
        assert (device.name, device.is_input, device.is_output) == ("", False, False)
        assert device.type is AudioDeviceType.UNKNOWN
        assert repr(device) == (
            "AudioDevice(id='x', name='', is_input=False, is_output=False, "
            "type=<AudioDeviceType.UNKNOWN: 0>)"
        )

    def test_type_accepts_a_number(self) -> None:
        assert AudioDevice("x", type=9).type is AudioDeviceType.BLUETOOTH_A2DP  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"id": 5}, TypeError),
            ({"id": "x", "name": None}, TypeError),
            ({"id": "x", "is_input": 1}, TypeError),
            ({"id": "x", "is_output": "yes"}, TypeError),
            ({"id": "x", "type": 34}, ValueError),
            ({"id": "x", "type": "hdmi"}, TypeError),
        ],
    )
    def test_bad_fields(self, kwargs: dict[str, object], error: type[Exception]) -> None:
        with pytest.raises(error):
            AudioDevice(**kwargs)  # type: ignore[arg-type]

    def test_immutable(self) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            AudioDevice("x").name = "y"  # type: ignore[misc]


class TestEvents:
    def test_interruption_event(self) -> None:
        event = AudioInterruptionEvent(True, DUCK)
        assert event == AudioInterruptionEvent(begin=True, type=DUCK)
        assert AudioInterruptionEvent(False, 0).type is PAUSE  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="begin"):
            AudioInterruptionEvent(1, PAUSE)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="type"):
            AudioInterruptionEvent(True, 3)  # type: ignore[arg-type]

    def test_devices_changed_event_stores_frozensets(self) -> None:
        speaker = AudioDevice("a")
        event = AudioDevicesChangedEvent([speaker, AudioDevice("a")], (d for d in ()))
        assert event.devices_added == frozenset({speaker})
        assert event.devices_removed == frozenset()
        assert isinstance(event.devices_added, frozenset)
        assert AudioDevicesChangedEvent() == AudioDevicesChangedEvent(frozenset(), frozenset())
        assert hash(event) == hash(AudioDevicesChangedEvent(devices_added={speaker}))

    def test_devices_changed_event_rejects_non_devices(self) -> None:
        with pytest.raises(TypeError, match="devices_added"):
            AudioDevicesChangedEvent(["a"])  # type: ignore[list-item]
        with pytest.raises(TypeError, match="devices_removed"):
            AudioDevicesChangedEvent(devices_removed="ab")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="devices_added"):
            AudioDevicesChangedEvent(5)  # type: ignore[arg-type]


class TestAndroidFocus:
    """The focus-change table of the reference (section 9.3)."""

    def test_transient_loss_then_gain_is_a_pause(self) -> None:
        mapper = AndroidFocusInterruptionMapper(pause_when_ducked=False)
        assert mapper.map(AndroidAudioFocus.LOSS_TRANSIENT) == AudioInterruptionEvent(True, PAUSE)
        assert mapper.map(AndroidAudioFocus.GAIN) == AudioInterruptionEvent(False, PAUSE)

    def test_can_duck_loss_then_gain_is_a_duck(self) -> None:
        mapper = AndroidFocusInterruptionMapper(pause_when_ducked=False)
        assert mapper.map(AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK) == AudioInterruptionEvent(
            True, DUCK
        )
        assert mapper.ducked
        assert mapper.map(AndroidAudioFocus.GAIN) == AudioInterruptionEvent(False, DUCK)
        assert not mapper.ducked

    def test_pause_when_ducked_turns_a_duck_into_a_pause(self) -> None:
        mapper = AndroidFocusInterruptionMapper(pause_when_ducked=True)
        assert mapper.map(AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK) == AudioInterruptionEvent(
            True, PAUSE
        )
        assert not mapper.ducked
        assert mapper.map(AndroidAudioFocus.GAIN) == AudioInterruptionEvent(False, PAUSE)

    def test_permanent_loss_is_unknown_and_resets_ducked(self) -> None:
        mapper = AndroidFocusInterruptionMapper(pause_when_ducked=False)
        mapper.map(AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK)
        assert mapper.map(AndroidAudioFocus.LOSS) == AudioInterruptionEvent(True, UNKNOWN)
        assert not mapper.ducked

    def test_transient_loss_after_duck_resets_ducked(self) -> None:
        mapper = AndroidFocusInterruptionMapper(pause_when_ducked=False)
        mapper.map(AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK)
        mapper.map(AndroidAudioFocus.LOSS_TRANSIENT)
        assert mapper.map(AndroidAudioFocus.GAIN) == AudioInterruptionEvent(False, PAUSE)

    def test_accepts_raw_focus_codes(self) -> None:
        mapper = AndroidFocusInterruptionMapper(pause_when_ducked=False)
        assert mapper.map(-3) == AudioInterruptionEvent(True, DUCK)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="focus"):
            mapper.map(0)  # type: ignore[arg-type]


class TestAndroidDevices:
    def test_device_types_map_by_name_and_usb_becomes_usb_audio(self) -> None:
        android = AndroidAudioDeviceType
        special = {
            android.USB_DEVICE: AudioDeviceType.USB_AUDIO,
            android.USB_ACCESSORY: AudioDeviceType.USB_AUDIO,
            android.USB_HEADSET: AudioDeviceType.USB_AUDIO,
            android.BLE_HEADSET: AudioDeviceType.BLUETOOTH_LE,
            android.BLE_SPEAKER: AudioDeviceType.BLUETOOTH_LE,
            android.BLE_BROADCAST: AudioDeviceType.BLUETOOTH_LE,
            android.ECHO_REFERENCE: AudioDeviceType.UNKNOWN,
            android.HDMI_EARC: AudioDeviceType.HDMI_ARC,
            android.DOCK_ANALOG: AudioDeviceType.DOCK,
            android.MULTICHANNEL_GROUP: AudioDeviceType.UNKNOWN,
        }
        for member in android:
            expected = special[member] if member in special else AudioDeviceType[member.name]
            assert member.audio_device_type is expected, member

    def test_device_info_to_audio_device(self) -> None:
        info = AndroidAudioDeviceInfo(
            id=7,
            product_name="Buds",
            address="00:11",
            is_source=True,
            is_sink=True,
            sample_rates=(48000,),
            channel_masks=(),
            channel_index_masks=(),
            channel_counts=(1, 2),
            encodings=(2,),
            type=AndroidAudioDeviceType.BLUETOOTH_SCO,
        )
        assert info.to_audio_device() == AudioDevice("7")
        device = info.to_audio_device()
        assert (device.name, device.is_input, device.is_output, device.type) == (
            "Buds",
            True,
            True,
            AudioDeviceType.BLUETOOTH_SCO,
        )

    def test_focus_request_json_uses_the_fixed_key(self) -> None:
        request = AndroidAudioFocusRequest(
            gain_type=2,  # type: ignore[arg-type]
            audio_attributes=AndroidAudioAttributes(usage=1),  # type: ignore[arg-type]
            will_pause_when_ducked=True,
        )
        assert request.gain_type is AndroidAudioFocusGainType.GAIN_TRANSIENT
        assert request.to_json() == {
            "gainType": 2,
            "audioAttributes": {"contentType": 0, "flags": 0, "usage": 1},
            "willPauseWhenDucked": True,
        }
        with pytest.raises(TypeError, match="audio_attributes"):
            AndroidAudioFocusRequest(AndroidAudioFocusGainType.GAIN, {"usage": 1})  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="will_pause_when_ducked"):
            AndroidAudioFocusRequest(AndroidAudioFocusGainType.GAIN, None, 1)  # type: ignore[arg-type]


class TestDarwin:
    """The iOS interruption rules (reference section 9.5) and port mapping (5.5)."""

    def test_began_is_unknown_unless_stale(self) -> None:
        began = AVAudioSessionInterruptionType.BEGAN
        fresh = AVAudioSessionInterruptionNotification(began, was_suspended=False)
        assert fresh.to_audio_interruption_event() == AudioInterruptionEvent(True, UNKNOWN)
        old_ios = AVAudioSessionInterruptionNotification(began, was_suspended=None)
        assert old_ios.to_audio_interruption_event() == AudioInterruptionEvent(True, UNKNOWN)
        stale = AVAudioSessionInterruptionNotification(began, was_suspended=True)
        assert stale.to_audio_interruption_event() is None

    def test_ended_resumes_only_with_the_should_resume_bit(self) -> None:
        ended = AVAudioSessionInterruptionType.ENDED
        options = AVAudioSessionInterruptionOptions
        resume = AVAudioSessionInterruptionNotification(ended, options.SHOULD_RESUME)
        assert resume.to_audio_interruption_event() == AudioInterruptionEvent(False, PAUSE)
        # Another bit set alongside: the original compared the whole mask and missed it.
        with_other_bit = AVAudioSessionInterruptionNotification(ended, options.decode(0x3))
        assert with_other_bit.to_audio_interruption_event() == AudioInterruptionEvent(False, PAUSE)
        no_resume = AVAudioSessionInterruptionNotification(ended, options.NONE)
        assert no_resume.to_audio_interruption_event() == AudioInterruptionEvent(False, UNKNOWN)

    def test_port_types(self) -> None:
        port = AVAudioSessionPort
        expected = {
            port.UNKNOWN: AudioDeviceType.UNKNOWN,
            port.BUILT_IN_MIC: AudioDeviceType.BUILT_IN_MIC,
            port.HEADSET_MIC: AudioDeviceType.WIRED_HEADSET,
            port.LINE_IN: AudioDeviceType.DOCK,
            port.AIR_PLAY: AudioDeviceType.AIR_PLAY,
            port.BLUETOOTH_A2DP: AudioDeviceType.BLUETOOTH_A2DP,
            port.BLUETOOTH_LE: AudioDeviceType.BLUETOOTH_LE,
            port.BUILT_IN_RECEIVER: AudioDeviceType.BUILT_IN_EARPIECE,
            port.BUILT_IN_SPEAKER: AudioDeviceType.BUILT_IN_SPEAKER,
            port.HDMI: AudioDeviceType.HDMI,
            port.HEADPHONES: AudioDeviceType.WIRED_HEADPHONES,
            port.LINE_OUT: AudioDeviceType.DOCK,
            port.AVB: AudioDeviceType.AVB,
            port.BLUETOOTH_HFP: AudioDeviceType.BLUETOOTH_SCO,
            port.DISPLAY_PORT: AudioDeviceType.DISPLAY_PORT,
            port.CAR_AUDIO: AudioDeviceType.CAR_AUDIO,
            port.FIRE_WIRE: AudioDeviceType.FIRE_WIRE,
            port.PCI: AudioDeviceType.PCI,
            port.THUNDERBOLT: AudioDeviceType.THUNDERBOLT,
            port.USB_AUDIO: AudioDeviceType.USB_AUDIO,
            port.VIRTUAL: AudioDeviceType.VIRTUAL,
        }
        assert {p: p.audio_device_type() for p in port} == expected
        assert port.HEADPHONES.audio_device_type(headset_mic_present=True) is (
            AudioDeviceType.WIRED_HEADSET
        )
        assert port.decode(None) is port.UNKNOWN  # not BUILT_IN_MIC as in the original

    def test_route_devices_and_diff(self) -> None:
        def port(uid: str, kind: AVAudioSessionPort) -> AVAudioSessionPortDescription:
            return AVAudioSessionPortDescription(port_name=uid.title(), port_type=kind, uid=uid)

        speaker = port("speaker", AVAudioSessionPort.BUILT_IN_SPEAKER)
        mic = port("mic", AVAudioSessionPort.BUILT_IN_MIC)
        headset_mic = port("wired-mic", AVAudioSessionPort.HEADSET_MIC)
        headphones = port("wired", AVAudioSessionPort.HEADPHONES)
        before = AVAudioSessionRouteDescription(inputs={mic}, outputs={speaker})
        after = AVAudioSessionRouteDescription(inputs={headset_mic}, outputs={headphones})
        devices = {d.id: d for d in after.devices()}
        assert devices["wired"].type is AudioDeviceType.WIRED_HEADSET
        assert devices["wired"].is_output
        assert not devices["wired"].is_input
        assert devices["wired-mic"].is_input
        change = after.changes_since(before)
        assert {d.id for d in change.devices_added} == {"wired", "wired-mic"}
        assert {d.id for d in change.devices_removed} == {"speaker", "mic"}
        assert before.changes_since(before) == AudioDevicesChangedEvent()

    def test_port_description_equality_by_uid(self) -> None:
        first = AVAudioSessionPortDescription("A", AVAudioSessionPort.HDMI, "uid")
        second = AVAudioSessionPortDescription("B", AVAudioSessionPort.AIR_PLAY, "uid")
        assert first == second
        assert hash(first) == hash(second)
