"""``examples/sync_script.py``: a plain script drives a real player and exits cleanly."""

from __future__ import annotations

import subprocess
import sys

import pytest
from examples_support import EXAMPLES

from audio_session.testing import AudioRig


@pytest.mark.audio_server("pulseaudio")
async def test_the_script_plays_seeks_prints_and_stops(audio_rig: AudioRig) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", str(EXAMPLES / "sync_script.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "now playing: Welcome to the show"
    assert lines[1] == "playing=True state=READY speed=1.0"
    position = float(lines[2].removeprefix("position: ").removesuffix(" s"))
    assert 2.0 <= position < 10.0, "seeked to 1 s, then played past 2 s"
    assert lines[3] == "stopped; running: False"
    # No pending-task warning, no thread left complaining, no traceback.
    assert done.stderr == ""
    assert await audio_rig.playerctl("-l", check=False) == "", "the stopped player is gone"
