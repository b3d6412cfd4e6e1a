"""``AudioService``: the UI's side — start the background task, send requests, watch state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, overload

from audio_service._api._mirror import ServiceMirror
from audio_service._api._requests import ServiceRequests
from audio_service._connect._connection import ServiceConnection, ServiceLauncher
from audio_service._connect._inprocess import InProcessLauncher
from audio_service._connect._launcher import default_app_id, reference_entrypoint
from audio_service._errors import AudioServiceError, NotConnectedError, ServiceNotRunningError
from audio_service._model._events import (
    ChildrenChanged,
    ConnectionLost,
    EncodedQueueChanged,
    ReceivedEvent,
    ServiceEvent,
    ServiceSnapshot,
    ServiceStarted,
    ServiceStopped,
)
from audio_service._model._models import (
    MEDIA_ROOT_ID,
    MediaItem,
    PlaybackState,
    ServiceConfig,
)
from audio_service._model._portable import portable
from audio_service._model._position import Clock, monotonic
from audio_service._model._queue import MediaQueue
from audio_service._service._requests import (
    CustomAction,
    LoadChildren,
    Request,
    SeekTo,
    Stop,
    UnitRequest,
)
from audio_session._stream import Stream, StreamController
from audio_session._tasks import BackgroundTasks

__all__ = ["AudioService", "AudioServiceClient"]

_log = logging.getLogger("audio_service")

_TEN_SECONDS = timedelta(seconds=10)


class AudioServiceClient(ServiceRequests):
    """The app's side of a background audio service; :data:`AudioService` is the usual one.

    One client follows one service at a time. An app with one service uses the
    :data:`AudioService` singleton; a program that drives two services at once
    (a UI for two apps, a test) creates a second ``AudioServiceClient()``.

    Mode: ``start(in_process=True)`` runs the task in this event loop;
    ``in_process=False`` runs it in its own process through
    :attr:`host_launcher`. The default (``None``) is host mode when a host
    launcher is installed and in-process mode otherwise.
    """

    #: The id of the root of the browsable media tree.
    MEDIA_ROOT_ID = MEDIA_ROOT_ID

    def __init__(self, *, clock: Clock = monotonic) -> None:
        #: Starts and finds services in their own process (installed by host mode).
        self.host_launcher: ServiceLauncher | None = None
        #: Starts and finds services in this process.
        self.in_process_launcher: ServiceLauncher = InProcessLauncher(clock=clock)
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None
        self._connected = False
        self._connection: ServiceConnection | None = None
        self._config: ServiceConfig | None = None
        self._mirror = ServiceMirror(clock)
        self._connected_ctl = StreamController[bool]("connected", replay=True, initial=False)
        self._browse_parent: str | None = None
        self._browse_task: asyncio.Task[None] | None = None
        self._background_tasks = BackgroundTasks(_log, "a client task")

    # ------------------------------------------------------------------ values

    @property
    def connected(self) -> bool:
        """True between :meth:`connect` (or :meth:`start`) and :meth:`disconnect`."""
        return self._connected

    @property
    def connected_stream(self) -> Stream[bool]:
        """Whether this client follows a service (replays the latest value).

        After :meth:`disconnect` the other streams keep the last values they
        had; this stream says that they are no longer live.
        """
        return self._connected_ctl.stream

    @property
    def running(self) -> bool:
        """True while the background task runs (as far as this client knows)."""
        return self._mirror.running_ctl.latest

    @property
    def running_stream(self) -> Stream[bool]:
        """Whether the background task runs (replays the latest value)."""
        return self._mirror.running_ctl.stream

    @property
    def config(self) -> ServiceConfig | None:
        """The configuration of the service this client is attached to, if any."""
        return self._config

    @property
    def playback_state(self) -> PlaybackState:
        """The latest playback state (idle when nothing runs)."""
        return self._mirror.state

    @property
    def playback_state_stream(self) -> Stream[PlaybackState]:
        """Every playback state the task sets (replays the latest)."""
        return self._mirror.state_ctl.stream

    @property
    def current_media_item(self) -> MediaItem | None:
        """The item the task says is current."""
        return self._mirror.media_item

    @property
    def current_media_item_stream(self) -> Stream[MediaItem | None]:
        """The current media item after each change (replays the latest)."""
        return self._mirror.media_item_ctl.stream

    @property
    def queue(self) -> MediaQueue:
        """The task's queue."""
        return self._mirror.queue

    @property
    def queue_stream(self) -> Stream[MediaQueue]:
        """The queue after each change (replays the latest)."""
        return self._mirror.queue_ctl.stream

    @property
    def custom_event_stream(self) -> Stream[Any]:
        """The events the task sends with ``AudioServiceBackground.send_custom_event``."""
        return self._mirror.custom_event_ctl.stream

    @property
    def browse_media_children(self) -> tuple[MediaItem, ...]:
        """The children of the parent chosen with :meth:`set_browse_media_parent`."""
        return self._mirror.children_ctl.latest

    @property
    def browse_media_children_stream(self) -> Stream[tuple[MediaItem, ...]]:
        """The children of the browsed parent, reloaded when the task says they changed."""
        return self._mirror.children_ctl.stream

    @property
    def position(self) -> timedelta:
        """The current position: the seek target while a seek is in flight, else extrapolated.

        Clamped to the current item's duration when it is known.
        """
        return self._mirror.position

    @property
    def position_stream(self) -> Stream[timedelta]:
        """The position, updated smoothly while playing (every 16..200 ms) and on each change."""
        return self._mirror.position_stream

    def create_position_stream(
        self,
        period: timedelta | None = None,
        *,
        steps: int = 800,
        min_period: timedelta = timedelta(milliseconds=200),
        max_period: timedelta = timedelta(milliseconds=200),
    ) -> Stream[timedelta]:
        """A position stream: a new value every ``period`` while the position moves.

        Without ``period``, the period is ``duration / steps`` clamped to
        ``[min_period, max_period]`` (one step per pixel of a seek bar
        ``steps`` wide). The stream also emits on every state, media item and
        seek change, only when the value differs from the last one. Nothing
        runs while no one listens, and no timer runs while the position stands
        still (paused, buffering, at the end).
        """
        return self._mirror.create_position_stream(
            period, steps=steps, min_period=min_period, max_period=max_period
        )

    # -------------------------------------------------------------- lifecycle

    def _get_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock = asyncio.Lock()
            self._lock_loop = loop
        return self._lock

    def _launcher(self, in_process: bool | None) -> ServiceLauncher:
        if in_process is None:
            in_process = self.host_launcher is None
        if in_process:
            return self.in_process_launcher
        if self.host_launcher is None:
            raise RuntimeError(
                "host mode is not available: no host launcher is installed "
                "(AudioService.host_launcher); pass in_process=True"
            )
        return self.host_launcher

    async def connect(self, app_id: str | None = None, *, in_process: bool | None = None) -> None:
        """Connect to the service, if one runs, and follow its state from now on.

        Without ``app_id``, host mode finds the only running service (and
        raises :class:`~audio_service.AudioServiceError` naming them when
        several run). Connected to another app's service, asking for
        ``app_id`` switches to that one. Connecting is optional before
        :meth:`start`, which connects by itself.
        """
        async with self._get_lock():
            launcher = self._launcher(in_process)
            if app_id is not None and self._connected and self._attached_app != app_id:
                await self._leave()
            await self._connect(launcher, app_id)

    @property
    def _attached_app(self) -> str | None:
        config = self._config
        return config.app_id if config is not None else None

    async def _connect(self, launcher: ServiceLauncher, app_id: str | None) -> None:
        if self._connected:
            return
        connection = await launcher.connect(app_id)
        self._set_connected(True)
        if connection is not None:
            await self._attach(connection)

    async def disconnect(self) -> None:
        """Stop following the service; it keeps running. Requests then raise NotConnectedError.

        The value streams keep the last values they had (the service did not
        stop); :attr:`connected_stream` says they are no longer live. Every
        subscription of this client's streams ends (``listen`` callbacks and
        ``async for`` loops finish), so no listener task outlives the connection.
        """
        async with self._get_lock():
            await self._leave()

    async def _leave(self) -> None:
        if not self._connected:
            return
        connection = self._connection
        self._drop_connection()
        self._set_connected(False)
        self._mirror.end_subscriptions()
        if connection is not None:
            await connection.close()

    def _set_connected(self, connected: bool) -> None:
        self._connected = connected
        if connected != self._connected_ctl.latest:
            self._connected_ctl.add(connected)

    async def start(
        self,
        background_task_entrypoint: Callable[[], object],
        params: dict[str, Any] | None = None,
        *,
        in_process: bool | None = None,
        app_id: str | None = None,
        resume: bool = True,
        fast_forward_interval: timedelta = _TEN_SECONDS,
        rewind_interval: timedelta = _TEN_SECONDS,
        mpris: bool = True,
        identity: str | None = None,
        desktop_entry: str | None = None,
        notification: bool = False,
        headset_clicks: bool = False,
        media_keys: bool = False,
        stop_ends_service: bool = False,
        keep_awake: bool = True,
        pause_on_sleep: bool = True,
        resume_after_wake: bool = False,
    ) -> bool:
        """Start the caller's background task; True once its ``on_start`` completed.

        In host mode (the default on Linux) the task runs in its own process,
        which imports ``background_task_entrypoint`` by name: it must be a
        top-level function of a module, or of a script whose start-up code sits
        under ``if __name__ == "__main__":``. It calls
        ``AudioServiceBackground.run(MyTask)``. With ``in_process=True`` any
        callable does. ``params`` reach ``on_start`` (msgpack-encodable values
        only: in host mode they cross a process boundary).

        ``app_id`` names the service (MPRIS bus name, socket, saved session);
        without it, host mode derives a stable one from the entrypoint's module
        and name (see :func:`default_app_id`). ``start`` only ever starts or
        attaches to *this* app's service: connected to another app's, it
        switches. It returns False when this app's service was already running;
        the client is then connected to it.

        ``resume``: offer the task the session saved by the last run
        (``AudioServiceBackground.saved_session``; the ready-made players resume
        the queue, item and position from it unless ``params`` carry a queue).
        False starts fresh; the session is still saved for next time.

        Raises :class:`~audio_service.TaskError` (or the built-in exception type
        ``on_start`` raised) when ``on_start`` failed, and
        :class:`~audio_service.HostStartError` when the host process could not start.

        Desktop surfaces (Linux): ``mpris`` publishes the service as an MPRIS2
        player named ``identity`` (panels, lock screen, media keys, ``playerctl``),
        ``desktop_entry`` names the UI's desktop file (shells take the player's
        name and icon from it; write one with :func:`install_desktop_entry`;
        without it an installed ``<app_id>.desktop`` is used), ``notification``
        adds a notification with transport buttons where the shell has no media
        card of its own (dunst, mako, xfce4-notifyd), ``headset_clicks`` turns bursts of
        play/pause presses into next (2) and previous (3), and ``media_keys``
        reads media keys from evdev input devices (kiosks and headless systems
        only: under a desktop the compositor already turns them into MPRIS calls).
        MPRIS ``Stop`` (the desktop's Stop key) stops playback and keeps the
        service (``on_stop_playback``); ``stop_ends_service`` gives it Android's
        meaning instead (``on_stop``, and a dismissed notification calls
        ``on_close``). MPRIS ``Quit`` and :meth:`stop` always end the service.

        Power (Linux): ``keep_awake`` holds an inhibitor against automatic suspend
        while playing (never against screen blanking), ``pause_on_sleep`` pauses
        through the task before the machine sleeps, and ``resume_after_wake``
        plays again after such a pause (off: outputs may have changed meanwhile).
        """
        launcher = self._launcher(in_process)
        if launcher is self.host_launcher:
            if app_id is None:
                app_id = default_app_id(reference_entrypoint(background_task_entrypoint))
            else:
                reference_entrypoint(background_task_entrypoint)
        elif not callable(background_task_entrypoint):
            raise TypeError(
                f"background_task_entrypoint must be callable, not {background_task_entrypoint!r}"
            )
        config = ServiceConfig(
            app_id=app_id,
            resume=resume,
            fast_forward_interval=fast_forward_interval,
            rewind_interval=rewind_interval,
            mpris=mpris,
            identity=identity,
            desktop_entry=desktop_entry,
            notification=notification,
            headset_clicks=headset_clicks,
            media_keys=media_keys,
            stop_ends_service=stop_ends_service,
            keep_awake=keep_awake,
            pause_on_sleep=pause_on_sleep,
            resume_after_wake=resume_after_wake,
        )
        if params is not None:
            if not isinstance(params, dict) or not all(isinstance(key, str) for key in params):
                raise TypeError(f"params must be a dict with str keys or None, not {params!r}")
            params = portable(params, "params")
        async with self._get_lock():
            other_app = self._connection is not None and self._attached_app != app_id
            if other_app and (app_id is not None or launcher is self.host_launcher):
                if launcher is self.in_process_launcher:
                    raise AudioServiceError(
                        f"another service ({self._attached_app or 'without an app id'}) runs in "
                        "this process; stop it first (one in-process service per process)"
                    )
                await self._leave()
            await self._connect(launcher, app_id)
            if self._connection is not None:
                return False
            connection = await launcher.launch(
                entrypoint=background_task_entrypoint, params=params, config=config
            )
            if connection is None:
                connection = await launcher.connect(app_id)
                if connection is not None:
                    await self._attach(connection)
                return False
            await self._attach(connection)
            return True

    async def _attach(self, connection: ServiceConnection) -> None:
        self._connection = connection
        mirror = self._mirror

        def on_event(event: ReceivedEvent) -> None:
            # A closed connection may still report (its "connection lost" comes late):
            # only the current connection's events may touch this client.
            if (
                self._connection is connection
                and not mirror.apply(event)
                and not isinstance(event, EncodedQueueChanged)  # the mirror applies them all
            ):
                self._on_event(event)

        try:
            await connection.attach(on_event)
        except BaseException:
            if self._connection is connection:
                self._connection = None
            raise

    def _drop_connection(self) -> None:
        self._connection = None
        self._config = None
        if self._browse_task is not None:
            self._browse_task.cancel()
            self._browse_task = None

    # ----------------------------------------------------------------- events

    def _on_event(self, event: ServiceEvent) -> None:
        # The events the mirror leaves: they concern browsing or the connection.
        if isinstance(event, ChildrenChanged):
            if event.parent_media_id == self._browse_parent:
                self._reload_children()
        elif isinstance(event, ServiceSnapshot):
            self._config = event.config
            self._mirror.load_snapshot(event)
            self._set_running(event.running)
        elif isinstance(event, ServiceStarted):
            self._set_running(True)
        elif isinstance(event, ServiceStopped | ConnectionLost):
            connection = self._connection
            self._drop_connection()
            if isinstance(event, ConnectionLost):
                self._set_connected(False)
            elif connection is not None:
                self._spawn(connection.close())
            self._mirror.reset()
            self._set_running(False)

    def _set_running(self, running: bool) -> None:
        self._mirror.set_running(running)
        if running and self._browse_parent is not None:
            self._reload_children()

    def _spawn(self, coroutine: Any) -> None:
        self._background_tasks.spawn(coroutine)

    # --------------------------------------------------------------- browsing

    async def set_browse_media_parent(self, parent_media_id: str | None = MEDIA_ROOT_ID) -> None:
        """Browse ``parent_media_id``: load its children into ``browse_media_children_stream``.

        They are reloaded whenever the task calls ``notify_children_changed`` for
        this parent. None stops browsing.
        """
        if parent_media_id is not None and not isinstance(parent_media_id, str):
            raise TypeError(f"parent_media_id must be a str or None, not {parent_media_id!r}")
        self._browse_parent = parent_media_id
        if self._browse_task is not None:
            self._browse_task.cancel()
            self._browse_task = None
        if parent_media_id is None:
            self._mirror.children_ctl.add(())
            return
        if self._connection is not None:
            await self._load_children_of(parent_media_id)

    def _reload_children(self) -> None:
        parent = self._browse_parent
        if parent is None or self._connection is None:
            return
        if self._browse_task is not None:
            self._browse_task.cancel()
        self._browse_task = asyncio.get_running_loop().create_task(
            self._reload_quietly(parent), name="audio_service browse reload"
        )

    async def _reload_quietly(self, parent: str) -> None:
        try:
            await self._load_children_of(parent)
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.warning("could not reload the children of %r", parent, exc_info=True)

    async def _load_children_of(self, parent: str) -> None:
        children = await self.load_children(parent)
        if self._browse_parent == parent:
            self._mirror.children_ctl.add(tuple(children))

    # --------------------------------------------------------------- requests

    @overload
    def _request(self, request: LoadChildren) -> Awaitable[list[MediaItem]]: ...
    @overload
    def _request(self, request: CustomAction) -> Awaitable[Any]: ...  # what the task returns
    @overload
    def _request(self, request: UnitRequest) -> Awaitable[None]: ...

    def _request(self, request: Request) -> Awaitable[Any]:
        # Typed by each request's result type (the overloads); the reply was decoded as it.
        # Not a coroutine (see ServiceRequests): what it raises, it raises in the awaiting one.
        if not self._connected:
            raise NotConnectedError(
                f"cannot {request.method}: call AudioService.connect() or start() first"
            )
        connection = self._connection
        if connection is None:
            raise ServiceNotRunningError(
                f"cannot {request.method}: the background task is not running"
            )
        return connection.request(request)

    async def stop(self) -> None:
        """Ask the task to stop (``on_stop``); does nothing when no task runs."""
        if self._connected and self._connection is None:
            return
        with contextlib.suppress(ServiceNotRunningError):
            await self._request(Stop())

    async def seek_to(self, position: timedelta) -> None:
        """Seek to ``position`` (``on_seek_to``); the position streams show it at once."""
        request = SeekTo(position=position)
        token = self._mirror.begin_seek(position)
        try:
            await self._request(request)
        finally:
            self._mirror.end_seek(token)


#: The app's side of the service (counterpart of ``AudioServiceBackground``).
AudioService = AudioServiceClient()

if sys.platform.startswith("linux"):
    # Host mode (the task in its own process) needs Unix sockets with peer
    # credentials; elsewhere the singleton stays in-process until a backend exists.
    from audio_service._connect._remote import HostLauncher

    AudioService.host_launcher = HostLauncher()
