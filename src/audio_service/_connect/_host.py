"""The background host process, started as ``python -m audio_service._connect._host_entry``.

It is the seeds' background isolate as an OS process: it owns the task (and so
the audio output), serves clients on the app's socket, and lives on when the UI
that started it exits. The launcher (:mod:`audio_service._connect._launcher`) writes a
:class:`~audio_service._connect._launcher.HostSpec` to its standard input and waits for
one :class:`~audio_service._connect._launcher.StartReport` on the report pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from audio_service._connect import _ipc
from audio_service._connect._launcher import HostSpec, StartReport, load_entrypoint
from audio_service._connect._wire import (
    METHOD_REQUEST,
    METHOD_SNAPSHOT,
    METHOD_STATUS,
    SUCCEEDED_NONE,
    TOPIC_EVENT,
    TOPIC_SYNCED,
    Failed,
    HostStatus,
    NotRunning,
    Succeeded,
    encode_event,
    encode_outcome,
    request_decoder,
)
from audio_service._errors import ServiceNotRunningError, TaskError, TaskErrorInfo
from audio_service._model._events import (
    MediaItemChanged,
    QueueChanged,
    ServiceEvent,
    ServiceSnapshot,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._queue import QueueOp, QueueReplace, QueueSplice
from audio_service._service._background import load_task_factory
from audio_service._service._core import ServiceCore
from audio_service._service._persistence import SessionStore, store_path
from audio_service._service._requests import Request
from audio_service._surfaces._startup import Surfaces
from audio_service._surfaces._status import SurfacesStatus

__all__ = ["main"]

_log = logging.getLogger("audio_service.host")

#: Queue items per event: a new client's queue, and any large queue edit, travel
#: in splices of at most this many items, so no frame comes near the frame cap.
SNAPSHOT_CHUNK = 2000
#: Bytes that may wait for a client that reads nothing before it is dropped (state and
#: item coalesce, queue diffs become a snapshot, so this is replies and custom events);
#: a new client's 100 000-item queue (about 12 MB) must fit.
SEND_BUFFER = 64 * 1024 * 1024
#: Seconds a ready host waits for its starter's connection before it starts the power
#: surface anyway; once the starter is served, it starts at once.
STARTER_PATIENCE = 1.0
#: Where ``AudioSession`` lives; the host closes its instance only when a task loaded it.
SESSION_MODULE = "audio_session._session"


def _outcome(value: Any, error: BaseException | None) -> bytes:
    if error is None:
        # Play, pause, seek...: most callbacks return nothing, and every request comes here.
        return SUCCEEDED_NONE if value is None else encode_outcome(Succeeded(value=value))
    if isinstance(error, TaskError):
        return encode_outcome(Failed(info=error.info))
    if isinstance(error, ServiceNotRunningError):
        return encode_outcome(NotRunning(message=str(error)))
    raise error


class _Reporter:
    """Sends the one start report the launcher waits for, then closes the pipe."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def send(self, report: StartReport) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.write(fd, msgspec.msgpack.encode(report))
        except OSError:
            _log.warning("the starter went away before it read the start report")
        finally:
            os.close(fd)


class Host:
    """One service: a core, the IPC server in front of it, and the wiring between them."""

    def __init__(self, spec: HostSpec, core: ServiceCore, surfaces: Surfaces | None = None) -> None:
        self.spec = spec
        self.core = core
        self.surfaces = surfaces
        self.server = _ipc.Server(
            spec.app_id,
            self._handle,
            on_connect=self._welcome,
            on_disconnect=self._farewell,
            max_send_buffer=SEND_BUFFER,
            resync=self._resync,
        )
        #: Called when a client (a UI) comes or goes: MPRIS's CanRaise may change.
        self.on_clients_changed: Callable[[], None] | None = None
        self._decode_request: Callable[[bytes], Request] = self._decode_first_request
        self._queue_length = len(core.queue)
        self._power_timer: asyncio.TimerHandle | None = None

    def _decode_first_request(self, payload: bytes) -> Request:
        # The decoder is built here rather than at start: compiling the request types takes
        # about 2 ms, which every start would wait for.
        self._decode_request = request_decoder()
        return self._decode_request(payload)

    def _welcome(self, connection: _ipc.Connection) -> None:
        # Sent before the first await, so it precedes every later broadcast.
        for topic, payload in self._snapshot_events():
            connection.send(topic, payload)
        connection.send(TOPIC_SYNCED, b"")
        if self.on_clients_changed is not None:
            self.on_clients_changed()
        self._start_power()

    def _farewell(self, connection: _ipc.Connection) -> None:
        if self.on_clients_changed is not None:
            self.on_clients_changed()

    def _resync(self, connection: _ipc.Connection) -> Iterator[tuple[str, bytes]]:
        # For a client that fell behind: the snapshot replaces the diffs it skipped.
        return self._snapshot_events()

    def _snapshot_events(self) -> Iterator[tuple[str, bytes]]:
        """The snapshot (taken at the first step), then the queue in chunks."""
        snapshot = self.core.snapshot()
        queue = snapshot.queue
        yield TOPIC_EVENT, encode_event(_without_queue(snapshot))
        for start in range(0, len(queue), SNAPSHOT_CHUNK):
            chunk = tuple(queue[start : start + SNAPSHOT_CHUNK])
            splice = QueueChanged(
                ops=(QueueSplice(index=start, items=chunk),), length=start + len(chunk)
            )
            yield TOPIC_EVENT, encode_event(splice)

    def _broadcast(self, event: ServiceEvent) -> None:
        # A host playing on with its UI closed encodes nothing (MPRIS is its only audience).
        server = self.server
        if server.connection_count:
            # A client that fell behind needs only the latest state and item, and a
            # snapshot instead of a pile of queue diffs (see _ipc.Server).
            key = _COALESCED.get(type(event))
            server.broadcast(
                TOPIC_EVENT,
                encode_event(event),
                key=key,
                resyncable=key is None and isinstance(event, QueueChanged),
            )
        if type(event) is ServiceStopped:
            # Before the stop request's reply: whoever saw the stop finds no service left.
            self.server.stop_accepting()

    def _handle(self, method: str, payload: bytes, peer: _ipc.PeerInfo) -> _ipc.Deferred:
        # A Deferred, not a coroutine: the request costs one task (the callback's), and the reply
        # is queued in the callback's last step, together with the state it published.
        reply = _ipc.Deferred()
        if method != METHOD_REQUEST:
            if method == METHOD_SNAPSHOT:
                reply.resolve(encode_event(self.core.snapshot()))
            elif method == METHOD_STATUS:
                reply.resolve(msgspec.msgpack.encode(self._status()))
            else:
                raise _ipc.UnknownMethodError(f"unknown method {method!r}")
            return reply
        try:
            request = self._decode_request(payload)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, TypeError) as error:
            raise _ipc.BadRequestError(f"malformed request: {error}") from None

        def settle(value: Any, error: BaseException | None) -> None:
            if value is None and error is None:  # play, pause, seek...: _outcome's first case
                reply.resolve(SUCCEEDED_NONE)
                return
            try:
                reply.resolve(_outcome(value, error))
            except Exception as failure:  # an unencodable return value, say
                reply.reject(failure)

        try:
            self.core.submit(request, settle)
        except ServiceNotRunningError as error:
            settle(None, error)
        return reply

    def _status(self) -> HostStatus:
        state = self.core.state
        return HostStatus(
            app_id=self.spec.app_id,
            pid=os.getpid(),
            running=self.core.running,
            playing=state.playing,
            surfaces=self.surfaces.status() if self.surfaces is not None else SurfacesStatus(),
        )

    async def run(self, params: dict[str, Any] | None, reporter: _Reporter) -> int:
        try:
            await self.server.start()
        except _ipc.ServiceAlreadyRunningError:
            reporter.send(StartReport("running", pid=os.getpid()))
            return 0
        remove = self.core.observe(self._broadcast)
        try:
            try:
                await self.core.start(params)
            except TaskError as error:
                # Stop serving before saying so, so that a retry finds the name free.
                remove()
                await self.server.close()
                reporter.send(StartReport("error", error.info.message, os.getpid(), error.info))
                return 1
            reporter.send(StartReport("ready", pid=os.getpid()))
            if self.surfaces is not None:
                # Not before the starter is served: the power surface's start (its modules,
                # its buses) would hold up the starter's connection, and so start() itself.
                loop = asyncio.get_running_loop()
                self._power_timer = loop.call_later(STARTER_PATIENCE, self._start_power)
            _log.info("service %s started (pid %d)", self.spec.app_id, os.getpid())
            await self.core.wait_stopped()
            _log.info("service %s stopped", self.spec.app_id)
            return 0
        finally:
            if self._power_timer is not None:
                self._power_timer.cancel()
                self._power_timer = None
            remove()
            await self.server.close()

    def _start_power(self) -> None:
        timer, self._power_timer = self._power_timer, None
        if timer is not None and self.surfaces is not None:
            timer.cancel()
            self.surfaces.start_power_soon()

    async def stop(self) -> None:
        await self.core.shutdown()


_COALESCED: dict[type, str] = {StateChanged: "state", MediaItemChanged: "media_item"}


def chunk_queue_event(event: QueueChanged, length_before: int) -> list[QueueChanged]:
    """``event`` as events of at most :data:`SNAPSHOT_CHUNK` items each, applied in order.

    Keeps every frame far below the frame cap however large the queue, with a
    correct running ``length`` on each part so a mirror can check itself.
    """
    if sum(_item_count(op) for op in event.ops) <= SNAPSHOT_CHUNK:
        return [event]
    parts: list[QueueChanged] = []
    length = length_before
    for op in event.ops:
        if isinstance(op, QueueReplace):
            first, rest, start = op.items[:SNAPSHOT_CHUNK], op.items[SNAPSHOT_CHUNK:], 0
            length = len(first)
            parts.append(QueueChanged(ops=(QueueReplace(items=first),), length=length))
        elif isinstance(op, QueueSplice):
            first, rest, start = op.items[:SNAPSHOT_CHUNK], op.items[SNAPSHOT_CHUNK:], op.index
            length += len(first) - op.delete_count
            head = QueueSplice(index=op.index, delete_count=op.delete_count, items=first)
            parts.append(QueueChanged(ops=(head,), length=length))
        else:
            parts.append(QueueChanged(ops=(op,), length=length))
            continue
        index = start + len(first)
        for offset in range(0, len(rest), SNAPSHOT_CHUNK):
            chunk = rest[offset : offset + SNAPSHOT_CHUNK]
            length += len(chunk)
            parts.append(QueueChanged(ops=(QueueSplice(index=index, items=chunk),), length=length))
            index += len(chunk)
    return parts


def _item_count(op: QueueOp) -> int:
    return len(op.items) if isinstance(op, QueueReplace | QueueSplice) else 1


def _without_queue(snapshot: ServiceSnapshot) -> ServiceSnapshot:
    return msgspec.structs.replace(snapshot, queue=())


async def _serve(spec: HostSpec, reporter: _Reporter) -> int:
    try:
        factory = await load_task_factory(load_entrypoint(spec.entrypoint))
        core = ServiceCore(factory(), spec.config)
    except Exception as error:
        _log.exception("cannot create the background task from %s", spec.entrypoint)
        info = TaskError.from_exception("start", error).info
        reporter.send(StartReport("error", info.message, os.getpid(), info))
        return 1
    store = SessionStore(store_path(spec.app_id))
    store.attach(core, close_when_stopped=False)
    # MPRIS lives here, in the process that plays: WirePlumber finds players by PID. It is on
    # the bus when start() returns; the power surface starts once the starter is served.
    surfaces = await Surfaces(core, spec.config).start(power=False)
    host = Host(spec, core, surfaces)
    surfaces.ui_present = lambda: host.server.connection_count > 0
    host.on_clients_changed = surfaces.ui_changed
    loop = asyncio.get_running_loop()
    stopping: set[asyncio.Task[None]] = set()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        # A signal stops the task cleanly (on_stop runs) instead of killing it mid-write.
        loop.add_signal_handler(signum, lambda: stopping.add(loop.create_task(host.stop())))
    try:
        return await host.run(spec.params, reporter)
    finally:
        await surfaces.close()
        # Before the loop ends: asyncio.run would cancel the session's audio-server
        # operations midway, and their late answers then hit cancelled futures. Only a
        # task that used the session loaded it: the host itself does not, so that its
        # start does not load the audio backends.
        session = sys.modules.get(SESSION_MODULE)
        if session is not None:
            await session.AudioSession.close_instance()
        await store.close()


def _report_fd(argv: list[str]) -> int:
    # By hand: argparse (and the gettext it loads) would add 2 ms to every start, for
    # the one option that only the launcher passes.
    if len(argv) == 2 and argv[0] == "--report-fd" and argv[1].isascii() and argv[1].isdigit():
        return int(argv[1])
    sys.exit(f"usage: python -m audio_service._connect._host_entry --report-fd N (not {argv})")


def main(argv: list[str] | None = None) -> int:
    report_fd = _report_fd(sys.argv[1:] if argv is None else argv)
    os.set_inheritable(report_fd, False)
    try:
        spec = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=HostSpec)
    except msgspec.DecodeError as error:
        reporter = _Reporter(report_fd)
        info = TaskErrorInfo(request="start", error_type="DecodeError", message=str(error))
        reporter.send(StartReport("error", f"unreadable host spec: {error}", os.getpid(), info))
        return 2
    with contextlib.suppress(OSError):
        os.close(0)
        os.open(os.devnull, os.O_RDONLY)
    sys.path[:0] = [p for p in spec.sys_path if p not in sys.path]
    os.chdir(spec.cwd)
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s {spec.app_id}[%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    return asyncio.run(_serve(spec, _Reporter(report_fd)))
