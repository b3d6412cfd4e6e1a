"""``audio-service logs``: where a host's log is, shown and followed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audio_service._connect._remote import log_path
from audio_service.cli import main


def write_log(app_id: str, text: str) -> Path:
    path = log_path(app_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_log_of_a_service_is_shown(capsys: pytest.CaptureFixture[str]) -> None:
    write_log("o.one", "".join(f"line {i}\n" for i in range(100)))
    assert main(["logs", "o.one", "-n", "3"]) == 0
    assert capsys.readouterr().out == "line 97\nline 98\nline 99\n"
    assert main(["logs"]) == 0, "the only log needs no app id"
    assert capsys.readouterr().out.endswith("line 99\n")


def test_several_logs_are_listed_and_a_missing_one_said(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["logs"]) == 1
    assert "no service has logged" in capsys.readouterr().err
    write_log("o.one", "a\n")
    write_log("o.two", "b\n")
    assert main(["logs"]) == 1
    err = capsys.readouterr().err
    assert "audio-service logs o.one" in err
    assert "audio-service logs o.two" in err
    assert main(["logs", "o.three"]) == 1
    assert str(log_path("o.three")) in capsys.readouterr().err


async def test_follow_prints_new_lines() -> None:
    path = write_log("o.follow", "old\n")
    follower = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "audio_service.cli",
        "logs",
        "o.follow",
        "--follow",
        stdout=subprocess.PIPE,
        env=os.environ,
    )
    assert follower.stdout is not None
    try:
        assert await asyncio.wait_for(follower.stdout.readline(), 10) == b"old\n"
        await asyncio.to_thread(path.write_text, "old\nnew\n")
        assert await asyncio.wait_for(follower.stdout.readline(), 10) == b"new\n"
    finally:
        follower.kill()
        await follower.wait()
