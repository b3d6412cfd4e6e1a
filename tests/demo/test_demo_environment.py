"""Where the demo plays: probes, the state directory, and the keeper of private servers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from demo_support import idle_entrypoint

from audio_service import cli
from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_service.demo import _environment
from audio_service.demo._environment import (
    ENV_SCRIPT,
    STATE_FILE,
    prepare_environment,
    probe_audio_server,
    probe_session_bus,
    read_state,
    start_keeper,
    state_dir,
)
from audio_session.testing import AudioRig

APP_ID = "demo_keeper_test"


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    for key in _environment.APPLIED_VARIABLES:
        monkeypatch.delenv(key, raising=False)
    yield run
    # A keeper a failed test left behind stops with its servers.
    state = read_state(run / "audio-service-kit-demo")
    if state is not None:
        os.kill(state.keeper_pid, 15)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_the_state_directory_is_private(runtime: Path) -> None:
    directory = state_dir()
    assert directory == runtime / "audio-service-kit-demo"
    assert directory.stat().st_mode & 0o777 == 0o700
    directory.chmod(0o755)
    with pytest.raises(RuntimeError, match="accessible to other users"):
        state_dir()


async def test_probes_say_why_there_is_no_desktop(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await probe_session_bus() == "DBUS_SESSION_BUS_ADDRESS is not set"
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={runtime}/no-bus")
    assert "does not answer" in (await probe_session_bus() or "")
    monkeypatch.setenv("PULSE_SERVER", f"unix:{runtime}/no-pulse")
    assert f"no audio server answers at unix:{runtime}/no-pulse" in (
        await probe_audio_server() or ""
    )


@pytest.mark.audio_server("pulseaudio")
async def test_a_desktop_is_used_as_it_is(audio_rig: AudioRig) -> None:
    before = dict(os.environ)
    environment = await prepare_environment(app_id=APP_ID)
    assert environment.mode == "desktop"
    assert environment.state is None
    assert "playerctl" in environment.lines[0]
    assert dict(os.environ) == before


async def test_without_a_desktop_private_servers_start_and_a_second_demo_reuses_them(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_SERVER", f"unix:{runtime}/no-pulse")
    first = await prepare_environment(app_id=APP_ID, flavour="pulseaudio")
    assert first.mode == "embedded"
    assert first.state is not None
    assert first.lines[0].startswith("Embedded mode: started a private session bus and ")
    assert "Why: DBUS_SESSION_BUS_ADDRESS is not set." in first.lines
    assert os.environ["PULSE_SERVER"] == first.state.env["PULSE_SERVER"]
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"] == first.state.env["DBUS_SESSION_BUS_ADDRESS"]
    assert await probe_audio_server() is None, "this process (and its host) reach them"

    second = await prepare_environment(app_id=APP_ID, flavour="pipewire")
    assert second.reused
    assert second.state == first.state
    assert "started by an earlier demo" in second.lines[0]

    # The keeper also stops its servers when told to (SIGTERM), not only after a service.
    os.kill(first.state.keeper_pid, 15)
    await asyncio.to_thread(wait_for, lambda: not alive(first.state.keeper_pid), "keeper exit")
    assert not any(alive(pid) for pid in first.state.pids)
    assert read_state(state_dir()) is None


def test_a_dead_keepers_leftovers_are_cleared(runtime: Path) -> None:
    directory = state_dir()
    root = directory / "rig-1"
    root.mkdir()
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        state = {
            "version": 1,
            "keeper_pid": 2**22 + 7,  # no such process
            "flavour": "pulseaudio",
            "env": {"PULSE_SERVER": f"unix:{root}/pulse"},
            "started": ["pulseaudio server"],
            "pids": [sleeper.pid],
            "root": str(root),
        }
        (directory / STATE_FILE).write_text(json.dumps(state))
        (directory / ENV_SCRIPT).write_text("export X=1\n")
        assert read_state(directory) is None
        assert not (directory / STATE_FILE).exists()
        assert not (directory / ENV_SCRIPT).exists()
        assert not root.exists()
        assert sleeper.poll() is None, "a process that is not one of our servers is left alone"
    finally:
        sleeper.kill()
        sleeper.wait()


async def test_the_private_servers_live_as_long_as_the_service(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = state_dir()
    state = await asyncio.to_thread(
        start_keeper, directory, app_id=APP_ID, flavour="pulseaudio", bus=True
    )
    assert state.started == ("session bus", "pulseaudio server")
    assert read_state(directory) == state, "a second demo finds the same servers"
    script = (directory / ENV_SCRIPT).read_text()
    assert f"export PULSE_SERVER={state.env['PULSE_SERVER']}" in script
    pids = list(state.pids)
    assert all(alive(pid) for pid in pids)
    for key, value in state.env.items():
        monkeypatch.setenv(key, value)
    assert await probe_audio_server() is None
    assert await probe_session_bus() is None

    client = AudioServiceClient()
    client.host_launcher = HostLauncher(start_timeout=20)
    assert await client.start(idle_entrypoint, app_id=APP_ID, mpris=False)
    # While the service runs the keeper keeps the servers, also when no UI is connected.
    await client.disconnect()
    await asyncio.sleep(0.5)
    assert read_state(directory) is not None
    await client.connect(APP_ID)
    await client.stop()
    await client.disconnect()

    await asyncio.to_thread(
        wait_for, lambda: not alive(state.keeper_pid), "the keeper stopping after the service"
    )
    assert not any(alive(pid) for pid in pids), "the servers stopped with it"
    assert not (directory / STATE_FILE).exists()
    assert not (directory / ENV_SCRIPT).exists()
    assert not state.root.exists()


def test_a_demo_action_without_a_service_says_how_to_start_one(
    runtime: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "status"]) == 1
    assert "audio-service demo" in capsys.readouterr().err


def test_the_ui_needs_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 2
    assert "--tour" in capsys.readouterr().err


async def test_a_keeper_stops_when_the_service_it_saw_exits_while_it_looks(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service is listed twice more after it stopped answering (its process still
    # exiting), then gone: the keeper must stop then, not wait for a new one for HOST_WAIT.
    from audio_service._connect import _ipc

    listings = iter([[APP_ID], [APP_ID]])
    monkeypatch.setattr(_ipc, "list_services", lambda: next(listings, []))
    directory = state_dir()
    (directory / STATE_FILE).write_text("{}")
    stop = asyncio.Event()
    async with asyncio.timeout(10):
        await _environment._watch_service(directory, APP_ID, os.getpid(), stop)
    assert not (directory / STATE_FILE).exists()
