"""``AudioServiceBackground``: what the background task uses to talk to its clients.

The entrypoint given to ``AudioService.start`` calls
``AudioServiceBackground.run(MyTask)``. That registers the task factory with
whichever runtime is executing the entrypoint (the in-process launcher, or the
host process) through a context variable, so the entrypoint is the same code in
both modes. The runtime then builds the :class:`ServiceCore`, which attaches
itself here while it runs; the task's ``set_state`` & co. go to that core.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Unpack, cast

from audio_service._errors import ServiceNotRunningError
from audio_service._model._models import (
    MEDIA_ROOT_ID,
    MediaItem,
    PlaybackState,
    StateChanges,
)
from audio_service._model._portable import portable
from audio_service._model._queue import MediaQueue

if TYPE_CHECKING:
    from audio_service._service._core import ServiceCore
    from audio_service._service._task import BackgroundAudioTask

if TYPE_CHECKING:
    from audio_service._service._persistence import SavedSession

__all__ = [
    "AudioServiceBackground",
    "AudioServiceBackgroundApi",
    "TaskFactory",
    "active_core",
    "attach",
    "detach",
    "load_task_factory",
]

#: Builds the app's task; a ``BackgroundAudioTask`` subclass itself qualifies.
TaskFactory = Callable[[], "BackgroundAudioTask"]

_registrar: ContextVar[Callable[[TaskFactory], None] | None] = ContextVar(
    "audio_service_task_registrar", default=None
)
_active: ServiceCore | None = None


def active_core() -> ServiceCore | None:
    """The service attached in this process, if any."""
    return _active


def attach(core: ServiceCore) -> None:
    """Make ``core`` the service that ``AudioServiceBackground`` talks to."""
    global _active
    if _active is not None and _active is not core:
        raise RuntimeError(
            "another background audio task is already running in this process; "
            "stop it before starting a new one"
        )
    _active = core


def detach(core: ServiceCore) -> None:
    """Forget ``core`` if it is the attached one."""
    global _active
    if _active is core:
        _active = None


async def load_task_factory(entrypoint: Callable[[], object]) -> TaskFactory:
    """Run ``entrypoint`` and return the task factory it gave to ``run()``.

    The entrypoint may be a plain or an ``async`` function.
    """
    registered: list[TaskFactory] = []
    token = _registrar.set(registered.append)
    try:
        result = entrypoint()
        if inspect.isawaitable(result):
            await cast(Awaitable[object], result)
    finally:
        _registrar.reset(token)
    if not registered:
        raise RuntimeError(
            f"the background task entrypoint {entrypoint!r} returned without calling "
            "AudioServiceBackground.run(task_factory)"
        )
    if len(registered) > 1:
        raise RuntimeError("the background task entrypoint called AudioServiceBackground.run twice")
    return registered[0]


class AudioServiceBackgroundApi:
    """The type of :data:`AudioServiceBackground`; use that singleton."""

    def run(self, task_factory: Callable[[], BackgroundAudioTask]) -> None:
        """Register the task factory; the first (and only) call of an entrypoint.

        ``task_factory`` is called once, with no arguments, to build the task;
        the task class itself is a fine factory.
        """
        if not callable(task_factory):
            raise TypeError(f"task_factory must be callable, not {task_factory!r}")
        registrar = _registrar.get()
        if registrar is None:
            raise RuntimeError(
                "AudioServiceBackground.run() must be called by the background task "
                "entrypoint while AudioService.start() runs it"
            )
        registrar(task_factory)

    def _core(self, what: str) -> ServiceCore:
        core = _active
        if core is None:
            raise ServiceNotRunningError(f"cannot {what}: no background audio task is running")
        return core

    @property
    def running(self) -> bool:
        """True while a background task is attached (from ``on_start`` until it stopped)."""
        return _active is not None

    @property
    def state(self) -> PlaybackState:
        """The last playback state set (the initial idle state when none runs)."""
        return _active.state if _active is not None else PlaybackState()

    @property
    def media_item(self) -> MediaItem | None:
        """The last media item set."""
        return _active.media_item if _active is not None else None

    @property
    def queue(self) -> MediaQueue:
        """The queue as last set."""
        return _active.queue if _active is not None else MediaQueue()

    @property
    def saved_session(self) -> SavedSession | None:
        """What the user was listening to when this service last ran, or None.

        Read it in ``on_start`` to resume where the user was (the host saves the
        queue, current item and position as they change, and when it stops).
        """
        return self._core("saved_session").saved_session

    @property
    def position(self) -> timedelta:
        """The current position extrapolated from the last state, clamped to the duration."""
        return _active.position() if _active is not None else timedelta(0)

    async def set_state(self, **changes: Unpack[StateChanges]) -> None:
        """Broadcast the playback state to every client; omitted fields keep their values.

        The fields are those of :class:`~audio_service.StateChanges` (checked by type
        checkers, and at run time). Without ``position`` the position continues
        from where the last state puts it now (so changing ``speed`` or
        ``playing`` never makes it jump back); with ``position`` it is that
        position as of ``update_time`` (default: now, in :func:`time.monotonic` seconds).
        """
        # The keywords' dict goes on as it came: set_state(playing=True) is the hot path of a
        # request, so the core is looked up here rather than through _core's frame.
        core = _active
        if core is None:
            core = self._core("set_state")  # raises
        core.apply_state_changes(changes)

    async def set_media_item(self, media_item: MediaItem | None) -> None:
        """Broadcast the current media item (None: nothing is current)."""
        self._core("set_media_item").set_media_item(media_item)

    async def set_queue(self, queue: Iterable[MediaItem]) -> None:
        """Broadcast the queue. Only the difference from the last queue is sent.

        Keep passing the same item objects for unchanged entries: they are
        recognised at C speed. For very long queues :meth:`splice_queue` avoids
        even that comparison.
        """
        self._core("set_queue").set_queue(queue)

    async def splice_queue(
        self, index: int, delete_count: int = 0, items: Iterable[MediaItem] = ()
    ) -> None:
        """Remove ``delete_count`` items at ``index`` and insert ``items`` there."""
        self._core("splice_queue").splice_queue(index, delete_count, items)

    async def update_queue_item(self, index: int, item: MediaItem) -> None:
        """Replace the queue item at ``index`` (e.g. the same id with new metadata)."""
        self._core("update_queue_item").update_queue_item(index, item)

    async def send_custom_event(self, event: Any) -> None:
        """Send an app-defined event to every client's ``custom_event_stream``.

        The event travels as msgpack in host mode (and is copied that way
        in-process too), so it must be msgpack-encodable.
        """
        core = self._core("send_custom_event")
        core.send_custom_event(portable(event, "a custom event"))

    async def notify_children_changed(self, parent_media_id: str = MEDIA_ROOT_ID) -> None:
        """Tell browsing clients to reload the children of ``parent_media_id``."""
        self._core("notify_children_changed").notify_children_changed(parent_media_id)


#: The background task's side of the service (counterpart of ``AudioService``).
AudioServiceBackground = AudioServiceBackgroundApi()
