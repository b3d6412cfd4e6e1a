"""Socket locations, directory permissions, app ids, and the list of running services."""

from __future__ import annotations

import fcntl
import os
import socket
import stat
from pathlib import Path

import pytest
from ipc_support import APP_ID

from audio_service._connect._ipc import (
    RuntimeDirError,
    Server,
    ServiceAlreadyRunningError,
    _paths,
    list_services,
    socket_dir,
    socket_path,
    validate_app_id,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


async def _noop(method: str, payload: bytes, peer: object) -> bytes:
    return b""


@pytest.mark.parametrize(
    "app_id", ["a", "org.example.Player", "my_app-2", "0day", "A" * 64, "x.y.z.sock.lock"]
)
def test_valid_app_ids_are_accepted(app_id: str) -> None:
    assert validate_app_id(app_id) == app_id


@pytest.mark.parametrize(
    ("app_id", "match"),
    [
        ("", "must not be empty"),
        ("A" * 65, "at most 64"),
        ("../evil", "may only contain"),
        ("a/b", "may only contain"),
        (".hidden", "start with a letter or a digit"),
        ("-flag", "start with a letter or a digit"),
        ("spa ce", "may only contain"),
        ("café", "may only contain"),
        ("nul\x00", "may only contain"),
        ("line\n", "may only contain"),
    ],
)
def test_invalid_app_ids_get_a_clear_value_error(app_id: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        validate_app_id(app_id)


def test_a_non_string_app_id_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="app_id must be a str, not int"):
        validate_app_id(42)


def test_the_socket_dir_is_created_0700_inside_xdg_runtime_dir(runtime_dir: Path) -> None:
    directory = socket_dir()
    assert directory == runtime_dir / "audio-service"
    assert _mode(directory) == 0o700
    assert socket_path(APP_ID) == directory / f"{APP_ID}.sock"


def test_a_group_or_world_accessible_dir_is_refused(runtime_dir: Path) -> None:
    directory = runtime_dir / "audio-service"
    directory.mkdir(mode=0o700)
    directory.chmod(0o750)
    with pytest.raises(RuntimeDirError, match=r"mode 0750.*must be 0700"):
        socket_dir()
    directory.chmod(0o707)
    with pytest.raises(RuntimeDirError, match="mode 0707"):
        socket_path(APP_ID)
    assert _mode(directory) == 0o707, "the directory is refused, not silently changed"


def test_a_dir_owned_by_another_user_is_refused(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = runtime_dir / "audio-service"
    directory.mkdir(mode=0o700)
    real_uid = os.geteuid()
    # Seen from uid+1, the directory belongs to someone else.
    monkeypatch.setattr(os, "geteuid", lambda: real_uid + 1)
    with pytest.raises(RuntimeDirError, match=f"belongs to uid {real_uid}, not to you"):
        _paths.check_private_dir(directory)


def test_an_xdg_runtime_dir_owned_by_another_user_is_refused(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_uid = os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: real_uid + 1)
    with pytest.raises(RuntimeDirError, match=f"XDG_RUNTIME_DIR .* belongs to uid {real_uid}"):
        socket_dir()


def test_a_symlink_in_place_of_the_dir_is_refused(runtime_dir: Path) -> None:
    target = runtime_dir / "elsewhere"
    target.mkdir(mode=0o700)
    (runtime_dir / "audio-service").symlink_to(target)
    with pytest.raises(RuntimeDirError, match="symbolic link"):
        socket_dir()


def test_a_file_in_place_of_the_dir_is_refused(runtime_dir: Path) -> None:
    (runtime_dir / "audio-service").write_bytes(b"")
    with pytest.raises(RuntimeDirError, match="not a directory"):
        socket_dir()


def test_a_missing_xdg_runtime_dir_is_a_clear_error(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir / "gone"))
    with pytest.raises(RuntimeDirError, match="does not exist"):
        socket_dir()


@pytest.mark.parametrize("value", [None, "", "relative/run"])
def test_without_a_usable_xdg_runtime_dir_a_private_tmp_dir_is_used(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("XDG_RUNTIME_DIR")
    else:
        monkeypatch.setenv("XDG_RUNTIME_DIR", value)
    directory = socket_dir()
    assert directory == runtime_dir / "tmp" / f"audio-service-{os.geteuid()}"
    assert _mode(directory) == 0o700


def test_a_fallback_dir_planted_by_another_user_is_refused(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    uid = os.geteuid()
    planted = runtime_dir / "tmp" / f"audio-service-{uid + 1}"
    planted.mkdir(mode=0o700)
    monkeypatch.setattr(os, "geteuid", lambda: uid + 1)
    with pytest.raises(RuntimeDirError, match="not to you"):
        socket_dir()


def test_a_socket_path_too_long_for_sun_path_is_a_clear_error(
    runtime_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = runtime_dir / ("d" * 80)
    deep.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    with pytest.raises(ValueError, match="longer than the 107 bytes"):
        socket_path("a" * 30)


async def test_the_socket_is_0600_and_listed_while_the_server_runs(runtime_dir: Path) -> None:
    assert list_services() == []
    async with Server(APP_ID, _noop) as server, Server("org.test.Other", _noop):
        assert _mode(server.path) == 0o600
        assert stat.S_ISSOCK(os.lstat(server.path).st_mode)
        assert list_services() == ["org.test.Other", APP_ID]
    assert not server.path.exists()
    assert list_services() == []


def _leave_stale_socket(path: Path) -> None:
    """What a server killed with SIGKILL leaves behind: a socket nobody listens on."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(os.fspath(path))
    sock.close()


def test_a_stale_socket_is_removed_and_not_listed(runtime_dir: Path) -> None:
    stale = socket_path("org.test.Crashed")
    _leave_stale_socket(stale)
    assert stale.exists()
    assert list_services() == []
    assert not stale.exists()


def test_a_socket_whose_server_holds_the_lock_is_left_alone(runtime_dir: Path) -> None:
    # A server between taking its lock and listening: refusing, but not stale.
    path = socket_path("org.test.Starting")
    _leave_stale_socket(path)
    lock = os.open(_paths.lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert list_services() == []
        assert path.exists()
    finally:
        os.close(lock)
    assert list_services() == []
    assert not path.exists()


def test_foreign_files_in_the_dir_are_ignored(runtime_dir: Path) -> None:
    directory = socket_dir()
    (directory / "notes.txt").write_text("hello")
    (directory / "regular.sock").write_text("not a socket")
    (directory / "bad name!.sock").write_text("")
    assert list_services() == []
    assert (directory / "regular.sock").exists(), "only stale sockets are ever removed"


async def test_a_server_replaces_a_stale_socket(runtime_dir: Path) -> None:
    path = socket_path(APP_ID)
    _leave_stale_socket(path)
    async with Server(APP_ID, _noop):
        assert list_services() == [APP_ID]


async def test_a_second_server_for_the_same_app_id_is_refused(runtime_dir: Path) -> None:
    async with Server(APP_ID, _noop) as first:
        with pytest.raises(ServiceAlreadyRunningError, match="already running"):
            await Server(APP_ID, _noop).start()
        assert first.is_serving
        assert list_services() == [APP_ID]
    # Restart after stop works (the lesson of upstream #420).
    async with Server(APP_ID, _noop) as again:
        assert again.is_serving


async def test_a_regular_file_at_the_socket_path_is_not_replaced(runtime_dir: Path) -> None:
    socket_path(APP_ID).write_text("precious")
    with pytest.raises(RuntimeDirError, match="not a socket"):
        await Server(APP_ID, _noop).start()
    assert socket_path(APP_ID).read_text() == "precious"


async def test_an_explicit_path_must_be_in_a_private_directory(tmp_path: Path) -> None:
    open_dir = tmp_path / "open"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    with pytest.raises(RuntimeDirError, match="mode 0755"):
        await Server(APP_ID, _noop, path=open_dir / "x.sock").start()
