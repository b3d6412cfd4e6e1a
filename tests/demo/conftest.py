"""Fixtures for the demo tests: one generated catalogue for the whole session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audio_service.demo._catalogue import Catalogue, ensure_catalogue


@pytest.fixture(scope="session")
def shared_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The catalogue, made once (about two seconds) and only read by the tests that share it."""
    return ensure_catalogue(tmp_path_factory.mktemp("catalogue"))


@pytest.fixture
def catalogue_copy(shared_catalogue: Catalogue, tmp_path: Path) -> Path:
    """A private copy of the shared catalogue's directory, for tests that change files."""
    target = tmp_path / "catalogue"
    shutil.copytree(shared_catalogue.directory, target)
    return target
