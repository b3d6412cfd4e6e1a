"""The server side: accept same-user clients, answer their requests, push events."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import inspect
import itertools
import logging
import os
import socket
import stat
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from audio_service._connect._ipc._backlog import Backlog, Totals
from audio_service._connect._ipc._errors import (
    ErrorCode,
    FrameTooLargeError,
    RuntimeDirError,
    ServiceAlreadyRunningError,
)
from audio_service._connect._ipc._framing import (
    DEFAULT_MAX_FRAME_SIZE,
    HEADER,
    HEADER_SIZE,
    FrameReader,
    check_max_frame_size,
    encode_frame,
)
from audio_service._connect._ipc._handshake import HelloRefusal, read_hello
from audio_service._connect._ipc._paths import (
    Liveness,
    check_private_dir,
    check_socket_path_length,
    lock_path,
    probe,
    socket_path,
    try_lock,
    validate_app_id,
)
from audio_service._connect._ipc._peer import PeerInfo, check_peer_uid, peer_credentials
from audio_service._connect._ipc._protocol import (
    DECODE_ERRORS,
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
    decode_any,
    encoder,
    server_decoder,
)
from audio_service._connect._ipc._replies import error_frame, reply_frame
from audio_session._checks import check_int, is_number

__all__ = ["Connection", "Deferred", "Handler", "Server"]

_log = logging.getLogger(__name__)


class Deferred:
    """A reply that a handler settles later with a plain call, instead of awaiting it.

    A handler that returns one costs no task of the server's: the reply frame is
    queued inside :meth:`resolve` or :meth:`reject`, so a reply settled in the
    same step as the events it caused leaves in the same write as them (see
    ``_ServerProtocol._send_frame``). Settling twice keeps the first outcome.
    """

    # Class defaults, not an __init__: the host makes one per request, and a call of
    # __init__ would cost a frame for four assignments.
    _sink: Callable[[Payload | None, BaseException | None], None] | None = None
    _settled = False
    _payload: Payload | None = None
    _error: BaseException | None = None

    def resolve(self, payload: Payload) -> None:
        """Reply with ``payload``."""
        # _settle's body, not a call of it: every request of the host's is answered here.
        if self._settled:
            return
        self._settled = True
        self._payload = payload
        if self._sink is not None:
            self._sink(payload, None)

    def reject(self, error: BaseException) -> None:
        """Reply with an error, mapped as for an exception raised by a handler."""
        self._settle(None, error)

    def _settle(self, payload: Payload | None, error: BaseException | None) -> None:
        if self._settled:
            return
        self._settled = True
        self._payload, self._error = payload, error
        if self._sink is not None:
            self._sink(payload, error)

    def _bind(self, sink: Callable[[Payload | None, BaseException | None], None]) -> None:
        self._sink = sink
        if self._settled:
            sink(self._payload, self._error)


#: ``handler(method, payload, peer)``: a coroutine of the reply payload, or a :class:`Deferred`.
Handler = Callable[[str, bytes, PeerInfo], Awaitable[Payload] | Deferred]
#: Called with a :class:`Connection`; may be a coroutine function.
ConnectionCallback = Callable[["Connection"], Awaitable[None] | None]
#: ``resync(connection)``: the ``(topic, payload)`` events that bring a client that fell
#: behind up to date (a snapshot). Iterated lazily, while the client reads.
ResyncCallback = Callable[["Connection"], Iterable[tuple[str, "Payload"]]]

#: Bytes that may wait for one client that reads nothing before it is dropped.
DEFAULT_MAX_SEND_BUFFER = 4 * 1024 * 1024
#: Bytes that may wait for all clients together; beyond, the client that adds to it is dropped.
DEFAULT_MAX_TOTAL_BACKLOG = 256 * 1024 * 1024
#: Seconds without reading after which a client over its send buffer counts as stalled.
DEFAULT_STALL_TIMEOUT = 2.0
#: Bytes the transport itself buffers for a client, beyond what the kernel's socket buffer
#: took, before the server holds and coalesces frames for it. None: the kernel's buffer
#: (about 200 KB for a Unix socket) is the client's only queue of copies, so 1000 stalled
#: clients cost the host no copy at all (asyncio's default, 64 KiB each, would be 64 MB).
_HIGH_WATER = 0
#: Bytes each connection keeps to read requests into (a thousand clients: 4 MB); a larger
#: request gets a buffer of its size while it arrives.
_READ_SIZE = 4 * 1024
#: Bytes of frames joined into one write while a client's own request runs.
_BATCH = 64 * 1024
#: Requests one connection may have running before the server stops reading from it.
DEFAULT_MAX_IN_FLIGHT = 256
DEFAULT_HANDSHAKE_TIMEOUT = 5.0
# How long close() lets connections flush their last frames before cutting them.
_CLOSE_GRACE = 1.0
# How long start() retries a lock that a concurrent list_services() may hold briefly.
_LOCK_RETRY_DELAY = 0.01
_LOCK_RETRIES = 50


class _ServerState(enum.Enum):
    """Where a :class:`Server` is in its life."""

    NEW = "new"
    STARTING = "starting"
    SERVING = "serving"
    CLOSING = "closing"
    CLOSED = "closed"


class _LinkState(enum.Enum):
    """Where one client connection is: ``closing`` covers the last three."""

    #: Waiting for the client's hello.
    CONNECTING = "connecting"
    #: Handshaken: requests and events flow.
    READY = "ready"
    #: Closing once the queued frames are written.
    CLOSING = "closing"
    #: Dropped with whatever was queued.
    ABORTED = "aborted"
    #: The transport is gone.
    CLOSED = "closed"


_ENDING = frozenset({_LinkState.CLOSING, _LinkState.ABORTED, _LinkState.CLOSED})
# Looked up per frame: a module constant is several times faster than the attribute of an
# Enum class on Python 3.11.
_READY = _LinkState.READY
_ABORTED = _LinkState.ABORTED


class Connection:
    """One connected client, as the server's callbacks see it.

    Obtained from ``on_connect``/``on_disconnect`` and :attr:`Server.connections`.
    """

    __slots__ = ("_protocol", "peer")

    def __init__(self, protocol: _ServerProtocol, peer: PeerInfo) -> None:
        self._protocol = protocol
        #: Who the client is (pid, uid, gid, client name, connection id).
        self.peer = peer

    @property
    def id(self) -> int:
        """The connection id, unique within the server's lifetime."""
        return self.peer.connection_id

    @property
    def client_name(self) -> str:
        return self.peer.client_name

    @property
    def is_closed(self) -> bool:
        return self._protocol.closing

    @property
    def close_reason(self) -> str | None:
        """Why the connection ended, once it has."""
        return self._protocol.close_reason

    def send(self, topic: str, payload: Payload) -> bool:
        """Push an event to this client only, after everything sent to it before.

        Returns False (and sends nothing) if the connection is closed, or was just
        dropped for not reading fast enough.
        """
        protocol = self._protocol
        frame = protocol.server._event_frame(topic, payload)
        return protocol.send_event_frame(frame)

    def close(self, reason: str = "closed by the server") -> None:
        """End the connection after the frames already queued; ``reason`` is logged."""
        self._protocol.close(reason)

    def __repr__(self) -> str:
        peer = self.peer
        return f"<Connection {peer.connection_id} {peer.client_name!r} pid={peer.pid}>"


class Server:
    """Serve one app id on a Unix socket to clients of the same user.

    ``handler(method, payload, peer)`` answers every request; its return value
    (bytes-like or :class:`msgspec.Raw`) is the reply payload. Exceptions become
    error replies (see :class:`RequestError`). Requests of one connection run
    concurrently, so replies can overtake each other.

    ``on_connect(connection)`` runs once a client completed the handshake, right
    after it joined the broadcast audience: events it sends with
    :meth:`Connection.send` before its first ``await`` reach the client before
    any later :meth:`broadcast`, so a snapshot sent there is never older than
    the pushes that follow. ``on_disconnect(connection)`` runs when a connection
    that was announced to ``on_connect`` ends.

    A client that does not read as fast as frames come falls behind: once its socket's
    kernel buffer is full, the server holds what follows, and coalesces it. An event
    broadcast with a ``key`` keeps only its latest value (moved to where that value was
    sent); events broadcast ``resyncable`` (diffs) are replaced, once many wait, by the
    events ``resync(connection)`` yields when the client reads again. Every other frame
    (replies, plain events) is kept in order. A client is dropped, with a ``too_slow``
    error that says why, when what waits for it passes ``max_send_buffer`` and it has
    read nothing for ``stall_timeout`` seconds, or when what waits for all clients
    passes ``max_total_backlog``; a client that keeps reading is never dropped for a
    burst. A connection with ``max_in_flight`` requests running is not read from until
    some finish.
    """

    def __init__(
        self,
        app_id: str,
        handler: Handler,
        *,
        path: str | os.PathLike[str] | None = None,
        on_connect: ConnectionCallback | None = None,
        on_disconnect: ConnectionCallback | None = None,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        max_send_buffer: int = DEFAULT_MAX_SEND_BUFFER,
        max_total_backlog: int = DEFAULT_MAX_TOTAL_BACKLOG,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        resync: ResyncCallback | None = None,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT,
    ) -> None:
        self.app_id = validate_app_id(app_id)
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        for name, callback in (("on_connect", on_connect), ("on_disconnect", on_disconnect)):
            if callback is not None and not callable(callback):
                raise TypeError(f"{name} must be callable or None, not {type(callback).__name__}")
        self._handler = handler
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._path = Path(path) if path is not None else None
        self._custom_path = path is not None
        self.max_frame_size = check_max_frame_size(max_frame_size, minimum=MIN_FRAME_LIMIT)
        self.max_send_buffer = check_int(max_send_buffer, "max_send_buffer", minimum=1)
        self.max_total_backlog = check_int(max_total_backlog, "max_total_backlog", minimum=1)
        if not is_number(stall_timeout):
            raise TypeError(f"stall_timeout must be a number, not {type(stall_timeout).__name__}")
        if not stall_timeout >= 0:
            raise ValueError(f"stall_timeout must not be negative, not {stall_timeout}")
        self.stall_timeout = float(stall_timeout)
        if resync is not None and not callable(resync):
            raise TypeError(f"resync must be callable or None, not {type(resync).__name__}")
        self._resync = resync
        # The latest frame of each key: what a coalesced client gets when it reads again.
        self._latest: dict[str, bytearray] = {}
        self._totals = Totals()
        self.max_in_flight = check_int(max_in_flight, "max_in_flight", minimum=1)
        if not is_number(handshake_timeout):
            raise TypeError(
                f"handshake_timeout must be a number, not {type(handshake_timeout).__name__}"
            )
        if not handshake_timeout > 0:
            raise ValueError(f"handshake_timeout must be positive, not {handshake_timeout}")
        self.handshake_timeout = float(handshake_timeout)
        # The uid clients must run as; a test may change it to simulate a foreign peer.
        self._expected_uid = os.geteuid()
        self._encoder = encoder()
        self._decoder = server_decoder()
        self._hello_decoder = msgspec.msgpack.Decoder(Hello)
        self._connection_ids = itertools.count(1)
        self._connections: dict[int, Connection] = {}
        #: How many clients :attr:`connections` holds (without building it). An attribute kept
        #: by _join and _leave, not a property: the host reads it for every event.
        self.connection_count = 0
        self._protocols: set[_ServerProtocol] = set()
        self._callback_tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._lock_fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._state = _ServerState.NEW
        self._all_gone: asyncio.Event | None = None
        self._closed_event: asyncio.Event | None = None

    @property
    def path(self) -> Path:
        """The socket's path (computed from the app id unless one was given)."""
        if self._path is None:
            self._path = socket_path(self.app_id)
        return self._path

    @property
    def is_serving(self) -> bool:
        return self._state is _ServerState.SERVING

    @property
    def connections(self) -> tuple[Connection, ...]:
        """The clients that completed the handshake and are still connected."""
        return tuple(self._connections.values())

    @property
    def backlog_bytes(self) -> int:
        """Bytes held for clients that fell behind, all clients together."""
        return self._totals.bytes

    async def start(self) -> None:
        """Listen on the socket; a stale socket of a crashed server is replaced.

        Raises :class:`ServiceAlreadyRunningError` if a live server owns it and
        :class:`RuntimeDirError` if the directory is unsafe.
        """
        if self._state is not _ServerState.NEW:
            raise RuntimeError(f"start() can only be called once (server is {self._state.value})")
        self._state = _ServerState.STARTING
        try:
            await self._start()
        except BaseException:
            self._state = _ServerState.NEW
            raise
        self._state = _ServerState.SERVING
        self._all_gone = asyncio.Event()
        self._closed_event = asyncio.Event()
        _log.debug("serving %s on %s", self.app_id, self._path)

    async def _start(self) -> None:
        path = self.path
        if self._custom_path:
            check_private_dir(path.parent)
            check_socket_path_length(path)
        lock = await self._acquire_lock(path)
        sock: socket.socket | None = None
        try:
            self._remove_previous(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(os.fsencode(path))
            # Before listen(): until then nobody can connect, and the directory is private anyway.
            os.chmod(path, 0o600)
            info = os.stat(path)
            self._inode = (info.st_dev, info.st_ino)
            sock.setblocking(False)
            self._server = await asyncio.get_running_loop().create_unix_server(
                self._make_protocol, sock=sock, backlog=128
            )
        except BaseException:
            if sock is not None:
                sock.close()
                self._unlink_socket()
            os.close(lock)
            raise
        self._lock_fd = lock

    async def _acquire_lock(self, path: Path) -> int:
        lock_file = lock_path(path)
        for _ in range(_LOCK_RETRIES):
            fd = try_lock(lock_file)
            if fd is not None:
                return fd
            if probe(path) is Liveness.ALIVE:
                break
            # Held without a live socket: a server starting or list_services() cleaning up.
            await asyncio.sleep(_LOCK_RETRY_DELAY)
        raise ServiceAlreadyRunningError(
            f"an audio service for {self.app_id!r} is already running on {path}"
        )

    def _remove_previous(self, path: Path) -> None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode):
            raise RuntimeDirError(f"{path} exists and is not a socket; refusing to replace it")
        if probe(path) is Liveness.ALIVE:
            # Only a server that does not take the lock could be there; never steal its socket.
            raise ServiceAlreadyRunningError(
                f"an audio service for {self.app_id!r} is already running on {path}"
            )
        os.unlink(path)
        _log.info("removed the stale socket %s left by a server that is gone", path)

    def _unlink_socket(self) -> None:
        path = self._path
        if path is None:
            return
        with contextlib.suppress(FileNotFoundError):
            info = os.lstat(path)
            if self._inode is None or (info.st_dev, info.st_ino) == self._inode:
                os.unlink(path)

    def stop_accepting(self) -> None:
        """Refuse new clients from now on (the socket goes away); connected ones stay.

        A service that has stopped calls this at once, so that a client which saw
        it stop can start a new one instead of reaching the one on its way out.
        """
        if self._state is _ServerState.SERVING and self._server is not None:
            self._server.close()
            self._unlink_socket()

    async def close(self) -> None:
        """Stop serving: clients are told, their connections end, pending requests are
        cancelled, and the socket is removed. Safe to call more than once."""
        if self._state in (_ServerState.NEW, _ServerState.STARTING):
            self._state = _ServerState.CLOSED
            return
        if self._state is not _ServerState.SERVING:
            if self._closed_event is not None:
                await self._closed_event.wait()
            return
        self._state = _ServerState.CLOSING
        assert self._server is not None
        assert self._all_gone is not None
        self._server.close()
        # New clients must find no socket rather than a dying server.
        self._unlink_socket()
        notice = Error(None, ErrorCode.SHUTTING_DOWN, "ServerClosing", "the server is closing")
        frame = encode_frame(self._encoder, notice)
        for protocol in tuple(self._protocols):
            protocol.close("the server is closing", frame)
        if self._protocols:
            try:
                async with asyncio.timeout(_CLOSE_GRACE):
                    await self._all_gone.wait()
            except TimeoutError:
                for protocol in tuple(self._protocols):
                    protocol.abort("it did not take its last frames while the server closed")
                # An aborted transport reports its loss on the next loop iteration.
                await self._all_gone.wait()
        await self._server.wait_closed()
        if self._callback_tasks:
            # Callbacks get the same grace as connections; one that hangs must not hang close().
            _, hanging = await asyncio.wait(self._callback_tasks, timeout=_CLOSE_GRACE)
            for task in hanging:
                task.cancel()
            await asyncio.gather(*hanging, return_exceptions=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self._state = _ServerState.CLOSED
        assert self._closed_event is not None
        self._closed_event.set()

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def broadcast(
        self, topic: str, payload: Payload, *, key: str | None = None, resyncable: bool = False
    ) -> int:
        """Push an event to every connected client without waiting for any of them.

        ``key`` (one of a few fixed names, e.g. ``"state"``): a client that fell behind
        gets only the latest event of that key. ``resyncable``: the event is a diff that
        the ``resync`` callback's events replace when many wait for one client. Keyed
        events count as resyncable too. Returns how many clients it was queued for.
        Never blocks: a client that reads nothing is dropped instead.
        """
        if type(topic) is str and type(payload) is bytes:
            # _event_frame's work for the host's every event, without its frame or encode_frame's.
            frame = bytearray(HEADER_SIZE)
            self._encoder.encode_into(Event(topic, payload), frame, HEADER_SIZE)
            size = len(frame) - HEADER_SIZE
            if size > self.max_frame_size:
                raise FrameTooLargeError(size, self.max_frame_size, f"event {topic!r}")
            HEADER.pack_into(frame, 0, size)
        else:
            frame = self._event_frame(topic, payload)
            size = len(frame) - HEADER_SIZE
        if key is not None:
            if type(key) is not str:
                raise TypeError(f"key must be a str or None, not {type(key).__name__}")
            self._latest[key] = frame
        resyncable = resyncable and self._resync is not None
        sent = 0
        for connection in tuple(self._connections.values()):
            protocol = connection._protocol
            backlog = protocol._backlog
            if backlog is None and protocol._state is _READY and size <= protocol._peer_max_frame:
                # A client that keeps up: send_event_frame's checks done here, a frame less
                # per client for every event (anything unusual is left to send_event_frame).
                if protocol._send_frame(frame, key, resyncable):
                    sent += 1
            # The common case for a stalled client, kept cheap: its latest value of this
            # key already waits at the end of its backlog and will read as this frame.
            elif (
                key is not None
                and backlog is not None
                and backlog.tail == key
                and size <= protocol._peer_max_frame
            ) or protocol.send_event_frame(frame, key, resyncable):
                sent += 1
        return sent

    def _resync_frames(self, connection: Connection) -> Iterator[bytearray]:
        assert self._resync is not None
        for topic, payload in self._resync(connection):
            yield self._event_frame(topic, payload)

    def _event_frame(self, topic: str, payload: Payload) -> bytearray:
        if type(topic) is not str:
            raise TypeError(f"topic must be a str, not {type(topic).__name__}")
        if type(payload) is not bytes:  # bytes, the host's every event, needs no check
            payload = as_payload(payload)
        frame = encode_frame(self._encoder, Event(topic, payload))
        size = len(frame) - HEADER_SIZE
        if size > self.max_frame_size:
            raise FrameTooLargeError(size, self.max_frame_size, f"event {topic!r}")
        return frame

    def _make_protocol(self) -> _ServerProtocol:
        return _ServerProtocol(self)

    def _join(self, connection: Connection) -> None:
        self._connections[connection.id] = connection
        self.connection_count = len(self._connections)
        _log.debug("client %r (pid %d) connected", connection.client_name, connection.peer.pid)
        if self._on_connect is not None:
            self._run_callback(self._on_connect, connection, "on_connect", close_on_error=True)

    def _leave(self, connection: Connection) -> None:
        if self._connections.pop(connection.id, None) is None:
            return
        self.connection_count = len(self._connections)
        _log.debug("client %r disconnected: %s", connection.client_name, connection.close_reason)
        if self._on_disconnect is not None:
            self._run_callback(
                self._on_disconnect, connection, "on_disconnect", close_on_error=False
            )

    def _run_callback(
        self,
        callback: ConnectionCallback,
        connection: Connection,
        name: str,
        *,
        close_on_error: bool,
    ) -> None:
        try:
            result = callback(connection)
        except Exception:
            _log.exception("%s raised for %r", name, connection)
            if close_on_error:
                connection.close(f"{name} failed")
            return
        if inspect.isawaitable(result):
            task = asyncio.get_running_loop().create_task(
                self._await_callback(result, connection, name, close_on_error)
            )
            self._callback_tasks.add(task)
            task.add_done_callback(self._callback_tasks.discard)

    async def _await_callback(
        self, result: Awaitable[None], connection: Connection, name: str, close_on_error: bool
    ) -> None:
        try:
            await result
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("%s raised for %r", name, connection)
            if close_on_error:
                connection.close(f"{name} failed")

    def _forget(self, protocol: _ServerProtocol) -> None:
        self._protocols.discard(protocol)
        if (
            not self._protocols
            and self._all_gone is not None
            and self._state is _ServerState.CLOSING
        ):
            self._all_gone.set()


class _ServerProtocol(asyncio.BufferedProtocol):
    """One client connection: handshake, request dispatch, ordered sends."""

    def __init__(self, server: Server) -> None:
        self.server = server
        # Looked up once: on Python 3.11 each asyncio.get_running_loop() is a getpid() call.
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._reader = FrameReader(server.max_frame_size, _READ_SIZE)
        self._state = _LinkState.CONNECTING
        #: True from the moment the connection starts closing (or is dropped); set with the state.
        self.closing = False
        # The running coroutine handlers' tasks, by a number of this connection's: each removes
        # itself as it ends, so a request costs no done-callback (and no loop iteration for it).
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._task_numbers = itertools.count()
        # Requests answered through a Deferred, not settled yet.
        self._deferred = 0
        # True while a handler's synchronous part runs, or a reply is being queued: frames sent
        # then are held and written by that code before it returns, not in a later iteration.
        self._holding = False
        self._reading_paused = False
        # Frames queued in this loop iteration, written together by _flush.
        self._pending: list[bytearray] | None = None
        self._pending_size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._peer_max_frame = MIN_FRAME_LIMIT
        self._pid = 0
        self._uid = -1
        self._gid = -1
        self.connection: Connection | None = None
        self.close_reason: str | None = None
        # Falling behind: set while the transport holds more than _HIGH_WATER bytes.
        self._paused = False
        # What waits for this client since it fell behind (None: it keeps up).
        self._backlog: Backlog | None = None
        self._progress_at = 0.0
        self._abort_timer: asyncio.TimerHandle | None = None

    def _enter(self, state: _LinkState) -> None:
        self._state = state
        self.closing = state in _ENDING

    # -- asyncio callbacks -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.set_write_buffer_limits(high=_HIGH_WATER)
        server = self.server
        server._protocols.add(self)
        if server._state is not _ServerState.SERVING:
            self.abort("the server is closing")
            return
        try:
            credentials = peer_credentials(transport.get_extra_info("socket"))
        except OSError as error:
            self.abort(f"its credentials could not be read: {error}")
            return
        self._pid, self._uid, self._gid = credentials.pid, credentials.uid, credentials.gid
        refusal = check_peer_uid(credentials.uid, server._expected_uid)
        if refusal is not None:
            _log.warning("refused a connection from pid %d: %s", credentials.pid, refusal)
            self._refuse(ErrorCode.PERMISSION_DENIED, refusal)
            return
        self._timer = self._loop.call_later(server.handshake_timeout, self._handshake_expired)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._reader.get_buffer()

    def buffer_updated(self, nbytes: int) -> None:
        """Hand the frames of ``nbytes`` new bytes (0: of those kept while busy) to _on_frame."""
        if self.closing:
            self._reader.clear()
            return
        try:
            self._reader.received(nbytes, self._on_frame)
        except FrameTooLargeError as error:
            # The length prefix cannot be trusted, so neither can anything after it.
            self.close(
                f"it sent a frame of {error.size} bytes (limit {error.limit})",
                self._error_frame(None, ErrorCode.TOO_LARGE, error, f"{error}; disconnecting"),
            )
            return
        if self.closing or self._transport is None:
            return
        busy = len(self._tasks) + self._deferred >= self.server.max_in_flight
        if busy and not self._reading_paused:
            self._reading_paused = True
            self._transport.pause_reading()
        elif not busy and self._reading_paused:
            self._reading_paused = False
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_reason is None:
            self.close_reason = (
                "the client disconnected" if exc is None else f"connection error: {exc}"
            )
        self._enter(_LinkState.CLOSED)
        self._cancel_all()
        self._discard_backlog()
        if self._abort_timer is not None:
            self._abort_timer.cancel()
            self._abort_timer = None
        self.server._forget(self)
        connection, self.connection = self.connection, None
        if connection is not None:
            self.server._leave(connection)
        # No cycle left (protocol <-> connection, protocol <-> transport): a closed
        # connection's memory goes back at once, not when the cycle collector runs.
        self._transport = None
        self._pending = None
        self._reader = FrameReader(self.server.max_frame_size, 0)

    def pause_writing(self) -> None:
        self._paused = True
        if self._backlog is None:
            self._backlog = Backlog(self.server._totals)
            self._progress_at = self._loop.time()

    def resume_writing(self) -> None:
        self._paused = False
        self._progress_at = self._loop.time()
        self._drain()

    # -- frames ------------------------------------------------------------------------

    def _on_frame(self, body: Any) -> bool:
        """Handle one frame; True to stop reading (closing, or enough requests running)."""
        if self.closing:
            return True
        if self._state is not _READY:
            self._handshake(body)
            return self.closing
        try:
            message = self.server._decoder.decode(body)
        except DECODE_ERRORS as error:
            self._reject_frame(body, error)
            return False
        if type(message) is Request:
            self._start_request(message)
            return len(self._tasks) + self._deferred >= self.server.max_in_flight
        request_id = getattr(message, "id", None)
        self._send_frame(
            self._error_frame(
                None if type(message) is Error else request_id,
                ErrorCode.PROTOCOL,
                None,
                f"a client may not send {type(message).__name__.lower()!r} messages",
            )
        )
        return False

    def _reject_frame(self, body: Any, error: Exception) -> None:
        request_id: int | None = None
        with contextlib.suppress(*DECODE_ERRORS):
            loose = decode_any(body)
            if (
                isinstance(loose, list)
                and len(loose) >= 2
                and loose[0] == "req"
                and type(loose[1]) is int
            ):
                request_id = loose[1]
        what = "malformed request" if request_id is not None else "unreadable message"
        _log.debug("%s from %s: %s", what, self._describe(), error)
        self._send_frame(
            self._error_frame(request_id, ErrorCode.PROTOCOL, error, f"{what}: {error}")
        )

    def _handshake(self, body: Any) -> None:
        server = self.server
        hello = read_hello(body, server._hello_decoder, server.app_id)
        if isinstance(hello, HelloRefusal):
            if hello.code is ErrorCode.VERSION_MISMATCH:
                _log.warning("refused the client of pid %d: %s", self._pid, hello.message)
            self._refuse(hello.code, hello.message)
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._peer_max_frame = hello.max_frame_size
        self._enter(_LinkState.READY)
        peer = PeerInfo(
            pid=self._pid,
            uid=self._uid,
            gid=self._gid,
            client_name=hello.client_name,
            connection_id=next(server._connection_ids),
        )
        self.connection = Connection(self, peer)
        welcome = Welcome(PROTOCOL_VERSION, server.app_id, server.max_frame_size)
        self._send_frame(encode_frame(server._encoder, welcome))
        server._join(self.connection)

    def _handshake_expired(self) -> None:
        self._timer = None
        if self._state is _LinkState.CONNECTING:
            self._refuse(ErrorCode.PROTOCOL, "no hello within the handshake timeout")

    def _refuse(self, code: ErrorCode, message: str) -> None:
        self.close(message, self._error_frame(None, code, None, message))

    # -- requests ----------------------------------------------------------------------

    def _start_request(self, request: Request) -> None:
        assert self.connection is not None
        # Counted as deferred from the start, so that what the handler publishes before it
        # returns is held for the reply too.
        self._deferred += 1
        # A handler that runs its callback's first step at once (the service's does) publishes
        # and often settles in this call: all of it leaves in one write, right after.
        holding, self._holding = self._holding, True
        try:
            try:
                result = self.server._handler(request.method, request.payload, self.connection.peer)
            except Exception as error:
                self._deferred_settled(request, None, error)
                return
            if isinstance(result, Deferred):
                # Settled already (its reply is queued behind the events here) or later.
                if result._settled:
                    self._deferred_settled(request, result._payload, result._error)
                else:
                    result._bind(functools.partial(self._deferred_settled, request))
                return
        finally:
            self._holding = holding
            if not holding:
                self._flush()
        self._deferred -= 1
        number = next(self._task_numbers)
        self._tasks[number] = self._loop.create_task(self._run(number, request, result))

    def _deferred_settled(
        self, request: Request, payload: Payload | None, error: BaseException | None
    ) -> None:
        self._deferred -= 1
        if error is None and type(payload) is bytes:
            # Every request's usual reply, made here (encode_frame's body): the general path
            # costs five calls more.
            frame = bytearray(HEADER_SIZE)
            self.server._encoder.encode_into(Reply(request.id, payload), frame, HEADER_SIZE)
            size = len(frame) - HEADER_SIZE
            if size > self._peer_max_frame:
                frame = self._reply_frame(request, payload, error)  # says it is too large
            else:
                HEADER.pack_into(frame, 0, size)
        else:
            frame = self._reply_frame(request, payload, error)
        if self._holding:
            # Settled while a handler runs (a callback that did not wait): the holder writes
            # what is pending. _send_frame's usual case, without its frame.
            pending = self._pending
            size = len(frame)
            if (
                pending is not None
                and self._backlog is None
                and not self.closing
                and self._pending_size + size <= _BATCH
            ):
                pending.append(frame)
                self._pending_size += size
            else:
                self._send_frame(frame)
        else:
            self._holding = True
            try:
                self._send_frame(frame)
            finally:
                self._holding = False
            self._flush()
        if self._reading_paused and not self.closing:
            self.buffer_updated(0)  # as _resume_if_idle

    def _resume_if_idle(self) -> None:
        if self._reading_paused and not self.closing:
            # Frames held back while busy come first, then the socket is read again.
            self.buffer_updated(0)

    async def _run(self, number: int, request: Request, awaitable: Awaitable[Payload]) -> None:
        try:
            await self._answer(request, awaitable)
        finally:
            if self._tasks.pop(number, None) is not None:
                self._resume_if_idle()

    async def _answer(self, request: Request, awaitable: Awaitable[Payload]) -> None:
        result: Payload | None = None
        error: BaseException | None = None
        try:
            result = await awaitable
        except (Exception, asyncio.CancelledError) as failure:
            error = failure
        # Raises the cancellation again when it is this request's (the connection is ending).
        self._send_frame(self._reply_frame(request, result, error))

    def _reply_frame(
        self, request: Request, result: Payload | None, error: BaseException | None
    ) -> bytearray:
        return reply_frame(self.server._encoder, request, result, error, self._peer_max_frame)

    # -- sending -----------------------------------------------------------------------

    def _error_frame(
        self, request_id: int | None, code: str, error: BaseException | None, message: str
    ) -> bytearray:
        return error_frame(self.server._encoder, request_id, code, error, message)

    def send_event_frame(
        self, frame: bytearray, key: str | None = None, resyncable: bool = False
    ) -> bool:
        if self._state is not _READY:
            return False
        size = len(frame) - HEADER_SIZE
        if size > self._peer_max_frame:
            self.close(
                f"an event of {size} bytes exceeds its frame limit of {self._peer_max_frame}"
            )
            return False
        return self._send_frame(frame, key, resyncable)

    def _send_frame(
        self, frame: bytearray, key: str | None = None, resyncable: bool = False
    ) -> bool:
        if self.closing:
            return False
        if self._backlog is not None:
            return self._hold(frame, key, resyncable)
        transport = self._transport
        assert transport is not None
        if self._pending is not None:
            if self._pending_size + len(frame) > _BATCH:
                # Not a whole burst in one write: the transport says when the client lags.
                self._flush()
                return self._send_frame(frame, key, resyncable)
            self._pending.append(frame)
            self._pending_size += len(frame)
        elif (self._holding or self._deferred) and len(frame) < _BATCH:
            # A callback of this client's is running: what it publishes is held until its reply
            # (or the end of this step if it goes on: the holder writes it then, else the next
            # loop iteration does), so that events and reply leave in one write — one system
            # call here, one wake-up for the client.
            self._pending = [frame]
            self._pending_size = len(frame)
            if not self._holding:
                self._loop.call_soon(self._flush)
        else:
            # Also a frame too large to share a write (a long queue's event): held, it would
            # reach the requesting client after every other client has it.
            transport.write(frame)
        return True

    def _flush(self) -> None:
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        self._pending_size = 0
        transport = self._transport
        if transport is None or self._state is _ABORTED or transport.is_closing():
            return
        transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    # -- a client that fell behind -----------------------------------------------------

    def _hold(self, frame: bytearray, key: str | None, resyncable: bool) -> bool:
        backlog = self._backlog
        assert backlog is not None
        if key is not None:
            backlog.hold_keyed(key)
            return True
        if resyncable:
            if backlog.covers_diffs():
                return True  # the resync waiting for this client will carry it
            if backlog.wants_resync(len(frame)):
                _log.info(
                    "%s fell behind: %d diffs (%d bytes) waiting for it replaced by a resync",
                    self._describe(),
                    backlog.diffs,
                    backlog.diff_bytes,
                )
                backlog.start_resync()
                return True
        server = self.server
        size = len(frame)
        over_total = server.backlog_bytes + size > server.max_total_backlog
        if over_total or backlog.held_bytes + size > server.max_send_buffer:
            if over_total:
                self._drop_slow(
                    f"{server.backlog_bytes} bytes wait for slow clients (limit "
                    f"{server.max_total_backlog}), {backlog.held_bytes} of them for this one"
                )
                return False
            idle = self._loop.time() - self._progress_at
            if idle >= server.stall_timeout:
                self._drop_slow(
                    f"it read nothing for {idle:.1f} s while {backlog.held_bytes} bytes "
                    f"waited for it (limit {server.max_send_buffer})"
                )
                return False
        backlog.hold(frame, resyncable)
        return True

    def _drain(self) -> None:
        """Write what waits for this client until its transport is full again."""
        backlog = self._backlog
        transport = self._transport
        if backlog is None or transport is None or self.closing:
            return
        latest = self.server._latest
        while not self._paused:
            frame = backlog.next_frame(latest, self._resync_frames)
            if frame is None:
                self._backlog = None  # caught up
                return
            transport.write(frame)

    def _resync_frames(self) -> Iterator[bytearray]:
        assert self.connection is not None
        return self.server._resync_frames(self.connection)

    def _discard_backlog(self) -> None:
        if self._backlog is not None:
            self._backlog.discard()
            self._backlog = None

    def _drop_slow(self, why: str) -> None:
        """Disconnect a client that does not keep up, telling it so as its last frame."""
        transport = self._transport
        if transport is None or self.closing:
            return
        reason = f"it does not read fast enough: {why}"
        self._discard_backlog()
        self._enter(_LinkState.CLOSING)
        self.close_reason = reason
        _log.warning("disconnecting %s: %s", self._describe(), reason)
        self._cancel_all()
        self._flush()
        notice = Error(None, ErrorCode.TOO_SLOW, "TooSlow", f"disconnected: {reason}")
        transport.write(encode_frame(self.server._encoder, notice))
        transport.close()
        # A client that reads nothing never takes that last frame: cut it after a grace.
        self._abort_timer = self._loop.call_later(_CLOSE_GRACE, self._cut)
        if self.connection is not None:
            self.server._leave(self.connection)  # no longer in the broadcasts' audience

    def _cut(self) -> None:
        self._abort_timer = None
        transport = self._transport
        if transport is not None and self._state not in (_ABORTED, _LinkState.CLOSED):
            self._enter(_LinkState.ABORTED)
            transport.abort()

    def close(self, reason: str, last_frame: bytearray | None = None) -> None:
        """Close after the queued frames (and ``last_frame``) are sent.

        What is held for a client that fell behind is dropped: the last frame says why.
        """
        if self.closing:
            return
        self._discard_backlog()
        if last_frame is not None and not self._send_frame(last_frame):
            return
        self._enter(_LinkState.CLOSING)
        self.close_reason = reason
        _log.debug("closing the connection of %s: %s", self._describe(), reason)
        self._cancel_all()
        self._flush()
        if self._transport is not None:
            self._transport.close()

    def abort(self, reason: str) -> None:
        """Drop the connection and everything queued for it."""
        transport = self._transport
        if transport is None or self._state in (_LinkState.ABORTED, _LinkState.CLOSED):
            return
        self._enter(_LinkState.ABORTED)
        self.close_reason = reason
        _log.warning("disconnecting %s: %s", self._describe(), reason)
        self._cancel_all()
        self._discard_backlog()
        transport.abort()

    def _describe(self) -> str:
        if self.connection is not None:
            return f"client {self.connection.client_name!r} (pid {self._pid})"
        return f"an unidentified client (pid {self._pid})"

    def _cancel_all(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # A task cancelled before its first step never runs its own removal.
        tasks, self._tasks = self._tasks, {}
        for task in tasks.values():
            task.cancel()
