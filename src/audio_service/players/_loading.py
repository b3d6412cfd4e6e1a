"""The engine's load lifecycle for :class:`QueuePlayerTask`: one explicit state.

Engine calls are serialised by one lock, so concurrent requests (a seek arriving
while the next item loads) reach the engine one after the other. A load records
a generation number: a load that a later one superseded while it was resolving
its source never reaches the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Final

from audio_service._model._models import AudioProcessingState, MediaItem
from audio_service.players._engine import EngineError, PlayerEngine

if TYPE_CHECKING:
    from audio_service.players._player import QueuePlayerTask

__all__ = ["LoadState", "PlayerLoads"]

_log = logging.getLogger("audio_service.players")

_ZERO = timedelta(0)


class LoadState(Enum):
    """Where the current item is between the queue and the engine."""

    #: Nothing is in the engine; the player keeps the position where a load would start.
    IDLE = "idle"
    #: The latest load is resolving or opening its source.
    LOADING = "loading"
    #: The engine holds the current item.
    READY = "ready"
    #: The engine holds the current item and waits for data.
    BUFFERING = "buffering"
    #: The queue played to its end; the position is where it ended.
    COMPLETED = "completed"
    #: The current item could not be played (see :attr:`PlayerLoads.error`).
    FAILED = "failed"
    #: ``on_stop`` released the engine; no state follows.
    RELEASED = "released"


_PROCESSING: Final = {
    LoadState.IDLE: AudioProcessingState.IDLE,
    LoadState.LOADING: AudioProcessingState.LOADING,
    LoadState.READY: AudioProcessingState.READY,
    LoadState.BUFFERING: AudioProcessingState.BUFFERING,
    LoadState.COMPLETED: AudioProcessingState.COMPLETED,
    LoadState.FAILED: AudioProcessingState.ERROR,
    LoadState.RELEASED: AudioProcessingState.IDLE,
}
_HOLDING: Final = frozenset({LoadState.READY, LoadState.BUFFERING})


class _Listener:
    """Hands the engine's reports to the loads (kept apart so their names stay their own)."""

    def __init__(self, loads: PlayerLoads) -> None:
        self._loads = loads

    def on_buffering(self, buffering: bool) -> None:
        self._loads._engine_buffering(buffering)

    def on_duration(self, duration: timedelta | None) -> None:
        self._loads._engine_duration(duration)

    def on_tags(self, tags: Mapping[str, str]) -> None:
        self._loads._engine_tags(tags)

    def on_ended(self, advanced: bool) -> None:
        self._loads._engine_ended(advanced)

    def on_error(self, message: str) -> None:
        self._loads._engine_error(message)


class PlayerLoads:
    """Gets the player's current item into the engine, and follows what the engine reports.

    Reads the player's queue, index, position and play intent; tells the player
    what to publish. Every state change goes through :meth:`_enter`, which resets
    what belongs to the state left behind.
    """

    def __init__(self, player: QueuePlayerTask, engine: PlayerEngine | None) -> None:
        self._player = player
        self.engine = engine
        #: True between the engine's ``open`` and its ``close``.
        self.engine_open = False
        self.lock = asyncio.Lock()
        self._listener = _Listener(self)
        self._state = LoadState.IDLE
        self._error: str | None = None
        self._generation = 0
        # What the engine plays from, and the tags it reported for it so far.
        self._source: str | None = None
        self._tags: dict[str, str] = {}
        # What the engine has preloaded: (queue index, item) when it was preloaded, and its source.
        self._preloaded: tuple[int, MediaItem] | None = None
        self._preloaded_source: str | None = None

    # ----------------------------------------------------------------- state

    @property
    def state(self) -> LoadState:
        return self._state

    @property
    def processing_state(self) -> AudioProcessingState:
        return _PROCESSING[self._state]

    @property
    def error(self) -> str | None:
        """Why the current item failed (only in :attr:`LoadState.FAILED`)."""
        return self._error

    @property
    def holding(self) -> bool:
        """True while the engine holds the current item (the latest load succeeded)."""
        return self._state in _HOLDING

    @property
    def released(self) -> bool:
        return self._state is LoadState.RELEASED

    def _enter(self, state: LoadState, error: str | None = None) -> None:
        if self._state is LoadState.RELEASED:
            return  # released for good: late loads and reports change nothing
        self._state = state
        self._error = error
        if state not in _HOLDING:
            self._preloaded = None
        if state is LoadState.LOADING:
            self._source = None
            self._tags = {}

    def position(self) -> timedelta:
        """Where the engine plays the current item (zero while it has nothing open)."""
        engine = self.engine
        return engine.position() if engine is not None and self.engine_open else _ZERO

    def require_engine(self) -> PlayerEngine:
        engine = self.engine
        if engine is None:
            raise RuntimeError("the player has no engine yet: on_start has not run")
        return engine

    def fail(self, message: str) -> None:
        _log.warning("%s", message)
        self._enter(LoadState.FAILED, message)
        self._player._publisher.state()

    def complete(self) -> None:
        """The queue played to its end."""
        self._enter(LoadState.COMPLETED)

    async def unload(self) -> None:
        """Nothing is current any more: stop the engine and supersede loads under way."""
        self._generation += 1
        was_holding = self.holding
        self._enter(LoadState.IDLE)
        if was_holding:
            async with self.lock:
                await self.require_engine().stop()

    async def release(self) -> None:
        """Stop and close the engine for good (``on_stop``)."""
        self._state = LoadState.RELEASED
        self._preloaded = None
        async with self.lock:
            engine = self.engine
            if engine is not None:
                steps = (engine.stop, engine.close) if self.engine_open else (engine.close,)
                self.engine_open = False
                for step in steps:
                    try:
                        await step()
                    except Exception:
                        _log.exception("releasing the player engine failed")

    # ---------------------------------------------------------------- loading

    async def load(self, index: int, position: timedelta) -> None:
        """Make ``index`` current and have the engine open it at ``position``."""
        if self.released:
            return
        self._generation += 1
        generation = self._generation
        try:
            await self._load(generation, index, position)
        except asyncio.CancelledError:
            # A load nobody finishes: not "under way" any more, so the next request loads again.
            if generation == self._generation and self._state is LoadState.LOADING:
                self._enter(LoadState.IDLE)
            raise

    async def _load(self, generation: int, index: int, position: timedelta) -> None:
        player = self._player
        item = player._queue[index]
        player._index = index
        player._position = position
        self._enter(LoadState.LOADING)
        player._publisher.item()
        player._publisher.state()
        try:
            source = await player.resolve_source(item)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if generation == self._generation:
                if not isinstance(error, EngineError):
                    _log.exception("resolve_source(%r) failed", item.id)
                self.fail(f"cannot play {item.title!r}: {error}")
            return
        async with self.lock:
            if generation != self._generation or self.released:
                return
            try:
                engine = await self._open_engine()
                playing, start = player._playing, player._position
                await engine.load(source, position=start, play=playing)
                # Requests that came while the engine was opening the source apply now.
                if generation == self._generation:
                    if player._position != start:
                        await engine.seek(player._position)
                    if player._playing != playing:
                        await (engine.play() if player._playing else engine.pause())
            except Exception as error:
                if generation == self._generation:
                    self.fail(f"cannot play {item.title!r}: {error}")
                if isinstance(error, EngineError):
                    return
                raise
            if generation != self._generation:
                return  # a newer load waits for the lock and replaces this source
            self._enter(LoadState.READY)
            self._source = source
        player._publisher.state()
        self.schedule_preload()
        self._schedule_describe()

    async def _open_engine(self) -> PlayerEngine:
        engine = self.require_engine()
        if not self.engine_open:
            await engine.open(self._listener)
            self.engine_open = True
            player = self._player
            if player._speed != 1.0:
                await engine.set_speed(player._speed)
            volume = player._playback_settings.effective_volume()
            if volume != 1.0:
                await engine.set_volume(volume)
        return engine

    # ------------------------------------------------------------- transport

    async def play(self) -> None:
        """Have the engine play the current item (if the player still means to play)."""
        async with self.lock:
            if self.holding and self._player._playing:
                await self.require_engine().play()

    async def pause(self) -> None:
        """Have the engine pause (if the player still means to pause)."""
        if self.holding:
            async with self.lock:
                if self.holding and not self._player._playing:
                    await self.require_engine().pause()

    async def seek(self, position: timedelta) -> bool:
        """Seek the engine; False when it does not hold the current item."""
        if not self.holding:
            return False
        async with self.lock:
            if self.holding:
                await self.require_engine().seek(position)
        return True

    async def set_speed(self, speed: float) -> None:
        if self.engine_open:
            async with self.lock:
                if self.engine_open:
                    await self.require_engine().set_speed(speed)

    async def set_volume(self, volume: Callable[[], float]) -> None:
        """Apply ``volume()``, read under the lock so the latest ducking applies."""
        if self.engine_open:
            async with self.lock:
                if self.engine_open:
                    await self.require_engine().set_volume(volume())

    # --------------------------------------------------------- gapless preload

    def schedule_preload(self) -> None:
        if self.holding:
            self._player._background.spawn(self._preload())

    async def _preload(self) -> None:
        player = self._player
        following = player._order.following(player._index)
        wanted = None if following is None else (following, player._queue[following])
        if self._preloaded == wanted:
            return
        source: str | None = None
        if wanted is not None:
            try:
                source = await player.resolve_source(wanted[1])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                _log.warning("cannot preload %r: %s", wanted[1].id, error)
                wanted = None
        async with self.lock:
            if not self.holding:
                return
            now = player._order.following(player._index)
            if (now is None and wanted is not None) or (
                now is not None and (wanted is None or (now, player._queue[now]) != wanted)
            ):
                return  # things changed meanwhile; a newer preload is on its way
            if wanted == self._preloaded:
                return
            await self.require_engine().preload(source)
            self._preloaded = wanted
            self._preloaded_source = source

    # ----------------------------------------------------------- engine reports

    def _engine_buffering(self, buffering: bool) -> None:
        if not self.holding:
            return
        self._enter(LoadState.BUFFERING if buffering else LoadState.READY)
        self._player._publisher.state()

    def _engine_duration(self, duration: timedelta | None) -> None:
        player = self._player
        index = player._index
        if index is None or self.released:
            return
        item = player._queue[index]
        if item.duration != duration:
            player._edits.replace_item(index, item.copy_with(duration=duration))

    def _engine_tags(self, tags: Mapping[str, str]) -> None:
        if self.released:
            return
        self._tags.update(tags)
        if self.holding:
            self._schedule_describe()

    def _engine_ended(self, advanced: bool) -> None:
        if not self.holding:
            return  # an end from before the load under way
        player = self._player
        preloaded, self._preloaded = self._preloaded, None
        if advanced:
            index = None
            if preloaded is not None:
                hint, item = preloaded
                index = player._queue.index_of(item.id, hint=hint)
            if index is not None:
                # The engine went on to the preloaded item by itself (gapless).
                player._index = index
                self._generation += 1
                self._enter(LoadState.READY)
                self._source = self._preloaded_source
                self._tags = {}
                player._publisher.item()
                player._publisher.state()
                self.schedule_preload()
                self._schedule_describe()
                return
            # Else the engine went on to an item the queue no longer has: load the right one.
        following = player._order.following(player._index)
        if following is None:
            self.complete()
            player._playing = False
            current = player._current_item()
            end = current.duration if current is not None else None
            player._position = end if end is not None else self.position()
            player._publisher.state()
            return
        self._enter(LoadState.LOADING)
        player._background.spawn(self.load(following, _ZERO))

    def _engine_error(self, message: str) -> None:
        if not self.holding:
            return
        self._player._position = self.position()
        self.fail(message)

    # ---------------------------------------------------------------- describe

    def _schedule_describe(self) -> None:
        index, source = self._player._index, self._source
        if index is None or source is None or not self.holding:
            return
        self._player._background.spawn(
            self._describe(self._generation, index, source, dict(self._tags))
        )

    async def _describe(
        self, generation: int, index: int, source: str, tags: dict[str, str]
    ) -> None:
        player = self._player
        item = player._queue[index]
        described = await player.describe_media_item(item, source, tags)
        if generation != self._generation or player._index != index:
            return
        current = player._queue[index]
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
            player._edits.replace_item(index, current.copy_with(**changes))
