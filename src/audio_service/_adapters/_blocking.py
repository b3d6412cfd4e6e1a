"""The blocking client: the asyncio client on a private loop thread (``audio_service.sync``)."""

from __future__ import annotations

import asyncio
import atexit
import math
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any, TypeVar

from audio_service._adapters._dispatch import Dispatcher, ThreadDispatcher
from audio_service._adapters._loop import LoopThread
from audio_service._adapters._streams import CallbackStream, Listener
from audio_service._api import _client
from audio_service._connect._inprocess import InProcessConnection
from audio_service._model._models import (
    MEDIA_ROOT_ID,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaButton,
    MediaItem,
    PlaybackState,
    Rating,
    ServiceConfig,
)
from audio_service._model._queue import MediaQueue
from audio_session._checks import is_number
from audio_session._stream import Stream

__all__ = ["SyncAudioServiceClient"]

T = TypeVar("T")


class SyncAudioServiceClient:
    """The blocking twin of :class:`audio_service.AudioServiceClient` (``audio_service.sync``).

    ``timeout`` is the default limit of each call, in seconds (``math.inf``: none).
    ``dispatcher`` runs the stream callbacks (default: a thread of this client's).
    ``client`` is the asyncio client to drive (default: a new one, in host mode
    where the platform has it); nothing else may use it while this one does.
    """

    #: The id of the root of the browsable media tree.
    MEDIA_ROOT_ID = MEDIA_ROOT_ID

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        dispatcher: Dispatcher | None = None,
        client: _client.AudioServiceClient | None = None,
    ) -> None:
        if client is None:
            client = _client.AudioServiceClient()
            client.host_launcher = _client.AudioService.host_launcher
        self._timeout = self._check_timeout(timeout)
        self._client = client
        self._loop = LoopThread("audio_service client loop")
        self._own_dispatcher = ThreadDispatcher("audio_service callbacks")
        self._dispatcher: Dispatcher = dispatcher or self._own_dispatcher
        self._listeners: weakref.WeakSet[Listener] = weakref.WeakSet()
        self._listeners_guard = threading.Lock()  # listen() may run on any thread
        # A weak reference: the hook must not keep a client alive that nobody uses.
        ref = weakref.ref(self)
        self._exit_hook = lambda: _close_if_alive(ref)
        atexit.register(self._exit_hook)

    # ------------------------------------------------------------- machinery

    @staticmethod
    def _check_timeout(timeout: float) -> float:
        if not is_number(timeout) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        return float(timeout)

    def _call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None) -> T:
        try:
            limit = self._timeout if timeout is None else self._check_timeout(timeout)
        except ValueError:
            coroutine.close()  # never run: it must not warn that nobody awaited it
            raise
        return self._loop.call(coroutine, None if math.isinf(limit) else limit)

    def _stream(self, source: Callable[[], Stream[T]], *, latest_only: bool) -> CallbackStream[T]:
        return CallbackStream(
            source, self._loop, self._dispatcher, self._add_listener, latest_only=latest_only
        )

    def _add_listener(self, listener: Listener) -> None:
        with self._listeners_guard:
            self._listeners.add(listener)

    def _take_listeners(self) -> tuple[Listener, ...]:
        with self._listeners_guard:
            listeners = tuple(self._listeners)
            self._listeners.clear()
        return listeners

    @property
    def asyncio_client(self) -> _client.AudioServiceClient:
        """The asyncio client this one drives on its loop thread (for reading, not awaiting)."""
        return self._client

    @property
    def dispatcher(self) -> Dispatcher:
        """Where stream callbacks run unless ``listen`` is given another dispatcher."""
        return self._dispatcher

    def submit(
        self,
        request: Callable[[_client.AudioServiceClient], Coroutine[Any, Any, T]],
        done: Callable[[T | None, BaseException | None], object] | None = None,
    ) -> None:
        """Send ``request(asyncio_client)``, not waiting; ``done(result, error)`` on the dispatcher.

        For GUIs, whose main thread must not block: ``submit(lambda c: c.play())``.
        """
        dispatcher = self._dispatcher

        def finished(result: T | None, error: BaseException | None) -> None:
            if done is not None:
                dispatcher(lambda: done(result, error))

        self._loop.submit(request(self._client), finished)

    def close(self, *, timeout: float | None = None) -> None:
        """Disconnect (the service plays on) and end this client's threads.

        A service started with ``in_process=True`` lives on this client's thread,
        so it is stopped first. The client can be used again afterwards (it starts
        new threads); listeners attached before are gone. Called at exit as well.
        """
        limit = self._timeout if timeout is None else self._check_timeout(timeout)
        client = self._client

        listeners = self._take_listeners()
        for listener in listeners:
            listener._relay.cancel()  # from now on, nothing reaches a callback

        async def wind_down() -> None:
            for listener in listeners:
                listener._subscription.cancel()
            async with asyncio.timeout(None if math.isinf(limit) else limit):
                if _in_process(client) and client.running:
                    await client.stop()
                await client.disconnect()

        self._loop.stop(wind_down)
        self._own_dispatcher.stop()

    def __enter__(self) -> SyncAudioServiceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ values

    @property
    def connected(self) -> bool:
        """True between :meth:`connect` (or :meth:`start`) and :meth:`disconnect`."""
        return self._client.connected

    @property
    def running(self) -> bool:
        """True while the background task runs (as far as this client knows)."""
        return self._client.running

    @property
    def config(self) -> ServiceConfig | None:
        """The configuration of the service this client is attached to, if any."""
        return self._client.config

    @property
    def playback_state(self) -> PlaybackState:
        """The latest playback state (idle when nothing runs)."""
        return self._client.playback_state

    @property
    def current_media_item(self) -> MediaItem | None:
        """The item the task says is current."""
        return self._client.current_media_item

    @property
    def queue(self) -> MediaQueue:
        """The task's queue."""
        return self._client.queue

    @property
    def browse_media_children(self) -> tuple[MediaItem, ...]:
        """The children of the parent chosen with :meth:`set_browse_media_parent`."""
        return self._client.browse_media_children

    @property
    def position(self) -> timedelta:
        """The position, extrapolated from the last state (the seek target while seeking)."""
        return self._client.position

    # ----------------------------------------------------------------- streams

    @property
    def running_stream(self) -> CallbackStream[bool]:
        """Whether the background task runs (replays the latest value)."""
        return self._stream(lambda: self._client.running_stream, latest_only=True)

    @property
    def playback_state_stream(self) -> CallbackStream[PlaybackState]:
        """Every playback state the task sets (replays the latest)."""
        return self._stream(lambda: self._client.playback_state_stream, latest_only=True)

    @property
    def current_media_item_stream(self) -> CallbackStream[MediaItem | None]:
        """The current media item after each change (replays the latest)."""
        return self._stream(lambda: self._client.current_media_item_stream, latest_only=True)

    @property
    def queue_stream(self) -> CallbackStream[MediaQueue]:
        """The queue after each change (replays the latest)."""
        return self._stream(lambda: self._client.queue_stream, latest_only=True)

    @property
    def custom_event_stream(self) -> CallbackStream[Any]:
        """The events the task sends with ``send_custom_event``, every one in order."""
        return self._stream(lambda: self._client.custom_event_stream, latest_only=False)

    @property
    def browse_media_children_stream(self) -> CallbackStream[tuple[MediaItem, ...]]:
        """The children of the browsed parent (replays the latest)."""
        return self._stream(lambda: self._client.browse_media_children_stream, latest_only=True)

    @property
    def position_stream(self) -> CallbackStream[timedelta]:
        """The position while playing (every 16..200 ms) and on each change."""
        return self._stream(lambda: self._client.position_stream, latest_only=True)

    def create_position_stream(
        self,
        period: timedelta | None = None,
        *,
        steps: int = 800,
        min_period: timedelta = timedelta(milliseconds=200),
        max_period: timedelta = timedelta(milliseconds=200),
    ) -> CallbackStream[timedelta]:
        """A position stream with its own rate; see the asyncio client's method."""
        # Checked here, so that bad arguments raise in the caller's thread at once.
        stream = self._client.create_position_stream(
            period, steps=steps, min_period=min_period, max_period=max_period
        )
        return self._stream(lambda: stream, latest_only=True)

    # -------------------------------------------------------------- lifecycle

    def connect(
        self,
        app_id: str | None = None,
        *,
        in_process: bool | None = None,
        timeout: float | None = None,
    ) -> None:
        """Connect to the service, if one runs, and follow its state from now on."""
        self._call(self._client.connect(app_id, in_process=in_process), timeout)

    def disconnect(self, *, timeout: float | None = None) -> None:
        """Stop following the service; it keeps running."""
        self._call(self._client.disconnect(), timeout)

    def start(
        self,
        background_task_entrypoint: Callable[[], object],
        params: dict[str, Any] | None = None,
        *,
        in_process: bool | None = None,
        app_id: str | None = None,
        timeout: float | None = None,
        **options: Any,
    ) -> bool:
        """Start the background task; True once its ``on_start`` completed.

        ``options`` are those of the asyncio client's ``start`` (``mpris``,
        ``identity``, ``notification``, ...), passed on as they are, so that
        this twin never lags behind it. With ``in_process=True`` the task runs
        on this client's loop thread.
        """
        return self._call(
            self._client.start(
                background_task_entrypoint, params, in_process=in_process, app_id=app_id, **options
            ),
            timeout,
        )

    # --------------------------------------------------------------- requests

    def stop(self, *, timeout: float | None = None) -> None:
        """Ask the task to stop (``on_stop``); does nothing when no task runs."""
        self._call(self._client.stop(), timeout)

    def play(self, *, timeout: float | None = None) -> None:
        """Start or resume playback (``on_play``)."""
        self._call(self._client.play(), timeout)

    def pause(self, *, timeout: float | None = None) -> None:
        """Pause playback (``on_pause``)."""
        self._call(self._client.pause(), timeout)

    def prepare(self, *, timeout: float | None = None) -> None:
        """Prepare playback without starting it (``on_prepare``)."""
        self._call(self._client.prepare(), timeout)

    def prepare_from_media_id(self, media_id: str, *, timeout: float | None = None) -> None:
        """Prepare the item with ``media_id`` (``on_prepare_from_media_id``)."""
        self._call(self._client.prepare_from_media_id(media_id), timeout)

    def play_from_media_id(self, media_id: str, *, timeout: float | None = None) -> None:
        """Play the item with ``media_id`` (``on_play_from_media_id``)."""
        self._call(self._client.play_from_media_id(media_id), timeout)

    def play_media_item(self, media_item: MediaItem, *, timeout: float | None = None) -> None:
        """Play ``media_item`` (``on_play_media_item``)."""
        self._call(self._client.play_media_item(media_item), timeout)

    def play_from_uri(
        self, uri: str, extras: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> None:
        """Play the media at ``uri`` (``on_play_from_uri``)."""
        self._call(self._client.play_from_uri(uri, extras), timeout)

    def play_from_search(
        self, query: str, extras: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> None:
        """Play what best matches ``query`` (``on_play_from_search``)."""
        self._call(self._client.play_from_search(query, extras), timeout)

    def seek_to(self, position: timedelta, *, timeout: float | None = None) -> None:
        """Seek to ``position`` (``on_seek_to``)."""
        self._call(self._client.seek_to(position), timeout)

    def skip_to_next(self, *, timeout: float | None = None) -> None:
        """Skip to the next item (``on_skip_to_next``)."""
        self._call(self._client.skip_to_next(), timeout)

    def skip_to_previous(self, *, timeout: float | None = None) -> None:
        """Skip to the previous item (``on_skip_to_previous``)."""
        self._call(self._client.skip_to_previous(), timeout)

    def skip_to_queue_item(self, media_id: str, *, timeout: float | None = None) -> None:
        """Skip to the queue item with ``media_id`` (``on_skip_to_queue_item``)."""
        self._call(self._client.skip_to_queue_item(media_id), timeout)

    def fast_forward(self, *, timeout: float | None = None) -> None:
        """Jump forward by the fast-forward interval (``on_fast_forward``)."""
        self._call(self._client.fast_forward(), timeout)

    def rewind(self, *, timeout: float | None = None) -> None:
        """Jump back by the rewind interval (``on_rewind``)."""
        self._call(self._client.rewind(), timeout)

    def seek_forward(self, begin: bool, *, timeout: float | None = None) -> None:
        """Start or stop continuous seeking forward (``on_seek_forward``)."""
        self._call(self._client.seek_forward(begin), timeout)

    def seek_backward(self, begin: bool, *, timeout: float | None = None) -> None:
        """Start or stop continuous seeking backward (``on_seek_backward``)."""
        self._call(self._client.seek_backward(begin), timeout)

    def add_queue_item(self, media_item: MediaItem, *, timeout: float | None = None) -> None:
        """Append ``media_item`` to the queue (``on_add_queue_item``)."""
        self._call(self._client.add_queue_item(media_item), timeout)

    def add_queue_item_at(
        self, media_item: MediaItem, index: int, *, timeout: float | None = None
    ) -> None:
        """Insert ``media_item`` at ``index`` (``on_add_queue_item_at``)."""
        self._call(self._client.add_queue_item_at(media_item, index), timeout)

    def add_queue_items(
        self, media_items: Iterable[MediaItem], *, timeout: float | None = None
    ) -> None:
        """Append ``media_items`` in one request (``on_add_queue_items``)."""
        self._call(self._client.add_queue_items(tuple(media_items)), timeout)

    def remove_queue_item(self, media_item: MediaItem, *, timeout: float | None = None) -> None:
        """Remove ``media_item`` from the queue (``on_remove_queue_item``)."""
        self._call(self._client.remove_queue_item(media_item), timeout)

    def update_queue(self, queue: Iterable[MediaItem], *, timeout: float | None = None) -> None:
        """Replace the queue (``on_update_queue``)."""
        self._call(self._client.update_queue(tuple(queue)), timeout)

    def update_media_item(self, media_item: MediaItem, *, timeout: float | None = None) -> None:
        """Replace the metadata of an item (``on_update_media_item``)."""
        self._call(self._client.update_media_item(media_item), timeout)

    def click(
        self, button: MediaButton = MediaButton.MEDIA, *, timeout: float | None = None
    ) -> None:
        """A headset button click (``on_click``)."""
        self._call(self._client.click(button), timeout)

    def set_repeat_mode(
        self, repeat_mode: AudioServiceRepeatMode, *, timeout: float | None = None
    ) -> None:
        """Change the repeat mode (``on_set_repeat_mode``)."""
        self._call(self._client.set_repeat_mode(repeat_mode), timeout)

    def set_shuffle_mode(
        self, shuffle_mode: AudioServiceShuffleMode, *, timeout: float | None = None
    ) -> None:
        """Change the shuffle mode (``on_set_shuffle_mode``)."""
        self._call(self._client.set_shuffle_mode(shuffle_mode), timeout)

    def set_rating(
        self, rating: Rating, extras: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> None:
        """Rate the current item (``on_set_rating``)."""
        self._call(self._client.set_rating(rating, extras), timeout)

    def set_speed(self, speed: float, *, timeout: float | None = None) -> None:
        """Change the playback speed (``on_set_speed``)."""
        self._call(self._client.set_speed(speed), timeout)

    def set_volume(self, volume: float, *, timeout: float | None = None) -> None:
        """Change the volume, 0.0..1.0 (``on_set_volume``)."""
        self._call(self._client.set_volume(volume), timeout)

    def custom_action(
        self, name: str, arguments: Any = None, *, timeout: float | None = None
    ) -> Any:
        """Run the app-defined action ``name`` (``on_custom_action``); its return value."""
        return self._call(self._client.custom_action(name, arguments), timeout)

    def load_children(
        self, parent_media_id: str = MEDIA_ROOT_ID, *, timeout: float | None = None
    ) -> list[MediaItem]:
        """The children of ``parent_media_id`` in the browsable tree (``on_load_children``)."""
        return self._call(self._client.load_children(parent_media_id), timeout)

    def set_browse_media_parent(
        self, parent_media_id: str | None = MEDIA_ROOT_ID, *, timeout: float | None = None
    ) -> None:
        """Browse ``parent_media_id``: its children feed ``browse_media_children_stream``."""
        self._call(self._client.set_browse_media_parent(parent_media_id), timeout)

    def task_removed(self, *, timeout: float | None = None) -> None:
        """Tell the task the app's window was dismissed (``on_task_removed``)."""
        self._call(self._client.task_removed(), timeout)

    def close_notification(self, *, timeout: float | None = None) -> None:
        """Tell the task its media notification was dismissed (``on_close``).

        The asyncio client calls this ``close()``; here ``close()`` ends the client.
        """
        self._call(self._client.close(), timeout)


def _in_process(client: _client.AudioServiceClient) -> bool:
    """Whether ``client`` follows a service on its own loop (which ends with the loop)."""
    return isinstance(getattr(client, "_connection", None), InProcessConnection)


def _close_if_alive(ref: weakref.ref[SyncAudioServiceClient]) -> None:
    client = ref()
    if client is not None:
        client.close()
