"""Finding a desktop entry the way shells do: ``applications/<id>.desktop`` in the XDG data dirs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DesktopFile", "data_dirs", "find_desktop_file"]


@dataclass(frozen=True)
class DesktopFile:
    """An installed ``.desktop`` file and the keys of its ``[Desktop Entry]`` group."""

    path: Path
    keys: Mapping[str, str]

    @property
    def icon(self) -> str:
        return self.keys.get("Icon", "").strip()

    @property
    def hidden(self) -> bool:
        return self.keys.get("Hidden", "").strip().lower() == "true"


def data_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """``$XDG_DATA_HOME`` then ``$XDG_DATA_DIRS``, with the spec's defaults, in lookup order."""
    env = os.environ if environ is None else environ
    home = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    dirs = env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    # The spec ignores relative paths in these variables.
    return [Path(d) for d in [home, *dirs.split(":")] if d and os.path.isabs(d)]


def _candidates(desktop_id: str) -> list[str]:
    # A desktop-file id "a-b-c" may also live as "a/b-c.desktop" or "a/b/c.desktop" below
    # applications/: each "-" may stand for a subdirectory.
    parts = desktop_id.split("-")
    found = [f"{desktop_id}.desktop"]
    for cut in range(1, len(parts)):
        found.append("/".join(parts[:cut]) + "/" + "-".join(parts[cut:]) + ".desktop")
    return found


def _read_entry_group(path: Path) -> dict[str, str]:
    keys: dict[str, str] = {}
    in_group = False
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            in_group = line == "[Desktop Entry]"
            continue
        if in_group and "=" in line:
            key, value = line.split("=", 1)
            # Localised keys (Name[de]) are not the ones a check needs.
            keys.setdefault(key.strip(), value.strip())
    return keys


def find_desktop_file(
    desktop_id: str, environ: Mapping[str, str] | None = None
) -> DesktopFile | None:
    """The first ``applications/<desktop_id>.desktop`` in the data dirs, or None.

    ``desktop_id`` is a ``DesktopEntry`` value: the file's base name without ``.desktop``.
    """
    if not desktop_id or "/" in desktop_id or desktop_id.startswith("."):
        return None
    for directory in data_dirs(environ):
        for relative in _candidates(desktop_id):
            path = directory / "applications" / relative
            if path.is_file():
                try:
                    return DesktopFile(path, _read_entry_group(path))
                except OSError:
                    continue
    return None
