"""What the desktop surfaces of a running service are doing, for ``audio-service status``."""

from __future__ import annotations

import msgspec

__all__ = ["PowerStatus", "SurfacesStatus"]


class PowerStatus(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The power surface: the inhibitor against automatic suspend, the pause before sleep."""

    keep_awake: bool = False
    pause_on_sleep: bool = False
    #: The route whose inhibitor is in force ("gnome-session", "power-management",
    #: "portal", "logind"); None while not playing, or when no route answered.
    inhibitor: str | None = None
    #: A logind delay lock is held, so playback pauses before the machine sleeps.
    sleep_lock: bool = False
    #: Why something is missing (no bus, no route answered), when it is.
    note: str | None = None


class SurfacesStatus(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The surfaces that run; None for one that is off or not on this platform."""

    mpris: bool = False
    power: PowerStatus | None = None
