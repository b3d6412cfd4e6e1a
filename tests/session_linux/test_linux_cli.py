"""``audio-service devices`` and ``audio-service watch`` as real processes against the rig."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from audio_session.testing import SPEAKER, AudioRig


def _env(rig: AudioRig) -> dict[str, str]:
    env = {**os.environ, **rig.env}
    env.pop("AUDIO_SESSION_BACKEND", None)
    env.pop("PULSE_PROP", None)
    return env


async def _cli(rig: AudioRig, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "audio_service.cli",
        *args,
        env=_env(rig),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode or 0, out.decode(), err.decode()


async def test_devices_lists_types_directions_and_the_default(audio_rig: AudioRig) -> None:
    server = audio_rig.server
    assert server is not None
    await server.add_sink("rig_dac", description="USB DAC", bus="usb")
    await server.add_sink(
        "rig_cans", description="Cans", form_factor="headphone", make_default=True
    )
    status, out, err = await _cli(audio_rig, "devices", "--json")
    assert status == 0, err
    listed = {d["id"]: d for d in json.loads(out)}
    assert listed[f"sink:{SPEAKER}"] == {
        "id": f"sink:{SPEAKER}",
        "name": "Speaker",
        "type": "built_in_speaker",
        "is_input": False,
        "is_output": True,
        "default": False,
    }
    assert listed["sink:rig_dac"]["type"] == "usb_audio"
    assert listed["sink:rig_cans"]["type"] == "wired_headphones"
    assert [i for i, d in listed.items() if d["default"]] == ["sink:rig_cans"]
    assert not any("monitor" in i for i in listed)

    status, out, err = await _cli(audio_rig, "devices")
    assert status == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["DIRECTION", "TYPE", "ID", "NAME"]
    marked = [row for row in rows if row.startswith("*")]
    assert len(marked) == 1
    assert marked[0].split()[1:4] == ["output", "wired_headphones", "sink:rig_cans"]
    assert len(rows) == len(listed)

    status, out, _ = await _cli(audio_rig, "devices", "--inputs", "--json")
    assert (status, json.loads(out)) == (0, [])


class _Watch:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), 15)
        assert raw, "audio-service watch ended early"
        found: dict[str, Any] = json.loads(raw)
        assert isinstance(found.pop("time"), float)
        return found


@pytest.fixture
async def watch(audio_rig: AudioRig, request: pytest.FixtureRequest) -> AsyncIterator[_Watch]:
    args = getattr(request, "param", ())
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "audio_service.cli",
        "watch",
        *args,
        env=_env(audio_rig),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield _Watch(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_watch_prints_interruptions_and_device_changes(
    audio_rig: AudioRig, watch: _Watch
) -> None:
    server = audio_rig.server
    assert server is not None
    assert await watch.line() == {
        "event": "activated",
        "granted": True,
        "preset": "music",
        "pause_when_ducked": False,
        "backend": "linux",
    }
    call = await server.play("phone")
    assert await watch.line() == {"event": "interruption", "begin": True, "type": "pause"}
    call.stop()
    assert await watch.line() == {"event": "interruption", "begin": False, "type": "pause"}
    dac = await server.add_sink("rig_dac", description="USB DAC", bus="usb")
    added = {
        "id": "sink:rig_dac",
        "name": "USB DAC",
        "type": "usb_audio",
        "is_input": False,
        "is_output": True,
    }
    assert await watch.line() == {"event": "devices_changed", "added": [added], "removed": []}
    await server.remove_sink(dac)
    assert await watch.line() == {"event": "devices_changed", "added": [], "removed": [added]}
    watch.process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(watch.process.wait(), 15) == 0


@pytest.mark.parametrize("watch", [("--preset", "speech")], indirect=True)
async def test_watch_speech_pauses_for_notifications_and_stops_on_sigterm(
    audio_rig: AudioRig, watch: _Watch
) -> None:
    server = audio_rig.server
    assert server is not None
    activated = await watch.line()
    assert (activated["preset"], activated["pause_when_ducked"]) == ("speech", True)
    cans = await server.add_sink("rig_cans", form_factor="headphone", make_default=True)
    assert (await watch.line())["event"] == "devices_changed"
    ding = await server.play("event")
    assert await watch.line() == {"event": "interruption", "begin": True, "type": "pause"}
    ding.stop()
    assert await watch.line() == {"event": "interruption", "begin": False, "type": "pause"}
    await server.remove_sink(cans)
    seen = [await watch.line(), await watch.line()]
    assert sorted(e["event"] for e in seen) == ["becoming_noisy", "devices_changed"]
    watch.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(watch.process.wait(), 15) == 0
