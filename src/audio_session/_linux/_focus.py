"""Cross-application audio focus for the Linux backend.

The desktop has no focus service of its own. Apps built with this library
share one over D-Bus (:mod:`audio_session._focus`): :class:`DBusFocusArbiter`
is the default. The backend asks the arbiter before activating, tells it when
the activation ends, and treats a focus loss as one more interruption cause
next to other applications' streams (see ``_policy``), so overlapping causes
still give one begin and one end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from audio_session._android import AndroidAudioFocus, AndroidAudioUsage
from audio_session._backend import ActivationRequest
from audio_session._events import AudioInterruptionType

if TYPE_CHECKING:
    from audio_session._focus import FocusChange, FocusClient
    from audio_session._stream import Subscription

__all__ = ["DBusFocusArbiter", "FocusGate", "GrantingArbiter"]

_log = logging.getLogger(__name__)


class FocusGate(Protocol):
    """Decides whether this app may take audio focus, and hears when it lets go.

    (The protocol the backend talks to; :class:`DBusFocusArbiter` is the one shared with
    other apps, ``audio_session._focus.FocusArbiter`` the D-Bus service behind it.)
    """

    async def request_focus(self, request: ActivationRequest) -> bool:
        """True when the activation described by ``request`` is granted."""
        ...

    async def abandon_focus(self, request: ActivationRequest) -> None:
        """The activation granted for ``request`` is over."""
        ...

    def loss(self) -> AudioInterruptionType | None:
        """How the app is interrupted by another app's focus right now (None: it is not)."""
        ...

    def watch(self, on_change: Callable[[], None]) -> None:
        """Call ``on_change`` whenever :meth:`loss` may have changed."""
        ...

    async def close(self) -> None:
        """Leave the arbiter for good."""
        ...


class GrantingArbiter:
    """Grants every request: what Linux offers until apps share a focus arbiter."""

    async def request_focus(self, request: ActivationRequest) -> bool:
        return True

    async def abandon_focus(self, request: ActivationRequest) -> None:
        return None

    def loss(self) -> AudioInterruptionType | None:
        return None

    def watch(self, on_change: Callable[[], None]) -> None:
        return None

    async def close(self) -> None:
        return None


class DBusFocusArbiter:
    """Android-style focus shared by every app on the session bus (``docs/FOCUS.md``).

    Joins the bus on the first request, so apps that never activate never touch
    D-Bus. Without a session bus it grants locally (the focus client logs that once).
    """

    def __init__(self, bus_address: str | None = None) -> None:
        self._bus_address = bus_address
        self._client: FocusClient | None = None
        self._subscription: Subscription[FocusChange] | None = None
        self._watchers: list[Callable[[], None]] = []
        self._pause_when_ducked = False
        self._held = False
        self._lost_for_good = False
        self._warned = False

    async def _connected(self) -> FocusClient:
        if self._client is None:
            from audio_session._focus import FocusClient

            client = FocusClient()
            await client.connect(self._bus_address)
            self._subscription = client.changes.listen(self._changed)
            self._client = client
        return self._client

    def _changed(self, change: FocusChange) -> None:
        # The client forgets a grant lost for good; remember it until the next request.
        if change.focus is AndroidAudioFocus.LOSS:
            self._lost_for_good = True
        for watcher in tuple(self._watchers):
            watcher()

    async def request_focus(self, request: ActivationRequest) -> bool:
        attributes = request.android_audio_attributes
        usage = attributes.usage if attributes is not None else AndroidAudioUsage.MEDIA
        self._pause_when_ducked = request.pause_when_ducked
        self._lost_for_good = False
        try:
            client = await self._connected()
            granted = await client.request(
                request.android_audio_focus_gain_type,
                usage,
                will_pause_when_ducked=request.pause_when_ducked,
            )
        except Exception as error:
            # The arbiter is another app's process: its fault must not fail this app's
            # activation. Grant locally, as without a bus, and say so once.
            self._warn_once(error)
            self._held = False
            return True
        self._held = granted
        return granted

    async def abandon_focus(self, request: ActivationRequest) -> None:
        self._held = False
        if self._client is not None:
            try:
                await self._client.abandon()
            except Exception as error:
                self._warn_once(error)

    def _warn_once(self, error: Exception) -> None:
        if not self._warned:
            self._warned = True
            _log.warning(
                "the audio focus arbiter failed (%s): granting focus within this app", error
            )

    def loss(self) -> AudioInterruptionType | None:
        if not self._held or self._client is None:
            return None
        if self._lost_for_good:
            return AudioInterruptionType.UNKNOWN
        focus = self._client.focus
        if focus is AndroidAudioFocus.LOSS_TRANSIENT:
            return AudioInterruptionType.PAUSE
        if focus is AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK:
            return (
                AudioInterruptionType.PAUSE
                if self._pause_when_ducked
                else AudioInterruptionType.DUCK
            )
        return None

    def watch(self, on_change: Callable[[], None]) -> None:
        self._watchers.append(on_change)

    async def close(self) -> None:
        client, self._client = self._client, None
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
        if client is not None:
            try:
                await client.close()
            except Exception:
                _log.exception("leaving the audio focus arbiter failed")
