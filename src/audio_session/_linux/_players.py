"""Other apps' media players on the session bus, seen through MPRIS.

Players that do not take part in the focus arbiter still announce themselves:
every desktop player owns an ``org.mpris.MediaPlayer2.*`` name and signals its
``PlaybackStatus``. With the opt-in policy, one of them starting to play while we
hold permanent media focus is treated as Android treats another app's ``GAIN``:
a permanent loss. Players of our own process tree are never counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from audio_session._bus import close_bus, connect_bus
from audio_session._tasks import BackgroundTasks

from ._ours import OwnStreams

if TYPE_CHECKING:
    from dbus_fast import Message
    from dbus_fast.aio import MessageBus

__all__ = ["ForeignPlayers"]

_log = logging.getLogger(__name__)

MPRIS_PREFIX = "org.mpris.MediaPlayer2."
_PLAYER = "org.mpris.MediaPlayer2.Player"
_OWNER_RULE = (
    "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
    "member='NameOwnerChanged',arg0namespace='org.mpris.MediaPlayer2'"
)
_STATUS_RULE = (
    "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
    f"path='/org/mpris/MediaPlayer2',arg0='{_PLAYER}'"
)


class ForeignPlayers:
    """Calls ``on_playing(bus_name)`` when another process's MPRIS player starts playing."""

    def __init__(
        self,
        own: OwnStreams,
        on_playing: Callable[[str], None],
        *,
        bus_address: str | None = None,
    ) -> None:
        self._own = own
        self._on_playing = on_playing
        self._bus_address = bus_address
        self._bus: MessageBus | None = None
        #: Unique connection name -> (well-known player name, whether it is someone else's).
        self._owners: dict[str, tuple[str, bool]] = {}
        self._tasks = BackgroundTasks(_log, "following a media player")

    async def start(self) -> None:
        """Join the session bus and learn the players already there; logs and gives up
        quietly when there is no session bus."""
        try:
            bus = await connect_bus(self._bus_address)
        except Exception as error:
            _log.warning("not watching other media players: no session bus (%s)", error)
            return
        self._bus = bus
        bus.add_message_handler(self._on_message)
        for rule in (_OWNER_RULE, _STATUS_RULE):
            await self._call("AddMatch", "s", [rule])
        names = await self._call("ListNames", "", [])
        for name in names[0] if names else []:
            if name.startswith(MPRIS_PREFIX):
                owner = await self._call("GetNameOwner", "s", [name])
                if owner:
                    await self._learn(name, owner[0])

    async def close(self) -> None:
        self._tasks.cancel()
        bus, self._bus = self._bus, None
        if bus is not None:
            await close_bus(bus)

    async def _call(self, member: str, signature: str, body: list[Any]) -> list[Any] | None:
        from dbus_fast import Message, MessageType

        if self._bus is None:
            return None
        reply = await self._bus.call(
            Message(
                destination="org.freedesktop.DBus",
                path="/org/freedesktop/DBus",
                interface="org.freedesktop.DBus",
                member=member,
                signature=signature,
                body=body,
            )
        )
        if reply is None or reply.message_type is MessageType.ERROR:
            return None
        return list(reply.body)

    async def _learn(self, name: str, owner: str) -> None:
        pid = await self._call("GetConnectionUnixProcessID", "s", [owner])
        foreign = pid is None or not self._own.is_own_process(int(pid[0]))
        self._owners[owner] = (name, foreign)

    def _on_message(self, message: Message) -> None:
        if message.member == "NameOwnerChanged" and message.signature == "sss":
            name, old, new = message.body
            if not name.startswith(MPRIS_PREFIX):
                return
            self._owners.pop(old, None)
            if new:
                self._spawn(self._learn(name, new))
        elif message.member == "PropertiesChanged" and message.body:
            changed = message.body[1] if len(message.body) > 1 else {}
            status = changed.get("PlaybackStatus")
            if status is not None and status.value == "Playing" and message.sender:
                self._spawn(self._playing(message.sender))

    async def _playing(self, sender: str) -> None:
        known = self._owners.get(sender)
        if known is None:
            # The status may arrive before we resolved a player that just appeared.
            names = await self._call("ListNames", "", [])
            for name in names[0] if names else []:
                if name.startswith(MPRIS_PREFIX):
                    owner = await self._call("GetNameOwner", "s", [name])
                    if owner and owner[0] == sender:
                        await self._learn(name, sender)
            known = self._owners.get(sender)
        if known is not None and known[1]:
            self._on_playing(known[0])

    def _spawn(self, work: Any) -> None:
        self._tasks.spawn(work)
