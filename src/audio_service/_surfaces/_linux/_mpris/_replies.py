"""When an MPRIS method call is answered: once its callback returns, or after ``reply_after``.

A task callback may take long (many players' ``play()`` returns only when
playback stops), so a call is answered once its callback returns or after
``reply_after`` seconds, whichever comes first; a callback that raises before
that is answered with a D-Bus error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from itertools import count
from typing import TYPE_CHECKING, Any, Final

from dbus_fast import DBusError, ErrorType

from audio_service._errors import ServiceNotRunningError, TaskError
from audio_service._service._requests import Request
from audio_service._surfaces._linux._mpris._tracklist import cut_text

if TYPE_CHECKING:
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = ["NOT_RUNNING", "TASK_FAILED", "Replies", "dbus_error", "invalid"]

_log = logging.getLogger("audio_service.mpris")

#: D-Bus error names for failures that have no standard name.
TASK_FAILED: Final = "org.audioservicekit.Error.TaskFailed"
NOT_RUNNING: Final = "org.audioservicekit.Error.ServiceNotRunning"


def dbus_error(error: BaseException | None) -> DBusError | None:
    """The D-Bus error a client is answered with for ``error``."""
    if error is None or isinstance(error, DBusError):
        return error
    if isinstance(error, TaskError):
        return DBusError(TASK_FAILED, cut_text(str(error)))
    if isinstance(error, ServiceNotRunningError):
        return DBusError(NOT_RUNNING, cut_text(str(error)))
    return DBusError(ErrorType.FAILED, cut_text(f"{type(error).__name__}: {error}"))


def invalid(message: str) -> DBusError:
    return DBusError(ErrorType.INVALID_ARGS, cut_text(message))


class Replies:
    """Submits requests to the core and calls back when each one's answer is due."""

    def __init__(self, server: MprisServer, reply_after: float) -> None:
        self._server = server
        self.reply_after = reply_after
        self._inflight = 0
        #: Made by wait_idle only, done when no request waits: nobody waits on most calls.
        self._idle: asyncio.Future[None] | None = None
        # Requests not answered yet, oldest first, with when to answer them anyway. One timer
        # for all of them (armed for the oldest) instead of one per request: a timer per
        # request costs a heap entry that a quick callback cancels right away.
        self.unanswered: OrderedDict[int, tuple[float, Callable[[], None]]] = OrderedDict()
        self._request_ids = count()
        self._late_timer: asyncio.TimerHandle | None = None
        # Looked up once: in Python 3.11 each get_running_loop() is a getpid system call.
        self._loop: asyncio.AbstractEventLoop | None = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        return loop

    async def wait_idle(self, timeout: float) -> None:
        """Return once no request is waiting for its answer, or after ``timeout`` seconds."""
        if not self._inflight:
            return
        idle = self._idle
        if idle is None:
            idle = self._idle = self._running_loop().create_future()
        with contextlib.suppress(TimeoutError):
            # Shielded: a waiter that times out leaves the future to the others.
            await asyncio.wait_for(asyncio.shield(idle), timeout)

    def submit(self, request: Request, on_answer: Callable[[Any, DBusError | None], None]) -> None:
        """Start ``request``; ``on_answer(value, error)`` is called once, when to reply.

        That is when the task's callback has ended, after the flush that tells
        clients what it published (so a client sees the new state no later than
        the reply), or after ``reply_after`` seconds with ``(None, None)``.
        ``core.submit`` calls back at the end of the callback's last step, so no
        task of our own stands in between.
        """
        answered = False
        request_id = next(self._request_ids)
        server = self._server
        changes = server.changes

        def answer(value: Any, error: BaseException | None) -> None:
            nonlocal answered
            if answered:
                if error is not None:
                    _log.warning("an MPRIS request failed after it was answered: %s", error)
                return
            answered = True
            self.unanswered.pop(request_id, None)
            try:
                on_answer(value, dbus_error(error))
            finally:
                self._finished()

        def settle(value: Any, error: BaseException | None) -> None:
            # The callback's last step: what it published goes out now, then the reply, both in
            # this loop iteration (waiting for the scheduled flush would cost one more) and in
            # one write.
            writes = server.link.hold_writes()
            try:
                changes.flush_pending()
                answer(value, error)
            finally:
                if writes is not None:
                    writes.release()

        # Counted first: a callback that ends without awaiting is answered inside submit.
        self._inflight += 1
        # Such a callback also flushes there; one that awaits leaves what it published so
        # far to the flush at release, at the end of this turn.
        changes.hold()
        try:
            server.core.submit(request, settle)
        except ServiceNotRunningError as error:
            self._finished()
            raise DBusError(NOT_RUNNING, str(error)) from error
        finally:
            changes.release()
        if not answered:
            # Still running after reply_after (a play() that lasts as long as playback): answer.
            loop = self._running_loop()
            deadline = loop.time() + self.reply_after
            self.unanswered[request_id] = (deadline, partial(answer, None, None))
            if self._late_timer is None:
                self._late_timer = loop.call_at(deadline, self.answer_late)

    def _finished(self) -> None:
        self._inflight -= 1
        if self._inflight == 0 and self._idle is not None:
            idle, self._idle = self._idle, None
            if not idle.done():
                idle.set_result(None)

    def answer_late(self, everything: bool = False) -> None:
        """Answer the requests whose callbacks outlast ``reply_after`` (at close: all)."""
        timer, self._late_timer = self._late_timer, None
        if timer is not None:
            timer.cancel()  # a no-op when it is the timer calling
        if not self.unanswered:
            return
        loop = self._running_loop()
        now = loop.time()
        while self.unanswered:
            request_id, (deadline, late) = next(iter(self.unanswered.items()))
            if deadline > now and not everything:
                self._late_timer = loop.call_at(deadline, self.answer_late)
                return
            del self.unanswered[request_id]
            late()

    async def request(self, request: Request) -> Any:
        """Make ``request`` and return its result once its answer is due."""
        outcome: asyncio.Future[Any] = self._running_loop().create_future()

        def on_answer(value: Any, error: DBusError | None) -> None:
            if outcome.done():  # the caller went away
                return
            if error is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(value)

        self.submit(request, on_answer)
        return await outcome
