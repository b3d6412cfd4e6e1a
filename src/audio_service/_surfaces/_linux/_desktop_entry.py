"""The app's desktop entry: a user ``.desktop`` file that names the player and gives it an icon.

Shells find a player's name and icon through MPRIS ``DesktopEntry``: GNOME
Shell shows no icon without it (and from 49.1 its media card follows the app's
notification settings, found the same way), KDE matches windows and icons by
it, and Xfce's panel plugin lists a player only when
``applications/<bus name suffix>.desktop`` exists. Apps installed by a package
ship one; :func:`install_desktop_entry` writes one for the others into
``$XDG_DATA_HOME/applications``. :func:`launch_desktop_entry` starts the app
from it (MPRIS ``Raise`` with no UI connected).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

__all__ = [
    "desktop_entry_path",
    "install_desktop_entry",
    "launch_desktop_entry",
    "read_desktop_entry",
    "warn_if_not_installed",
]

_log = logging.getLogger("audio_service.desktop_entry")

#: A desktop file id without ``.desktop``: reverse-DNS by convention (the app id).
_DESKTOP_ID: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$")
_X_KEY: Final = re.compile(r"^X-[A-Za-z0-9-]+$")
#: Characters the Exec key's quoting rules escape inside double quotes.
_EXEC_ESCAPED: Final = ("\\", '"', "`", "$")
_EXEC_RESERVED: Final = frozenset(" \t\n\"'\\><~|&;$*?#()`")
#: Field codes a launcher replaces (none of ours take files or URLs).
_FIELD_CODE: Final = re.compile(r"%[fFuUdDnNickvm]")
_DEFAULT_CATEGORIES: Final = ("AudioVideo", "Audio", "Player")
#: DesktopEntry ids already warned about (once per process).
_warned: set[str] = set()


def _data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME") or ""
    if os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def _data_dirs() -> list[Path]:
    dirs = [_data_home()]
    value = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    dirs += [Path(part) for part in value.split(":") if os.path.isabs(part)]
    return dirs


def _check_id(desktop_id: str) -> None:
    if isinstance(desktop_id, str) and desktop_id.endswith(".desktop"):
        raise ValueError(f"a desktop entry id is written without .desktop: {desktop_id!r}")
    if not isinstance(desktop_id, str) or not _DESKTOP_ID.match(desktop_id):
        raise ValueError(
            f"a desktop entry id is a dotted name without .desktop (the app id), not {desktop_id!r}"
        )


def desktop_entry_path(desktop_id: str) -> Path | None:
    """The installed ``<desktop_id>.desktop`` shells find (user's first), or None."""
    _check_id(desktop_id)
    for base in _data_dirs():
        path = base / "applications" / f"{desktop_id}.desktop"
        if path.is_file():
            return path
    return None


def read_desktop_entry(path: str | os.PathLike[str]) -> dict[str, str]:
    """The keys of the file's ``[Desktop Entry]`` group (untranslated values)."""
    keys: dict[str, str] = {}
    group = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            continue
        if group == "Desktop Entry" and "=" in line:
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), value.strip())
    return keys


def _quote_arg(arg: str) -> str:
    if not arg:
        return '""'
    text = arg.replace("%", "%%")
    if not any(char in _EXEC_RESERVED for char in text):
        return text
    for char in _EXEC_ESCAPED:
        text = text.replace(char, "\\" + char)
    return f'"{text}"'


def _escape_value(value: str) -> str:
    # The string escapes of the spec; a value is one line.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def _install_icon(desktop_id: str, icon: str | os.PathLike[str] | bytes, home: Path) -> str:
    if isinstance(icon, str) and "/" not in icon:
        return icon  # a theme icon name ("audio-x-generic")
    folder = home / "icons"
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(icon, bytes):
        if not icon.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError("icon bytes must be a PNG image")
        target = folder / f"{desktop_id}.png"
        _write_atomically(target, icon)
        return str(target)
    source = Path(icon)
    if not source.is_file():
        raise FileNotFoundError(f"icon file not found: {source}")
    suffix = source.suffix.lower()
    if suffix not in (".png", ".svg", ".xpm"):
        raise ValueError(f"an icon file is .png, .svg or .xpm, not {source.name!r}")
    target = folder / f"{desktop_id}{suffix}"
    if source.resolve() != target.resolve():
        _write_atomically(target, source.read_bytes())
    return str(target)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def install_desktop_entry(
    desktop_id: str,
    *,
    name: str,
    exec: str | Sequence[str],
    icon: str | os.PathLike[str] | bytes | None = None,
    comment: str | None = None,
    terminal: bool = False,
    categories: Sequence[str] = _DEFAULT_CATEGORIES,
    extra: Mapping[str, str] | None = None,
) -> Path:
    """Write ``$XDG_DATA_HOME/applications/<desktop_id>.desktop`` and return its path.

    For apps not installed by a package, so that shells show the player's
    name and icon (pass ``desktop_entry=desktop_id`` to ``AudioService.start``;
    use the app id, which is also the MPRIS bus name's suffix that Xfce looks
    up). ``exec`` is the command that starts the UI: a list of arguments
    (quoted as the spec asks) or a ready Exec line. ``icon`` is PNG data, an
    image file (copied next to the entry's icons), or a theme icon name.
    ``terminal`` runs it in a terminal (a text UI). ``extra`` adds ``X-`` keys.
    ``X-GNOME-UsesNotifications=true`` is always set: GNOME lists the app in
    its notification settings, which from GNOME 49 also govern the media card.
    An existing file of that name is replaced.
    """
    _check_id(desktop_id)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty str, not {name!r}")
    if isinstance(exec, str):
        if not exec.strip():
            raise ValueError("exec must not be empty")
        exec_line = exec
    else:
        args = list(exec)
        if not args or not all(isinstance(arg, str) for arg in args) or not args[0]:
            raise ValueError(f"exec must be a non-empty list of str, not {exec!r}")
        exec_line = " ".join(_quote_arg(arg) for arg in args)
    if isinstance(categories, str) or not all(
        isinstance(c, str) and c and ";" not in c for c in categories
    ):
        raise ValueError(f"categories must be a list of names, not {categories!r}")
    keys = dict(extra or {})
    for key, value in keys.items():
        if not _X_KEY.match(key):
            raise ValueError(f"extra keys must be X- keys (X-Vendor-Name), not {key!r}")
        if not isinstance(value, str):
            raise ValueError(f"extra[{key!r}] must be a str, not {value!r}")
    home = _data_home()
    applications = home / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        f"Name={_escape_value(name)}",
    ]
    if comment:
        lines.append(f"Comment={_escape_value(comment)}")
    lines.append(f"Exec={exec_line}")
    if icon is not None:
        lines.append(f"Icon={_escape_value(_install_icon(desktop_id, icon, home))}")
    lines.append(f"Terminal={'true' if terminal else 'false'}")
    if categories:
        lines.append(f"Categories={';'.join(categories)};")
    lines.append("StartupNotify=false")
    keys.setdefault("X-GNOME-UsesNotifications", "true")
    lines += [f"{key}={_escape_value(value)}" for key, value in keys.items()]
    path = applications / f"{desktop_id}.desktop"
    _write_atomically(path, ("\n".join(lines) + "\n").encode())
    return path


def warn_if_not_installed(desktop_id: str) -> bool:
    """Log a warning (once per id) when ``desktop_id`` resolves to no installed file."""
    if desktop_entry_path(desktop_id) is not None:
        return True
    if desktop_id not in _warned:
        _warned.add(desktop_id)
        _log.warning(
            "DesktopEntry %r: no %s.desktop in %s; shells show no icon for the player "
            "and Xfce's panel hides it (write one with `audio-service desktop-entry "
            "install` or audio_service.install_desktop_entry)",
            desktop_id,
            desktop_id,
            ", ".join(str(base / "applications") for base in _data_dirs()),
        )
    return False


def _exec_argv(exec_line: str) -> list[str]:
    # The spec's quoting is close enough to the shell's for the Exec lines we read.
    import shlex

    argv = []
    for arg in shlex.split(exec_line):
        if _FIELD_CODE.fullmatch(arg):
            continue  # a lone field code: no files or URLs to pass
        argv.append(_FIELD_CODE.sub("", arg).replace("%%", "%"))
    return argv


async def launch_desktop_entry(desktop_id: str) -> bool:
    """Start the app from its installed desktop entry; False when there is none to start.

    Through ``gio launch`` when GLib's tool is there (it opens a terminal for
    ``Terminal=true``), else the ``Exec`` line itself (not for terminal apps).
    The child runs in its own session and outlives the service.
    """
    path = desktop_entry_path(desktop_id)
    if path is None:
        return False
    keys = read_desktop_entry(path)
    exec_line = keys.get("Exec", "")
    if not exec_line:
        return False
    gio = shutil.which("gio")
    if gio is not None:
        argv = [gio, "launch", str(path)]
    elif keys.get("Terminal", "false") == "true":
        _log.warning("cannot start %s: it runs in a terminal and GLib's gio is absent", path)
        return False
    else:
        argv = _exec_argv(exec_line)
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    # Reaped in the background: gio returns once the app is started.
    _reaping.add(asyncio.ensure_future(process.wait()))
    for task in tuple(_reaping):
        if task.done():
            _reaping.discard(task)
    return True


_reaping: set[asyncio.Future[int]] = set()
