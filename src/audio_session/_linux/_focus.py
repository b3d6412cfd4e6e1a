"""The seam for cross-application audio focus on Linux.

The desktop has no focus service, so today every activation is granted and
interruptions are inferred from other applications' streams (see ``_policy``).
A focus arbiter shared by cooperating apps (e.g. over D-Bus) plugs in here:
the backend asks it before activating and tells it when the activation ends.
"""

from __future__ import annotations

from typing import Protocol

from audio_session._backend import ActivationRequest

__all__ = ["FocusArbiter", "GrantingArbiter"]


class FocusArbiter(Protocol):
    """Decides whether this app may take audio focus, and hears when it lets go."""

    async def request_focus(self, request: ActivationRequest) -> bool:
        """True when the activation described by ``request`` is granted."""
        ...

    async def abandon_focus(self, request: ActivationRequest) -> None:
        """The activation granted for ``request`` is over."""
        ...


class GrantingArbiter:
    """Grants every request: what Linux offers until apps share a focus arbiter."""

    async def request_focus(self, request: ActivationRequest) -> bool:
        return True

    async def abandon_focus(self, request: ActivationRequest) -> None:
        return None
