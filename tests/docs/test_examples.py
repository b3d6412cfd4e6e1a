"""The README's examples (``examples/``) do what the README says, against the rig."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from docs_support import EXAMPLES

from audio_service import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_session import AudioSession
from audio_session.testing import AudioRig, stop_processes_under


async def run(*args: str, cwd: Path | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env=os.environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 90)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    return text


def tone(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)  # 8-bit WAV plays from its first bytes (no format probing)
        out.setframerate(8000)
        out.writeframes(
            bytes(128 + (40 if (i // 9) % 2 else -40) for i in range(int(8000 * seconds)))
        )
    return path


@pytest.mark.audio_server("pipewire")
async def test_the_podcast_player_plays_its_queue_to_the_end(
    audio_rig: AudioRig, tmp_path: Path
) -> None:
    pytest.importorskip("mpv")
    # Long enough that the seek to 0.2 s lands well inside the first episode.
    episodes = [str(tone(tmp_path / f"episode{n}.wav", 1.2)) for n in (1, 2)]
    output = await run(str(EXAMPLES / "podcast_player.py"), *episodes)
    lines = output.splitlines()
    assert "READY playing" in lines
    assert "COMPLETED paused" in lines, output


@pytest.mark.audio_server("pulseaudio")
async def test_the_own_task_runs_as_a_script(audio_rig: AudioRig) -> None:
    output = await run(str(EXAMPLES / "own_task.py"))
    assert output.splitlines() == ["playing: True", "playing: False"]


@pytest.fixture
def own_task() -> Iterator[object]:
    # On sys.path while the test runs: a host process finds the entrypoint through it.
    sys.path.insert(0, str(EXAMPLES))
    try:
        yield importlib.import_module("own_task")
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture
async def client(audio_rig: AudioRig) -> AsyncIterator[AudioServiceClient]:
    client = AudioServiceClient()
    client.host_launcher = HostLauncher(start_timeout=20)
    yield client
    if client.connected and client.running:
        await client.stop()
    await client.disconnect()
    # In-process, the example's task made this process's AudioSession: it must not outlive
    # the test (its environment for child streams would leak into the next ones).
    await AudioSession.close_instance()
    await asyncio.to_thread(stop_processes_under, audio_rig.runtime_dir)


@pytest.mark.parametrize("in_process", [True, False], ids=["in-process", "host"])
async def test_the_own_task_pauses_for_another_apps_phone_call(
    audio_rig: AudioRig, client: AudioServiceClient, own_task: object, in_process: bool
) -> None:
    server = audio_rig.server
    assert server is not None
    entrypoint = own_task.entrypoint  # type: ignore[attr-defined]
    assert await client.start(entrypoint, in_process=in_process, mpris=False)
    await client.play()
    assert client.playback_state.playing
    call = await server.play("phone")
    try:
        async with asyncio.timeout(10):
            paused = await client.playback_state_stream.first(lambda state: not state.playing)
    finally:
        call.stop()
    assert paused.processing_state.name == "READY"


@pytest.mark.audio_server("pulseaudio")
async def test_the_pytest_example_passes(audio_rig: AudioRig, tmp_path: Path) -> None:
    output = await run(
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(EXAMPLES / "test_my_player.py"),
        cwd=tmp_path,
    )
    assert "1 passed" in output
