"""Host mode on the client side: start a host process, connect to it, mirror it.

:class:`HostLauncher` and :class:`RemoteConnection` implement the same
protocols as the in-process ones (:mod:`audio_service._connect._connection`), over the
IPC socket, so the ``AudioService`` client cannot tell the modes apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from audio_service._connect import _ipc
from audio_service._connect._connection import EventSink
from audio_service._connect._launcher import (
    HostSpec,
    LaunchError,
    StartReport,
    default_app_id,
    launch_host,
    reference_entrypoint,
)
from audio_service._connect._wire import (
    METHOD_REQUEST,
    SUCCEEDED_NONE,
    TOPIC_EVENT,
    TOPIC_SYNCED,
    decode_outcome,
    encode_request,
    received_event_decoder,
)
from audio_service._errors import (
    AudioServiceError,
    HostStartError,
    NotConnectedError,
    ServiceConnectionError,
    ServiceNotRunningError,
    TaskError,
    TaskErrorInfo,
)
from audio_service._model._events import ConnectionLost
from audio_service._model._models import ServiceConfig
from audio_service._model._portable import portable
from audio_service._service._requests import Request
from audio_service._service._statedir import state_dir

__all__ = ["HostLauncher", "RemoteConnection", "log_path"]

_log = logging.getLogger(__name__)

#: How long a new client waits for the host's greeting.
SYNC_TIMEOUT = 10.0
#: Seconds a start waits for another host of the same app id that is on its way out.
LAUNCH_PATIENCE = 10.0


class RemoteConnection:
    """A :class:`~audio_service._connect._connection.ServiceConnection` to a host process."""

    def __init__(self, client: _ipc.Client) -> None:
        self._client = client
        self._pump: asyncio.Task[None] | None = None

    async def attach(self, on_event: EventSink) -> None:
        if self._pump is not None:
            raise RuntimeError("this connection is already attached")
        # Events go straight from the socket to the mirror: no task hop, no buffer to
        # overflow. The host greets each client with its snapshot, the queue in
        # chunks, then "synced"; all of that is delivered before this returns.
        loop = asyncio.get_running_loop()
        synced: asyncio.Future[None] = loop.create_future()
        decode = received_event_decoder()

        def sink(event: _ipc.Event) -> None:
            # Every state the service pushes passes here: decoded in place, not through helpers.
            topic = event.topic
            if topic == TOPIC_EVENT:
                try:
                    decoded = decode(event.payload)
                except (msgspec.DecodeError, msgspec.ValidationError) as error:
                    _log.error("ignoring an unreadable event from the service: %s", error)
                    return
                on_event(decoded)
            elif topic == TOPIC_SYNCED and not synced.done():
                synced.set_result(None)

        self._client.set_event_sink(sink)
        closed = self._client.closed
        try:
            try:
                async with asyncio.timeout(SYNC_TIMEOUT):
                    await asyncio.wait((synced, closed), return_when=asyncio.FIRST_COMPLETED)
            except TimeoutError:
                raise ServiceConnectionError(
                    f"the service did not send its state within {SYNC_TIMEOUT} s"
                ) from None
            if not synced.done():
                raise ServiceNotRunningError("the service closed the connection at once")
        except BaseException:
            await self._client.close()
            raise
        self._pump = asyncio.create_task(self._announce_end(on_event))

    async def _announce_end(self, on_event: EventSink) -> None:
        reason = "the connection was closed"
        try:
            await self._client.closed
            lost = self._client.close_reason
            if lost is not None:
                reason = str(lost)
        finally:
            on_event(ConnectionLost(reason=reason))

    async def request(self, request: Request) -> Any:
        try:
            reply = await self._client.start_call(METHOD_REQUEST, encode_request(request))
        except _ipc.ConnectionLostError as error:
            if error.code == _ipc.ErrorCode.TOO_SLOW:
                # The service runs on; only this client was cut off.
                raise NotConnectedError(
                    f"{request.method}: the service disconnected this client for reading its "
                    f"events too slowly ({error})"
                ) from None
            raise ServiceNotRunningError(f"the background task went away: {error}") from None
        except _ipc.RemoteError as error:
            raise AudioServiceError(f"{request.method}: the service refused it: {error}") from None
        except _ipc.FrameTooLargeError as error:
            raise ValueError(f"{request.method}: the request is too large: {error}") from None
        except _ipc.IpcError as error:
            raise ServiceConnectionError(f"{request.method}: {error}") from None
        if reply == SUCCEEDED_NONE and type(request).result_type is None:
            return None  # play, pause, seek...: decode_outcome's first case, without its frame
        return decode_outcome(reply, request)

    async def close(self) -> None:
        pump, self._pump = self._pump, None
        await self._client.close()
        if pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await pump


class HostLauncher:
    """A :class:`~audio_service._connect._connection.ServiceLauncher` for host mode."""

    def __init__(self, *, start_timeout: float = 30.0) -> None:
        self.start_timeout = start_timeout

    async def launch(
        self,
        *,
        entrypoint: Callable[[], object],
        params: dict[str, Any] | None,
        config: ServiceConfig,
    ) -> RemoteConnection | None:
        ref = reference_entrypoint(entrypoint)
        app_id = config.app_id or default_app_id(ref)
        config = msgspec.structs.replace(config, app_id=app_id)
        if await self._running(app_id):
            return None
        spec = HostSpec(
            app_id=app_id,
            entrypoint=ref,
            params=portable(params, "params"),
            config=config,
            sys_path=[p for p in sys.path if p],
            cwd=os.getcwd(),
            log_path=str(log_path(app_id)),
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LAUNCH_PATIENCE
        pause = 0.02
        while loop.time() < deadline:
            if await asyncio.to_thread(_ipc.name_taken, app_id):
                if await self._running(app_id):
                    return None  # another client started it meanwhile
                # The last host of this app id is on its way out: no use starting one yet.
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.1)
                continue
            try:
                report = await launch_host(spec, timeout=self.start_timeout)
            except LaunchError as error:
                raise HostStartError(str(error), log_path=spec.log_path) from None
            if report.status == "error":
                raise _start_failed(report, spec.log_path)
            connection = await self.connect(app_id)
            if report.status == "ready":
                if connection is None:
                    raise AudioServiceError(f"the service {app_id!r} started but went away")
                return connection
            if connection is not None:
                # Another host serves this app id: the caller connects to it itself.
                await connection.close()
                return None
            # The other host was on its way out (it still holds the name): try again soon.
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.25)
        raise AudioServiceError(f"could not start or reach the service {app_id!r}")

    async def connect(self, app_id: str | None) -> RemoteConnection | None:
        if app_id is None:
            running = await _listed()
            if not running:
                return None
            if len(running) > 1:
                raise AudioServiceError(
                    f"several audio services are running ({', '.join(running)}); "
                    "say which with connect(app_id=...)"
                )
            app_id = running[0]
        try:
            client = await _ipc.connect(app_id, _client_name())
        except (_ipc.ServerNotFoundError, _ipc.ConnectionLostError):
            # ConnectionLostError here: a host that was shutting down accepted, then went.
            return None
        except _ipc.VersionMismatchError as error:
            raise ServiceConnectionError(
                f"the service {app_id!r} runs another version of audio-service-kit "
                f"(protocol {error.remote_version}, this one speaks {error.local_version}); "
                "stop it and start it again"
            ) from None
        except (_ipc.IpcError, TimeoutError) as error:
            raise ServiceConnectionError(f"cannot reach the service {app_id!r}: {error}") from None
        return RemoteConnection(client)

    @staticmethod
    async def _running(app_id: str) -> bool:
        return app_id in await _listed()


async def _listed() -> list[str]:
    try:
        return await asyncio.to_thread(_ipc.list_services)
    except _ipc.RuntimeDirError as error:
        raise ServiceConnectionError(f"cannot use the socket directory: {error}") from None


#: Lines of the remote traceback a failed start shows in its message.
TRACEBACK_TAIL = 6


def _start_failed(report: StartReport, log: str | None) -> TaskError:
    """The error for a host whose task could not start: what it raised, where, and the log."""
    info = report.error or TaskErrorInfo(
        request="start", error_type="HostStartError", message=report.message
    )
    tail = info.traceback.rstrip().splitlines()[-TRACEBACK_TAIL:]
    details = "".join(f"\n  | {line}" for line in tail)
    where = ""
    if log:
        where = f"\n(the host's log: {log}; `audio-service logs {Path(log).stem}` shows it)"
    message = f"{info.message}{details}{where}"
    return TaskError(msgspec.structs.replace(info, message=message))


def log_path(app_id: str) -> Path:
    """Where a host writes its log: ``$XDG_STATE_HOME/audio-service/<app_id>.log``."""
    return state_dir() / f"{app_id}.log"


def _client_name() -> str:
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return f"{program}[{os.getpid()}]"
