"""Recognising our own streams: the token, our pid and our descendants in our session."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from audio_session._linux import TOKEN_PROPERTY, OwnStreams


def _fake_proc(root: Path, processes: dict[int, tuple[int, int]]) -> Path:
    """A /proc with ``pid -> (ppid, session)``; command names with spaces and parentheses."""
    for pid, (ppid, session) in processes.items():
        (root / str(pid)).mkdir(parents=True)
        (root / str(pid) / "stat").write_text(
            f"{pid} (odd (name) x) S {ppid} {pid} {session} 0 -1 4194560 0 0\n"
        )
    return root


@pytest.fixture
def tree(tmp_path: Path) -> OwnStreams:
    # 100 = us (session 100); 200 our child; 300 its child; 400 a child that left our
    # session; 500 a stranger; 600 a grandchild of the detached one, in our session id.
    proc = _fake_proc(
        tmp_path,
        {
            1: (0, 1),
            100: (1, 100),
            200: (100, 100),
            300: (200, 100),
            400: (100, 400),
            500: (1, 100),
            600: (400, 100),
        },
    )
    return OwnStreams(pid=100, proc=proc, token="abc123")


@pytest.mark.parametrize(
    ("pid", "ours"),
    [(100, True), (200, True), (300, True), (400, False), (500, False), (600, True), (999, False)],
)
def test_ancestry(tree: OwnStreams, pid: int, ours: bool) -> None:
    assert tree.is_own_process(pid) is ours


def test_token_wins_whatever_the_pid(tree: OwnStreams) -> None:
    assert tree.is_ours({TOKEN_PROPERTY: "abc123", "application.process.id": "500"})
    assert not tree.is_ours({TOKEN_PROPERTY: "other", "application.process.id": "500"})
    assert tree.is_ours({"application.process.id": "300"})
    assert not tree.is_ours({"application.process.id": "not-a-pid"})
    assert not tree.is_ours({})


def test_pids_from_other_machines_mean_nothing(tree: OwnStreams) -> None:
    assert not tree.is_ours(
        {"application.process.id": "100", "application.process.host": "elsewhere"}
    )
    assert tree.is_ours(
        {"application.process.id": "100", "application.process.host": socket.gethostname()}
    )
    machine = Path("/etc/machine-id")
    if machine.exists() and machine.read_text().strip():
        assert not tree.is_ours(
            {"application.process.id": "100", "application.process.machine_id": "0" * 32}
        )


def test_environment_entries_carry_the_token() -> None:
    own = OwnStreams(token="feed42")
    assert own.pulse_property == f"{TOKEN_PROPERTY}=feed42"
    assert own.pipewire_property == f"{TOKEN_PROPERTY}=feed42"
    assert OwnStreams().token != OwnStreams().token


@pytest.mark.parametrize("token", ["", "a b", "x=y", 5])
def test_bad_tokens_are_refused(token: object) -> None:
    with pytest.raises(ValueError, match="token"):
        OwnStreams(token=token)  # type: ignore[arg-type]


def test_real_children() -> None:
    own = OwnStreams()
    with (
        subprocess.Popen(["sleep", "5"]) as child,
        subprocess.Popen(["sleep", "5"], start_new_session=True) as detached,
    ):
        try:
            assert own.is_own_process(os.getpid())
            assert own.is_own_process(child.pid)
            assert not own.is_own_process(detached.pid)
            assert not own.is_own_process(os.getppid())
        finally:
            child.kill()
            detached.kill()
