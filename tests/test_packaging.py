"""Packaging promises: both packages import anywhere, audio_session stands alone, typed."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources

import audio_service
import audio_session
from audio_service.cli import main


def test_audio_session_never_imports_audio_service() -> None:
    code = (
        "import sys, audio_session, audio_session.testing;"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] == 'audio_service');"
        "print(leaked); sys.exit(1 if leaked else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_both_packages_ship_py_typed() -> None:
    for package in (audio_session, audio_service):
        assert resources.files(package.__name__).joinpath("py.typed").is_file()


def test_console_command_reports_its_version(capsys: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "audio_service.cli", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"audio-service {audio_session.__version__}"
    assert main([]) == 0
