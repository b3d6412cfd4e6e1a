"""Keeping a Linux machine awake while the service plays, and pausing before it sleeps.

``_choice`` picks the routes for the desktop, ``_routes`` holds one class per
route (gnome-session, PowerManagement, the portal, logind), ``_sleep`` the
logind delay lock and its ``PrepareForSleep`` handling, ``_keeper`` follows the
service and drives them. See ``docs/LINUX.md``.
"""

from audio_service._surfaces._linux._power._keeper import RELEASE_DELAY, KeepAwake

__all__ = ["RELEASE_DELAY", "KeepAwake"]
