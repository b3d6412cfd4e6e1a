"""Which inhibitor routes to try, in which order, on this desktop.

The desktop's own variables give the preference; what answers on the bus
decides (see :class:`~audio_service._surfaces._linux._power._keeper.KeepAwake`):

- sandboxed (Flatpak: ``FLATPAK_ID`` or ``/.flatpak-info``; Snap: ``SNAP``): the
  portal, since the sandbox filters direct calls to the session manager;
- GNOME (``XDG_CURRENT_DESKTOP`` names it): gnome-session;
- KDE, Xfce: ``org.freedesktop.PowerManagement`` (PowerDevil, xfce4-power-manager);
- then the others, with logind (block mode) before the portal: an unsandboxed
  caller has no app id for the portal, and its GTK backend then fails quietly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from audio_service._surfaces._linux._power._routes import GNOME, LOGIND, PORTAL, POWER_MANAGEMENT

__all__ = ["FLATPAK_INFO", "route_order", "sandboxed"]

FLATPAK_INFO: Final = "/.flatpak-info"

_POWER_MANAGEMENT_DESKTOPS: Final = frozenset({"kde", "xfce"})


def sandboxed(environ: Mapping[str, str], flatpak_info: str = FLATPAK_INFO) -> bool:
    """Whether this process runs in a Flatpak or Snap sandbox."""
    return bool(environ.get("FLATPAK_ID") or environ.get("SNAP")) or os.path.exists(flatpak_info)


def route_order(
    environ: Mapping[str, str] | None = None, flatpak_info: str = FLATPAK_INFO
) -> tuple[str, ...]:
    """Route names, best first, for the desktop ``environ`` describes."""
    environ = os.environ if environ is None else environ
    if sandboxed(environ, flatpak_info):
        return (PORTAL, LOGIND)
    desktops = {part.strip().lower() for part in environ.get("XDG_CURRENT_DESKTOP", "").split(":")}
    if desktops & _POWER_MANAGEMENT_DESKTOPS:
        return (POWER_MANAGEMENT, GNOME, LOGIND, PORTAL)
    return (GNOME, POWER_MANAGEMENT, LOGIND, PORTAL)
