"""MemoryBackend on its own: scripting, recording, failure injection."""

from __future__ import annotations

import pytest

from audio_session import (
    ActivationRequest,
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioInterruptionEvent,
    AudioInterruptionType,
    AudioSessionConfiguration,
    BackendUnavailableError,
    MemoryBackend,
    SessionCapabilities,
)

OUT = AudioDevice("out", is_output=True)
IN = AudioDevice("in", is_input=True)
BOTH = AudioDevice("both", is_input=True, is_output=True)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def interruption(self, event: AudioInterruptionEvent) -> None:
        self.calls.append(("interruption", event))

    def becoming_noisy(self) -> None:
        self.calls.append(("becoming_noisy", None))

    def devices_changed(self, event: AudioDevicesChangedEvent) -> None:
        self.calls.append(("devices_changed", event))

    def activation_lost(self) -> None:
        self.calls.append(("activation_lost", None))


@pytest.fixture
async def opened() -> tuple[MemoryBackend, Recorder]:
    backend = MemoryBackend(devices=[OUT, IN])
    recorder = Recorder()
    await backend.open(recorder)
    return backend, recorder


def test_scripting_before_open_is_an_error() -> None:
    backend = MemoryBackend()
    with pytest.raises(RuntimeError, match="not open"):
        backend.interrupt()
    with pytest.raises(RuntimeError, match="not open"):
        backend.add_devices(OUT)


def test_defaults() -> None:
    backend = MemoryBackend()
    assert backend.capabilities == SessionCapabilities.ALL
    assert backend.devices == frozenset()
    assert backend.grant_activation
    assert not backend.is_active
    assert not backend.is_open
    with pytest.raises(TypeError):
        MemoryBackend(devices=["out"])  # type: ignore[list-item]


async def test_scripted_events_reach_the_listener(opened: tuple[MemoryBackend, Recorder]) -> None:
    backend, recorder = opened
    backend.interrupt()
    backend.end_interruption(AudioInterruptionType.DUCK)
    backend.become_noisy()
    backend.lose_activation()
    assert recorder.calls == [
        ("interruption", AudioInterruptionEvent(True, AudioInterruptionType.PAUSE)),
        ("interruption", AudioInterruptionEvent(False, AudioInterruptionType.DUCK)),
        ("becoming_noisy", None),
        ("interruption", AudioInterruptionEvent(True, AudioInterruptionType.UNKNOWN)),
        ("activation_lost", None),
    ]


async def test_device_changes_report_only_real_changes(
    opened: tuple[MemoryBackend, Recorder],
) -> None:
    backend, recorder = opened
    assert backend.add_devices(OUT) == AudioDevicesChangedEvent()
    assert backend.remove_devices("nothing") == AudioDevicesChangedEvent()
    assert recorder.calls == []
    assert backend.add_devices(OUT, BOTH) == AudioDevicesChangedEvent(devices_added={BOTH})
    assert backend.remove_devices(IN, "both") == AudioDevicesChangedEvent(
        devices_removed={IN, BOTH}
    )
    assert [name for name, _ in recorder.calls] == ["devices_changed", "devices_changed"]
    assert backend.devices == {OUT}


async def test_get_devices_filters_by_direction(opened: tuple[MemoryBackend, Recorder]) -> None:
    backend, _ = opened
    backend.add_devices(BOTH)
    assert await backend.get_devices() == {OUT, IN, BOTH}
    assert await backend.get_devices(include_outputs=False) == {IN, BOTH}
    assert await backend.get_devices(include_inputs=False) == {OUT, BOTH}
    assert await backend.get_devices(include_inputs=False, include_outputs=False) == frozenset()


async def test_records_configurations_and_requests(opened: tuple[MemoryBackend, Recorder]) -> None:
    backend, _ = opened
    music = AudioSessionConfiguration.music()
    await backend.apply_configuration(music)
    assert backend.configuration is music
    request = ActivationRequest.resolve(music)
    backend.grant_activation = False
    assert not await backend.activate(request)
    assert not backend.is_active
    backend.grant_activation = True
    assert await backend.activate(request)
    assert backend.active_request is request
    assert await backend.deactivate(request)
    assert backend.activation_requests == [request, request]
    assert backend.deactivation_requests == [request]
    assert not backend.is_active


async def test_failures_are_injected_one_per_call_then_unavailable(
    opened: tuple[MemoryBackend, Recorder],
) -> None:
    backend, _ = opened
    backend.fail_next(OSError("first"))
    backend.fail_next(ValueError("second"))
    with pytest.raises(OSError, match="first"):
        await backend.get_devices()
    with pytest.raises(ValueError, match="second"):
        await backend.get_devices()
    assert await backend.get_devices() == {OUT, IN}
    backend.unavailable = True
    with pytest.raises(BackendUnavailableError):
        await backend.apply_configuration(AudioSessionConfiguration.music())
    assert backend.applied_configurations == []


async def test_close_releases_everything(opened: tuple[MemoryBackend, Recorder]) -> None:
    backend, _ = opened
    await backend.activate(ActivationRequest.resolve(AudioSessionConfiguration.music()))
    await backend.close()
    assert backend.is_closed
    assert not backend.is_open
    assert not backend.is_active
    with pytest.raises(RuntimeError, match="not open"):
        backend.become_noisy()
