"""The client side: connect to a service, call it, receive its pushes."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from audio_service._connect._ipc._errors import (
    ConnectionLostError,
    ErrorCode,
    FrameTooLargeError,
    HandshakeError,
    RemoteError,
    ServerNotFoundError,
    VersionMismatchError,
)
from audio_service._connect._ipc._framing import (
    DEFAULT_MAX_FRAME_SIZE,
    HEADER,
    HEADER_SIZE,
    FrameReader,
    check_max_frame_size,
    encode_frame,
)
from audio_service._connect._ipc._paths import socket_path
from audio_service._connect._ipc._peer import peer_credentials
from audio_service._connect._ipc._protocol import (
    DECODE_ERRORS,
    MAX_CLIENT_NAME_LENGTH,
    MIN_FRAME_LIMIT,
    PROTOCOL_VERSION,
    Error,
    Event,
    Hello,
    Payload,
    Reply,
    Request,
    Welcome,
    as_payload,
    client_decoder,
    encoder,
)
from audio_session._checks import is_int, is_number
from audio_session._stream import Stream, StreamController

__all__ = ["Client", "connect"]

_log = logging.getLogger(__name__)

DEFAULT_CONNECT_TIMEOUT = 5.0
#: Events kept for the first listener when they arrive before anyone listens.
DEFAULT_EVENT_BUFFER = 1024
# How long close() lets the last requests leave before cutting the connection.
_CLOSE_GRACE = 1.0
#: Bytes the client reads into, reused for every read: a burst of events is taken in a few
#: reads; a larger frame (a long queue) gets a buffer of its size while it arrives.
_READ_SIZE = 64 * 1024


async def connect(
    target: str | os.PathLike[str],
    client_name: str,
    *,
    timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    event_buffer: int = DEFAULT_EVENT_BUFFER,
) -> Client:
    """Connect to a running service and complete the handshake.

    ``target`` is an app id, or a socket path (a :class:`os.PathLike`, or a str
    containing ``/``). ``client_name`` tells the server who you are (shown in its
    logs and handed to its handler). ``timeout`` bounds connect plus handshake.

    Raises :class:`ServerNotFoundError` when nothing listens there,
    :class:`VersionMismatchError` or :class:`HandshakeError` when the server
    refuses, and :class:`TimeoutError` when it does not answer.
    """
    if not isinstance(client_name, str):
        raise TypeError(f"client_name must be a str, not {type(client_name).__name__}")
    if not client_name:
        raise ValueError("client_name must not be empty")
    if len(client_name) > MAX_CLIENT_NAME_LENGTH:
        raise ValueError(
            f"client_name must be at most {MAX_CLIENT_NAME_LENGTH} characters, "
            f"not {len(client_name)}"
        )
    if timeout is not None:
        if not is_number(timeout):
            raise TypeError(f"timeout must be a number or None, not {type(timeout).__name__}")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
    check_max_frame_size(max_frame_size, minimum=MIN_FRAME_LIMIT)
    if not is_int(event_buffer):
        raise TypeError(f"event_buffer must be an int, not {type(event_buffer).__name__}")
    if event_buffer < 1:
        raise ValueError(f"event_buffer must be at least 1, not {event_buffer}")
    path, app_id = _resolve(target)
    label = f"the audio service {app_id!r}" if app_id else f"the service at {path}"
    loop = asyncio.get_running_loop()
    protocol = _ClientProtocol(loop, label, max_frame_size, event_buffer)
    try:
        async with asyncio.timeout(timeout):
            try:
                await loop.create_unix_connection(lambda: protocol, os.fspath(path))
            except (FileNotFoundError, ConnectionRefusedError) as error:
                raise ServerNotFoundError(
                    f"{label} is not running (nothing listens on {path})"
                ) from error
            server_pid = protocol.check_server(label)
            protocol.send(Hello(PROTOCOL_VERSION, app_id, client_name, max_frame_size))
            welcome = await protocol.welcome
    except TimeoutError:
        protocol.abort()
        raise TimeoutError(f"{label} did not answer the handshake within {timeout} s") from None
    except BaseException:
        protocol.abort()
        raise
    try:
        if welcome.version != PROTOCOL_VERSION:
            raise VersionMismatchError(
                f"{label} speaks protocol version {welcome.version}, "
                f"this client speaks version {PROTOCOL_VERSION}",
                local_version=PROTOCOL_VERSION,
                remote_version=welcome.version,
            )
        if app_id and welcome.app_id != app_id:
            raise HandshakeError(ErrorCode.WRONG_APP, f"{path} serves {welcome.app_id!r}")
        if welcome.max_frame_size < MIN_FRAME_LIMIT:
            raise HandshakeError(
                ErrorCode.PROTOCOL,
                f"the server announced an unusable frame limit of {welcome.max_frame_size}",
            )
    except BaseException:
        protocol.abort()
        raise
    protocol.server_max_frame = welcome.max_frame_size
    return Client(protocol, welcome.app_id, client_name, path, server_pid)


def _resolve(target: object) -> tuple[Path, str]:
    if isinstance(target, os.PathLike):
        return Path(target), ""
    if not isinstance(target, str):
        raise TypeError(f"target must be an app id or a socket path, not {type(target).__name__}")
    if "/" in target:
        return Path(target), ""
    return socket_path(target), target


class Client:
    """A connection to a service, made by :func:`connect`.

    :meth:`call` sends a request and waits for its reply; many calls may be in
    flight at once. Pushes from the server arrive on :attr:`events`, in the
    order the server sent them; those that arrive before anyone listens (such as
    the state the server replays on connect) are kept for the first listener.
    """

    def __init__(
        self,
        protocol: _ClientProtocol,
        app_id: str,
        client_name: str,
        path: Path,
        server_pid: int,
    ) -> None:
        self._protocol = protocol
        self._encoder = protocol.encoder
        self._next_id = 0
        #: The app id the server serves.
        self.app_id = app_id
        self.client_name = client_name
        #: The socket this client is connected to.
        self.path = path
        #: The server's process id, as the kernel reports it.
        self.server_pid = server_pid
        #: The events pushed by the server.
        self.events: Stream[Event] = protocol.events.stream

    def set_event_sink(self, sink: Callable[[Event], None]) -> None:
        """Deliver pushed events by calling ``sink`` at once, in order, instead of :attr:`events`.

        For a consumer that must see every event (a mirror of the server's state):
        no task hop, no buffer that could overflow. Events that arrived before are
        passed to ``sink`` first. ``sink`` must be quick and must not raise (what it
        raises is logged).
        """
        self._protocol.set_sink(sink)

    async def call(
        self, method: str, payload: Payload = b"", *, timeout: float | None = None
    ) -> bytes:
        """Send ``method`` with ``payload`` and return the reply payload.

        Raises :class:`RemoteError` when the server answers with an error,
        :class:`ConnectionLostError` when the connection ends first, and
        :class:`TimeoutError` after ``timeout`` seconds (a late reply is dropped).
        """
        protocol = self._protocol
        request_id, frame = self._request_frame(method, payload)
        if protocol.write_paused:
            await protocol.drain()
        future: asyncio.Future[bytes] = protocol.new_future()
        protocol.pending[request_id] = (future, method)
        protocol.transport.write(frame)
        try:
            if timeout is None:
                return await future
            async with asyncio.timeout(timeout):
                return await future
        finally:
            protocol.pending.pop(request_id, None)

    def start_call(self, method: str, payload: Payload = b"") -> Awaitable[bytes]:
        """Send ``method`` now and return what to await for its reply payload.

        :meth:`call` without a timeout, for a caller with a coroutine of its own
        (a service client): the request leaves before this returns, and what it
        returns is the future of the reply rather than a coroutine that would wrap
        it (a coroutine frame more to make and resume, per request). A caller that
        stops waiting leaves the reply to be dropped when it comes; the server
        answers every request once. Anything out of the ordinary (a closed client,
        a bad argument, a request too large, a server that reads too slowly for the
        request to leave) is left to :meth:`call`: its coroutine is then what is
        returned, and raises (or waits) as it does.
        """
        protocol = self._protocol
        if (
            type(payload) is not bytes
            or type(method) is not str
            or protocol.write_paused
            or protocol.lost is not None
            or protocol.closing_locally
        ):
            return self.call(method, payload)
        self._next_id += 1
        request_id = self._next_id
        # encode_frame's body, without its frame: every request of a service client comes here.
        frame = bytearray(HEADER_SIZE)
        self._encoder.encode_into(Request(request_id, method, payload), frame, HEADER_SIZE)
        size = len(frame) - HEADER_SIZE
        if size > protocol.server_max_frame:
            return self.call(method, payload)
        HEADER.pack_into(frame, 0, size)
        future: asyncio.Future[bytes] = protocol.new_future()
        protocol.pending[request_id] = (future, method)
        protocol.transport.write(frame)
        return future

    def _request_frame(self, method: str, payload: Payload) -> tuple[int, bytearray]:
        """The next request id and its frame; raises what a call of ``method`` cannot be."""
        protocol = self._protocol
        if protocol.lost is not None:
            raise ConnectionLostError(str(protocol.lost))
        if protocol.closing_locally:
            raise ConnectionLostError("the client was closed")
        if type(method) is not str:
            raise TypeError(f"method must be a str, not {type(method).__name__}")
        if type(payload) is not bytes:  # bytes, a service client's every request, needs no check
            payload = as_payload(payload)
        self._next_id += 1
        request_id = self._next_id
        frame = encode_frame(self._encoder, Request(request_id, method, payload))
        size = len(frame) - HEADER_SIZE
        if size > protocol.server_max_frame:
            raise FrameTooLargeError(size, protocol.server_max_frame, f"request {method!r}")
        return request_id, frame

    @property
    def is_closed(self) -> bool:
        """True once the connection has ended, whoever ended it."""
        return self._protocol.lost is not None

    @property
    def closed(self) -> asyncio.Future[None]:
        """An awaitable that completes when the connection ends, whoever ends it."""
        return asyncio.shield(self._protocol.closed)

    @property
    def close_reason(self) -> ConnectionLostError | None:
        """Why the connection ended (None while it is open)."""
        return self._protocol.lost

    async def close(self) -> None:
        """Close the connection: pending calls fail with :class:`ConnectionLostError`."""
        await self._protocol.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self.is_closed else "open"
        return f"<Client {self.client_name!r} -> {self.app_id!r} ({state})>"


class _ClientProtocol(asyncio.BufferedProtocol):
    def __init__(
        self, loop: asyncio.AbstractEventLoop, label: str, max_frame_size: int, event_buffer: int
    ) -> None:
        self.loop = loop
        # A future for each call: asyncio's own made directly where the loop would make one
        # (create_future is a frame of Python per request), else whatever the loop makes.
        self.new_future: Callable[[], asyncio.Future[Any]] = (
            functools.partial(asyncio.Future, loop=loop)
            if type(loop).create_future is asyncio.BaseEventLoop.create_future
            else loop.create_future
        )
        self.label = label
        # The loop's queue of ready callbacks, where it is asyncio's own (see buffer_updated).
        ready = getattr(loop, "_ready", None)
        self._ready: deque[asyncio.Handle] | None = ready if type(ready) is deque else None
        # A reply read while nothing else was ready, settled at the end of the read (see there).
        self._held: tuple[asyncio.Future[bytes], bytes] | None = None
        self.encoder = encoder()
        self._decoder = client_decoder()
        self._reader = FrameReader(max_frame_size, _READ_SIZE)
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.pending: dict[int, tuple[asyncio.Future[bytes], str]] = {}
        self.welcome: asyncio.Future[Welcome] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.events: StreamController[Event] = StreamController(
            f"events of {label}", on_listen=self._flush_early_events
        )
        self._early: deque[Event] | None = deque(maxlen=event_buffer)
        self._sink: Callable[[Event], None] | None = None
        self._early_overflowed = False
        self.server_max_frame = MIN_FRAME_LIMIT
        self.write_paused = False
        self._drain_waiters: list[asyncio.Future[None]] = []
        self.lost: ConnectionLostError | None = None
        self._notice: str | None = None
        self._notice_code: str | None = None
        self.closing_locally = False

    def check_server(self, label: str) -> int:
        credentials = peer_credentials(self.transport.get_extra_info("socket"))
        if credentials.uid != os.geteuid():
            raise HandshakeError(
                ErrorCode.PERMISSION_DENIED,
                f"{label} runs as uid {credentials.uid}, not as you (uid {os.geteuid()})",
            )
        return credentials.pid

    def send(self, message: Any) -> None:
        self.transport.write(encode_frame(self.encoder, message))

    # -- asyncio callbacks -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._reader.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        try:
            self._reader.received(nbytes, self._on_frame)
        except FrameTooLargeError as error:
            self._notice = f"it sent a frame that breaks the protocol: {error}"
            _log.warning("%s %s; disconnecting", self.label, self._notice)
            self.transport.abort()
        finally:
            held = self._held
            if held is not None:
                # A reply read while nothing else was ready (see _on_frame). Settled now, its
                # caller's next step would be the first callback of the loop's next iteration
                # (what that iteration's poll of the sockets and timers brings queues behind
                # it): with nothing else ready yet, that step is run here instead, which saves
                # the iteration, its poll, and scheduling the step. Otherwise its callbacks go
                # to the front of the ready queue, where settling it at once would have put them.
                self._held = None
                future, payload = held
                ready = self._ready
                assert ready is not None
                if not future.done():
                    callbacks = future._callbacks
                    if not ready and len(callbacks) == 1 and not getattr(self.loop, "_stopping", 1):
                        callback, context = callbacks[0]
                        future.remove_done_callback(callback)
                        future.set_result(payload)
                        try:
                            context.run(callback, future)
                        except (SystemExit, KeyboardInterrupt):
                            raise
                        except BaseException as failure:  # reported as the loop would have
                            self.loop.call_exception_handler(
                                {
                                    "message": f"Exception in callback {callback!r}",
                                    "exception": failure,
                                    "future": future,
                                }
                            )
                    else:
                        before = len(ready)
                        future.set_result(payload)
                        ready.rotate(len(ready) - before)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closing_locally:
            reason = "the client was closed"
        elif self._notice is not None:
            reason = f"{self.label} ended the connection ({self._notice})"
        elif exc is not None:
            reason = f"the connection to {self.label} broke: {exc}"
        else:
            reason = f"{self.label} closed the connection"
        code = self._notice_code
        self.lost = ConnectionLostError(reason, code)
        if not self.welcome.done():
            self.welcome.set_exception(ConnectionLostError(f"{reason} during the handshake", code))
        pending, self.pending = self.pending, {}
        for future, method in pending.values():
            if not future.done():
                future.set_exception(ConnectionLostError(f"{method}: {reason}", code))
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_exception(ConnectionLostError(reason, code))
        self._drain_waiters.clear()
        self.events.close()
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- frames ------------------------------------------------------------------------

    def _on_frame(self, body: Any) -> None:
        try:
            message = self._decoder.decode(body)
        except DECODE_ERRORS as error:
            _log.warning("ignored an unreadable message from %s: %s", self.label, error)
            return
        if type(message) is Reply:
            entry = self.pending.pop(message.id, None)
            if entry is not None and not entry[0].done():
                future = entry[0]
                ready = self._ready
                if (
                    self._held is None
                    and ready is not None
                    and not ready
                    and type(future) is asyncio.Future
                    and asyncio.current_task(self.loop) is None
                ):
                    # Asyncio's own loop with nothing ready: settled at the end of the read.
                    self._held = (future, message.payload)
                else:
                    future.set_result(message.payload)
        elif type(message) is Event:
            sink = self._sink
            if sink is None:
                self._deliver(message)
            else:
                # What _deliver would do, minus two frames: every pushed state comes here.
                try:
                    sink(message)
                except Exception:
                    _log.exception("the event sink of %s raised", self.label)
        elif type(message) is Error:
            self._on_error(message)
        elif type(message) is Welcome:
            if not self.welcome.done():
                self.welcome.set_result(message)
        else:
            _log.warning("ignored a %s message from %s", type(message).__name__, self.label)

    def _on_error(self, error: Error) -> None:
        if error.id is not None:
            entry = self.pending.pop(error.id, None)
            if entry is not None and not entry[0].done():
                entry[0].set_exception(
                    RemoteError(error.code, error.type_name, error.message, method=entry[1])
                )
            return
        if not self.welcome.done():
            refusal: HandshakeError
            if error.code == ErrorCode.VERSION_MISMATCH:
                refusal = VersionMismatchError(
                    f"{self.label} refused the connection: {error.message}",
                    local_version=PROTOCOL_VERSION,
                    remote_version=None,
                )
            else:
                refusal = HandshakeError(
                    error.code, f"{self.label} refused the connection: {error.message}"
                )
            self.welcome.set_exception(refusal)
            return
        self._notice = f"{error.code}: {error.message}"
        self._notice_code = error.code
        if error.code != ErrorCode.SHUTTING_DOWN:
            _log.warning("%s reported %s", self.label, self._notice)

    def set_sink(self, sink: Callable[[Event], None]) -> None:
        self._sink = sink
        early, self._early = self._early, None
        for event in early or ():
            self._to_sink(sink, event)

    def _to_sink(self, sink: Callable[[Event], None], event: Event) -> None:
        try:
            sink(event)
        except Exception:
            _log.exception("the event sink of %s raised", self.label)

    def _deliver(self, event: Event) -> None:
        if self._sink is not None:
            self._to_sink(self._sink, event)
            return
        early = self._early
        if early is None or self.events.has_listener:
            self.events.add(event)
            return
        if len(early) == early.maxlen and not self._early_overflowed:
            self._early_overflowed = True
            _log.warning(
                "nobody listens to the events of %s yet: dropping the oldest of %d",
                self.label,
                early.maxlen,
            )
        early.append(event)

    def _flush_early_events(self) -> None:
        early, self._early = self._early, None
        if early:
            for event in early:
                self.events.add(event)

    # -- flow control and closing ------------------------------------------------------

    def drain(self) -> asyncio.Future[None]:
        if self.lost is not None:
            raise ConnectionLostError(str(self.lost))
        waiter: asyncio.Future[None] = self.loop.create_future()
        self._drain_waiters.append(waiter)
        return waiter

    async def close(self) -> None:
        if self.lost is None and not self.closing_locally:
            self.closing_locally = True
            self.transport.close()
            try:
                async with asyncio.timeout(_CLOSE_GRACE):
                    await asyncio.shield(self.closed)
            except TimeoutError:
                self.transport.abort()
        await asyncio.shield(self.closed)

    def abort(self) -> None:
        if self.transport is not None and self.lost is None:
            self.closing_locally = True
            self.transport.abort()
        with contextlib.suppress(asyncio.InvalidStateError):
            # Nobody will await a refusal that lost the race with a timeout.
            if self.welcome.done() and not self.welcome.cancelled():
                self.welcome.exception()
