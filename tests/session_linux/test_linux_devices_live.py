"""Devices and device changes on real servers, and becoming noisy."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from linux_support import Harness

from audio_session import AudioDevice, AudioDevicesChangedEvent, AudioDeviceType
from audio_session.testing import SPEAKER


def _ids(devices: frozenset[AudioDevice]) -> set[str]:
    return {d.id for d in devices}


async def test_devices_list_sinks_and_sources_but_no_monitors(linux: Harness) -> None:
    devices = await linux.backend.get_devices()
    speaker = next(d for d in devices if d.id == f"sink:{SPEAKER}")
    assert (speaker.name, speaker.type) == ("Speaker", AudioDeviceType.BUILT_IN_SPEAKER)
    assert speaker.is_output
    assert not speaker.is_input
    assert not any(".monitor" in d.id or "auto_null" in d.id for d in devices)
    assert await linux.backend.get_devices(include_outputs=False) == frozenset(
        d for d in devices if d.is_input
    )


async def test_input_devices_come_from_sources(linux: Harness) -> None:
    loaded = await linux.server.pactl(
        "load-module",
        "module-remap-source",
        "source_name=rig_mic",
        f"master={SPEAKER}.monitor",
        "source_properties=device.form_factor=internal",
    )
    try:
        await linux.recorder.wait_count("devices", 1)
        (event,) = linux.recorder.of("devices")
        assert isinstance(event, AudioDevicesChangedEvent)
        (mic,) = event.devices_added
        assert (mic.id, mic.type, mic.is_input, mic.is_output) == (
            "source:rig_mic",
            AudioDeviceType.BUILT_IN_MIC,
            True,
            False,
        )
        inputs = await linux.backend.get_devices(include_outputs=False)
        assert _ids(inputs) == {"source:rig_mic"}
        outputs = await linux.backend.get_devices(include_inputs=False)
        assert "source:rig_mic" not in _ids(outputs)
    finally:
        await linux.server.pactl("unload-module", loaded.stdout.strip())
    await linux.recorder.wait_count("devices", 2)
    removed = linux.recorder.of("devices")[1]
    assert isinstance(removed, AudioDevicesChangedEvent)
    assert _ids(removed.devices_removed) == {"source:rig_mic"}
    assert not removed.devices_added


async def test_usb_device_added_and_removed_report_exact_diffs(linux: Harness) -> None:
    before = await linux.backend.get_devices()
    dac = await linux.server.add_sink("rig_dac", description="USB DAC", bus="usb")
    await linux.recorder.wait_count("devices", 1)
    added = linux.recorder.of("devices")[0]
    assert isinstance(added, AudioDevicesChangedEvent)
    assert not added.devices_removed
    (device,) = added.devices_added
    assert (device.id, device.name, device.type) == (
        "sink:rig_dac",
        "USB DAC",
        AudioDeviceType.USB_AUDIO,
    )
    assert await linux.backend.get_devices() == before | {device}
    await linux.server.remove_sink(dac)
    await linux.recorder.wait_count("devices", 2)
    removed = linux.recorder.of("devices")[1]
    assert isinstance(removed, AudioDevicesChangedEvent)
    assert (removed.devices_added, _ids(removed.devices_removed)) == (frozenset(), {"sink:rig_dac"})
    assert await linux.backend.get_devices() == before
    assert len(linux.events) == 2


async def test_unplugging_default_headphones_is_noisy_once(linux: Harness) -> None:
    phones = await linux.server.add_sink("rig_phones", form_factor="headphone", make_default=True)
    await linux.activate()
    await linux.server.remove_sink(phones)
    await linux.recorder.wait_count("noisy", 1)
    await linux.barrier()
    assert [kind for kind, _ in linux.events] == ["devices", "devices", "noisy"]


async def test_activation_judges_the_output_by_the_server_as_it_is_then(
    linux: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loaded machine: the backend handles server events late. The default output
    # changed to the headphones before the activation, so unplugging them is noisy
    # even though the backend handles both changes only afterwards, in one burst.
    handled = asyncio.Event()
    handled.set()
    refresh = linux.backend._refresh

    async def late(pulse: Any, changed: set[str]) -> None:
        await handled.wait()
        await refresh(pulse, changed)

    monkeypatch.setattr(linux.backend, "_refresh", late)
    phones = await linux.server.add_sink("rig_late_phones", form_factor="headphone")
    await linux.barrier()
    handled.clear()
    await linux.server.set_default_sink(phones)
    await linux.activate()
    await linux.server.remove_sink(phones)
    handled.set()
    await linux.recorder.wait_count("noisy", 1)
    await linux.barrier()
    assert len(linux.recorder.of("noisy")) == 1


async def test_our_stream_leaving_headphones_is_noisy(linux: Harness) -> None:
    # A name no other test makes default: PulseAudio remembers a default by name.
    phones = await linux.server.add_sink("rig_headset", form_factor="headset")
    await linux.activate()
    ours = await linux.own_stream("music", device="rig_headset")
    sinks = {s["index"]: s["name"] for s in await linux.server.sinks()}
    assert sinks[ours.sink] == "rig_headset"
    # The default output is the speaker, but what counts is where our stream plays.
    assert await linux.server.default_sink() == SPEAKER
    await linux.barrier()
    assert linux.recorder.of("noisy") == []
    await linux.server.remove_sink(phones)
    await linux.recorder.wait_count("noisy", 1)
    await linux.barrier()
    assert len(linux.recorder.of("noisy")) == 1


async def test_switching_the_default_output_to_the_speaker_is_noisy(linux: Harness) -> None:
    phones = await linux.server.add_sink("rig_phones", form_factor="headphone")
    buds = await linux.server.add_sink("rig_buds", bus="bluetooth")
    await linux.server.set_default_sink(phones)
    await linux.activate()
    await linux.server.set_default_sink(buds)  # private to private
    await linux.barrier()
    assert linux.recorder.of("noisy") == []
    await linux.server.set_default_sink(SPEAKER)  # private to public
    await linux.recorder.wait_count("noisy", 1)
    await linux.server.set_default_sink(phones)  # public to private
    await linux.barrier()
    assert len(linux.recorder.of("noisy")) == 1


async def test_no_noisy_while_inactive(linux: Harness) -> None:
    phones = await linux.server.add_sink("rig_phones", form_factor="headphone", make_default=True)
    await linux.server.remove_sink(phones)
    await linux.barrier()
    await linux.activate()
    await linux.barrier()
    assert linux.recorder.of("noisy") == []
