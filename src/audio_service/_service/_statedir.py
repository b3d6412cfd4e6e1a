"""The per-user state directory: ``$XDG_STATE_HOME/audio-service/``, private to its user.

It holds the saved sessions (the queue, client names) and the hosts' logs (pids,
errors), so other users must not read it: the directory is 0700 and every file in
it 0600. Directories and files made by earlier versions with the umask's modes are
tightened whenever a service starts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "open_private_append",
    "private_dir",
    "private_file",
    "state_dir",
]

_log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def state_dir() -> Path:
    """``$XDG_STATE_HOME/audio-service`` (``~/.local/state/audio-service`` by default)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "audio-service"


def private_dir(path: Path) -> Path:
    """Create ``path`` as 0700 (parents as usual), or tighten it and the files in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=DIR_MODE)
    _tighten(path, DIR_MODE, stat.S_ISDIR)
    try:
        entries = list(os.scandir(path))
    except OSError:
        return path
    for entry in entries:
        _tighten(Path(entry.path), FILE_MODE, stat.S_ISREG)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` (empty) as 0600 in a private directory, or tighten it."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    try:
        _fix_fd(fd, path)
    finally:
        os.close(fd)
    return path


def open_private_append(path: Path) -> int:
    """A file descriptor appending to ``path``, created 0600 (an older file is tightened)."""
    private_dir(path.parent)
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
    )
    try:
        _fix_fd(fd, path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _fix_fd(fd: int, path: Path) -> None:
    info = os.fstat(fd)
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.fchmod(fd, FILE_MODE)
        _log.info("made %s private (mode 0600)", path)


def _tighten(path: Path, mode: int, is_kind: Callable[[int], bool]) -> None:
    # lstat: a symlink is left alone, its target may belong to anything.
    try:
        info = os.lstat(path)
    except OSError:
        return
    if not is_kind(info.st_mode) or info.st_uid != os.geteuid():
        return
    if stat.S_IMODE(info.st_mode) & 0o077:
        try:
            os.chmod(path, mode)
        except OSError as error:
            _log.warning("could not make %s private: %s", path, error)
            return
        _log.info("made %s private (mode %o)", path, mode)
