"""The user desktop entry: written where shells look, valid, found again, started by Raise."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from audio_service import desktop_entry_path, install_desktop_entry
from audio_service._surfaces._linux._desktop_entry import (
    launch_desktop_entry,
    read_desktop_entry,
    warn_if_not_installed,
)
from audio_service.cli import main
from audio_service.demo._desktop import demo_icon, ensure_desktop_entry
from audio_service.demo._png import decode_png


@pytest.fixture(autouse=True)
def system_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$XDG_DATA_DIRS, empty: the machine's own entries play no part."""
    system = tmp_path / "system"
    (system / "applications").mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_DIRS", str(system))
    return system


def data_home() -> Path:
    return Path(os.environ["XDG_DATA_HOME"])


def validate(path: Path) -> None:
    validator = shutil.which("desktop-file-validate")
    assert validator is not None, "desktop-file-utils is a test dependency"
    result = subprocess.run([validator, str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_writes_a_valid_entry_with_its_icon() -> None:
    assert desktop_entry_path("org.example.Player") is None
    path = install_desktop_entry(
        "org.example.Player",
        name="Example Player",
        exec=["/usr/bin/python3", "-m", "example player", "--volume=50%", 'say "hi"'],
        icon=demo_icon(32),
        comment="Plays examples",
        extra={"X-Example-Key": "yes"},
    )
    assert path == data_home() / "applications" / "org.example.Player.desktop"
    assert desktop_entry_path("org.example.Player") == path
    validate(path)
    keys = read_desktop_entry(path)
    assert keys["Name"] == "Example Player"
    assert keys["Exec"] == '/usr/bin/python3 -m "example player" --volume=50%% "say \\"hi\\""'
    assert keys["Terminal"] == "false"
    assert keys["X-Example-Key"] == "yes"
    assert keys["X-GNOME-UsesNotifications"] == "true"
    icon = Path(keys["Icon"])
    assert icon.is_absolute()
    assert decode_png(icon.read_bytes()).width == 32


def test_the_user_entry_comes_before_a_system_one(system_dirs: Path) -> None:
    system = system_dirs / "applications" / "org.example.Player.desktop"
    system.write_text("[Desktop Entry]\nType=Application\nName=System\nExec=true\n")
    assert desktop_entry_path("org.example.Player") == system
    user = install_desktop_entry("org.example.Player", name="User", exec=["true"])
    assert desktop_entry_path("org.example.Player") == user


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"desktop_id": "org.example.Player.desktop"}, "without .desktop"),
        ({"desktop_id": "has space"}, "dotted name"),
        ({"name": " "}, "name"),
        ({"exec": []}, "exec"),
        ({"icon": b"GIF89a"}, "PNG"),
        ({"extra": {"Foo": "bar"}}, "X- keys"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "desktop_id": "org.example.Player",
        "name": "Example",
        "exec": ["true"],
    }
    arguments.update(changes)
    with pytest.raises(ValueError, match=message):
        install_desktop_entry(**arguments)  # type: ignore[arg-type]
    assert not (data_home() / "applications" / "org.example.Player.desktop").exists()


def test_the_command_installs_and_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    icon = tmp_path / "icon.png"
    icon.write_bytes(demo_icon(16))
    status = main(
        [
            "desktop-entry",
            "install",
            "org.example.Cli",
            "--name",
            "Cli Player",
            "--exec",
            "cli-player --ui 'big window'",
            "--icon",
            str(icon),
            "--terminal",
            "--key",
            "X-Example=1",
        ]
    )
    assert status == 0
    path = Path(capsys.readouterr().out.strip())
    validate(path)
    keys = read_desktop_entry(path)
    assert keys["Exec"] == 'cli-player --ui "big window"'
    assert keys["Terminal"] == "true"
    assert Path(keys["Icon"]).read_bytes() == icon.read_bytes()
    assert main(["desktop-entry", "show", "org.example.Cli"]) == 0
    assert "Name=Cli Player" in capsys.readouterr().out
    assert main(["desktop-entry", "show", "org.example.Absent"]) == 1
    assert main(["desktop-entry", "install", "x", "--name", "X", "--exec", "x", "--key", "Y"]) == 2


def test_the_demo_installs_its_own_entry_once() -> None:
    assert ensure_desktop_entry() == "audio_service_demo"
    path = desktop_entry_path("audio_service_demo")
    assert path is not None
    validate(path)
    keys = read_desktop_entry(path)
    assert keys["Name"] == "Audio Service Demo"
    assert keys["Terminal"] == "true"
    assert keys["Exec"].endswith("-m audio_service.cli demo")
    image = decode_png(Path(keys["Icon"]).read_bytes())
    assert (image.width, image.height) == (128, 128)
    before = path.stat().st_mtime_ns
    ensure_desktop_entry()
    assert path.stat().st_mtime_ns == before  # first run only: the user's edits stay


def test_a_missing_entry_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="audio_service.desktop_entry"):
        assert not warn_if_not_installed("org.example.Missing")
        assert not warn_if_not_installed("org.example.Missing")
    assert caplog.text.count("no org.example.Missing.desktop") == 1
    install_desktop_entry("org.example.Missing", name="Here now", exec=["true"])
    assert warn_if_not_installed("org.example.Missing")


async def test_launch_starts_the_exec_line(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    install_desktop_entry(
        "org.example.Launch", name="Launch", exec=["sh", "-c", f"echo up > '{marker}'"]
    )
    assert await launch_desktop_entry("org.example.Launch")
    await _until_exists(marker)
    assert marker.read_text() == "up\n"
    assert not await launch_desktop_entry("org.example.Absent")


async def _until_exists(path: Path) -> None:
    import asyncio

    for _ in range(500):  # the child runs on its own; its file is the only sign
        if _written(path):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


def _written(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0
