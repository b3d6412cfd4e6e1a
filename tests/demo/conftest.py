"""Fixtures for the demo tests (the shared catalogue itself is in tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audio_service.demo._catalogue import Catalogue


@pytest.fixture
def catalogue_copy(shared_catalogue: Catalogue, tmp_path: Path) -> Path:
    """A private copy of the shared catalogue's directory, for tests that change files."""
    target = tmp_path / "catalogue"
    shutil.copytree(shared_catalogue.directory, target)
    return target
