"""The desktop's ways in to a running service: MPRIS2, notification, clicks, keys, power.

Started next to the core by whoever runs it (the host process, or the app in
in-process mode), from the service's :class:`~audio_service._model._models.ServiceConfig`.
A surface that cannot start (no session bus, no notification server, a taken
name) is logged once and skipped: the service plays on without it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from audio_service._model._models import ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._surfaces._capabilities import Capabilities
from audio_service._surfaces._status import SurfacesStatus

if TYPE_CHECKING:
    from audio_service._surfaces._art import ArtCache
    from audio_service._surfaces._linux._media_keys import MediaKeys
    from audio_service._surfaces._linux._mpris import MprisServer
    from audio_service._surfaces._linux._notification import MediaNotification
    from audio_service._surfaces._linux._power import KeepAwake

__all__ = ["Surfaces"]

_log = logging.getLogger(__name__)


class Surfaces:
    """The surfaces of one service; :meth:`start` them, :meth:`close` them once."""

    def __init__(self, core: ServiceCore, config: ServiceConfig) -> None:
        self.core = core
        self.config = config
        #: The MPRIS server, when it runs.
        self.mpris: MprisServer | None = None
        #: The media notification, when asked for.
        self.notification: MediaNotification | None = None
        #: The evdev media-key reader, when it runs.
        self.media_keys: MediaKeys | None = None
        #: Whether a UI is connected (MPRIS ``Raise`` reaches it, else starts one). In-process
        #: the app is the UI; the host sets this to "a client is connected".
        self.ui_present: Callable[[], bool] = lambda: True
        #: The inhibitor and pause-before-sleep surface, when it runs.
        self.power: KeepAwake | None = None
        self._closers: list[Callable[[], Awaitable[None] | None]] = []
        self._power_start: asyncio.Task[None] | None = None

    async def start(self, *, power: bool = True) -> Surfaces:
        """Start the surfaces; ``power=False`` leaves the power one to :meth:`start_power_soon`."""
        if not sys.platform.startswith("linux"):
            return self
        config = self.config
        clicks = None
        if config.headset_clicks:
            from audio_service._surfaces._clicks import ClickAggregator

            clicks = ClickAggregator(self.core.handle)
            self._closers.append(clicks.close)
        if config.media_keys:
            from audio_service._surfaces._linux._media_keys import MediaKeys

            keys = MediaKeys(self.core.handle, clicks=clicks)
            # Closed before the aggregator: a key still held is released into it first.
            self._closers.append(keys.close)
            try:
                self.media_keys = await keys.start()
            except Exception as error:
                _log.warning("not reading media keys: %s", error)
        art: ArtCache | None = None
        if (config.mpris or config.notification) and _has_session_bus():
            from audio_service._surfaces._art import ArtCache

            # One cache for both, so the notification and MPRIS share each download.
            art = ArtCache()
            self._closers.append(art.aclose)
        if config.mpris and art is not None:
            from audio_service._surfaces._linux._mpris import MprisServer

            identity = config.identity or config.app_id or "audio_service"
            server = MprisServer(
                self.core,
                identity=identity,
                desktop_entry=_desktop_entry(config),
                ui_present=lambda: self.ui_present(),
                on_play_pause=clicks.click if clicks is not None else None,
                art=art,
            )
            try:
                await server.start()
            except Exception as error:
                _log.warning("not publishing the player on MPRIS: %s", error)
            else:
                self.mpris = server
                self._closers.append(server.close)
        if config.notification and art is not None:
            from audio_service._surfaces._linux._notification import MediaNotification

            notification = MediaNotification(
                self.core.handle,
                app_name=config.identity or config.app_id or "",
                desktop_entry=_desktop_entry(config),
                art=art,
                capabilities=Capabilities(self.core.task),
                dismiss_stops=config.stop_ends_service,
            )
            # False when no server is there yet: it shows the item once one takes the name.
            await notification.start()
            notification.attach(self.core)
            self.notification = notification
            self._closers.append(notification.close)
        if power:
            await self._start_power()
        return self

    def start_power_soon(self) -> None:
        """Start the power surface in the background; :meth:`close` waits for it.

        A host starts it after it reported ready: it acts only while the service
        plays, and its bus connections (and D-Bus library) would otherwise delay
        every start. The desktop's other surfaces come up first.
        """
        if sys.platform.startswith("linux") and self._power_start is None:
            self._power_start = asyncio.get_running_loop().create_task(self._start_power())

    async def _start_power(self) -> None:
        config = self.config
        if config.keep_awake or config.pause_on_sleep:
            from audio_service._surfaces._linux._power import KeepAwake

            power = KeepAwake(
                self.core.handle,
                app_id=config.app_id or "audio_service",
                keep_awake=config.keep_awake,
                pause_on_sleep=config.pause_on_sleep,
                resume_after_wake=config.resume_after_wake,
            )
            # Logs, never raises, what it cannot reach: playback goes on without it.
            await power.start()
            power.attach(self.core)
            self.power = power
            self._closers.append(power.close)

    def ui_changed(self) -> None:
        """A UI connected or left: tell MPRIS clients if ``CanRaise`` changed with it."""
        if self.mpris is not None:
            self.mpris.refresh_can_raise()

    def status(self) -> SurfacesStatus:
        """What runs now, for ``audio-service status``."""
        return SurfacesStatus(
            mpris=self.mpris is not None,
            power=self.power.status if self.power is not None else None,
        )

    async def close(self) -> None:
        if self._power_start is not None:
            # Awaited, not cancelled: a bus call cut off midway could leave a sleep lock's fd open.
            try:
                await asyncio.shield(self._power_start)
            except Exception:
                _log.exception("starting the power surface failed")
        closers, self._closers = self._closers, []
        for close in reversed(closers):
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                _log.exception("closing a desktop surface failed")


def _has_session_bus() -> bool:
    # dbus-fast also finds a bus through $XDG_RUNTIME_DIR/bus when the variable is unset.
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return runtime is not None and os.path.exists(os.path.join(runtime, "bus"))


def _desktop_entry(config: ServiceConfig) -> str | None:
    # Without one named, the app id's own installed entry (what Xfce looks up anyway).
    if config.desktop_entry is not None or config.app_id is None:
        return config.desktop_entry
    from audio_service._surfaces._linux._desktop_entry import desktop_entry_path

    try:
        found = desktop_entry_path(config.app_id)
    except ValueError:  # an app id that is no desktop file id
        return None
    return config.app_id if found is not None else None
