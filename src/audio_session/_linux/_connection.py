"""A pulse-protocol client connection that outlives the sound server.

PulseAudio and pipewire-pulse come and go (not installed yet, restarted by an
update, crashed). :class:`PulseLink` keeps trying with exponential backoff, runs
a caller-supplied ``serve`` coroutine for each connection, and logs one warning
per outage and one line when the server is back, never one per attempt.

Server events are read with pulsectl-asyncio's ``subscribe_events``, whose
libpulse callback only puts the event into a queue: nothing calls libpulse from
inside a libpulse callback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from pulsectl import PulseDisconnected, PulseError
from pulsectl_asyncio.pulsectl_async import PulseAsync

from audio_session._bus import Backoff

__all__ = ["Backoff", "PulseLink", "ServerLost", "batches"]

_log = logging.getLogger("audio_session.linux")

#: What the subscription watches: devices, streams, the default device, cards (ports).
EVENT_MASKS = ("sink", "source", "sink_input", "server", "card")
FACILITIES = ("sink", "source", "sink_input", "source_output", "server", "card", "client", "module")

#: Errors that mean "the server is not there (any more)".
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    PulseError,
    PulseDisconnected,
    TimeoutError,
    OSError,
)


class _PulseAsync(PulseAsync):  # type: ignore[misc]
    """PulseAsync without its disconnect race.

    On disconnect, pulsectl-asyncio fails every pending operation, including one
    whose answer already arrived but whose caller has not resumed yet; setting an
    exception on that finished future raises inside a ctypes callback.
    """

    waiting_futures: set[asyncio.Future[Any]]

    def _pulse_state_cb(self, ctx: Any, userdata: Any) -> None:
        self.waiting_futures = {f for f in self.waiting_futures if not f.done()}
        super()._pulse_state_cb(ctx, userdata)


class ServerLost(Exception):
    """The connection to the sound server ended."""


_LOST_ERRORS: tuple[type[BaseException], ...] = (ServerLost, *CONNECTION_ERRORS)


def _facility(event: Any) -> str:
    # pulsectl's EnumValue compares equal to its name but does not print as it.
    for name in FACILITIES:
        if event.facility == name:
            return name
    return "other"


async def batches(pulse: PulseAsync) -> AsyncGenerator[set[str], None]:
    """The facilities that changed, one set per burst of server events.

    The subscription is in place before the first (empty) batch is yielded, so a
    snapshot taken then misses nothing. Later batches gather every event already
    queued, so a burst (a sink removed, its streams moved, the default changed)
    costs one re-query. Raises :class:`ServerLost` when the connection ends.
    """
    queue: asyncio.Queue[Any] = asyncio.Queue()
    lost = object()

    async def pump() -> None:
        try:
            async for event in pulse.subscribe_events(*EVENT_MASKS):
                queue.put_nowait(event)
        except CONNECTION_ERRORS:
            pass
        queue.put_nowait(lost)

    pump_task = asyncio.get_running_loop().create_task(pump(), name="pulse event pump")
    try:
        # The pump installs its callback and sends the subscribe request when it
        # first runs; requests on one connection are served in order, so whatever
        # the caller asks after this sees the server as of the subscription or later.
        # A task's first step runs before anything scheduled after it: one yield is enough.
        await asyncio.sleep(0)
        yield set()
        while True:
            item = await queue.get()
            changed: set[str] = set()
            while True:
                if item is lost:
                    raise ServerLost("the sound server connection ended")
                changed.add(_facility(item))
                if queue.empty():
                    break
                item = queue.get_nowait()
            yield changed
    finally:
        pump_task.cancel()
        try:
            await pump_task
        except asyncio.CancelledError:
            # The pump's cancellation is expected; our own must go on.
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise


class PulseLink:
    """Connects to the sound server again and again, for as long as it runs.

    ``serve(pulse)`` is run for each connection and should return or raise when
    the connection ends. ``on_unavailable()`` is called after each failed attempt
    and after each lost connection.
    """

    def __init__(
        self,
        *,
        client_name: str,
        server: str | None = None,
        backoff: Backoff | None = None,
        connect_timeout: float = 2.0,
    ) -> None:
        self.client_name = client_name
        self.server = server
        self.backoff = backoff if backoff is not None else Backoff()
        self.connect_timeout = connect_timeout
        #: The live connection, or None between connections.
        self.pulse: PulseAsync | None = None

    async def _connect(self) -> PulseAsync:
        # Built inside the running loop: PulseAsync binds to the current event loop.
        pulse = _PulseAsync(self.client_name, server=self.server)
        try:
            await asyncio.wait_for(pulse.connect(), self.connect_timeout)
        except BaseException:
            pulse.close()
            raise
        return pulse

    async def run(
        self,
        serve: Callable[[PulseAsync], Awaitable[None]],
        on_unavailable: Callable[[], None],
    ) -> None:
        """Connect and serve forever (until cancelled)."""
        in_outage = False
        first_attempt = True
        delays = self.backoff.delays()
        while True:
            try:
                pulse = await self._connect()
            except CONNECTION_ERRORS as error:
                if not in_outage:
                    in_outage = True
                    # At start-up the caller learns it from open() and says so itself.
                    _log.log(
                        logging.DEBUG if first_attempt else logging.WARNING,
                        "no sound server reachable (%s); audio session events and devices "
                        "are unavailable until it appears",
                        _describe(error),
                    )
                first_attempt = False
                on_unavailable()
                await anext(delays)
                continue
            first_attempt = False
            if in_outage:
                _log.info("connected to the sound server again")
                in_outage = False
            delays = self.backoff.delays()
            self.pulse = pulse
            try:
                await serve(pulse)
            except _LOST_ERRORS as error:
                _log.warning(
                    "lost the sound server (%s); reconnecting in the background", _describe(error)
                )
            except Exception:
                _log.exception("audio session event handling failed; reconnecting")
            else:
                _log.warning("the sound server connection ended; reconnecting in the background")
            finally:
                self.pulse = None
                pulse.close()
            in_outage = True
            on_unavailable()
            await anext(delays)


def _describe(error: BaseException) -> str:
    text = str(error)
    cause = error.__cause__
    if cause is not None and str(cause):
        text = f"{text}: {cause}" if text else str(cause)
    return text or type(error).__name__
