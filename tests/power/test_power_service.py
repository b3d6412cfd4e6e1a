"""The power surface of real services: a host process (killed, asked for its status) and
an in-process service, started through ``AudioService.start`` with its options."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator

import power_task
import pytest
from power_rig import GnomeSession, XfcePowerManager
from power_services import Logind, PowerManagement
from power_support import APP_ID, PowerManager, SessionManagerWatch

from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_session.testing import PrivateSessionBus


@pytest.fixture
async def client(session_bus: PrivateSessionBus) -> AsyncIterator[AudioServiceClient]:
    client = AudioServiceClient()
    client.host_launcher = HostLauncher()
    yield client
    if client.running:
        await client.stop()
    await client.disconnect()


@pytest.fixture
async def watch(
    session_bus: PrivateSessionBus, gnome_session: GnomeSession
) -> AsyncIterator[SessionManagerWatch]:
    watch = await SessionManagerWatch.open(session_bus.address)
    yield watch
    watch.close()


async def _cli(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "audio_service.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def _status(app_id: str) -> dict[str, object]:
    (status,) = json.loads(await _cli("status", app_id, "--json"))
    assert isinstance(status, dict)
    return status


async def test_a_killed_host_leaves_no_inhibitor_behind(
    client: AudioServiceClient,
    watch: SessionManagerWatch,
    logind: Logind,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    assert await client.start(power_task.entrypoint, app_id=APP_ID, in_process=False)
    await client.play()
    await watch.wait_for("InhibitorAdded")
    await logind.wait(lambda: len(logind.held("delay")) == 1)
    assert await watch.is_inhibited(4)

    status = await _status(APP_ID)
    assert status["playing"] is True
    assert status["surfaces"] == {
        "mpris": True,
        "power": {
            "keep_awake": True,
            "pause_on_sleep": True,
            "inhibitor": "gnome-session",
            "sleep_lock": True,
        },
    }
    assert (await _cli("status")).splitlines()[1:] == [
        "  mpris: on",
        "  inhibitor: gnome-session (against automatic suspend)",
        "  pause before sleep: held",
    ]

    pid = await client.custom_action("pid")
    os.kill(pid, signal.SIGKILL)
    # gnome-session drops the cookie of a caller whose bus name vanished; the fd closed.
    await watch.wait_for("InhibitorRemoved")
    assert not await watch.is_inhibited(4)
    (delay,) = [i for i in logind.inhibitors if i.mode == "delay"]
    await delay.released.wait()


async def test_a_killed_host_closes_its_logind_locks(
    client: AudioServiceClient, logind: Logind, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    assert await client.start(power_task.entrypoint, app_id=APP_ID, in_process=False)
    await client.play()
    await logind.wait(lambda: len(logind.held()) == 2)
    assert sorted(i.mode for i in logind.held()) == ["block", "delay"]
    status = await _status(APP_ID)
    assert status["surfaces"]["power"]["inhibitor"] == "logind"  # type: ignore[index]

    pid = await client.custom_action("pid")
    os.kill(pid, signal.SIGKILL)
    await logind.wait(lambda: not logind.held())


async def test_the_start_options_reach_an_in_process_service(
    client: AudioServiceClient, logind: Logind, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    assert await client.start(
        power_task.entrypoint, app_id=APP_ID, in_process=True, keep_awake=False
    )
    await client.play()
    await logind.wait(lambda: len(logind.held()) == 1)
    assert [i.mode for i in logind.held()] == ["delay"]
    await client.stop()
    await logind.wait(lambda: not logind.held())

    assert await client.start(
        power_task.entrypoint, app_id=APP_ID, in_process=True, pause_on_sleep=False
    )
    await client.play()
    await logind.wait(lambda: len(logind.held()) == 1)
    assert [i.mode for i in logind.held()] == ["block"]


async def test_status_without_a_service(session_bus: PrivateSessionBus) -> None:
    assert (await _cli("status")).strip() == "no audio service is running"
    assert json.loads(await _cli("status", "--json")) == []


async def test_stopping_while_a_lock_is_on_its_way_leaves_none_behind(
    session_bus: PrivateSessionBus, logind: Logind, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopped as soon as logind handed out the locks, often before their replies
    # arrived: a cancelled call would leave its fd open, and logind would wait for it.
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    for _ in range(15):
        client = AudioServiceClient()
        assert await client.start(power_task.entrypoint, app_id=APP_ID, in_process=True)
        await client.play()
        await logind.wait(lambda: len(logind.held()) == 2)
        await client.stop()
        await logind.wait(lambda: not logind.held())
        await client.disconnect()


async def test_status_of_a_host_without_the_request(session_bus: PrivateSessionBus) -> None:
    from audio_service._connect import _ipc

    async def older_host(method: str, payload: bytes, peer: _ipc.PeerInfo) -> bytes:
        raise _ipc.UnknownMethodError(method)

    server = _ipc.Server("org.example.Older", older_host)
    await server.start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "audio_service.cli",
            "status",
            "org.example.Older",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
    finally:
        await server.close()
    assert process.returncode == 1
    assert out == b""
    assert err.decode().strip() == (
        "audio-service status: org.example.Older: the service is an older version without status"
    )


async def test_xfce_forgets_a_killed_hosts_inhibitor(
    client: AudioServiceClient,
    xfce_power_manager: XfcePowerManager,
    session_bus: PrivateSessionBus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "XFCE")
    power = await PowerManager.open(session_bus.address)
    try:
        assert await client.start(power_task.entrypoint, app_id=APP_ID, in_process=False)
        await client.play()
        await power.wait_for(True)
        status = await _status(APP_ID)
        assert status["surfaces"]["power"]["inhibitor"] == "power-management"  # type: ignore[index]
    finally:
        power.close()
    os.kill(await client.custom_action("pid"), signal.SIGKILL)
    # xfce4-power-manager 4.18.1 drops the cookie of the vanished connection, then (on an X
    # server without DPMS, as Xvfb is) crashes; so its own trace is what tells.
    await xfce_power_manager.wait_for_log(
        f"Application={APP_ID} with unique connection name=", timeout=5.0
    )
    await xfce_power_manager.wait_for_log("Inhibit removed")


async def test_kde_forgets_a_killed_hosts_inhibitor(
    client: AudioServiceClient,
    power_management: PowerManagement,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    assert await client.start(power_task.entrypoint, app_id=APP_ID, in_process=False)
    await client.play()
    await power_management.wait(lambda: bool(power_management.cookies))
    os.kill(await client.custom_action("pid"), signal.SIGKILL)
    await power_management.wait(lambda: not power_management.cookies)
    assert journal[-1] == f"power-management: released (vanished) for {APP_ID}"
