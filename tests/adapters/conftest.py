"""Fixtures of the sync client and GUI adapter tests: a private runtime directory."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private ``XDG_RUNTIME_DIR``, so host-mode services never meet the user's.

    A short path: a Unix socket's address holds 107 bytes, and pytest's
    temporary directories get long.
    """
    run = Path(tempfile.mkdtemp(prefix="as-run-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    yield run
    shutil.rmtree(run, ignore_errors=True)
