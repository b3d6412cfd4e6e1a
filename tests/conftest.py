"""Suite-wide hygiene (no test writes into the real user's state or cache directories), and the
demo's catalogue, made once for the demo and desktop-shell tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio_service.demo._catalogue import Catalogue, ensure_catalogue


@pytest.fixture(autouse=True)
def _private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base: Path = tmp_path_factory.mktemp("xdg")
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        directory = base / name.lower()
        directory.mkdir(mode=0o700)
        monkeypatch.setenv(name, str(directory))


@pytest.fixture(scope="session")
def shared_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The demo's catalogue, made once (a few seconds) and only read by the tests that share it."""
    return ensure_catalogue(tmp_path_factory.mktemp("catalogue"))


@pytest.fixture(autouse=True)
def _no_system_bus(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No test reaches the machine's system bus (a real logind would get the services'
    # inhibitors); the power tests start a private one.
    missing = tmp_path_factory.mktemp("no-system-bus") / "system_bus_socket"
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={missing}")
