"""``SwitchingTask``: one service, several players (music and a reader), one current at a time.

The original asked for one session per app with switchable players (#692);
its 0.18 ``SwitchAudioHandler`` did this for handlers. Here every handler is a
:class:`QueuePlayerTask` bound to the same service; only the current one
publishes, and the others keep their queue and position, paused, until they are
switched back to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, Final

from audio_service._service._task import BackgroundAudioTask
from audio_service.players._player import QueuePlayerTask

if TYPE_CHECKING:
    from audio_service._service._core import ServiceCore
    from audio_service._service._requests import _Request

__all__ = ["SwitchingTask"]

_log = logging.getLogger("audio_service.players")

#: The custom action that switches handlers: ``custom_action("switch_handler", name)``.
SWITCH_ACTION: Final = "switch_handler"


class SwitchingTask(BackgroundAudioTask):
    """Runs several players in one service and forwards every request to the current one.

    ``handlers`` maps names to players; ``initial`` names the one that is current
    at start (it alone receives the start ``params`` and restores the saved
    session). :meth:`switch_to` (or the custom action ``"switch_handler"`` with
    the name as argument) pauses the current player, keeping its queue and
    position, and publishes the other one's queue, item and state. Every other
    request, custom actions included, goes to the current player. A subclass may
    override a callback: it then handles that request itself, and hands it on
    with ``await self.current.on_...()`` where it wants to.
    """

    def __init__(self, handlers: Mapping[str, QueuePlayerTask], initial: str) -> None:
        super().__init__()
        if not isinstance(handlers, Mapping) or not handlers:
            raise ValueError(
                f"handlers must be a non-empty mapping of names to players, not {handlers!r}"
            )
        players: dict[str, QueuePlayerTask] = {}
        for name, handler in handlers.items():
            if not isinstance(name, str):
                raise TypeError(f"handler names must be str, not {name!r}")
            if not isinstance(handler, QueuePlayerTask):
                raise TypeError(f"handlers[{name!r}] must be a QueuePlayerTask, not {handler!r}")
            if handler._owned or any(handler is other for other in players.values()):
                raise ValueError(f"handlers[{name!r}] already belongs to a SwitchingTask")
            players[name] = handler
        if initial not in players:
            raise ValueError(f"initial must be one of {sorted(players)}, not {initial!r}")
        for name, handler in players.items():
            handler._owned = True
            handler._publishing = name == initial
        self._handlers = players
        self._current_name = initial
        self._switch_lock = asyncio.Lock()
        # The callbacks overridden by this class or a subclass (on_close: its default stops
        # this task, which stops every player).
        cls = type(self)
        self._own_callbacks = frozenset(
            name
            for name in dir(BackgroundAudioTask)
            if name.startswith("on_")
            and (name == "on_close" or getattr(cls, name) is not getattr(BackgroundAudioTask, name))
        )

    def _bind(self, core: ServiceCore) -> None:
        super()._bind(core)
        # The players read the service's config and state through their own binding.
        for handler in self._handlers.values():
            handler._bind(core)

    @property
    def handlers(self) -> Mapping[str, QueuePlayerTask]:
        """The players by name."""
        return dict(self._handlers)

    @property
    def current_name(self) -> str:
        """The name of the current player."""
        return self._current_name

    @property
    def current(self) -> QueuePlayerTask:
        """The current player: it publishes and receives the requests."""
        return self._handlers[self._current_name]

    async def switch_to(self, name: str) -> str:
        """Make the player ``name`` current: pause the old one, publish the new one's state.

        Returns ``name``. Switching to the current player changes nothing.
        """
        if not isinstance(name, str):
            raise TypeError(f"the handler name must be a str, not {name!r}")
        if name not in self._handlers:
            raise ValueError(f"no handler is named {name!r}; there are {sorted(self._handlers)}")
        async with self._switch_lock:
            if name == self._current_name:
                return name
            old, new = self.current, self._handlers[name]
            await old.on_pause()
            await old._set_current(False)
            self._current_name = name
            await new._set_current(True)
            _log.info("switched the player to %r", name)
        return name

    # -------------------------------------------------------------- lifecycle

    async def on_start(self, params: dict[str, Any] | None) -> None:
        """Start every player; only the current one gets ``params``."""
        await self.current.on_start(params)
        for name, handler in self._handlers.items():
            if name != self._current_name:
                await handler.on_start(None)

    async def on_stop(self) -> None:
        """Stop every player (each releases its engine), then end the service."""
        for handler in self._handlers.values():
            try:
                await handler.on_stop()
            except Exception:
                _log.exception("stopping a player failed")
        await super().on_stop()

    # --------------------------------------------------------------- forwarded

    def _invoke(self, request: _Request) -> Awaitable[object]:
        """Every request goes to the current player, except those this task handles itself:
        start, stop and close (all players), the switch action, and any callback a subclass
        overrides (it forwards with ``await self.current.on_...()`` where it wants to)."""
        if request.callback in self._own_callbacks:
            return request.invoke(self)
        return request.invoke(self.current)

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        """``"switch_handler"`` switches (returning the name); others go to the current player."""
        if name == SWITCH_ACTION:
            return await self.switch_to(arguments)
        try:
            return await self.current.on_custom_action(name, arguments)
        except ValueError as error:
            if not str(error).startswith("unknown custom action"):
                raise
            raise ValueError(f"{error}; and {SWITCH_ACTION!r} (switches players)") from None
