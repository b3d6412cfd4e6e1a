"""Keep the machine awake while the service plays, and pause it before the machine sleeps.

Follows the service's events like MPRIS does. "Playing" is ``playing`` with the
player ready or buffering. When it starts, one inhibitor against *automatic
suspend* is taken through the first route that answers (see
:mod:`~audio_service._surfaces._linux._power._choice`); when it ends, the
inhibitor is released after ``release_delay`` seconds, so that track changes
and seeks (which pass through loading) do not flap it. One worker applies the
changes in order, so there is never more than one inhibitor per service.

No session bus, no system bus, no logind: playback goes on, with one info line.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from audio_service._model._events import (
    ServiceEvent,
    ServiceSnapshot,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._models import AudioProcessingState, PlaybackState
from audio_service._service._requests import Pause, Play, Request
from audio_service._surfaces._linux._power._bus import connect_session, connect_system
from audio_service._surfaces._linux._power._choice import FLATPAK_INFO, route_order
from audio_service._surfaces._linux._power._routes import (
    GNOME,
    LOGIND,
    PORTAL,
    POWER_MANAGEMENT,
    GnomeSessionRoute,
    Hold,
    LogindRoute,
    PortalRoute,
    PowerManagementRoute,
    Route,
    describe,
)
from audio_service._surfaces._linux._power._sleep import SleepGuard
from audio_service._surfaces._status import PowerStatus
from audio_session._bus import close_bus

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus

    from audio_service._service._core import ServiceCore

__all__ = ["RELEASE_DELAY", "KeepAwake"]

_log = logging.getLogger("audio_service.power")

#: Seconds between the end of playback and the release of the inhibitor.
RELEASE_DELAY: Final = 2.0
#: Seconds before routes that all failed are tried again.
RETRY_AFTER: Final = 30.0
#: A release timer firing this little (seconds) before its deadline has reached it (the
#: loop runs timers up to its clock's resolution early).
_ON_TIME: Final = 0.001
_PLAYING_STATES: Final = frozenset({AudioProcessingState.READY, AudioProcessingState.BUFFERING})


def _is_playing(state: PlaybackState) -> bool:
    return state.playing and state.processing_state in _PLAYING_STATES


class KeepAwake:
    """The power surface of one service: an inhibitor while playing, a pause before sleep.

    ``handle`` sends the task a request and returns once it was handled
    (``ServiceCore.handle``). ``environ`` and ``flatpak_info`` describe the
    desktop (default: this process's).
    """

    def __init__(
        self,
        handle: Callable[[Request], Awaitable[Any]],
        *,
        app_id: str,
        keep_awake: bool = True,
        pause_on_sleep: bool = True,
        resume_after_wake: bool = False,
        release_delay: float = RELEASE_DELAY,
        environ: Mapping[str, str] | None = None,
        flatpak_info: str = FLATPAK_INFO,
    ) -> None:
        self._handle = handle
        self._app_id = app_id
        self._keep_awake = keep_awake
        self._pause_on_sleep = pause_on_sleep
        self._resume_after_wake = resume_after_wake
        self._release_delay = release_delay
        self._environ = dict(os.environ if environ is None else environ)
        self._flatpak_info = flatpak_info
        self._reason = "Playing audio"
        self._session: MessageBus | None = None
        self._system: MessageBus | None = None
        self._routes: list[Route] = []
        self._route: Route | None = None
        self._hold: Hold | None = None
        self._sleep: SleepGuard | None = None
        self._playing = False
        #: What the worker converges to: playing, or stopped playing less than the delay ago.
        self._target = False
        #: The target changed, or playback started again, since the worker last looked.
        self._dirty = False
        self._timer: asyncio.TimerHandle | None = None
        #: When (loop time) the inhibitor goes, unless playback starts again before.
        self._release_at = 0.0
        self._worker: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        #: What was missing at start (a bus), and why no route took the last inhibitor.
        self._missing: str | None = None
        self._note: str | None = None
        self._told = False
        self._retry_at: float | None = None
        self._detach: Callable[[], None] | None = None
        self._closed = False
        # Set by start(); each asyncio.get_running_loop() is a getpid() call on Python 3.11,
        # and play/pause pass here on every toggle.
        self._loop: asyncio.AbstractEventLoop | None = None

    # ----------------------------------------------------------------- start-up

    async def start(self) -> KeepAwake:
        """Connect to the buses this needs; what is missing is logged once, not raised."""
        self._loop = asyncio.get_running_loop()
        missing: list[str] = []
        if self._keep_awake:
            try:
                self._session = await connect_session()
            except Exception as error:
                missing.append(f"no session bus ({describe(error)})")
        if self._keep_awake or self._pause_on_sleep:
            try:
                self._system = await connect_system()
            except Exception as error:
                missing.append(f"no system bus ({describe(error)})")
        if self._keep_awake:
            self._routes = self._make_routes()
        if self._pause_on_sleep and self._system is not None:
            self._sleep = SleepGuard(
                self._system,
                who=self._app_id,
                is_playing=lambda: self._playing,
                pause=lambda: self._handle(Pause()),
                resume=lambda: self._handle(Play()),
                resume_after_wake=self._resume_after_wake,
                tell=self._tell,
            )
            try:
                await self._sleep.start()
            except Exception as error:
                missing.append(f"not watching for sleep ({describe(error)})")
                self._sleep = None
        if missing:
            self._missing = "; ".join(missing)
            self._tell(self._missing)
        return self

    def _tell(self, what: str) -> None:
        # One info line for what is missing, however many things are and however often
        # playback starts: the service plays on without them. Later ones go to debug.
        if self._told:
            _log.debug("keeping the machine awake: %s", what)
        else:
            self._told = True
            _log.info("keeping the machine awake while playing may not work: %s", what)

    def _make_routes(self) -> list[Route]:
        made: dict[str, Route] = {}
        if self._session is not None:
            made[GNOME] = GnomeSessionRoute(self._session, self._app_id, self._reason)
            made[POWER_MANAGEMENT] = PowerManagementRoute(self._session, self._app_id, self._reason)
            made[PORTAL] = PortalRoute(self._session, self._reason)
        if self._system is not None:
            made[LOGIND] = LogindRoute(self._system, self._app_id, self._reason)
        order = route_order(self._environ, self._flatpak_info)
        return [made[name] for name in order if name in made]

    # ------------------------------------------------------------------ events

    def attach(self, core: ServiceCore) -> Callable[[], None]:
        """Follow ``core``'s events (starting from its snapshot); returns the detacher."""
        self.on_event(core.snapshot())
        self._detach = core.observe(self.on_event)
        return self._detach

    def on_event(self, event: ServiceEvent) -> None:
        if isinstance(event, StateChanged):  # by far the most frequent: tested first
            # _is_playing's body, without its frame: every play and pause comes here.
            state = event.state
            playing = state.playing and state.processing_state in _PLAYING_STATES
            self._set_playing(playing, debounce=True)
        elif isinstance(event, ServiceSnapshot):
            self._set_playing(event.running and _is_playing(event.state), debounce=True)
        elif isinstance(event, ServiceStopped):
            self._set_playing(False, debounce=False)

    def _set_playing(self, playing: bool, *, debounce: bool) -> None:
        if self._closed:
            return
        was, self._playing = self._playing, playing
        if not self._routes and self._sleep is None:
            return  # nothing to take, give back or debounce: a toggle costs no timer, no worker
        if playing:
            # A release timer under way stays: it finds playback on and does nothing.
            # Cancelled and armed again on every toggle, it cost a heap entry each time.
            # Only when playback starts: a state change while playing (position, speed)
            # costs nothing here, and a route that failed is not asked again each time.
            if not was or not self._target:
                self._retarget(True)
        elif not debounce:
            self._cancel_timer()
            self._retarget(False)
        elif self._target and (was or self._timer is None):
            # The delay counts from when playback stopped, not from later changes while stopped.
            loop = self._running_loop()
            self._release_at = loop.time() + self._release_delay
            if self._timer is None:
                self._timer = loop.call_at(self._release_at, self._debounced)

    def _debounced(self) -> None:
        self._timer = None
        if self._playing:
            return
        loop = self._running_loop()
        if self._release_at - loop.time() > _ON_TIME:
            # Playback stopped again after this timer was armed: the delay counts from then.
            self._timer = loop.call_at(self._release_at, self._debounced)
            return
        self._retarget(False)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _retarget(self, target: bool) -> None:
        # Also when the target stays: playing again after a sleep needs a new delay lock.
        self._target = target
        # Nothing to give back, and nothing to take before a retry is due (every route failed
        # lately): a player toggled quickly starts no worker for nothing. (A worker under way
        # may be taking one: it must look at the new target.)
        idle = self._worker is None or self._worker.done()
        nothing_to_take = not target or not self._routes or not self._may_retry()
        if idle and self._hold is None and self._sleep is None and nothing_to_take:
            return
        self._dirty = True
        if self._worker is None or self._worker.done():
            self._idle.clear()
            self._worker = self._running_loop().create_task(self._work())

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:  # events before start(): a test may attach without it
            self._loop = asyncio.get_running_loop()
        return self._loop

    # ------------------------------------------------------------------ worker

    async def _work(self) -> None:
        try:
            while self._dirty:
                self._dirty = False
                target = self._target
                if target and self._hold is None and self._routes and self._may_retry():
                    await self._acquire()
                elif not target and self._hold is not None:
                    await self._release()
                if self._sleep is not None:
                    await self._sleep.want(target)
        finally:
            self._idle.set()

    def _may_retry(self) -> bool:
        # After every route failed, a player toggled quickly does not ask the buses again
        # each time; a desktop service that starts later is found within RETRY_AFTER.
        return self._retry_at is None or self._running_loop().time() >= self._retry_at

    async def _acquire(self) -> None:
        # The route that worked last time first: no bus round trips to choose again.
        routes = self._routes
        if self._route is not None:
            routes = [self._route, *(r for r in routes if r is not self._route)]
        failures: list[str] = []
        for route in routes:
            try:
                if route is not self._route and not await route.available():
                    failures.append(f"{route.name}: not on the bus")
                    continue
                self._hold = await route.acquire()
            except Exception as error:
                failures.append(f"{route.name}: {describe(error)}")
                continue
            if route is not self._route:
                _log.info("keeping the machine awake while playing, through %s", route.name)
            self._route = route
            self._note = None
            self._retry_at = None
            return
        note = "no inhibitor: " + "; ".join(failures)
        if note != self._note:
            self._tell(note)
        self._note = note
        self._route = None
        self._retry_at = self._running_loop().time() + RETRY_AFTER

    async def _release(self) -> None:
        hold, self._hold = self._hold, None
        if hold is None:
            return
        try:
            await hold.release()
        except Exception as error:
            # A session manager that restarted has forgotten it anyway.
            _log.warning("releasing the inhibitor failed: %s", describe(error))

    # ------------------------------------------------------------------ status

    @property
    def status(self) -> PowerStatus:
        return PowerStatus(
            keep_awake=self._keep_awake,
            pause_on_sleep=self._pause_on_sleep,
            inhibitor=self._route.name if self._hold is not None and self._route else None,
            sleep_lock=self._sleep is not None and self._sleep.held,
            note="; ".join(n for n in (self._missing, self._note) if n) or None,
        )

    async def settled(self) -> None:
        """Wait until the inhibitor and the delay lock match the current target, and
        every sleep signal received so far has been handled."""
        if self._sleep is not None:
            await self._sleep.settled()
        while not self._idle.is_set():
            await self._idle.wait()

    async def close(self) -> None:
        """Release what is held. An acquisition under way is finished and undone, not
        cancelled: a cancelled call would lose the lock its reply carries."""
        if self._closed:
            return
        self._closed = True
        if self._detach is not None:
            self._detach()
        self._cancel_timer()
        self._routes = []
        self._retarget(False)
        worker = self._worker
        if worker is not None:
            await asyncio.wait([worker])
        await self._release()
        if self._sleep is not None:
            await self._sleep.close()
        for bus in (self._session, self._system):
            if bus is not None:
                await close_bus(bus)
