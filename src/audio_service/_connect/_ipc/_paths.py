"""Where the sockets live, who may use them, and which services are running.

Each service gets ``<dir>/<app_id>.sock`` plus ``<app_id>.sock.lock``, which its
server holds (``flock``) for as long as it runs. ``<dir>`` is
``$XDG_RUNTIME_DIR/audio-service`` or, without a runtime directory,
``/tmp/audio-service-<uid>``; either way a 0700 directory owned by the user.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import fcntl
import logging
import os
import re
import socket
import stat
from pathlib import Path

from audio_service._connect._ipc._errors import RuntimeDirError

__all__ = [
    "list_services",
    "socket_dir",
    "socket_path",
    "validate_app_id",
]

_log = logging.getLogger(__name__)

_SUBDIR = "audio-service"
_SUFFIX = ".sock"
_LOCK_SUFFIX = ".lock"
# A module attribute so tests can point the fallback at a private directory.
_FALLBACK_ROOT = Path("/tmp")

#: Letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit.
_APP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_APP_ID_LENGTH = 64
# sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 107

_warned_fallback = False


def validate_app_id(app_id: object) -> str:
    """Return ``app_id`` if it is usable as a socket name, else raise a clear error.

    An app id is 1 to 64 ASCII letters, digits, ``.``, ``_`` or ``-``, starting
    with a letter or digit, e.g. ``org.example.Player``.
    """
    if not isinstance(app_id, str):
        raise TypeError(f"app_id must be a str, not {type(app_id).__name__}")
    if not app_id:
        raise ValueError("app_id must not be empty")
    if len(app_id) > MAX_APP_ID_LENGTH:
        raise ValueError(
            f"app_id must be at most {MAX_APP_ID_LENGTH} characters, not {len(app_id)}"
        )
    if not _APP_ID.fullmatch(app_id) or not app_id.isascii():
        raise ValueError(
            f"app_id {app_id!r} may only contain ASCII letters, digits, '.', '_' and '-', "
            "and must start with a letter or a digit"
        )
    return app_id


def socket_dir() -> Path:
    """The directory holding this user's service sockets, created 0700 if missing.

    Raises :class:`RuntimeDirError` if it (or ``$XDG_RUNTIME_DIR``) is not a
    directory owned by this user, or if group or others can access it.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and not os.path.isabs(runtime):
        _warn_fallback(f"XDG_RUNTIME_DIR={runtime!r} is not an absolute path; ignoring it")
        runtime = ""
    if not runtime:
        _warn_fallback("XDG_RUNTIME_DIR is not set")
        return _private_dir(_FALLBACK_ROOT / f"{_SUBDIR}-{os.geteuid()}")
    base = Path(runtime)
    try:
        info = os.stat(base)
    except FileNotFoundError:
        raise RuntimeDirError(f"XDG_RUNTIME_DIR {runtime!r} does not exist") from None
    if not stat.S_ISDIR(info.st_mode):
        raise RuntimeDirError(f"XDG_RUNTIME_DIR {runtime!r} is not a directory")
    if info.st_uid != os.geteuid():
        raise RuntimeDirError(
            f"XDG_RUNTIME_DIR {runtime!r} belongs to uid {info.st_uid}, not to you "
            f"(uid {os.geteuid()})"
        )
    return _private_dir(base / _SUBDIR)


def socket_path(app_id: str) -> Path:
    """The socket of the service for ``app_id`` (the directory is created if needed)."""
    path = socket_dir() / f"{validate_app_id(app_id)}{_SUFFIX}"
    check_socket_path_length(path)
    return path


def check_socket_path_length(path: Path) -> None:
    if len(os.fsencode(path)) > _MAX_SOCKET_PATH:
        raise ValueError(
            f"socket path {str(path)!r} is longer than the {_MAX_SOCKET_PATH} bytes a Unix "
            "socket address can hold; use a shorter app id or runtime directory"
        )


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + _LOCK_SUFFIX)


def list_services() -> list[str]:
    """The app ids of the services running for this user, sorted.

    A socket that refuses connections and whose lock is free was left by a
    server that died without cleaning up: it is removed.
    """
    directory = socket_dir()
    running = []
    with os.scandir(directory) as entries:
        candidates = [entry for entry in entries if entry.name.endswith(_SUFFIX)]
    for entry in candidates:
        app_id = entry.name[: -len(_SUFFIX)]
        try:
            validate_app_id(app_id)
            info = entry.stat(follow_symlinks=False)
        except (ValueError, FileNotFoundError):
            continue
        if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.geteuid():
            continue
        path = Path(entry.path)
        state = probe(path)
        if state is Liveness.ALIVE:
            running.append(app_id)
        elif state is Liveness.REFUSED:
            remove_stale_socket(path)
    return sorted(running)


def name_taken(app_id: str) -> bool:
    """Whether a server holds the lock of ``app_id`` (serving, starting or on its way out)."""
    lock = try_lock(lock_path(socket_path(app_id)))
    if lock is None:
        return True
    os.close(lock)
    return False


class Liveness(enum.Enum):
    ALIVE = "alive"
    REFUSED = "refused"
    ABSENT = "absent"


def probe(path: Path) -> Liveness:
    """Whether something listens on the socket at ``path``, without blocking."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        result = sock.connect_ex(os.fsencode(path))
    if result == 0 or result in (errno.EAGAIN, errno.EINPROGRESS):
        # EAGAIN: the listen backlog is full, which only a live server has.
        return Liveness.ALIVE
    if result in (errno.ENOENT, errno.ENOTDIR):
        return Liveness.ABSENT
    # ECONNREFUSED, or a file that is not a socket (ENOTSOCK is not returned by connect).
    return Liveness.REFUSED


def remove_stale_socket(path: Path) -> bool:
    """Unlink the socket at ``path`` if no server holds its lock and it refuses connections."""
    lock = try_lock(lock_path(path))
    if lock is None:
        # A server holds the lock: it is starting (not listening yet) or just stopping.
        return False
    try:
        if probe(path) is not Liveness.REFUSED:
            return False
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            _log.info("removed the stale socket %s left by a server that is gone", path)
        return True
    finally:
        os.close(lock)


def try_lock(path: Path) -> int | None:
    """An fd holding an exclusive ``flock`` on ``path``, or None if someone else holds it.

    Lock files are never removed: removing one while another process waits on it
    would let two servers believe they own the same socket.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_private_dir(path: Path) -> None:
    """Raise :class:`RuntimeDirError` unless ``path`` is a real directory only this user can use."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise RuntimeDirError(f"{path} does not exist") from None
    if stat.S_ISLNK(info.st_mode):
        raise RuntimeDirError(f"{path} is a symbolic link; refusing to use it")
    if not stat.S_ISDIR(info.st_mode):
        raise RuntimeDirError(f"{path} is not a directory")
    if info.st_uid != os.geteuid():
        raise RuntimeDirError(
            f"{path} belongs to uid {info.st_uid}, not to you (uid {os.geteuid()}); "
            "refusing to use it"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise RuntimeDirError(
            f"{path} has mode {mode:04o}, so other users can reach it; it must be 0700 "
            f"(fix it with: chmod 700 {path})"
        )


def _private_dir(path: Path) -> Path:
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    check_private_dir(path)
    return path


def _warn_fallback(reason: str) -> None:
    global _warned_fallback
    if not _warned_fallback:
        _warned_fallback = True
        _log.info("%s; using %s for the audio service sockets", reason, _FALLBACK_ROOT)
