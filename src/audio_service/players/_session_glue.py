"""The audio session of a :class:`QueuePlayerTask`: configure, activate, interruptions.

Also the held seek buttons, which repeat a jump while held (the original's
SeekHandler, once a second).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from audio_service.players._interruptions import InterruptionOptions, InterruptionReactions
from audio_session import AudioSession, AudioSessionConfiguration, AudioSessionError

if TYPE_CHECKING:
    from audio_service.players._player import QueuePlayerTask
    from audio_session._stream import Subscription

__all__ = ["HeldSeek", "SessionGlue"]

_log = logging.getLogger("audio_service.players")

_ZERO = timedelta(0)
#: How often a held seek-forward/backward button jumps (the original's SeekHandler: 1 s).
_HOLD_PERIOD = 1.0


class SessionGlue:
    """The player's audio session: configured for it, active while it plays, and the
    interruptions and becoming-noisy events it reacts to (through the policy)."""

    def __init__(
        self,
        player: QueuePlayerTask,
        session: AudioSession | None,
        configuration: AudioSessionConfiguration | None,
        handle_interruptions: bool,
        interruptions: InterruptionOptions | None,
    ) -> None:
        self._player = player
        self._given = session
        self.session: AudioSession | None = None
        self._configuration = configuration
        self._handle_interruptions = handle_interruptions
        self.policy = InterruptionReactions(
            interruptions if interruptions is not None else InterruptionOptions()
        )
        self.subscriptions: list[Subscription[Any]] = []

    async def start(self, publishing: bool) -> None:
        """Get the session, configure it when ``publishing``, and follow its interruptions."""
        session = self._given
        if session is None:
            session = await AudioSession.instance()
        self.session = session
        configuration = self._configuration
        if configuration is None:
            # The app may have configured the session itself; a player that is not
            # current (in a SwitchingTask) sees the current player's configuration there.
            existing = session.configuration if publishing else None
            configuration = existing or AudioSessionConfiguration.music()
        self._configuration = configuration
        if publishing:
            await self.configure()
        if self._handle_interruptions:
            player = self._player
            self.subscriptions.append(
                session.interruption_event_stream.listen(player.on_interruption)
            )
            self.subscriptions.append(
                session.becoming_noisy_event_stream.listen(lambda _: player.on_becoming_noisy())
            )

    async def configure(self) -> None:
        session, configuration = self.session, self._configuration
        if (
            session is not None
            and configuration is not None
            and session.configuration != configuration
        ):
            await session.configure(configuration)

    async def become_current(self) -> None:
        """Configure the session for this player; a refusal is logged, not raised."""
        try:
            await self.configure()
        except AudioSessionError as error:
            _log.warning("the audio session refused this player's configuration: %s", error)

    async def activate(self) -> bool:
        """Activate the session before playing; False (logged) when it was denied."""
        session = self.session
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

    def unsubscribe(self) -> None:
        for subscription in self.subscriptions:
            subscription.cancel()
        self.subscriptions.clear()

    # The interruption policy's way in (see _interruptions.Interruptible).

    @property
    def _interruption_playing(self) -> bool:
        return self._player._playing

    async def _interruption_pause(self) -> None:
        await self._player._play_pause.pause()

    async def _interruption_resume(self) -> None:
        await self._player._play_pause.play()

    async def _interruption_duck(self, factor: float) -> None:
        await self._player._playback_settings.apply_volume()

    async def deactivate(self) -> None:
        session = self.session
        if session is not None:
            try:
                await session.set_active(False)
            except Exception:
                _log.exception("deactivating the audio session failed")


class HeldSeek:
    """While a seek button is held, jump by an offset every second, until an end is reached."""

    __slots__ = ("_player", "_task")

    def __init__(self, player: QueuePlayerTask) -> None:
        self._player = player
        self._task: asyncio.Future[None] | None = None

    def hold(self, offset: timedelta | None) -> None:
        """Start jumping by ``offset``, or stop (None)."""
        self.cancel()
        if offset is not None:
            self._task = self._player._background.spawn(self._loop(offset))

    def cancel(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()

    async def _loop(self, offset: timedelta) -> None:
        player = self._player
        while True:
            await player._seeking.seek_by(offset)
            item = player._current_item()
            position = player._seeking.position()
            if position <= _ZERO or (item is not None and item.duration == position):
                return
            await asyncio.sleep(_HOLD_PERIOD)
