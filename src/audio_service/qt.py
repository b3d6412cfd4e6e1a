"""The client as a Qt object: signals for what the service shows, slots for requests.

Needs PySide6 (``pip install 'audio-service-kit[qt]'``)::

    from audio_service.qt import QtAudioService

    service = QtAudioService()                 # in any QApplication, no asyncio needed
    service.media_item_changed.connect(lambda item: title.setText(item.title if item else ""))
    play_button.clicked.connect(service.play)
    service.connect_while_shown(window, app_id="org.example.Podcasts")

By default it drives a :mod:`audio_service.sync` client, whose loop runs on a
thread of its own; every signal is emitted on the thread that created the
object (the GUI thread) and no slot blocks. In an app that already runs
asyncio on Qt's loop with qasync, pass the asyncio client instead
(``QtAudioService(asyncio_client=AudioService)``, created while that loop
runs): no thread then, the same signals.

``PySide6.QtAsyncio`` cannot run the client: its loop has no Unix-socket
connections (``create_unix_connection`` raises ``NotImplementedError``), no
``add_reader``/``add_writer`` (D-Bus) and no subprocesses (the host launcher).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

try:
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal, Slot
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "audio_service.qt needs PySide6: pip install 'audio-service-kit[qt]'"
    ) from error

from audio_service._adapters._blocking import SyncAudioServiceClient
from audio_service._adapters._feeds import Feeds
from audio_service._adapters._runners import LoopRunner, Request, Runner, ThreadRunner
from audio_service._adapters._values import LatestValues
from audio_service._api._client import AudioServiceClient as AsyncClient
from audio_service._model._models import MediaItem, PlaybackState
from audio_service._model._queue import MediaQueue

__all__ = ["QtAudioService"]


class _Poster(QObject):
    """A dispatcher into the thread this object lives in, through a queued signal."""

    posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.posted.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _run(self, function: Callable[[], object]) -> None:
        function()

    def __call__(self, function: Callable[[], object]) -> None:
        self.posted.emit(function)


class _ShowWatcher(QObject):
    """Connects while the watched widget is shown, disconnects when it is hidden or closed."""

    def __init__(self, service: QtAudioService, app_id: str | None, in_process: bool | None):
        super().__init__(service)
        self._service = service
        self._app_id = app_id
        self._in_process = in_process

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Show:
            self._service.connect_service(self._app_id, in_process=self._in_process)
        elif kind in (QEvent.Type.Hide, QEvent.Type.Close):
            self._service.disconnect_service()
        return False


class _QtSignals:
    """Emits the owner's signals for what the feeds deliver."""

    def __init__(self, owner: QtAudioService) -> None:
        self._owner = owner

    def playback_state(self, state: PlaybackState) -> None:
        self._owner.playback_state_changed.emit(state)

    def media_item(self, item: MediaItem | None) -> None:
        self._owner.media_item_changed.emit(item)

    def queue(self, queue: MediaQueue) -> None:
        self._owner.queue_changed.emit(queue)

    def custom_event(self, event: Any) -> None:
        self._owner.custom_event.emit(event)

    def running(self, running: bool) -> None:
        self._owner.running_changed.emit(running)

    def connection(self, connected: bool) -> None:
        self._owner.connection_changed.emit(connected)

    def position(self, position: timedelta) -> None:
        self._owner.position_changed.emit(position)

    def failed(self, request: str, error: BaseException) -> None:
        self._owner.request_failed.emit(request, error)


class QtAudioService(QObject, LatestValues):
    """:data:`audio_service.AudioService` for Qt widgets; see the module doc.

    ``timeout`` bounds each request of the default (threaded) client, in seconds.
    """

    #: The playback state after each change (a :class:`~audio_service.PlaybackState`).
    playback_state_changed = Signal(object)
    #: The current :class:`~audio_service.MediaItem`, or None.
    media_item_changed = Signal(object)
    #: The queue after each change (a :class:`~audio_service.MediaQueue`).
    queue_changed = Signal(object)
    #: Each event the task sends with ``send_custom_event``.
    custom_event = Signal(object)
    #: Whether the background task runs.
    running_changed = Signal(bool)
    #: Whether this client is connected to the service.
    connection_changed = Signal(bool)
    #: The position (a ``timedelta``), 4 to 20 times a second while playing and on each change.
    position_changed = Signal(object)
    #: A request failed: its name and the exception.
    request_failed = Signal(str, object)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        asyncio_client: AsyncClient | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(parent)
        self._poster = _Poster()
        self._poster.setParent(self)
        runner: Runner
        if asyncio_client is not None:
            runner = LoopRunner(asyncio_client)
            self.sync_client: SyncAudioServiceClient | None = None
        else:
            self.sync_client = SyncAudioServiceClient(timeout=timeout, dispatcher=self._poster)
            runner = ThreadRunner(self.sync_client)
        self._feeds = Feeds(runner, _QtSignals(self))
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    # -------------------------------------------------------------- values

    @property
    def asyncio_client(self) -> AsyncClient:
        """The asyncio client behind this object (read its values; await only on its loop)."""
        return self._feeds.runner.client

    @property
    def connected(self) -> bool:
        """As last announced by ``connection_changed``."""
        return self._feeds.connected

    # ------------------------------------------------------------ requests

    def send(
        self, name: str, request: Request, then: Callable[[Any], object] | None = None
    ) -> None:
        """Any request, e.g. ``send("repeat", lambda c: c.set_repeat_mode(mode))``, not waiting.

        ``then(result)`` runs on the GUI thread when it succeeded; a failure is
        emitted as ``request_failed``.
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

        ``then(started)`` runs on the GUI thread once it is up (False: it already ran).
        """
        self.send("start", lambda c: c.start(background_task_entrypoint, **options), then)

    @Slot()
    @Slot(str)
    def connect_service(self, app_id: str | None = None, *, in_process: bool | None = None) -> None:
        """Connect to the service (``AudioService.connect``)."""
        self.send("connect", lambda c: c.connect(app_id, in_process=in_process))

    @Slot()
    def disconnect_service(self) -> None:
        """Stop following the service; it plays on."""
        self.send("disconnect", lambda c: c.disconnect())

    def connect_while_shown(
        self, widget: QObject, app_id: str | None = None, *, in_process: bool | None = None
    ) -> None:
        """The seeds' ``AudioServiceWidget``: connected while ``widget`` is shown.

        Connects when it is shown and disconnects (the service plays on) when it
        is hidden or closed.
        """
        widget.installEventFilter(_ShowWatcher(self, app_id, in_process))

    @Slot()
    def play(self) -> None:
        self.send("play", lambda c: c.play())

    @Slot()
    def pause(self) -> None:
        self.send("pause", lambda c: c.pause())

    @Slot()
    def toggle(self) -> None:
        """Play when paused, pause when playing."""
        if self.playback_state.playing:
            self.pause()
        else:
            self.play()

    @Slot()
    def stop(self) -> None:
        self.send("stop", lambda c: c.stop())

    @Slot()
    def skip_to_next(self) -> None:
        self.send("skip_to_next", lambda c: c.skip_to_next())

    @Slot()
    def skip_to_previous(self) -> None:
        self.send("skip_to_previous", lambda c: c.skip_to_previous())

    @Slot()
    def fast_forward(self) -> None:
        self.send("fast_forward", lambda c: c.fast_forward())

    @Slot()
    def rewind(self) -> None:
        self.send("rewind", lambda c: c.rewind())

    @Slot(int)
    def seek_to_ms(self, milliseconds: int) -> None:
        """Seek to a position in milliseconds (for a ``QSlider``'s ``sliderMoved``)."""
        self.seek_to(timedelta(milliseconds=milliseconds))

    def seek_to(self, position: timedelta) -> None:
        self.send("seek_to", lambda c: c.seek_to(position))

    @Slot(float)
    def set_speed(self, speed: float) -> None:
        self.send("set_speed", lambda c: c.set_speed(speed))

    @Slot(str)
    def skip_to_queue_item(self, media_id: str) -> None:
        self.send("skip_to_queue_item", lambda c: c.skip_to_queue_item(media_id))

    def update_queue(
        self, queue: Iterable[MediaItem], *, then: Callable[[], object] | None = None
    ) -> None:
        """Replace the queue; ``then()`` on the GUI thread once the task took it."""
        items = tuple(queue)
        done = None if then is None else (lambda _: then())
        self.send("update_queue", lambda c: c.update_queue(items), done)

    def custom_action(
        self,
        name: str,
        arguments: Any = None,
        on_result: Callable[[Any], object] | None = None,
    ) -> None:
        """Run the task's custom action; ``on_result(value)`` on the GUI thread."""
        self.send(name, lambda c: c.custom_action(name, arguments), on_result)

    @Slot()
    def close(self) -> None:
        """Stop following the service and end the client's thread; the service plays on."""
        self._feeds.close()
