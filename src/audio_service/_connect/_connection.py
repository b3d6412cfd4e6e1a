"""The seam between the ``AudioService`` client and a running service.

A :class:`ServiceLauncher` starts a service (or finds a running one) and hands
back a :class:`ServiceConnection`. The in-process launcher runs the task in the
app's own event loop; a host launcher (host mode) runs it in its own process
and implements the same two protocols over IPC. The client is written against
these protocols only, so both modes behave the same to the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from audio_service._model._events import ReceivedEvent
from audio_service._model._models import ServiceConfig
from audio_service._service._requests import Request

__all__ = ["EventSink", "ServiceConnection", "ServiceLauncher"]

#: Receives a connection's events; called synchronously, in order.
EventSink = Callable[[ReceivedEvent], None]


class ServiceConnection(Protocol):
    """One client's link to one running service."""

    async def attach(self, on_event: EventSink) -> None:
        """Start delivering events to ``on_event``.

        The first call of ``on_event`` (possibly before this returns) carries a
        :class:`~audio_service._model._events.ServiceSnapshot`; every later event follows
        in the order the service emitted it, none dropped. When the link breaks,
        the last event is :class:`~audio_service._model._events.ConnectionLost`.
        """
        ...

    async def request(self, request: Request) -> Any:
        """Have the task handle ``request``; its callback's result.

        Raises :class:`~audio_service.TaskError` when the callback raised and
        :class:`~audio_service.ServiceNotRunningError` when the task has stopped.
        A result decodes as ``type(request).result_type``.
        """
        ...

    async def close(self) -> None:
        """Stop delivering events and release the link; the service keeps running."""
        ...


class ServiceLauncher(Protocol):
    """Starts services and finds running ones, for one mode (in-process or host)."""

    async def launch(
        self,
        *,
        entrypoint: Callable[[], object],
        params: dict[str, Any] | None,
        config: ServiceConfig,
    ) -> ServiceConnection | None:
        """Start the service and return once ``on_start`` completed.

        ``entrypoint`` is a top-level function (a host imports it by
        ``reference_entrypoint``). Returns None when a service is already
        running for ``config.app_id``; raises :class:`~audio_service.TaskError`
        when ``on_start`` raised.
        """
        ...

    async def connect(self, app_id: str | None) -> ServiceConnection | None:
        """A connection to the running service for ``app_id``; None when none runs."""
        ...
