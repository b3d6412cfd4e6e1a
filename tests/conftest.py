"""Suite-wide hygiene: no test writes into the real user's state or cache directories, and
no service host a test starts logs an error; the demo's catalogue, made once for the demo and
desktop-shell tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_service.demo._catalogue import Catalogue, ensure_catalogue


@pytest.fixture(autouse=True)
def _private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base: Path = tmp_path_factory.mktemp("xdg")
    # A runtime directory too: without one, every pulse client (espeak-ng links
    # libpulse and looks for a server even when it only writes a file) makes a
    # /tmp/pulse-* directory linked from the config home, a new one per test
    # since each test has its own config home, and leaves it behind.
    names = ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME")
    for name in (*names, "XDG_RUNTIME_DIR"):
        directory = base / name.lower()
        directory.mkdir(mode=0o700)
        monkeypatch.setenv(name, str(directory))


@pytest.fixture(autouse=True)
def _host_logs_without_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test whose service hosts logged an ERROR: a host's problems must not pass unseen."""
    from audio_service._connect import _remote

    logs: list[Path] = []
    original = _remote.log_path

    def recording(app_id: str) -> Path:
        path = original(app_id)
        logs.append(path)
        return path

    monkeypatch.setattr(_remote, "log_path", recording)
    yield
    errors = [
        f"{path}: {line}"
        for path in dict.fromkeys(logs)
        if path.is_file()
        for line in path.read_text(errors="replace").splitlines()
        if " ERROR " in line
    ]
    if errors:
        pytest.fail("a service host logged errors:\n" + "\n".join(errors))


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
