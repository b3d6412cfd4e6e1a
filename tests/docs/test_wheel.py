"""A new user's first steps, for real: the built wheel in a fresh venv runs the README's test.

Outside the repository, with nothing of the dev tools: ``pip install
'audio-service-kit[testing]'`` must be all a project needs for the rig's fixtures
and the README's pytest example (``examples/test_my_player.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docs_support import EXAMPLES, ROOT


def _run(*args: str | Path, cwd: Path, env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _clean_env() -> dict[str, str]:
    # What a user's shell has: no venv, no coverage hooks, no rig of ours.
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    return {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(("COV_", "COVERAGE", "PYTEST"))
    }


@pytest.mark.timeout(300)
def test_the_wheel_in_a_fresh_venv_runs_the_readme_test(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    work = tmp_path_factory.mktemp("first-hour")
    env = _clean_env()
    # Pip's own cache and the configured indexes make this a local install, not a download.
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        work / "dist",
        ROOT,
        cwd=work,
        env=env,
        timeout=120,
    )
    (wheel,) = (work / "dist").glob("audio_service_kit-*.whl")
    base = getattr(sys, "_base_executable", sys.executable)
    _run(base, "-m", "venv", work / "venv", cwd=work, env=env, timeout=60)
    python = work / "venv" / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", f"{wheel}[testing]", cwd=work, env=env, timeout=240)

    project = work / "my-project"
    project.mkdir()
    shutil.copy(EXAMPLES / "test_my_player.py", project / "test_my_player.py")
    output = _run(
        python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, env=env, timeout=120
    )
    assert "1 passed" in output, output
    # It ran the wheel's code, not this checkout's.
    where = _run(
        python,
        "-c",
        "import audio_service; print(audio_service.__file__)",
        cwd=project,
        env=env,
        timeout=30,
    )
    assert str(work / "venv") in where
