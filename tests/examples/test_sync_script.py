"""``examples/sync_script.py``: a plain script drives a real player and exits cleanly."""

from __future__ import annotations

import asyncio
import sys

import pytest
from examples_support import EXAMPLES

from audio_session.testing import AudioRig


@pytest.mark.audio_server("pulseaudio")
async def test_the_script_plays_seeks_prints_and_stops(audio_rig: AudioRig) -> None:
    script = await asyncio.create_subprocess_exec(
        sys.executable,
        "-W",
        "error",
        str(EXAMPLES / "sync_script.py"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await script.communicate()
    stdout, stderr = out.decode(), err.decode()
    assert script.returncode == 0, stdout + stderr
    lines = stdout.splitlines()
    assert lines[0] == "now playing: Welcome to the show"
    assert lines[1] == "playing=True state=READY speed=1.0"
    position = float(lines[2].removeprefix("position: ").removesuffix(" s"))
    assert 2.0 <= position < 10.0, "seeked to 1 s, then played past 2 s"
    assert lines[3] == "stopped; running: False"
    # No pending-task warning, no thread left complaining, no traceback.
    assert stderr == ""
    assert await audio_rig.playerctl("-l", check=False) == "", "the stopped player is gone"
