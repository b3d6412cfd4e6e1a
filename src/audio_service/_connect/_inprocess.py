"""In-process mode: the background task runs in the app's own event loop.

Nothing crosses a process boundary, but free-form values (params, custom
action arguments and results, custom events) are still copied through msgpack,
so an app that works in-process works in host mode too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec

from audio_service._connect._connection import EventSink
from audio_service._errors import TaskError
from audio_service._model._models import ServiceConfig
from audio_service._model._portable import portable
from audio_service._model._position import Clock, monotonic
from audio_service._service._background import active_core, load_task_factory
from audio_service._service._core import ServiceCore, ServicePhase
from audio_service._service._persistence import SessionStore, store_path
from audio_service._service._requests import CustomAction, Request
from audio_service._surfaces._startup import Surfaces
from audio_session._tasks import BackgroundTasks

__all__ = ["InProcessConnection", "InProcessLauncher"]

_log = logging.getLogger("audio_service")


class InProcessConnection:
    """A :class:`ServiceConnection` to a core in this process."""

    def __init__(self, core: ServiceCore) -> None:
        self._core = core
        self._remove: Callable[[], None] | None = None

    @property
    def core(self) -> ServiceCore:
        """The service this connection talks to."""
        return self._core

    async def attach(self, on_event: EventSink) -> None:
        if self._remove is not None:
            raise RuntimeError("this connection is already attached")
        # No await between the snapshot and observe(): no event can fall in between.
        on_event(self._core.snapshot())
        if self._core.phase is not ServicePhase.STOPPED:
            self._remove = self._core.observe(on_event)

    async def request(self, request: Request) -> Any:
        if isinstance(request, CustomAction):
            arguments = portable(request.arguments, "custom action arguments")
            result = await self._core.handle(CustomAction(name=request.name, arguments=arguments))
            try:
                return portable(result, "the result of on_custom_action")
            except TypeError as error:
                raise TaskError.from_exception(request.method, error) from error
        extras = getattr(request, "extras", None)
        if extras is not None:
            # As in host mode, the task gets its own copy, as msgpack delivers it.
            request = msgspec.structs.replace(request, extras=portable(extras, "extras"))
        return await self._core.handle(request)

    async def close(self) -> None:
        remove, self._remove = self._remove, None
        if remove is not None:
            remove()


_closing = BackgroundTasks(_log, "closing the surfaces after a stop")


def _close_after_stop(core: ServiceCore, surfaces: Surfaces) -> None:
    async def close() -> None:
        await core.wait_stopped()
        await surfaces.close()

    _closing.spawn(close())


class InProcessLauncher:
    """A :class:`~audio_service._connect._connection.ServiceLauncher` for in-process mode.

    One service per process: ``launch`` answers None while one runs.
    """

    def __init__(self, *, clock: Clock = monotonic, stop_grace: float = 2.0) -> None:
        self._clock = clock
        self._stop_grace = stop_grace

    async def launch(
        self,
        *,
        entrypoint: Callable[[], object],
        params: dict[str, Any] | None,
        config: ServiceConfig,
    ) -> InProcessConnection | None:
        # Any callable: nothing has to import it by name in this process.
        if await self._running_core() is not None:
            return None
        factory = await load_task_factory(entrypoint)
        # The entrypoint may have awaited: look again before taking the slot.
        if await self._running_core() is not None:
            return None
        core = ServiceCore(factory(), config, clock=self._clock, stop_grace=self._stop_grace)
        if config.app_id is not None:
            # Resumption needs a name to save under; an anonymous in-process service has none.
            SessionStore(store_path(config.app_id), clock=self._clock).attach(core)
        surfaces = await Surfaces(core, config).start()
        try:
            await core.start(params)
        except BaseException:
            await surfaces.close()
            raise
        _close_after_stop(core, surfaces)
        return InProcessConnection(core)

    async def connect(self, app_id: str | None) -> InProcessConnection | None:
        core = await self._running_core()
        return InProcessConnection(core) if core is not None else None

    @staticmethod
    async def _running_core() -> ServiceCore | None:
        core = active_core()
        if core is not None and core.phase is ServicePhase.STOPPING:
            await core.wait_stopped()
            core = active_core()
        return core
