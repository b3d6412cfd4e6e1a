"""Fixtures of the example apps' tests: the examples folder on the path, screenshots' folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the tests save their screenshots: ``$AUDIO_SERVICE_SCREENSHOTS`` (``make
    screenshots`` points it at ``docs/images``) or the test's temporary directory."""
    chosen = os.environ.get("AUDIO_SERVICE_SCREENSHOTS")
    directory = Path(chosen) if chosen else tmp_path / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory
