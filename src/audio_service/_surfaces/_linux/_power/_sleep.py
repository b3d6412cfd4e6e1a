"""Pause before the machine sleeps: a logind ``sleep`` *delay* lock held while playing.

logind announces a suspend with ``PrepareForSleep(true)`` and then waits (up to
its ``InhibitDelayMaxSec``) until every delay lock is closed. Holding one lets
the service pause through its task, as it would for an interruption, so the
player's own state (position, "paused by the system") stays right; closing the
fd straight after lets the machine sleep without waiting for the timeout.
``PrepareForSleep(false)`` follows the wake-up: a new lock is taken if the
service plays, and playback resumes only when the app asked for it (outputs
may have changed while asleep: a Bluetooth headset gone, HDMI unplugged).

elogind may send each signal twice; both handlers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from audio_service._surfaces._linux._power._bus import BusCallError, call
from audio_service._surfaces._linux._power._routes import LogindLock, logind_inhibit

if TYPE_CHECKING:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

__all__ = ["SleepGuard"]

_log = logging.getLogger("audio_service.power")

_LOGIND: Final = "org.freedesktop.login1"
_MANAGER: Final = "org.freedesktop.login1.Manager"
_PATH: Final = "/org/freedesktop/login1"
_RULE: Final = (
    f"type='signal',sender='{_LOGIND}',interface='{_MANAGER}',member='PrepareForSleep',"
    f"path='{_PATH}'"
)
#: How long the pause may take before the lock is closed anyway: under logind's
#: default InhibitDelayMaxSec (5 s), so the machine never waits for the timeout.
PAUSE_TIMEOUT: Final = 3.0


class SleepGuard:
    """Holds a delay lock while asked to, and pauses playback when the machine goes to sleep.

    ``is_playing`` reads the service's state now; ``pause`` and ``resume`` send
    the task its requests and return once it handled them; ``tell`` reports
    what does not work (no logind), once.
    """

    def __init__(
        self,
        bus: MessageBus,
        *,
        who: str,
        is_playing: Callable[[], bool],
        pause: Callable[[], Awaitable[object]],
        resume: Callable[[], Awaitable[object]],
        resume_after_wake: bool,
        tell: Callable[[str], None],
    ) -> None:
        self._bus = bus
        self._who = who
        self._is_playing = is_playing
        self._pause = pause
        self._resume = resume
        self._resume_after_wake = resume_after_wake
        self._lock: LogindLock | None = None
        self._wanted = False
        #: Between PrepareForSleep(true) and (false): no new lock then.
        self._sleeping = False
        #: We paused for this sleep (so only we may resume after it).
        self._paused_for_sleep = False
        self._mutex = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._tell = tell

    @property
    def held(self) -> bool:
        """Whether the delay lock is in force."""
        return self._lock is not None

    async def start(self) -> None:
        self._bus.add_message_handler(self._on_message)
        await call(
            self._bus,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            "s",
            [_RULE],
        )

    async def want(self, wanted: bool) -> None:
        """Hold the lock (``True``) or let it go; no lock is taken while the machine sleeps."""
        async with self._mutex:
            self._wanted = wanted
            if wanted and not self._sleeping:
                await self._take()
            elif not wanted:
                self._drop()

    async def _take(self) -> None:
        if self._lock is not None:
            return
        try:
            self._lock = await logind_inhibit(
                self._bus, "sleep", self._who, "Pausing playback before the system sleeps", "delay"
            )
        except BusCallError as error:
            # Playback goes on; it just will not be paused before a suspend.
            self._tell(f"no logind delay lock, so no pause before sleep ({error})")

    def _drop(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.close()

    def _on_message(self, message: Message) -> bool | None:
        if message.member != "PrepareForSleep" or message.interface != _MANAGER:
            return None
        if message.signature != "b" or message.path != _PATH:
            return None
        task = asyncio.get_running_loop().create_task(self._prepare(bool(message.body[0])))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return None

    async def _prepare(self, start: bool) -> None:
        resume = False
        async with self._mutex:
            if start == self._sleeping:
                return  # a repeated signal (elogind sends two)
            self._sleeping = start
            if start:
                await self._before_sleep()
                return
            resume = self._paused_for_sleep and self._resume_after_wake
            self._paused_for_sleep = False
            if self._wanted and self._is_playing():
                await self._take()
        if resume and not self._is_playing():
            _log.info("resuming after the system woke up")
            try:
                await self._resume()
            except Exception as error:
                _log.warning("could not resume after the system woke up: %s", error)

    async def _before_sleep(self) -> None:
        if self._lock is None:
            return
        if self._is_playing():
            _log.info("pausing before the system sleeps")
            self._paused_for_sleep = True
            try:
                async with asyncio.timeout(PAUSE_TIMEOUT):
                    await self._pause()
            except Exception as error:
                _log.warning("pausing before sleep failed: %s", error)
        # Closed only now: logind waits for it, so the pause happens before the sleep.
        self._drop()

    async def settled(self) -> None:
        """Wait until every ``PrepareForSleep`` logind sent so far has been handled.

        A round trip to logind on this connection comes back after the signals
        logind sent before it, whose handlers then only need to finish.
        """
        with contextlib.suppress(BusCallError):
            await call(self._bus, _LOGIND, _PATH, "org.freedesktop.DBus.Peer", "Ping")
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self._bus.remove_message_handler(self._on_message)
        # Waited for, not cancelled: one may be taking a lock, which it must get to close.
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
        async with self._mutex:
            self._wanted = False
            self._drop()
