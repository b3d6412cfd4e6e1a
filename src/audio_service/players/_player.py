"""``QueuePlayerTask``: a complete background task that plays a queue through an engine.

The task owns the queue and what happens to it; its parts each have one job:
the play order under shuffle and repeat (:mod:`._play_order`), getting the
current item into the engine with one explicit load state (:mod:`._loading`),
the audio session and interruptions (:mod:`._session_glue`), what play and pause
do from each load state (:mod:`._play_pause`), seeking within the current item
(:mod:`._seeking`), the speed, volume, repeat and shuffle settings (:mod:`._settings`),
and what clients see (:mod:`._publishing`). The engine only plays one source at a
time; see :class:`~audio_service.players.PlayerEngine`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import msgspec

from audio_service._model._from_uri import has_guessed_title, item_from_uri
from audio_service._model._models import (
    MEDIA_ROOT_ID,
    RECENT_ROOT_ID,
    AudioProcessingState,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaItem,
)
from audio_service._model._queue import MediaQueue
from audio_service._service._task import BackgroundAudioTask
from audio_service.players._engine import PlayerEngine
from audio_service.players._interruptions import InterruptionOptions
from audio_service.players._loading import LoadState, PlayerLoads
from audio_service.players._play_order import PlayOrder
from audio_service.players._play_pause import PlayPause
from audio_service.players._publishing import StatePublisher
from audio_service.players._queue_edits import QueueEdits
from audio_service.players._seeking import Seeking
from audio_service.players._session_glue import HeldSeek, SessionGlue
from audio_service.players._settings import PlaybackSettings, checked_max_speed
from audio_session import AudioInterruptionEvent, AudioSession, AudioSessionConfiguration
from audio_session._checks import is_int
from audio_session._tasks import BackgroundTasks

__all__ = ["QueuePlayerTask"]

_log = logging.getLogger("audio_service.players")

_ZERO = timedelta(0)


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
        #: The fastest speed :meth:`on_set_speed` accepts.
        self.max_speed = checked_max_speed(max_speed)

        self._queue = MediaQueue()
        self._index: int | None = None
        self._order = PlayOrder()
        self._playing = False
        # The position while nothing is loaded: where a load starts, or where playback ended.
        self._position = _ZERO
        self._speed = 1.0
        self._volume = 1.0
        self._publishing = True
        self._owned = False

        # The parts, one job each; the state above stays here, with one owner, and they
        # read and change it through this player rather than keep copies.
        self._background = BackgroundTasks(_log, "a player task")
        self._loads = PlayerLoads(self, engine)
        self._publisher = StatePublisher(self)
        self._glue = SessionGlue(
            self, session, session_configuration, handle_interruptions, interruptions
        )
        self._held_seek = HeldSeek(self)
        self._edits = QueueEdits(self)
        self._seeking = Seeking(self)
        self._playback_settings = PlaybackSettings(self)
        self._play_pause = PlayPause(self)

    # -------------------------------------------------------------- public view

    @property
    def engine(self) -> PlayerEngine | None:
        """The engine (None until :meth:`on_start` created one when none was given)."""
        return self._loads.engine

    @property
    def session(self) -> AudioSession | None:
        """The audio session, from :meth:`on_start` on."""
        return self._glue.session

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
        return self._loads.processing_state

    @property
    def position(self) -> timedelta:
        """The position in the current item."""
        return self._seeking.position()

    @property
    def volume(self) -> float:
        """The user's volume (before ducking), 0.0 … 1.0."""
        return self._volume

    @property
    def play_order(self) -> tuple[int, ...]:
        """The queue's indices in the order they play (shuffled under shuffle mode)."""
        return self._order.indices

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
        await self._glue.policy.interruption(self._glue, event)

    async def on_becoming_noisy(self) -> None:
        """The output went away (headphones unplugged): by default pause."""
        await self._glue.policy.becoming_noisy(self._glue)

    # -------------------------------------------------------------- lifecycle

    async def on_start(self, params: dict[str, Any] | None) -> None:
        """Set up the session and the engine, and restore the queue.

        The queue comes from ``params["queue"]`` (items or their dicts) when given,
        else from the saved session (media resumption). The saved item and
        position are restored when that item is in the queue, loaded paused;
        repeat, shuffle and speed are restored as well.
        """
        queue = _queue_from_params(params)
        if self._loads.engine is None:
            engine = self.create_engine()
            if not isinstance(engine, PlayerEngine):
                raise TypeError(f"create_engine() must return a PlayerEngine, not {engine!r}")
            self._loads.engine = engine
        await self._glue.start(self._publishing)
        saved = self._core.saved_session if self._core is not None and self._publishing else None
        if queue is not None:
            saved = None  # a queue given at start is a fresh start: it wins over the saved one
        index, position = self._edits.restore(queue, saved)
        self._publisher.all()
        if index is not None:
            await self._loads.load(index, position)

    #: The custom actions this player handles; any other name is an error naming these.
    custom_action_names: tuple[str, ...] = ()

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        """No action of its own: a misspelled name must not pass silently."""
        known = ", ".join(map(repr, self.custom_action_names)) or "none"
        raise ValueError(f"unknown custom action {name!r}; this player knows: {known}")

    async def on_stop(self) -> None:
        """Release the engine's output, deactivate the session, then end the service."""
        self._glue.policy.user_acted()
        await self._release()
        if not self._owned:
            await super().on_stop()

    async def on_stop_playback(self) -> None:
        """Stop the engine and keep the service; play loads the current item from its start."""
        self._glue.policy.user_acted()
        self._playing = False
        self._position = _ZERO
        await self._loads.unload()
        self._publisher.state()

    async def _release(self) -> None:
        if self._loads.released:
            return
        self._playing = False
        self._glue.unsubscribe()
        self._held_seek.cancel()
        self._background.cancel()
        await self._loads.release()
        await self._glue.deactivate()

    # --------------------------------------------------------------- playback

    async def on_play(self) -> None:
        """Play the current item (the first one when none is current; again after the end)."""
        self._glue.policy.user_acted()
        await self._play_pause.play()

    async def on_pause(self) -> None:
        """Pause."""
        self._glue.policy.user_acted()
        await self._play_pause.pause()

    async def on_prepare(self) -> None:
        """Load the current item without playing it."""
        if self._index is None:
            self._index = self._order.first()
            if self._index is None:
                return
        if not self._loads.holding and self._loads.state is not LoadState.LOADING:
            await self._loads.load(self._index, self._position)

    async def on_prepare_from_media_id(self, media_id: str) -> None:
        """Make the queue item ``media_id`` current, loaded and paused."""
        index = self._index_of(media_id)
        self._glue.policy.user_acted()
        await self._play_pause.pause()
        await self._loads.load(index, _ZERO)

    async def on_play_from_media_id(self, media_id: str) -> None:
        """Play the queue item ``media_id`` from its start."""
        index = self._index_of(media_id)
        self._glue.policy.user_acted()
        if await self._play_pause.start():
            await self._loads.load(index, _ZERO)

    async def on_play_media_item(self, media_item: MediaItem) -> None:
        """Play ``media_item``: the queue's item with its id, or inserted after the current one."""
        if not isinstance(media_item, MediaItem):
            raise TypeError(f"media_item must be a MediaItem, not {media_item!r}")
        index = self._queue.index_of(media_item.id, hint=self._index)
        if index is None:
            index = 0 if self._index is None else self._index + 1
            self._edits.insert(index, (media_item,))
        elif not self._queue[index].same_content(media_item):
            self._edits.replace_item(index, media_item)
        self._glue.policy.user_acted()
        if await self._play_pause.start():
            await self._loads.load(index, _ZERO)

    async def on_play_from_uri(self, uri: str, extras: dict[str, Any] | None) -> None:
        """Play ``uri`` (MPRIS ``OpenUri``) as a new item after the current one."""
        if not isinstance(uri, str) or not uri:
            raise ValueError(f"uri must be a non-empty str, not {uri!r}")
        await self.on_play_media_item(item_from_uri(uri, extras))

    async def on_seek_to(self, position: timedelta) -> None:
        """Seek within the current item, clamped to its duration."""
        await self._seeking.seek_to(position)

    async def on_fast_forward(self) -> None:
        """Jump forward by the fast-forward interval, within the current item."""
        await self._seeking.seek_by(self.fast_forward_interval)

    async def on_rewind(self) -> None:
        """Jump back by the rewind interval, not before the start."""
        await self._seeking.seek_by(-self.rewind_interval)

    async def on_seek_forward(self, begin: bool) -> None:
        """While held: jump forward by the fast-forward interval every second."""
        self._held_seek.hold(self.fast_forward_interval if begin else None)

    async def on_seek_backward(self, begin: bool) -> None:
        """While held: jump back by the rewind interval every second."""
        self._held_seek.hold(-self.rewind_interval if begin else None)

    async def on_set_speed(self, speed: float) -> None:
        """Change the speed (pitch kept); 0 < speed <= :attr:`max_speed`."""
        await self._playback_settings.set_speed(speed)

    async def on_set_volume(self, volume: float) -> None:
        """Change the volume, 0.0 … 1.0 (more is taken as 1.0); ducking applies on top."""
        await self._playback_settings.set_volume(volume)

    async def on_set_repeat_mode(self, repeat_mode: AudioServiceRepeatMode) -> None:
        """Repeat nothing, the current item, or the queue (``GROUP``: the queue is one group)."""
        self._playback_settings.set_repeat_mode(repeat_mode)

    async def on_set_shuffle_mode(self, shuffle_mode: AudioServiceShuffleMode) -> None:
        """Shuffle the play order (the current item first) or go back to queue order."""
        self._playback_settings.set_shuffle_mode(shuffle_mode)

    # ----------------------------------------------------------------- queue

    async def on_skip_to_next(self) -> None:
        """The next item in play order (wrapping under repeat all); nothing at the end."""
        target = self._order.next(self._index)
        if target is not None:
            await self._loads.load(target, _ZERO)

    async def on_skip_to_previous(self) -> None:
        """The previous item in play order, or the start of the current one at the beginning."""
        target = self._order.previous(self._index)
        if target is not None:
            await self._loads.load(target, _ZERO)
        elif self._index is not None:
            await self.on_seek_to(_ZERO)

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        """Make the queue item ``media_id`` current, from its start, playing if playing."""
        await self._loads.load(self._index_of(media_id), _ZERO)

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        """Append ``media_item``."""
        self._edits.insert(len(self._queue), (media_item,))

    async def on_add_queue_items(self, media_items: list[MediaItem]) -> None:
        """Append ``media_items`` in one change."""
        self._edits.insert(len(self._queue), tuple(media_items))

    async def on_add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        """Insert ``media_item`` at ``index`` (0 … the queue's length)."""
        if not is_int(index):
            raise TypeError(f"index must be an int, not {index!r}")
        if not 0 <= index <= len(self._queue):
            raise ValueError(f"index must be within [0, {len(self._queue)}], not {index}")
        self._edits.insert(index, (media_item,))

    async def on_remove_queue_item(self, media_item: MediaItem) -> None:
        """Remove the item with ``media_item``'s id; removing the current one moves on."""
        if not isinstance(media_item, MediaItem):
            raise TypeError(f"media_item must be a MediaItem, not {media_item!r}")
        await self._edits.remove(self._index_of(media_item.id))

    async def on_update_queue(self, queue: list[MediaItem]) -> None:
        """Replace the queue; the current item plays on if the new queue has it."""
        await self._edits.replace_all(MediaQueue(queue))

    async def on_update_media_item(self, media_item: MediaItem) -> None:
        """Replace the metadata of the queue items with ``media_item.id``."""
        if not isinstance(media_item, MediaItem):
            raise TypeError(f"media_item must be a MediaItem, not {media_item!r}")
        indices = [i for i, item in enumerate(self._queue) if item.id == media_item.id]
        if not indices:
            raise ValueError(f"no queue item has the id {media_item.id!r}")
        for index in indices:
            self._edits.replace_item(index, media_item)

    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        """``root``: the queue; ``recent``: the current item (media resumption)."""
        if parent_media_id == MEDIA_ROOT_ID:
            return list(self._queue)
        if parent_media_id == RECENT_ROOT_ID:
            item = self._current_item()
            return [item] if item is not None else []
        return []

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

    # -------------------------------------------------------------- switching

    async def _set_current(self, current: bool) -> None:
        """Used by ``SwitchingTask``: become current (configure the session for this player,
        publish everything) or stop publishing."""
        self._publishing = current
        if current:
            self._publisher.all()
            await self._glue.become_current()

    async def settle(self) -> None:
        """Wait until no background work is left: the load after an item ended, the preload
        of the next item, tag updates. A test hook: after a request or an engine report,
        ``await player.settle()`` and then assert, with no sleep and no polling."""
        await self._background.wait()


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
