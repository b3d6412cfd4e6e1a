"""Sink/source/port -> AudioDevice mapping and privacy, on hand-made endpoints (no server)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from audio_session import AudioDeviceType
from audio_session._linux._devices import (
    INVALID_INDEX,
    Endpoint,
    Port,
    active_device_id,
    device_type,
    devices_of,
    endpoint_from_sink,
    endpoint_from_source,
    is_listed,
    is_private_output,
    snapshot_devices,
)

T = AudioDeviceType


def sink(
    name: str = "out",
    *,
    props: dict[str, str] | None = None,
    ports: tuple[Port, ...] = (),
    active: Port | None = None,
    driver: str = "",
    description: str = "Output",
) -> Endpoint:
    return Endpoint(
        index=1,
        name=name,
        is_output=True,
        description=description,
        driver=driver,
        properties=props or {},
        ports=ports,
        active_port=active if active is not None else (ports[0] if ports else None),
    )


def source(name: str = "in", *, props: dict[str, str] | None = None, **kw: object) -> Endpoint:
    return Endpoint(index=2, name=name, is_output=False, properties=props or {}, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("props", "port", "driver", "expected"),
    [
        (
            {"device.bus": "bluetooth", "bluetooth.protocol": "a2dp_sink"},
            None,
            "",
            T.BLUETOOTH_A2DP,
        ),
        (
            {"device.bus": "bluetooth", "bluetooth.protocol": "headset_head_unit"},
            "headset-output",
            "",
            T.BLUETOOTH_SCO,
        ),
        (
            {"device.api": "bluez5", "api.bluez5.profile": "headset-head-unit"},
            None,
            "",
            T.BLUETOOTH_SCO,
        ),
        ({"device.api": "bluez5", "api.bluez5.profile": "a2dp-sink"}, None, "", T.BLUETOOTH_A2DP),
        ({"device.api": "bluez5", "api.bluez5.profile": "bap-sink"}, None, "", T.BLUETOOTH_LE),
        ({"device.bus": "usb", "device.form_factor": "headset"}, None, "", T.USB_AUDIO),
        ({"device.bus": "firewire"}, None, "", T.FIRE_WIRE),
        ({"device.bus": "thunderbolt"}, None, "", T.THUNDERBOLT),
        ({}, None, "module-raop-sink.c", T.AIR_PLAY),
        ({"tunnel.remote.server": "host"}, None, "", T.IP),
        (
            {"device.bus": "pci", "device.form_factor": "internal"},
            "analog-output-headphones",
            "",
            T.WIRED_HEADPHONES,
        ),
        ({"device.bus": "pci"}, "analog-output-headset", "", T.WIRED_HEADSET),
        ({"device.bus": "pci"}, "hdmi-output-0", "", T.HDMI),
        ({}, "[Out] Earpiece", "", T.BUILT_IN_EARPIECE),
        ({}, "iec958-stereo-output", "", T.LINE_DIGITAL),
        ({}, "analog-output-lineout", "", T.LINE_ANALOG),
        ({"device.form_factor": "internal"}, "analog-output-speaker", "", T.BUILT_IN_SPEAKER),
        ({}, "[Out] Speaker", "", T.BUILT_IN_SPEAKER),
        ({"device.profile.name": "hdmi-stereo-extra1"}, None, "", T.HDMI),
        ({"device.form_factor": "internal"}, None, "", T.BUILT_IN_SPEAKER),
        ({"device.form_factor": "speaker"}, None, "", T.BUILT_IN_SPEAKER),
        ({"device.form_factor": "headphone"}, None, "", T.WIRED_HEADPHONES),
        ({"device.form_factor": "headset"}, None, "", T.WIRED_HEADSET),
        ({"device.form_factor": "hands-free"}, None, "", T.WIRED_HEADSET),
        ({"device.form_factor": "handset"}, None, "", T.BUILT_IN_EARPIECE),
        ({"device.form_factor": "tv"}, None, "", T.HDMI),
        ({"device.form_factor": "car"}, None, "", T.CAR_AUDIO),
        ({"device.form_factor": "hifi"}, None, "", T.LINE_ANALOG),
        ({"device.class": "abstract"}, None, "module-null-sink.c", T.VIRTUAL),
        ({"factory.name": "support.null-audio-sink"}, None, "", T.VIRTUAL),
        ({"node.virtual": "true"}, None, "", T.VIRTUAL),
        ({}, None, "", T.UNKNOWN),
    ],
)
def test_output_types(
    props: dict[str, str], port: str | None, driver: str, expected: AudioDeviceType
) -> None:
    ports = (Port(port),) if port else ()
    assert device_type(sink(props=props, ports=ports, driver=driver)) is expected


@pytest.mark.parametrize(
    ("props", "port", "expected"),
    [
        ({"device.form_factor": "internal"}, None, T.BUILT_IN_MIC),
        ({"device.form_factor": "webcam"}, None, T.BUILT_IN_MIC),
        ({}, "analog-input-internal-mic", T.BUILT_IN_MIC),
        ({}, "[In] Digital Mic", T.BUILT_IN_MIC),
        ({}, "analog-input-headset-mic", T.WIRED_HEADSET),
        ({}, "analog-input-rear-mic", T.WIRED_HEADSET),
        ({}, "analog-input-linein", T.LINE_ANALOG),
        ({"device.bus": "usb", "device.form_factor": "webcam"}, None, T.USB_AUDIO),
    ],
)
def test_input_types(props: dict[str, str], port: str | None, expected: AudioDeviceType) -> None:
    ports = (Port(port),) if port else ()
    endpoint = source(props=props, ports=ports, active_port=ports[0] if ports else None)
    assert device_type(endpoint) is expected


def test_each_plugged_in_port_is_a_device_and_unplugged_ones_are_not() -> None:
    speaker = Port("analog-output-speaker", "Speakers", "unknown")
    phones = Port("analog-output-headphones", "Headphones", "yes")
    hdmi = Port("hdmi-output-0", "HDMI", "no")
    card = sink("alsa_output.pci", ports=(speaker, phones, hdmi), active=phones, description="Card")
    devices = {d.id: d for d in devices_of(card)}
    assert set(devices) == {
        "sink:alsa_output.pci:analog-output-speaker",
        "sink:alsa_output.pci:analog-output-headphones",
    }
    assert devices["sink:alsa_output.pci:analog-output-headphones"].type is T.WIRED_HEADPHONES
    assert devices["sink:alsa_output.pci:analog-output-headphones"].name == "Card: Headphones"
    assert devices["sink:alsa_output.pci:analog-output-speaker"].type is T.BUILT_IN_SPEAKER
    assert active_device_id(card) == "sink:alsa_output.pci:analog-output-headphones"


def test_a_card_with_every_jack_empty_still_lists_its_active_port() -> None:
    only = Port("analog-output-headphones", "Headphones", "no")
    (device,) = devices_of(sink("card", ports=(only,)))
    assert device.id == "sink:card:analog-output-headphones"


def test_portless_endpoints_are_one_device_with_a_stable_id() -> None:
    (device,) = devices_of(sink("speaker", description="Speaker"))
    assert (device.id, device.name, device.is_output, device.is_input) == (
        "sink:speaker",
        "Speaker",
        True,
        False,
    )
    assert active_device_id(sink("speaker")) == "sink:speaker"


def test_monitors_and_placeholders_are_not_devices() -> None:
    monitor = source("speaker.monitor", monitor_of=3)
    pipewire_monitor = source("x.monitor", props={"device.class": "monitor"})
    assert not is_listed(monitor)
    assert not is_listed(pipewire_monitor)
    assert not is_listed(sink("auto_null"))
    assert not is_listed(sink("dummy", props={"node.name": "auto_null"}))
    assert is_listed(source("mic"))
    assert snapshot_devices([monitor, sink("auto_null"), sink("real")]) == frozenset(
        devices_of(sink("real"))
    )


def test_pulsectl_objects_are_copied() -> None:
    yes = SimpleNamespace(
        name="analog-output-headphones", description="Headphones", available="yes"
    )
    info = SimpleNamespace(
        index=4,
        name="alsa",
        description="Card",
        driver="module-alsa-card.c",
        proplist={"device.bus": "pci"},
        port_list=[yes],
        port_active=yes,
        monitor_of_sink=INVALID_INDEX,
    )
    out = endpoint_from_sink(info)
    assert out.active_port == Port("analog-output-headphones", "Headphones", "yes")
    assert out.is_output
    assert out.id == "sink:alsa"
    assert endpoint_from_source(info).monitor_of is None
    info.monitor_of_sink = 4
    assert endpoint_from_source(info).monitor_of == 4


@pytest.mark.parametrize(
    ("props", "port", "private"),
    [
        ({"device.form_factor": "headphone"}, None, True),
        ({"device.form_factor": "headset"}, None, True),
        ({"device.form_factor": "hands-free"}, None, True),
        ({"device.form_factor": "handset"}, None, True),
        ({"device.bus": "bluetooth"}, None, True),
        ({"device.bus": "bluetooth", "device.form_factor": "speaker"}, None, False),
        ({"device.bus": "usb", "device.form_factor": "headset"}, None, True),
        ({"device.bus": "usb"}, None, False),
        (
            {"device.form_factor": "internal"},
            Port("analog-output-headphones", available="yes"),
            True,
        ),
        (
            {"device.form_factor": "internal"},
            Port("analog-output-headphones", available="no"),
            False,
        ),
        ({"device.form_factor": "headphone"}, Port("analog-output-speaker"), False),
        ({}, Port("hdmi-output-0", available="yes"), False),
        ({"device.form_factor": "internal"}, None, False),
        ({}, None, False),
    ],
)
def test_privacy(props: dict[str, str], port: Port | None, private: bool) -> None:
    ports = (port,) if port else ()
    assert is_private_output(sink(props=props, ports=ports)) is private
