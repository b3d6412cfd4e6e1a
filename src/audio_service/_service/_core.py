"""The service core: one background task, its published state, and its requests.

The core is transport-free. The in-process mode calls it directly; a host
process decodes each request from the wire, calls :meth:`ServiceCore.handle`,
and forwards what :meth:`ServiceCore.observe` reports to its clients.

**Dispatch is concurrent, in arrival order**, as in the original: each request
runs its callback in its own asyncio task, started in the order the requests
arrived. A callback that awaits something long (many players' ``play()`` only
returns when playback stops) must not hold up the ``pause`` that follows it.
Callbacks that do not await run to completion one after the other.

Requests that arrive while ``on_start`` runs wait for it; requests after the
service stopped fail with :class:`ServiceNotRunningError`. When the task shuts
down, requests still in flight return ``None`` to their callers (as the
original did), get a grace period to finish, and are then cancelled.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Unpack

from audio_service._errors import ServiceNotRunningError, TaskError
from audio_service._model._events import (
    ChildrenChanged,
    CustomEvent,
    MediaItemChanged,
    QueueChanged,
    ServiceEvent,
    ServiceSnapshot,
    ServiceStarted,
    ServiceStopped,
    StateChanged,
)
from audio_service._model._models import (
    MEDIA_ROOT_ID,
    AudioProcessingState,
    MediaItem,
    PlaybackState,
    ServiceConfig,
    StateChanges,
)
from audio_service._model._position import Clock, monotonic
from audio_service._model._queue import MediaQueue, QueueOp, QueueSplice, QueueUpdate, apply, diff
from audio_service._service import _background
from audio_service._service._eager import start_eagerly
from audio_service._service._requests import Request, _Request
from audio_service._service._task import BackgroundAudioTask
from audio_session._stream import Stream, StreamController

if TYPE_CHECKING:
    from audio_service._service._persistence import SavedSession

__all__ = ["Observer", "ServiceCore", "ServicePhase"]

_log = logging.getLogger("audio_service")

#: Called synchronously, in order, with every event of a service.
Observer = Callable[[ServiceEvent], None]


class ServicePhase(enum.Enum):
    """Where a :class:`ServiceCore` is in its life."""

    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


# Read on every request: a module constant is several times faster than the attribute of an
# Enum class on Python 3.11.
_STARTING = ServicePhase.STARTING
_RUNNING = ServicePhase.RUNNING
_NEW = ServicePhase.NEW
_STOPPED = ServicePhase.STOPPED

#: The name of each kind of request's callback task, made once per kind.
_task_names: dict[type[_Request], str] = {}


def _task_name(request: _Request) -> str:
    name = _task_names[type(request)] = f"audio_service {request.method}"
    return name


def _consume(future: asyncio.Future[Any]) -> None:
    # A caller may have given up waiting; its failure must not be logged as "never retrieved".
    if not future.cancelled():
        future.exception()


#: Receives a request's outcome: ``(value, None)`` or ``(None, error)``.
Settle = Callable[[Any, BaseException | None], None]


#: A request's outcome target while it may still be settled, and the callback's task once it
#: outlived its first step (it is then in ``_inflight``): ``[settle or None, task or None]``.
#: Settled once (the callback's end or the shutdown, if earlier) by taking ``settle`` out. A
#: list rather than an object with methods: a request settles through it without a frame.
_Once = list[Any]


def _settle_future(future: asyncio.Future[Any]) -> Settle:
    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)

    return settle


class ServiceCore:
    """Runs one :class:`BackgroundAudioTask` and publishes what it sets.

    ``stop_grace`` is how long (seconds) in-flight callbacks may keep running
    after the task shut down before they are cancelled.
    """

    def __init__(
        self,
        task: BackgroundAudioTask,
        config: ServiceConfig | None = None,
        *,
        clock: Clock = monotonic,
        stop_grace: float = 2.0,
    ) -> None:
        if not isinstance(task, BackgroundAudioTask):
            raise TypeError(f"task must be a BackgroundAudioTask, not {task!r}")
        self.config = config if config is not None else ServiceConfig()
        #: What the previous run left (queue, item, position), offered to ``on_start``.
        self.saved_session: SavedSession | None = None
        self.task = task
        self._clock = clock
        self._stop_grace = stop_grace
        self._phase = ServicePhase.NEW
        self._state = PlaybackState(update_time=clock())
        #: After a default stop of playback: the processing state the next "playing" gets back.
        self._resume_processing: AudioProcessingState | None = None
        self._media_item: MediaItem | None = None
        self._queue = MediaQueue()
        self._observers: list[Observer] = []
        self._inflight: dict[asyncio.Task[None], _Once] = {}
        # Set by start(): looked up once, as each asyncio.get_running_loop() is a getpid()
        # call on Python 3.11.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._start_settled = asyncio.Event()
        self._stopped = asyncio.Event()
        self._shutdown_task: asyncio.Task[None] | None = None
        self._awaiting_shutdown: set[asyncio.Task[Any]] = set()
        self._state_ctl = StreamController[PlaybackState](
            "playback_state", replay=True, initial=self._state
        )
        self._media_item_ctl = StreamController[MediaItem | None](
            "media_item", replay=True, initial=None
        )
        self._queue_ctl = StreamController[MediaQueue]("queue", replay=True, initial=self._queue)
        self._running_ctl = StreamController[bool]("running", replay=True, initial=False)
        self._custom_event_ctl = StreamController[Any]("custom_event")
        self._children_ctl = StreamController[str]("children_changed")
        task._bind(self)

    # ------------------------------------------------------------------ inspection

    @property
    def phase(self) -> ServicePhase:
        """Where the service is in its life."""
        return self._phase

    @property
    def running(self) -> bool:
        """True from the end of ``on_start`` until shutdown begins."""
        return self._phase is ServicePhase.RUNNING

    @property
    def state(self) -> PlaybackState:
        """The last playback state the task set."""
        return self._state

    @property
    def media_item(self) -> MediaItem | None:
        """The last media item the task set."""
        return self._media_item

    @property
    def queue(self) -> MediaQueue:
        """The queue as the task last set it."""
        return self._queue

    def position(self) -> timedelta:
        """The current position, clamped to the current item's duration when known."""
        duration = self._media_item.duration if self._media_item is not None else None
        return self._state.position_at(self._clock(), duration)

    @property
    def playback_state_stream(self) -> Stream[PlaybackState]:
        """Every playback state the task sets (replays the latest)."""
        return self._state_ctl.stream

    @property
    def media_item_stream(self) -> Stream[MediaItem | None]:
        """Every media item the task sets (replays the latest)."""
        return self._media_item_ctl.stream

    @property
    def queue_stream(self) -> Stream[MediaQueue]:
        """The queue after each change (replays the latest)."""
        return self._queue_ctl.stream

    @property
    def running_stream(self) -> Stream[bool]:
        """Whether the service is running (replays the latest)."""
        return self._running_ctl.stream

    @property
    def custom_event_stream(self) -> Stream[Any]:
        """The task's custom events."""
        return self._custom_event_ctl.stream

    @property
    def children_changed_stream(self) -> Stream[str]:
        """Parent ids whose browsable children changed."""
        return self._children_ctl.stream

    def snapshot(self) -> ServiceSnapshot:
        """Everything an observer needs before the events that follow."""
        return ServiceSnapshot(
            running=self.running,
            config=self.config,
            state=self._state,
            media_item=self._media_item,
            queue=tuple(self._queue),
        )

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` with every later event, synchronously and in order.

        Nothing is dropped: observers that mirror the queue rely on seeing every
        edit. An observer must not block; one that raises is logged and kept.
        Returns the function that removes the observer.
        """
        self._observers.append(observer)

        def remove() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return remove

    async def wait_stopped(self) -> None:
        """Return once the service has stopped."""
        await self._stopped.wait()

    # ------------------------------------------------------------------- lifecycle

    async def start(self, params: dict[str, Any] | None = None) -> None:
        """Run ``on_start(params)``; requests made meanwhile wait for it.

        Raises :class:`TaskError` when ``on_start`` raises; the service is then
        shut down (without ``on_stop``).
        """
        if self._phase is not ServicePhase.NEW:
            raise RuntimeError(f"a service can be started once; this one is {self._phase.value}")
        self._loop = asyncio.get_running_loop()
        _background.attach(self)
        self._phase = ServicePhase.STARTING
        try:
            await self.task.on_start(params)
        except BaseException as error:
            self._start_settled.set()
            await self._ensure_shutdown()
            if isinstance(error, Exception):
                raise TaskError.from_exception("start", error) from error
            raise
        if self._phase is not ServicePhase.STARTING:
            # The task stopped itself during on_start.
            self._start_settled.set()
            return
        self._phase = ServicePhase.RUNNING
        self._start_settled.set()
        self._running_ctl.add(True)
        self._emit(ServiceStarted())

    async def shutdown(self) -> None:
        """Shut the service down (what ``BackgroundAudioTask.on_stop`` does by default).

        Callers waiting on other requests get ``None``; those callbacks get
        ``stop_grace`` seconds to finish and are then cancelled. Then the state,
        media item and queue are reset, observers see :class:`ServiceStopped`
        and every stream closes. Safe to call more than once and from a callback.
        """
        current = asyncio.current_task()
        if current is not None:
            self._awaiting_shutdown.add(current)
        try:
            await self._ensure_shutdown()
        finally:
            if current is not None:
                self._awaiting_shutdown.discard(current)

    async def _ensure_shutdown(self) -> None:
        if self._phase is ServicePhase.STOPPED:
            return
        if self._shutdown_task is None:
            self._phase = ServicePhase.STOPPING
            self._shutdown_task = asyncio.get_running_loop().create_task(
                self._shut_down(), name="audio_service shutdown"
            )
        # Shielded: a cancelled caller must not leave the service half stopped.
        await asyncio.shield(self._shutdown_task)

    async def _shut_down(self) -> None:
        self._start_settled.set()
        was_running = self._running_ctl.latest
        others = [task for task in self._inflight if task not in self._awaiting_shutdown]
        for task in others:
            once = self._inflight.get(task)
            if once is not None and once[0] is not None:
                settle, once[0] = once[0], None
                settle(None, None)
        if others:
            _done, pending = await asyncio.wait(others, timeout=self._stop_grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        self._state = PlaybackState(update_time=self._clock())
        self._media_item = None
        self._queue = MediaQueue()
        self._phase = ServicePhase.STOPPED
        _background.detach(self)
        self._state_ctl.add(self._state)
        self._media_item_ctl.add(None)
        self._queue_ctl.add(self._queue)
        if was_running:
            self._running_ctl.add(False)
        self._emit(ServiceStopped())
        for controller in (
            self._state_ctl,
            self._media_item_ctl,
            self._queue_ctl,
            self._running_ctl,
            self._custom_event_ctl,
            self._children_ctl,
        ):
            controller.close()
        self._observers.clear()
        self._stopped.set()

    # -------------------------------------------------------------------- requests

    async def handle(self, request: Request) -> Any:
        """Dispatch ``request`` to the task's callback and return its result.

        Raises :class:`TaskError` when the callback raises (the service keeps
        running) and :class:`ServiceNotRunningError` when no task runs. Cancelling
        the caller does not cancel the callback.
        """
        loop = asyncio.get_running_loop()
        result: asyncio.Future[Any] = loop.create_future()
        result.add_done_callback(_consume)
        self.submit(request, result)
        return await asyncio.shield(result)

    def submit(self, request: Request, result: asyncio.Future[Any] | Settle) -> None:
        """Start dispatching ``request``; its outcome goes to ``result`` when the callback ends.

        ``result`` is a future (given the callback's value, or :class:`TaskError`
        / :class:`ServiceNotRunningError`), or a plain function called with
        ``(value, error)`` at the very end of the callback's last step — the IPC
        host answers from there, in the same loop iteration as the events the
        callback published. Raises at once for what :meth:`handle` raises at once.
        """
        phase = self._phase
        if phase is not _RUNNING and phase is not _STARTING:
            raise ServiceNotRunningError(
                f"cannot {request.method}: the background task is {phase.value}"
            )
        once: _Once = [
            _settle_future(result) if isinstance(result, asyncio.Future) else result,
            None,
        ]
        loop = self._loop
        assert loop is not None
        name = _task_names.get(type(request)) or _task_name(request)
        # The callback's first step runs now: a callback that does not wait is answered here.
        task = start_eagerly(loop, self._dispatch(request, once), name=name)
        if not task.done():
            once[1] = task
            self._inflight[task] = once

    async def _dispatch(self, request: _Request, once: _Once) -> None:
        value: Any = None
        error: BaseException | None = None
        try:
            if self._phase is _STARTING:
                await self._start_settled.wait()
            if self._phase is not _RUNNING:
                error = ServiceNotRunningError(
                    f"cannot {request.method}: the background task is {self._phase.value}"
                )
            else:
                value = await self.task._invoke(request)
        except asyncio.CancelledError:
            raise
        except Exception as failure:
            _log.debug("the %s callback raised", request.method, exc_info=True)
            error = TaskError.from_exception(request.method, failure)
        finally:
            # Also when interrupted (cancelled at shutdown) or killed by a BaseException: the
            # caller is released, with None.
            settle = once[0]
            if settle is not None:
                once[0] = None
                settle(value, error)
            # Removed by itself rather than by a done-callback, which would cost a loop iteration.
            if once[1] is not None:
                self._inflight.pop(once[1], None)

    # -------------------------------------------------------- publishing (task side)

    def _check_publishing(self, what: str) -> None:
        if self._phase is _NEW or self._phase is _STOPPED:
            raise ServiceNotRunningError(f"cannot {what}: the background task is not running")

    def set_state(self, **changes: Unpack[StateChanges]) -> PlaybackState:
        """Publish a new playback state: :meth:`PlaybackState.copy_with` of the last one.

        Omitted fields keep their values and the position is re-based so that it
        never jumps back (see ``copy_with``); it is clamped to the current item's
        duration when known.
        """
        return self.apply_state_changes(changes)

    def apply_state_changes(self, changes: StateChanges) -> PlaybackState:
        """:meth:`set_state` from a dict of the changes, which it consumes.

        ``AudioServiceBackground.set_state`` comes here with the dict its keywords made:
        passing them on as keywords would make another, on every request that sets a state.
        """
        phase = self._phase
        if phase is _NEW or phase is _STOPPED:
            self._check_publishing("set_state")
        if self._resume_processing is not None:
            self._give_back_processing(changes)
        duration = self._media_item.duration if self._media_item is not None else None
        # A TypedDict is a plain dict at run time: no copy, the keywords checked statically
        # (typing.cast would cost a call, and its dict[str, Any] an object, per request).
        state = self._state._derive(changes, self._clock(), duration)  # type: ignore[arg-type]
        self._state = state
        self._state_ctl.add(state)
        self._emit(StateChanged(state=state))
        return state

    def publish_stopped_playback(self) -> None:
        """Publish "stopped" (not playing, idle, at the start): the default ``on_stop_playback``.

        A task that published ``ready`` once and since then only ``playing``
        would read as stopped while it plays again; so the next state it
        publishes with ``playing=True`` and no processing state gets ``ready``
        back (one that names a processing state decides for itself).
        """
        before = self._state.processing_state
        idle = AudioProcessingState.IDLE
        self.set_state(playing=False, processing_state=idle, position=timedelta(0))
        if before is not idle:
            self._resume_processing = AudioProcessingState.READY

    def _give_back_processing(self, changes: StateChanges) -> None:
        resume, self._resume_processing = self._resume_processing, None
        if "processing_state" not in changes and changes.get("playing") is True:
            if resume is not None:
                changes["processing_state"] = resume
        elif "processing_state" not in changes:
            self._resume_processing = resume

    def set_media_item(self, media_item: MediaItem | None) -> None:
        """Publish the current media item (None: nothing is current)."""
        self._check_publishing("set_media_item")
        if media_item is not None and not isinstance(media_item, MediaItem):
            raise TypeError(f"media_item must be a MediaItem or None, not {media_item!r}")
        self._media_item = media_item
        self._media_item_ctl.add(media_item)
        self._emit(MediaItemChanged(media_item=media_item))

    def set_queue(self, queue: Iterable[MediaItem]) -> list[QueueOp]:
        """Publish ``queue`` as the edits from the current one (see :func:`diff`)."""
        self._check_publishing("set_queue")
        given: object = queue
        if isinstance(given, str | bytes) or not isinstance(given, Iterable):
            raise TypeError(f"queue must be a sequence of MediaItem, not {queue!r}")
        new = queue if isinstance(queue, MediaQueue | tuple | list) else tuple(queue)
        ops = diff(self._queue, new)
        self.apply_queue_ops(ops)
        return ops

    def splice_queue(
        self, index: int, delete_count: int = 0, items: Iterable[MediaItem] = ()
    ) -> None:
        """Remove ``delete_count`` items at ``index`` and insert ``items`` there."""
        self.apply_queue_ops([QueueSplice(index, delete_count, tuple(items))])

    def update_queue_item(self, index: int, item: MediaItem) -> None:
        """Replace the queue item at ``index``."""
        self.apply_queue_ops([QueueUpdate(index, item)])

    def apply_queue_ops(self, ops: Iterable[QueueOp]) -> None:
        """Apply ``ops`` to the queue and publish them; nothing changes if one does not fit."""
        self._check_publishing("change the queue")
        ops = tuple(ops)
        if not ops:
            return
        queue = apply(ops, self._queue)
        self._queue = queue
        self._queue_ctl.add(queue)
        self._emit(QueueChanged(ops=ops, length=len(queue)))

    def send_custom_event(self, event: Any) -> None:
        """Send an app-defined event to every client."""
        self._check_publishing("send_custom_event")
        self._custom_event_ctl.add(event)
        self._emit(CustomEvent(event=event))

    def notify_children_changed(self, parent_media_id: str = MEDIA_ROOT_ID) -> None:
        """Tell browsing clients that the children of ``parent_media_id`` changed."""
        self._check_publishing("notify_children_changed")
        if not isinstance(parent_media_id, str):
            raise TypeError(f"parent_media_id must be a str, not {parent_media_id!r}")
        self._children_ctl.add(parent_media_id)
        self._emit(ChildrenChanged(parent_media_id=parent_media_id))

    def _emit(self, event: ServiceEvent) -> None:
        for observer in tuple(self._observers):
            try:
                observer(event)
            except Exception:
                _log.exception(
                    "an observer of the audio service raised on %s", type(event).__name__
                )
