"""The tour, run as CI runs it: ``python -m audio_service.cli demo --tour`` on each server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audio_service.demo._catalogue import Catalogue

STEPS = 9


def run_tour(flavour: str, catalogue: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "audio_service.cli",
            "demo",
            "--tour",
            "--audio-server",
            flavour,
            "--catalogue",
            str(catalogue),
        ],
        capture_output=True,
        text=True,
        timeout=110,
        env=os.environ,
        check=False,
    )


@pytest.mark.parametrize("flavour", ["pulseaudio", "pipewire"])
def test_the_tour_passes_on_a_private_server(flavour: str, shared_catalogue: Catalogue) -> None:
    result = run_tour(flavour, shared_catalogue.directory)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    assert f"private {flavour} server" in lines[0]
    passed = [line for line in lines if line.startswith("\u2713 ")]
    assert len(passed) == STEPS, output
    assert not any(line.startswith("\u2717") for line in lines)
    assert lines[-1].startswith(f"tour passed: {STEPS}/{STEPS} steps on {flavour}")
    text = "\n".join(passed)
    # What each check observed on the audio server, not only in our own state.
    assert "role=music playing on speaker" in text
    assert "interruption begins: pause -> paused (server:" in text
    assert "becoming noisy" in text
    assert "corked" in text
    assert "status Playing" in text
    assert "Hello from the reader." in text
    assert "no stream left on the server" in text


def test_a_failing_step_is_marked_and_the_exit_status_says_so(catalogue_copy: Path) -> None:
    # Same size, so the catalogue keeps it, but no longer audio: the player must fail.
    first = sorted(catalogue_copy.glob("01-*.wav"))[0]
    first.write_bytes(b"\x00" * first.stat().st_size)
    result = run_tour("pulseaudio", catalogue_copy)
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert lines[1].startswith("\u2713 start the service")
    assert lines[2].startswith("\u2717 play: the player failed")
    assert lines[-1].startswith("tour FAILED: 1/9 steps on pulseaudio")
