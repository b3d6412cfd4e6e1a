"""The client as a GObject: signals and properties on the GLib main loop, for GTK apps.

Needs PyGObject (``pip install 'audio-service-kit[gtk]'``; Debian's python3-gi
works too)::

    from audio_service.gtk import GtkAudioService

    service = GtkAudioService()
    service.bind_property("title", title_label, "label")
    service.connect("queue-changed", lambda _, queue: show_sentences(queue))
    play_button.connect("clicked", lambda _: service.play())
    service.connect_while_shown(window, app_id="org.example.Reader")

It drives a :mod:`audio_service.sync` client, whose loop runs on a thread of
its own, and delivers everything on the GLib main loop with ``GLib.idle_add``:
PyGObject before 3.50 has no asyncio integration, and the one 3.50 added is
experimental. No method blocks the main loop; a failed request is the
``request-failed`` signal. Nothing else in ``audio_service`` imports GLib.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

try:
    from gi.repository import GLib, GObject
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "audio_service.gtk needs PyGObject: pip install 'audio-service-kit[gtk]'"
    ) from error

from audio_service._adapters._blocking import SyncAudioServiceClient
from audio_service._adapters._feeds import Feeds
from audio_service._adapters._runners import Request, ThreadRunner
from audio_service._adapters._values import LatestValues
from audio_service._api._client import AudioServiceClient as AsyncClient
from audio_service._model._models import MediaItem, PlaybackState
from audio_service._model._queue import MediaQueue

__all__ = ["GtkAudioService"]


def _post(function: Callable[[], object]) -> None:
    """The dispatcher: call ``function`` once on the GLib main loop (thread-safe)."""

    def once() -> bool:
        function()
        return GLib.SOURCE_REMOVE  # type: ignore[no-any-return]

    # Default priority rather than idle's: a redraw-heavy window must not starve them.
    GLib.idle_add(once, priority=GLib.PRIORITY_DEFAULT)


def _signal(*arguments: Any) -> tuple[Any, None, tuple[Any, ...]]:
    return (GObject.SignalFlags.RUN_FIRST, None, arguments)


class _GtkSignals:
    """Sets the owner's properties and emits its signals for what the feeds deliver."""

    def __init__(self, owner: GtkAudioService) -> None:
        self._owner = owner

    def playback_state(self, state: PlaybackState) -> None:
        owner = self._owner
        if owner.playing != state.playing:
            owner.playing = state.playing
        owner.emit("playback-state-changed", state)

    def media_item(self, item: MediaItem | None) -> None:
        owner = self._owner
        owner.title = item.title if item else ""
        owner.artist = (item.artist or "") if item else ""
        duration = item.duration if item and item.duration else timedelta(0)
        owner.duration_ms = int(duration.total_seconds() * 1000)
        owner.emit("media-item-changed", item)

    def queue(self, queue: MediaQueue) -> None:
        self._owner.emit("queue-changed", queue)

    def custom_event(self, event: Any) -> None:
        self._owner.emit("custom-event", event)

    def running(self, running: bool) -> None:
        if self._owner.running != running:
            self._owner.running = running
        self._owner.emit("running-changed", running)

    def connection(self, connected: bool) -> None:
        self._owner.connected = connected
        self._owner.emit("connection-changed", connected)

    def position(self, position: timedelta) -> None:
        self._owner.position_ms = int(position.total_seconds() * 1000)
        self._owner.emit("position-changed", position)

    def failed(self, request: str, error: BaseException) -> None:
        self._owner.emit("request-failed", request, error)


class GtkAudioService(GObject.Object, LatestValues):  # type: ignore[misc]  # GObject has no type stubs
    """:data:`audio_service.AudioService` for GTK; see the module doc.

    Signals (each also passes the object first, as GObject signals do):
    ``playback-state-changed(PlaybackState)``, ``media-item-changed(MediaItem | None)``,
    ``queue-changed(MediaQueue)``, ``custom-event(value)``, ``running-changed(bool)``,
    ``connection-changed(bool)``, ``position-changed(timedelta)`` (4 to 20 times a
    second while playing), ``request-failed(name, exception)``.
    Properties, for ``bind_property``: ``playing``, ``running``, ``connected``,
    ``title``, ``artist``, ``position-ms``, ``duration-ms``.
    ``timeout`` bounds each request, in seconds.
    """

    __gtype_name__ = "AudioServiceGtkAudioService"
    __gsignals__ = {
        "playback-state-changed": _signal(object),
        "media-item-changed": _signal(object),
        "queue-changed": _signal(object),
        "custom-event": _signal(object),
        "running-changed": _signal(bool),
        "connection-changed": _signal(bool),
        "position-changed": _signal(object),
        "request-failed": _signal(str, object),
    }

    playing = GObject.Property(type=bool, default=False)
    running = GObject.Property(type=bool, default=False)
    connected = GObject.Property(type=bool, default=False)
    title = GObject.Property(type=str, default="")
    artist = GObject.Property(type=str, default="")
    position_ms = GObject.Property(type=GObject.TYPE_INT64, default=0)
    duration_ms = GObject.Property(type=GObject.TYPE_INT64, default=0)

    def __init__(self, *, timeout: float = 30.0) -> None:
        super().__init__()
        self.sync_client = SyncAudioServiceClient(timeout=timeout, dispatcher=_post)
        self._feeds = Feeds(ThreadRunner(self.sync_client), _GtkSignals(self))

    # -------------------------------------------------------------- values

    @property
    def asyncio_client(self) -> AsyncClient:
        """The asyncio client behind this object (read its values; never await them here)."""
        return self.sync_client.asyncio_client

    # ------------------------------------------------------------ requests

    def send(
        self, name: str, request: Request, then: Callable[[Any], object] | None = None
    ) -> None:
        """Any request, e.g. ``send("repeat", lambda c: c.set_repeat_mode(mode))``, not waiting.

        ``then(result)`` runs on the main loop when it succeeded; a failure is
        the ``request-failed`` signal.
        """
        self._feeds.request(name, request, then)

    def start(
        self,
        background_task_entrypoint: Callable[[], object],
        *,
        then: Callable[[bool], object] | None = None,
        **options: Any,
    ) -> None:
        """Start the background task (``AudioService.start``'s arguments), not waiting.

        ``then(started)`` runs on the main loop once it is up (False: it already ran).
        """
        self.send("start", lambda c: c.start(background_task_entrypoint, **options), then)

    def connect_service(self, app_id: str | None = None, *, in_process: bool | None = None) -> None:
        """Connect to the service (``AudioService.connect``)."""
        self.send("connect", lambda c: c.connect(app_id, in_process=in_process))

    def disconnect_service(self) -> None:
        """Stop following the service; it plays on."""
        self.send("disconnect", lambda c: c.disconnect())

    def connect_while_shown(
        self, widget: Any, app_id: str | None = None, *, in_process: bool | None = None
    ) -> None:
        """The seeds' ``AudioServiceWidget``: connected while ``widget`` is shown.

        Connects on its ``map`` signal and disconnects (the service plays on) on
        ``unmap`` and ``destroy``.
        """
        widget.connect("map", lambda _: self.connect_service(app_id, in_process=in_process))
        widget.connect("unmap", lambda _: self.disconnect_service())
        widget.connect("destroy", lambda _: self.disconnect_service())

    def play(self) -> None:
        self.send("play", lambda c: c.play())

    def pause(self) -> None:
        self.send("pause", lambda c: c.pause())

    def toggle(self) -> None:
        """Play when paused, pause when playing."""
        if self.playback_state.playing:
            self.pause()
        else:
            self.play()

    def stop(self) -> None:
        self.send("stop", lambda c: c.stop())

    def skip_to_next(self) -> None:
        self.send("skip_to_next", lambda c: c.skip_to_next())

    def skip_to_previous(self) -> None:
        self.send("skip_to_previous", lambda c: c.skip_to_previous())

    def fast_forward(self) -> None:
        self.send("fast_forward", lambda c: c.fast_forward())

    def rewind(self) -> None:
        self.send("rewind", lambda c: c.rewind())

    def seek_to(self, position: timedelta) -> None:
        self.send("seek_to", lambda c: c.seek_to(position))

    def set_speed(self, speed: float) -> None:
        self.send("set_speed", lambda c: c.set_speed(speed))

    def skip_to_queue_item(self, media_id: str) -> None:
        self.send("skip_to_queue_item", lambda c: c.skip_to_queue_item(media_id))

    def update_queue(
        self, queue: Iterable[MediaItem], *, then: Callable[[], object] | None = None
    ) -> None:
        """Replace the queue; ``then()`` on the main loop once the task took it."""
        items = tuple(queue)
        done = None if then is None else (lambda _: then())
        self.send("update_queue", lambda c: c.update_queue(items), done)

    def custom_action(
        self,
        name: str,
        arguments: Any = None,
        on_result: Callable[[Any], object] | None = None,
    ) -> None:
        """Run the task's custom action; ``on_result(value)`` on the main loop."""
        self.send(name, lambda c: c.custom_action(name, arguments), on_result)

    def close(self) -> None:
        """Stop following the service and end the client's thread; the service plays on."""
        self._feeds.close()
