"""``QueuePlayerTask``: a complete background task that plays a queue through an engine.

The task owns the queue logic (current item, play order under shuffle, repeat,
gapless preloading of the next item), the audio session (configure, activate,
interruptions) and what clients see (state, media item, queue). The engine only
plays one source at a time; see :class:`~audio_service.players.PlayerEngine`.

Engine calls are serialised by one lock, so concurrent requests (a seek arriving
while the next item loads) reach the engine one after the other. A load records
a generation number: a load that a later one superseded while it was resolving
its source never reaches the engine.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Coroutine, Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import msgspec

from audio_service._model._from_uri import has_guessed_title, item_from_uri
from audio_service._model._models import (
    MEDIA_ROOT_ID,
    RECENT_ROOT_ID,
    AudioProcessingState,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaAction,
    MediaControl,
    MediaItem,
    check_duration,
)
from audio_service._model._queue import MediaQueue
from audio_service._service._core import ServiceCore, ServicePhase
from audio_service._service._task import BackgroundAudioTask
from audio_service.players._engine import EngineError, PlayerEngine
from audio_service.players._interruptions import InterruptionOptions, InterruptionReactions
from audio_session import (
    AudioInterruptionEvent,
    AudioSession,
    AudioSessionConfiguration,
    AudioSessionError,
)

if TYPE_CHECKING:
    from audio_session._stream import Subscription

__all__ = ["QueuePlayerTask"]

_log = logging.getLogger("audio_service.players")

_ZERO = timedelta(0)
#: How often a held seek-forward/backward button jumps (the original's SeekHandler: 1 s).
_HOLD_PERIOD = 1.0

_IDLE = AudioProcessingState.IDLE
_LOADING = AudioProcessingState.LOADING
_BUFFERING = AudioProcessingState.BUFFERING
_READY = AudioProcessingState.READY
_COMPLETED = AudioProcessingState.COMPLETED
_ERROR = AudioProcessingState.ERROR

#: Offered whatever the state: MPRIS, the notification and Android read capabilities from these.
_ALWAYS: Final = frozenset(
    {
        MediaAction.STOP,
        MediaAction.PLAY_PAUSE,
        MediaAction.PLAY_FROM_MEDIA_ID,
        MediaAction.PLAY_FROM_URI,
        MediaAction.PREPARE,
        MediaAction.PREPARE_FROM_MEDIA_ID,
        MediaAction.SET_REPEAT_MODE,
        MediaAction.SET_SHUFFLE_MODE,
        MediaAction.SET_SPEED,
    }
)
#: Offered while the current item has a known duration (a live stream cannot seek).
_SEEKING: Final = frozenset(
    {
        MediaAction.SEEK,
        MediaAction.SEEK_FORWARD,
        MediaAction.SEEK_BACKWARD,
        MediaAction.FAST_FORWARD,
        MediaAction.REWIND,
    }
)
#: The buttons of a compact notification: previous, play or pause, next.
_COMPACT: Final = frozenset(
    {MediaAction.SKIP_TO_PREVIOUS, MediaAction.PLAY, MediaAction.PAUSE, MediaAction.SKIP_TO_NEXT}
)
_WRAPPING: Final = frozenset({AudioServiceRepeatMode.ALL, AudioServiceRepeatMode.GROUP})


class _Listener:
    """Hands the engine's reports to the task (kept apart so the task's names stay its own)."""

    def __init__(self, task: QueuePlayerTask) -> None:
        self._task = task

    def on_buffering(self, buffering: bool) -> None:
        self._task._engine_buffering(buffering)

    def on_duration(self, duration: timedelta | None) -> None:
        self._task._engine_duration(duration)

    def on_tags(self, tags: Mapping[str, str]) -> None:
        self._task._engine_tags(tags)

    def on_ended(self, advanced: bool) -> None:
        self._task._engine_ended(advanced)

    def on_error(self, message: str) -> None:
        self._task._engine_error(message)


class QueuePlayerTask(BackgroundAudioTask):
    """A ready-made background task: a queue player over a :class:`PlayerEngine`.

    Give it an engine, or subclass it and override :meth:`create_engine`
    (``MpvPlayerTask`` does). It implements the playback, queue and browsing
    callbacks; what it publishes is driven by the engine's reports.

    ``session`` defaults to ``await AudioSession.instance()``; it is configured
    with ``session_configuration`` (default: :meth:`AudioSessionConfiguration.music`,
    unless the session is configured already), activated before playing and
    deactivated on stop. ``handle_interruptions=False`` ignores interruptions
    and becoming noisy; ``interruptions`` tunes the default reactions, and a
    subclass may override :meth:`on_interruption` and :meth:`on_becoming_noisy`.
    ``max_speed`` bounds :meth:`on_set_speed`.

    Failures to open a source are not raised to the requester: the state
    becomes :attr:`~AudioProcessingState.ERROR` with an ``error_message``, and
    skipping, seeking within the queue or playing again work as usual.
    """

    def __init__(
        self,
        engine: PlayerEngine | None = None,
        *,
        session: AudioSession | None = None,
        session_configuration: AudioSessionConfiguration | None = None,
        handle_interruptions: bool = True,
        interruptions: InterruptionOptions | None = None,
        max_speed: float = 4.0,
    ) -> None:
        super().__init__()
        if engine is not None and not isinstance(engine, PlayerEngine):
            raise TypeError(f"engine must be a PlayerEngine or None, not {engine!r}")
        if session is not None and not isinstance(session, AudioSession):
            raise TypeError(f"session must be an AudioSession or None, not {session!r}")
        if session_configuration is not None and not isinstance(
            session_configuration, AudioSessionConfiguration
        ):
            raise TypeError(
                "session_configuration must be an AudioSessionConfiguration or None, "
                f"not {session_configuration!r}"
            )
        if not isinstance(handle_interruptions, bool):
            raise TypeError(f"handle_interruptions must be a bool, not {handle_interruptions!r}")
        if isinstance(max_speed, bool) or not isinstance(max_speed, int | float):
            raise TypeError(f"max_speed must be a float, not {max_speed!r}")
        if not (math.isfinite(max_speed) and max_speed >= 1.0):
            raise ValueError(f"max_speed must be a finite number >= 1.0, not {max_speed!r}")
        self._engine = engine
        self._engine_open = False
        self._given_session = session
        self._session: AudioSession | None = None
        self._session_configuration = session_configuration
        self._handle_interruptions = handle_interruptions
        self._policy = InterruptionReactions(
            interruptions if interruptions is not None else InterruptionOptions()
        )
        #: The fastest speed :meth:`on_set_speed` accepts.
        self.max_speed = float(max_speed)
        self._listener = _Listener(self)
        self._lock = asyncio.Lock()
        self._random = random.Random()

        self._queue = MediaQueue()
        self._index: int | None = None
        # The play order under shuffle: a permutation of the queue's indices.
        self._order: list[int] | None = None
        self._playing = False
        self._processing = _IDLE
        self._error: str | None = None
        # True while the engine holds the current item (the latest load succeeded).
        self._loaded = False
        self._pending_loads = 0
        self._generation = 0
        # The position while nothing is loaded: where a load starts, or where playback ended.
        self._position = _ZERO
        self._speed = 1.0
        self._volume = 1.0
        self._repeat = AudioServiceRepeatMode.NONE
        self._shuffle = AudioServiceShuffleMode.NONE
        self._source: str | None = None
        self._tags: dict[str, str] = {}
        # What the engine has preloaded: (queue index, item) when it was preloaded, and its source.
        self._preloaded: tuple[int, MediaItem] | None = None
        self._preloaded_source: str | None = None

        self._publishing = True
        self._owned = False
        self._released = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._subscriptions: list[Subscription[Any]] = []
        self._hold_task: asyncio.Task[None] | None = None

    # -------------------------------------------------------------- public view

    @property
    def engine(self) -> PlayerEngine | None:
        """The engine (None until :meth:`on_start` created one when none was given)."""
        return self._engine

    @property
    def session(self) -> AudioSession | None:
        """The audio session, from :meth:`on_start` on."""
        return self._session

    @property
    def publishing(self) -> bool:
        """False while this task is an inactive handler of a ``SwitchingTask``: it publishes
        nothing, and its queue, item and position wait for it to become current again."""
        return self._publishing

    @property
    def queue(self) -> MediaQueue:
        """This player's queue (also while it is not publishing)."""
        return self._queue

    @property
    def queue_index(self) -> int | None:
        """The index of the current item in :attr:`queue`."""
        return self._index

    @property
    def media_item(self) -> MediaItem | None:
        """The current item."""
        return self._current_item()

    @property
    def playing(self) -> bool:
        """True while the player means to play (also while loading or buffering)."""
        return self._playing

    @property
    def processing_state(self) -> AudioProcessingState:
        """What the player is doing."""
        return self._processing

    @property
    def position(self) -> timedelta:
        """The position in the current item."""
        return self._current_position()

    @property
    def volume(self) -> float:
        """The user's volume (before ducking), 0.0 … 1.0."""
        return self._volume

    @property
    def play_order(self) -> tuple[int, ...]:
        """The queue's indices in the order they play (shuffled under shuffle mode)."""
        if self._order is None:
            return tuple(range(len(self._queue)))
        return tuple(self._order)

    # ------------------------------------------------------------------ hooks

    def create_engine(self) -> PlayerEngine:
        """The engine to use when none was given; called once, by :meth:`on_start`."""
        raise TypeError(
            f"{type(self).__name__} has no engine: pass one (QueuePlayerTask(engine)) "
            "or subclass it and override create_engine()"
        )

    async def resolve_source(self, item: MediaItem) -> str:
        """What the engine should open for ``item``: a path, ``file://`` or ``http(s)://`` URI.

        Default: ``item.extras["uri"]`` when it is a str, else ``item.id`` (the seeds
        use the URL as the id). Raise :class:`EngineError` to fail the item.
        """
        uri = (item.extras or {}).get("uri")
        if isinstance(uri, str) and uri:
            return uri
        return item.id

    async def describe_media_item(
        self, item: MediaItem, source: str, tags: Mapping[str, str]
    ) -> MediaItem:
        """The item to publish for ``item``, now playing from ``source`` with ``tags``.

        Called after each load and whenever the engine reports tags (``tags`` holds
        all of them so far, keys lower-case). The default fills a missing title,
        artist, album and genre from the tags. Overrides may add art and must keep
        the id; the fields they change are applied to the current version of the item.
        """
        changes: dict[str, Any] = {}
        title = tags.get("title")
        if title and (not item.title or item.title == item.id or has_guessed_title(item)):
            changes["title"] = title
        for field in ("artist", "album", "genre"):
            value = tags.get(field)
            if value and getattr(item, field) is None:
                changes[field] = value
        return item.copy_with(**changes) if changes else item

    async def on_interruption(self, event: AudioInterruptionEvent) -> None:
        """Another app interrupts: by default pause, duck, and resume or restore afterwards.

        See :class:`InterruptionOptions`. Override to take over (only called when
        the task handles interruptions).
        """
        await self._policy.interruption(self, event)

    async def on_becoming_noisy(self) -> None:
        """The output went away (headphones unplugged): by default pause."""
        await self._policy.becoming_noisy(self)

    # -------------------------------------------------------------- lifecycle

    async def on_start(self, params: dict[str, Any] | None) -> None:
        """Set up the session and the engine, and restore the queue.

        The queue comes from ``params["queue"]`` (items or their dicts) when given,
        else from the saved session (media resumption). The saved item and
        position are restored when that item is in the queue, loaded paused;
        repeat, shuffle and speed are restored as well.
        """
        queue = _queue_from_params(params)
        if self._engine is None:
            engine = self.create_engine()
            if not isinstance(engine, PlayerEngine):
                raise TypeError(f"create_engine() must return a PlayerEngine, not {engine!r}")
            self._engine = engine
        session = self._given_session
        if session is None:
            session = await AudioSession.instance()
        self._session = session
        configuration = self._session_configuration
        if configuration is None:
            # The app may have configured the session itself; a player that is not
            # current (in a SwitchingTask) sees the current player's configuration there.
            existing = session.configuration if self._publishing else None
            configuration = existing or AudioSessionConfiguration.music()
        self._session_configuration = configuration
        if self._publishing:
            await self._configure_session()
        if self._handle_interruptions:
            self._subscriptions.append(
                session.interruption_event_stream.listen(self.on_interruption)
            )
            self._subscriptions.append(
                session.becoming_noisy_event_stream.listen(lambda _: self.on_becoming_noisy())
            )
        saved = self._core.saved_session if self._core is not None and self._publishing else None
        if queue is not None:
            saved = None  # a queue given at start is a fresh start: it wins over the saved one
        index: int | None = None
        position = _ZERO
        if saved is not None:
            queue = list(saved.queue)
            self._repeat = saved.repeat_mode
            self._shuffle = saved.shuffle_mode
            if 0 < saved.speed <= self.max_speed:
                self._speed = saved.speed
            if saved.media_item is not None:
                index = MediaQueue(queue).index_of(saved.media_item.id, hint=saved.queue_index)
                if index is not None:
                    position = saved.position
        if queue is not None:
            self._queue = MediaQueue(queue)
        if self._queue and index is None:
            index = 0
        self._index = index
        if self._shuffle is not AudioServiceShuffleMode.NONE:
            self._order = self._shuffled(index)
        self._position = position
        self._publish_all()
        if index is not None:
            await self._load(index, position)

    #: The custom actions this player handles; any other name is an error naming these.
    custom_action_names: tuple[str, ...] = ()

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        """No action of its own: a misspelled name must not pass silently."""
        known = ", ".join(map(repr, self.custom_action_names)) or "none"
        raise ValueError(f"unknown custom action {name!r}; this player knows: {known}")

    async def on_stop(self) -> None:
        """Release the engine's output, deactivate the session, then end the service."""
        self._policy.user_acted()
        await self._release()
        if not self._owned:
            await super().on_stop()

    async def on_stop_playback(self) -> None:
        """Stop the engine and keep the service; play loads the current item from its start."""
        self._policy.user_acted()
        self._playing = False
        self._position = _ZERO
        self._processing = _IDLE
        self._error = None
        self._generation += 1
        self._preloaded = None
        if self._loaded:
            self._loaded = False
            async with self._lock:
                await self._require_engine().stop()
        self._publish_state()

    async def _release(self) -> None:
        if self._released:
            return
        self._released = True
        self._playing = False
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()
        self._cancel_hold()
        current = asyncio.current_task()
        for task in tuple(self._tasks):
            if task is not current:
                task.cancel()
        async with self._lock:
            engine = self._engine
            if engine is not None:
                steps = (engine.stop, engine.close) if self._engine_open else (engine.close,)
                self._engine_open = False
                for step in steps:
                    try:
                        await step()
                    except Exception:
                        _log.exception("releasing the player engine failed")
        self._loaded = False
        session = self._session
        if session is not None:
            try:
                await session.set_active(False)
            except Exception:
                _log.exception("deactivating the audio session failed")

    # --------------------------------------------------------------- playback

    async def on_play(self) -> None:
        """Play the current item (the first one when none is current; again after the end)."""
        self._policy.user_acted()
        await self._play()

    async def on_pause(self) -> None:
        """Pause."""
        self._policy.user_acted()
        await self._pause()

    async def on_prepare(self) -> None:
        """Load the current item without playing it."""
        if self._index is None:
            if not self._queue:
                return
            self._index = self._first_index()
        if not self._loaded and not self._pending_loads:
            await self._load(self._index, self._position)

    async def on_prepare_from_media_id(self, media_id: str) -> None:
        """Make the queue item ``media_id`` current, loaded and paused."""
        index = self._index_of(media_id)
        self._policy.user_acted()
        await self._pause()
        await self._load(index, _ZERO)

    async def on_play_from_media_id(self, media_id: str) -> None:
        """Play the queue item ``media_id`` from its start."""
        index = self._index_of(media_id)
        self._policy.user_acted()
        if await self._start_playing():
            await self._load(index, _ZERO)

    async def on_play_media_item(self, media_item: MediaItem) -> None:
        """Play ``media_item``: the queue's item with its id, or inserted after the current one."""
        if not isinstance(media_item, MediaItem):
            raise TypeError(f"media_item must be a MediaItem, not {media_item!r}")
        index = self._queue.index_of(media_item.id, hint=self._index)
        if index is None:
            index = 0 if self._index is None else self._index + 1
            self._insert(index, (media_item,))
        elif not self._queue[index].same_content(media_item):
            self._replace_item(index, media_item)
        self._policy.user_acted()
        if await self._start_playing():
            await self._load(index, _ZERO)

    async def on_play_from_uri(self, uri: str, extras: dict[str, Any] | None) -> None:
        """Play ``uri`` (MPRIS ``OpenUri``) as a new item after the current one."""
        if not isinstance(uri, str) or not uri:
            raise ValueError(f"uri must be a non-empty str, not {uri!r}")
        await self.on_play_media_item(item_from_uri(uri, extras))

    async def on_seek_to(self, position: timedelta) -> None:
        """Seek within the current item, clamped to its duration."""
        check_duration(position, "position")
        item = self._current_item()
        if item is None:
            return
        if item.duration is not None and position > item.duration:
            position = item.duration
        if self._loaded:
            async with self._lock:
                if self._loaded:
                    await self._require_engine().seek(position)
            self._publish_state()
            return
        self._position = position
        if self._processing is _COMPLETED and self._index is not None:
            await self._load(self._index, position)
            return
        self._publish_state()

    async def on_fast_forward(self) -> None:
        """Jump forward by the fast-forward interval, within the current item."""
        await self._seek_by(self.fast_forward_interval)

    async def on_rewind(self) -> None:
        """Jump back by the rewind interval, not before the start."""
        await self._seek_by(-self.rewind_interval)

    async def on_seek_forward(self, begin: bool) -> None:
        """While held: jump forward by the fast-forward interval every second."""
        self._hold(self.fast_forward_interval if begin else None)

    async def on_seek_backward(self, begin: bool) -> None:
        """While held: jump back by the rewind interval every second."""
        self._hold(-self.rewind_interval if begin else None)

    async def on_set_speed(self, speed: float) -> None:
        """Change the speed (pitch kept); 0 < speed <= :attr:`max_speed`."""
        if isinstance(speed, bool) or not isinstance(speed, int | float):
            raise TypeError(f"speed must be a float, not {speed!r}")
        if not (math.isfinite(speed) and 0 < speed <= self.max_speed):
            raise ValueError(
                f"speed must be a finite number > 0 and <= {self.max_speed}, not {speed!r}"
            )
        if self._engine_open:
            async with self._lock:
                if self._engine_open:
                    await self._require_engine().set_speed(float(speed))
        self._speed = float(speed)
        self._publish_state()

    async def on_set_volume(self, volume: float) -> None:
        """Change the volume, 0.0 … 1.0 (more is taken as 1.0); ducking applies on top."""
        if isinstance(volume, bool) or not isinstance(volume, int | float):
            raise TypeError(f"volume must be a float, not {volume!r}")
        if not (math.isfinite(volume) and volume >= 0):
            raise ValueError(f"volume must be a finite number >= 0, not {volume!r}")
        self._volume = min(float(volume), 1.0)
        await self._apply_volume()

    async def on_set_repeat_mode(self, repeat_mode: AudioServiceRepeatMode) -> None:
        """Repeat nothing, the current item, or the queue (``GROUP``: the queue is one group)."""
        mode = AudioServiceRepeatMode(repeat_mode)
        if mode is AudioServiceRepeatMode.GROUP and self._repeat is not mode:
            _log.info("repeat mode GROUP: a queue player has one group, so it repeats the queue")
        self._repeat = mode
        self._publish_state()
        self._schedule_preload()

    async def on_set_shuffle_mode(self, shuffle_mode: AudioServiceShuffleMode) -> None:
        """Shuffle the play order (the current item first) or go back to queue order."""
        mode = AudioServiceShuffleMode(shuffle_mode)
        if mode is AudioServiceShuffleMode.NONE:
            self._order = None
        elif self._shuffle is AudioServiceShuffleMode.NONE or self._order is None:
            if mode is AudioServiceShuffleMode.GROUP:
                _log.info("shuffle mode GROUP: a queue player has one group, so it shuffles all")
            self._order = self._shuffled(self._index)
        self._shuffle = mode
        self._publish_state()
        self._schedule_preload()

    # ----------------------------------------------------------------- queue

    async def on_skip_to_next(self) -> None:
        """The next item in play order (wrapping under repeat all); nothing at the end."""
        target = self._step(1, wrap=self._repeat in _WRAPPING)
        if target is not None:
            await self._load(target, _ZERO)

    async def on_skip_to_previous(self) -> None:
        """The previous item in play order, or the start of the current one at the beginning."""
        target = self._step(-1, wrap=self._repeat in _WRAPPING)
        if target is not None:
            await self._load(target, _ZERO)
        elif self._index is not None:
            await self.on_seek_to(_ZERO)

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        """Make the queue item ``media_id`` current, from its start, playing if playing."""
        await self._load(self._index_of(media_id), _ZERO)

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        """Append ``media_item``."""
        self._insert(len(self._queue), (media_item,))

    async def on_add_queue_items(self, media_items: list[MediaItem]) -> None:
        """Append ``media_items`` in one change."""
        self._insert(len(self._queue), tuple(media_items))

    async def on_add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        """Insert ``media_item`` at ``index`` (0 … the queue's length)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"index must be an int, not {index!r}")
        if not 0 <= index <= len(self._queue):
            raise ValueError(f"index must be within [0, {len(self._queue)}], not {index}")
        self._insert(index, (media_item,))

    async def on_remove_queue_item(self, media_item: MediaItem) -> None:
        """Remove the item with ``media_item``'s id; removing the current one moves on."""
        if not isinstance(media_item, MediaItem):
            raise TypeError(f"media_item must be a MediaItem, not {media_item!r}")
        index = self._index_of(media_item.id)
        current = self._index
        successor = self._step(1, wrap=self._repeat in _WRAPPING) if index == current else None
        self._queue = self._queue.splice(index, 1)
        if self._order is not None:
            self._order = [i - 1 if i > index else i for i in self._order if i != index]
        if self._can_publish():
            self._require_core().splice_queue(index, 1)
        if current is None or index > current:
            self._after_queue_change()
            return
        if index < current:
            self._index = current - 1
            self._after_queue_change()
            return
        # The current item went away.
        if successor == index:
            successor = None  # it was the only one left to wrap to
        if successor is not None and successor > index:
            successor -= 1
        await self._replace_current(successor)

    async def on_update_queue(self, queue: list[MediaItem]) -> None:
        """Replace the queue; the current item plays on if the new queue has it."""
        new = MediaQueue(queue)
        current = self._current_item()
        index = new.index_of(current.id, hint=self._index) if current is not None else None
        if index is not None and current is not None:
            replacement = new[index]
            if replacement.duration is None and current.duration is not None:
                new = new.update(index, replacement.copy_with(duration=current.duration))
        self._queue = new
        if self._shuffle is not AudioServiceShuffleMode.NONE:
            self._order = self._shuffled(index)
        if self._can_publish():
            self._require_core().set_queue(new)
        if index is not None or current is None:
            self._index = index if index is not None else (self._first_index() if new else None)
            self._publish_item()
            self._after_queue_change()
            return
        await self._replace_current(self._first_index() if new else None)

    async def on_update_media_item(self, media_item: MediaItem) -> None:
        """Replace the metadata of the queue items with ``media_item.id``."""
        if not isinstance(media_item, MediaItem):
            raise TypeError(f"media_item must be a MediaItem, not {media_item!r}")
        indices = [i for i, item in enumerate(self._queue) if item.id == media_item.id]
        if not indices:
            raise ValueError(f"no queue item has the id {media_item.id!r}")
        for index in indices:
            self._replace_item(index, media_item)

    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        """``root``: the queue; ``recent``: the current item (media resumption)."""
        if parent_media_id == MEDIA_ROOT_ID:
            return list(self._queue)
        if parent_media_id == RECENT_ROOT_ID:
            item = self._current_item()
            return [item] if item is not None else []
        return []

    # ------------------------------------------------------- playing, pausing

    async def _start_playing(self) -> bool:
        """Activate the session and mean to play; False (and paused) when it was denied."""
        if not await self._activate():
            self._playing = False
            self._publish_state()
            return False
        self._playing = True
        return True

    async def _play(self) -> None:
        if not self._queue:
            return
        if not await self._start_playing():
            return
        if self._processing is _COMPLETED:
            following = self._step(1, wrap=False)
            await self._load(following if following is not None else self._first_index(), _ZERO)
        elif self._index is None:
            await self._load(self._first_index(), _ZERO)
        elif self._loaded:
            async with self._lock:
                if self._loaded and self._playing:
                    await self._require_engine().play()
            self._publish_state()
        elif self._pending_loads:
            self._publish_state()  # the load under way starts playing when it is done
        else:
            await self._load(self._index, self._position)

    async def _pause(self) -> None:
        self._playing = False
        if self._loaded:
            async with self._lock:
                if self._loaded and not self._playing:
                    await self._require_engine().pause()
        self._publish_state()

    async def _activate(self) -> bool:
        session = self._session
        if session is None:
            return True
        try:
            granted = await session.set_active(True)
        except AudioSessionError as error:
            _log.warning("not playing: the audio session could not be activated: %s", error)
            return False
        if not granted:
            _log.warning(
                "not playing: the system denied the audio session "
                "(another app holds the audio, e.g. a call)"
            )
        return granted

    async def _apply_volume(self) -> None:
        if not self._engine_open:
            return
        async with self._lock:
            if self._engine_open:
                await self._require_engine().set_volume(self._effective_volume())

    def _effective_volume(self) -> float:
        return self._volume * self._policy.volume_factor

    # The policy's way in (see _interruptions.Interruptible).

    @property
    def _interruption_playing(self) -> bool:
        return self._playing

    async def _interruption_pause(self) -> None:
        await self._pause()

    async def _interruption_resume(self) -> None:
        await self._play()

    async def _interruption_duck(self, factor: float) -> None:
        await self._apply_volume()

    # ---------------------------------------------------------------- seeking

    async def _seek_by(self, offset: timedelta) -> None:
        item = self._current_item()
        if item is None:
            return
        target = max(self._current_position() + offset, _ZERO)
        if item.duration is not None:
            target = min(target, item.duration)
        await self.on_seek_to(target)

    def _hold(self, offset: timedelta | None) -> None:
        self._cancel_hold()
        if offset is not None:
            self._hold_task = self._spawn(self._hold_loop(offset))

    def _cancel_hold(self) -> None:
        task, self._hold_task = self._hold_task, None
        if task is not None:
            task.cancel()

    async def _hold_loop(self, offset: timedelta) -> None:
        while True:
            await self._seek_by(offset)
            item = self._current_item()
            position = self._current_position()
            if position <= _ZERO or (item is not None and item.duration == position):
                return
            await asyncio.sleep(_HOLD_PERIOD)

    # ---------------------------------------------------------------- loading

    async def _load(self, index: int, position: timedelta) -> None:
        """Make ``index`` current and have the engine open it at ``position``."""
        self._generation += 1
        generation = self._generation
        self._pending_loads += 1
        try:
            await self._load_generation(generation, index, position)
        finally:
            self._pending_loads -= 1

    async def _load_generation(self, generation: int, index: int, position: timedelta) -> None:
        item = self._queue[index]
        self._index = index
        self._loaded = False
        self._position = position
        self._processing = _LOADING
        self._error = None
        self._tags = {}
        self._source = None
        self._preloaded = None
        self._publish_item()
        self._publish_state()
        try:
            source = await self.resolve_source(item)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if generation == self._generation:
                if not isinstance(error, EngineError):
                    _log.exception("resolve_source(%r) failed", item.id)
                self._fail(f"cannot play {item.title!r}: {error}")
            return
        async with self._lock:
            if generation != self._generation or self._released:
                return
            try:
                engine = await self._open_engine()
                playing, start = self._playing, self._position
                await engine.load(source, position=start, play=playing)
                # Requests that came while the engine was opening the source apply now.
                if generation == self._generation:
                    if self._position != start:
                        await engine.seek(self._position)
                    if self._playing != playing:
                        await (engine.play() if self._playing else engine.pause())
            except Exception as error:
                if generation == self._generation:
                    self._fail(f"cannot play {item.title!r}: {error}")
                if isinstance(error, EngineError):
                    return
                raise
            if generation != self._generation:
                return  # a newer load waits for the lock and replaces this source
            self._loaded = True
            self._source = source
            self._processing = _READY
        self._publish_state()
        self._schedule_preload()
        self._schedule_describe()

    async def _open_engine(self) -> PlayerEngine:
        engine = self._require_engine()
        if not self._engine_open:
            await engine.open(self._listener)
            self._engine_open = True
            if self._speed != 1.0:
                await engine.set_speed(self._speed)
            volume = self._effective_volume()
            if volume != 1.0:
                await engine.set_volume(volume)
        return engine

    def _require_engine(self) -> PlayerEngine:
        engine = self._engine
        if engine is None:
            raise RuntimeError("the player has no engine yet: on_start has not run")
        return engine

    def _fail(self, message: str) -> None:
        _log.warning("%s", message)
        self._loaded = False
        self._processing = _ERROR
        self._error = message
        self._publish_state()

    async def _replace_current(self, index: int | None) -> None:
        """The current item left the queue: go on with ``index``, or stop when None."""
        if index is None:
            self._index = self._first_index() if self._queue else None
            self._playing = False
            self._position = _ZERO
            self._processing = _IDLE
            self._error = None
            self._generation += 1
            if self._loaded:
                self._loaded = False
                async with self._lock:
                    await self._require_engine().stop()
            self._preloaded = None
            self._publish_item()
            self._publish_state()
            return
        if self._loaded or self._pending_loads or self._processing is _ERROR:
            await self._load(index, _ZERO)
            return
        self._index = index
        self._position = _ZERO
        self._publish_item()
        self._after_queue_change()

    # --------------------------------------------------------- gapless preload

    def _schedule_preload(self) -> None:
        if self._loaded and not self._released:
            self._spawn(self._preload())

    async def _preload(self) -> None:
        following = self._following()
        wanted = None if following is None else (following, self._queue[following])
        if self._preloaded == wanted:
            return
        source: str | None = None
        if wanted is not None:
            try:
                source = await self.resolve_source(wanted[1])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                _log.warning("cannot preload %r: %s", wanted[1].id, error)
                wanted = None
        async with self._lock:
            if not self._loaded or self._released:
                return
            now = self._following()
            if (now is None and wanted is not None) or (
                now is not None and (wanted is None or (now, self._queue[now]) != wanted)
            ):
                return  # things changed meanwhile; a newer preload is on its way
            if wanted == self._preloaded:
                return
            await self._require_engine().preload(source)
            self._preloaded = wanted
            self._preloaded_source = source

    # ----------------------------------------------------------- engine reports

    def _engine_buffering(self, buffering: bool) -> None:
        if not self._loaded or self._processing not in (_READY, _BUFFERING):
            return
        self._processing = _BUFFERING if buffering else _READY
        self._publish_state()

    def _engine_duration(self, duration: timedelta | None) -> None:
        index = self._index
        if index is None or self._released:
            return
        item = self._queue[index]
        if item.duration != duration:
            self._replace_item(index, item.copy_with(duration=duration))

    def _engine_tags(self, tags: Mapping[str, str]) -> None:
        if self._released:
            return
        self._tags.update(tags)
        if self._loaded:
            self._schedule_describe()

    def _engine_ended(self, advanced: bool) -> None:
        if not self._loaded or self._released:
            return  # an end from before the load under way
        preloaded, self._preloaded = self._preloaded, None
        if advanced:
            index = None
            if preloaded is not None:
                hint, item = preloaded
                index = self._queue.index_of(item.id, hint=hint)
            if index is not None:
                self._index = index
                self._generation += 1
                self._source = self._preloaded_source
                self._tags = {}
                self._error = None
                self._processing = _READY
                self._publish_item()
                self._publish_state()
                self._schedule_preload()
                self._schedule_describe()
                return
            self._loaded = False  # the engine went on to an item the queue no longer has
        following = self._following()
        if following is None:
            self._loaded = False
            self._playing = False
            self._processing = _COMPLETED
            current = self._current_item()
            end = current.duration if current is not None else None
            self._position = end if end is not None else self._engine_position()
            self._publish_state()
            return
        self._loaded = False
        self._spawn(self._load(following, _ZERO))

    def _engine_error(self, message: str) -> None:
        if not self._loaded or self._released:
            return
        self._position = self._engine_position()
        self._fail(message)

    def _engine_position(self) -> timedelta:
        engine = self._engine
        return engine.position() if engine is not None and self._engine_open else _ZERO

    # ---------------------------------------------------------------- describe

    def _schedule_describe(self) -> None:
        index, source = self._index, self._source
        if index is None or source is None or not self._loaded:
            return
        self._spawn(self._describe(self._generation, index, source, dict(self._tags)))

    async def _describe(
        self, generation: int, index: int, source: str, tags: dict[str, str]
    ) -> None:
        item = self._queue[index]
        described = await self.describe_media_item(item, source, tags)
        if generation != self._generation or self._index != index:
            return
        current = self._queue[index]
        if described.id != current.id:
            raise ValueError(
                f"describe_media_item must keep the id {current.id!r}, not {described.id!r}"
            )
        changes = {
            field: getattr(described, field)
            for field in described.__struct_fields__
            if getattr(described, field) != getattr(item, field)
        }
        if changes:
            self._replace_item(index, current.copy_with(**changes))

    # ----------------------------------------------------------- queue helpers

    def _current_item(self) -> MediaItem | None:
        return self._queue[self._index] if self._index is not None else None

    def _index_of(self, media_id: str) -> int:
        if not isinstance(media_id, str):
            raise TypeError(f"media_id must be a str, not {media_id!r}")
        index = self._queue.index_of(media_id, hint=self._index)
        if index is None:
            raise ValueError(f"no queue item has the media_id {media_id!r}")
        return index

    def _first_index(self) -> int:
        return self._order[0] if self._order else 0

    def _step(self, delta: int, *, wrap: bool) -> int | None:
        """The index ``delta`` places from the current one in play order."""
        index, size = self._index, len(self._queue)
        if index is None or size == 0:
            return None
        order = self._order
        place = order.index(index) if order is not None else index
        target = place + delta
        if not 0 <= target < size:
            if not wrap:
                return None
            target %= size
        return order[target] if order is not None else target

    def _following(self) -> int | None:
        """What plays when the current item ends by itself."""
        if self._repeat is AudioServiceRepeatMode.ONE:
            return self._index
        return self._step(1, wrap=self._repeat in _WRAPPING)

    def _shuffled(self, first: int | None) -> list[int]:
        rest = [i for i in range(len(self._queue)) if i != first]
        self._random.shuffle(rest)
        return rest if first is None else [first, *rest]

    def _insert(self, at: int, items: tuple[MediaItem, ...]) -> None:
        for item in items:
            if not isinstance(item, MediaItem):
                raise TypeError(f"media items must be MediaItem, not {item!r}")
        if not items:
            return
        count = len(items)
        self._queue = self._queue.splice(at, 0, items)
        if self._order is not None:
            order = [i + count if i >= at else i for i in self._order]
            # New items join the part of the shuffle still to come.
            start = order.index(self._index) + 1 if self._index is not None else 0
            for new in range(at, at + count):
                order.insert(self._random.randint(start, len(order)), new)
            self._order = order
        if self._can_publish():
            self._require_core().splice_queue(at, 0, items)
        if self._index is None:
            self._index = self._first_index()
            self._position = _ZERO
            self._publish_item()
        elif self._index >= at:
            self._index += count
        self._after_queue_change()

    def _replace_item(self, index: int, item: MediaItem) -> None:
        self._queue = self._queue.update(index, item)
        if self._can_publish():
            self._require_core().update_queue_item(index, item)
            if index == self._index:
                self._publish_item()
                self._publish_state()  # seekability follows the duration

    def _after_queue_change(self) -> None:
        self._publish_state()
        self._schedule_preload()

    # -------------------------------------------------------------- publishing

    def _can_publish(self) -> bool:
        core = self._core
        return (
            self._publishing
            and not self._released
            and core is not None
            and core.phase in (ServicePhase.STARTING, ServicePhase.RUNNING)
        )

    def _require_core(self) -> ServiceCore:
        core = self._core
        assert core is not None  # _can_publish() checked it
        return core

    def _current_position(self) -> timedelta:
        if self._loaded:
            return self._engine_position()
        return self._position

    def _publish_all(self) -> None:
        if not self._can_publish():
            return
        self._require_core().set_queue(self._queue)
        self._publish_item()
        self._publish_state()

    def _publish_item(self) -> None:
        if self._can_publish():
            self._require_core().set_media_item(self._current_item())

    def _publish_state(self) -> None:
        if not self._can_publish():
            return
        item = self._current_item()
        playing = self._playing and self._processing is not _ERROR
        controls: list[MediaControl] = []
        actions = set(_ALWAYS)
        if item is not None:
            wrap = self._repeat in _WRAPPING
            if self._step(-1, wrap=wrap) is not None:
                controls.append(MediaControl.skip_to_previous)
            controls.append(MediaControl.pause if playing else MediaControl.play)
            controls.append(MediaControl.stop)
            if self._step(1, wrap=wrap) is not None:
                controls.append(MediaControl.skip_to_next)
            actions.add(MediaAction.SKIP_TO_QUEUE_ITEM)
            if item.duration is not None:
                actions |= _SEEKING
        position = self._current_position()
        if item is not None and item.duration is not None and position > item.duration:
            position = item.duration
        compact = [i for i, control in enumerate(controls) if control.action in _COMPACT]
        self._require_core().set_state(
            controls=controls,
            android_compact_action_indices=compact,
            system_actions=actions,
            processing_state=self._processing,
            playing=playing,
            position=position,
            speed=self._speed,
            repeat_mode=self._repeat,
            shuffle_mode=self._shuffle,
            error_code=None,
            error_message=self._error,
            queue_index=self._index,
        )

    async def _configure_session(self) -> None:
        session, configuration = self._session, self._session_configuration
        if (
            session is not None
            and configuration is not None
            and session.configuration != configuration
        ):
            await session.configure(configuration)

    async def _set_current(self, current: bool) -> None:
        """Used by ``SwitchingTask``: become current (configure the session for this player,
        publish everything) or stop publishing."""
        self._publishing = current
        if current:
            self._publish_all()
            try:
                await self._configure_session()
            except AudioSessionError as error:
                _log.warning("the audio session refused this player's configuration: %s", error)

    # ------------------------------------------------------------- background

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("a player task failed", exc_info=task.exception())

    async def _settle(self) -> None:
        """Wait until no background work (loads after an end, preloads, tags) is left."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)


def _queue_from_params(params: dict[str, Any] | None) -> list[MediaItem] | None:
    if params is None or "queue" not in params:
        return None
    given = params["queue"]
    if isinstance(given, str | bytes) or not isinstance(given, Iterable):
        raise TypeError(f"params['queue'] must be a list of media items, not {given!r}")
    items: list[MediaItem] = []
    for position, entry in enumerate(given):
        if isinstance(entry, MediaItem):
            items.append(entry)
            continue
        try:
            items.append(msgspec.convert(entry, MediaItem))
        except (msgspec.ValidationError, TypeError, ValueError) as error:
            raise ValueError(f"params['queue'][{position}] is not a media item: {error}") from None
    return items
