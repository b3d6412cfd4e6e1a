"""No sound server, a server restart, a server crash: nothing raises, everything recovers."""

from __future__ import annotations

import logging

import pytest
from linux_support import FAST_BACKOFF, PAUSE, Harness, Recorder, begin, end

from audio_session import (
    AudioDevicesChangedEvent,
    AudioSession,
    AudioSessionConfiguration,
    BackendUnavailableError,
)
from audio_session._linux import LinuxBackend
from audio_session.testing import SPEAKER, AudioRig, AudioServer, wait_until


def crash(server: AudioServer) -> None:
    """SIGKILL the sound server's processes (not its private bus); ``revive`` restarts it."""
    for process in server.processes:
        if process.name != "dbus-daemon":
            process.kill()


def revive(server: AudioServer) -> None:
    # restart(), not start_again(): the latter does not bring PipeWire's bus back.
    server.restart()


def _mentions(event: tuple[str, object], device_id: str, field: str) -> bool:
    payload = event[1]
    return isinstance(payload, AudioDevicesChangedEvent) and any(
        d.id == device_id for d in getattr(payload, field)
    )


async def test_restart_under_a_live_session_reconnects_and_reports_diffs(linux: Harness) -> None:
    await linux.activate()
    await linux.server.add_sink("rig_dac", bus="usb")
    await linux.recorder.wait_count("devices", 1)
    linux.server.restart()  # the helper-made sink is gone afterwards
    await linux.recorder.wait_for(
        lambda events: any(_mentions(e, "sink:rig_dac", "devices_removed") for e in events)
    )
    await wait_until(lambda: linux.backend.connected)
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    call.stop()
    await linux.recorder.wait_event(end(PAUSE))
    kinds = [kind for kind, _ in linux.events]
    assert kinds == ["devices", "devices", "interruption", "interruption"]


async def test_crash_keeps_the_api_working_and_recovers(linux: Harness) -> None:
    await linux.activate()
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    crash(linux.server)
    try:
        await wait_until(lambda: not linux.backend.connected)
        # The interrupting stream died with the server.
        await linux.recorder.wait_event(end(PAUSE))
        with pytest.raises(BackendUnavailableError):
            await linux.backend.get_devices()
    finally:
        call.stop()
        revive(linux.server)
    await wait_until(lambda: linux.backend.connected)
    assert {d.id for d in await linux.backend.get_devices()} >= {f"sink:{SPEAKER}"}
    second = await linux.server.play("phone")
    await linux.recorder.wait_for(lambda events: events.count(begin(PAUSE)) == 2)
    second.stop()
    await linux.recorder.wait_for(lambda events: events.count(end(PAUSE)) == 2)


async def test_session_without_a_server_logs_once_and_picks_the_server_up(
    audio_rig: AudioRig, caplog: pytest.LogCaptureFixture
) -> None:
    server = audio_rig.server
    assert server is not None
    crash(server)
    caplog.set_level(logging.DEBUG, logger="audio_session")
    session: AudioSession | None = None
    try:
        backend = LinuxBackend(backoff=FAST_BACKOFF)
        attempts = 0
        connect = backend._link._connect

        async def counting_connect() -> object:
            nonlocal attempts
            attempts += 1
            return await connect()

        backend._link._connect = counting_connect  # type: ignore[method-assign]
        session = await AudioSession.create(backend)
        changes: list[AudioDevicesChangedEvent] = []
        session.devices_changed_event_stream.listen(changes.append)
        await session.configure(AudioSessionConfiguration.speech())
        assert await session.set_active(True)
        assert await session.get_devices() == frozenset()
        assert await session.get_devices() == frozenset()
        await wait_until(lambda: attempts >= 4)
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        revive(server)
        await wait_until(lambda: bool(changes))
        assert {d.id for d in changes[0].devices_added} == {f"sink:{SPEAKER}"}
        assert not changes[0].devices_removed
        assert {d.id for d in await session.get_devices()} == {f"sink:{SPEAKER}"}
    finally:
        if session is not None:
            await session.close()
        if not all(p.running for p in server.processes):
            revive(server)


async def test_open_without_a_server_raises_unavailable_but_stays_usable(
    audio_rig: AudioRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert audio_rig.server is not None
    monkeypatch.setenv("PULSE_SERVER", f"unix:{audio_rig.root}/nowhere/native")
    backend = LinuxBackend(backoff=FAST_BACKOFF)
    recorder = Recorder()
    with pytest.raises(BackendUnavailableError):
        await backend.open(recorder)
    try:
        assert not backend.connected
        request = await _activate(backend)
        assert await backend.deactivate(request)
        with pytest.raises(BackendUnavailableError):
            await backend.get_devices()
        assert recorder.events == []
    finally:
        await backend.close()


async def _activate(backend: LinuxBackend) -> object:
    from audio_session import ActivationRequest

    request = ActivationRequest.resolve(AudioSessionConfiguration.music())
    await backend.apply_configuration(request.configuration)
    assert await backend.activate(request)
    return request
