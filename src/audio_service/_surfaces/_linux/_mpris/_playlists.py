"""``org.mpris.MediaPlayer2.Playlists``: the browse root's children, listed and activated."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from dbus_fast import DBusError

from audio_service._errors import ServiceNotRunningError, TaskError
from audio_service._model._models import MEDIA_ROOT_ID, MediaItem
from audio_service._service._requests import LoadChildren, PlayFromMediaId
from audio_service._surfaces._linux._mpris._ids import (
    PLAYLIST_PREFIX,
    media_id_of_path,
    playlist_path,
)
from audio_service._surfaces._linux._mpris._replies import NOT_RUNNING, TASK_FAILED, invalid
from audio_service._surfaces._linux._mpris._tracklist import cut_text

if TYPE_CHECKING:
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = ["ORDERINGS", "Playlists"]

_log = logging.getLogger("audio_service.mpris")

ORDERINGS: Final = ("User", "Alphabetical")
_NO_PLAYLIST: Final = (False, ("/", "", ""))


class Playlists:
    """The browse root's children as MPRIS playlists, reloaded when they change."""

    def __init__(self, server: MprisServer) -> None:
        self._server = server
        self._cache: list[MediaItem] = []
        self._active: MediaItem | None = None
        self._loading: asyncio.Future[None] | None = None

    def reload(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        self._loading = self._server.spawn(self._load_quietly())

    async def _load_quietly(self) -> None:
        try:
            await self._load()
        except (TaskError, ServiceNotRunningError) as error:
            _log.warning("could not list the browse root for MPRIS playlists: %s", error)

    async def _load(self) -> list[MediaItem]:
        server = self._server
        children: list[MediaItem] = await server.core.handle(
            LoadChildren(parent_media_id=MEDIA_ROOT_ID)
        )
        old = {item.id: item for item in self._cache}
        self._cache = list(children)
        if server.link.bus is not None:
            for child in children:
                before = old.get(child.id)
                if before is not None and (before.title, before.art_uri) != (
                    child.title,
                    child.art_uri,
                ):
                    server._playlists.PlaylistChanged(self.playlist(child))
            server.changes.schedule()
        return self._cache

    def icon_ready(self, uri: str) -> None:
        """The remote icon ``uri`` is cached now: the playlists that show it changed."""
        for child in self._cache:
            if child.art_uri == uri:
                self._server._playlists.PlaylistChanged(self.playlist(child))

    def count(self) -> int:
        return len(self._cache)

    def active(self) -> tuple[bool, tuple[str, str, str]]:
        if self._active is None:
            return _NO_PLAYLIST
        return (True, self.playlist(self._active))

    async def get(
        self, index: int, max_count: int, order: str, reverse: bool
    ) -> list[tuple[str, str, str]]:
        if order not in ORDERINGS:
            raise invalid(f"Order must be one of {', '.join(ORDERINGS)}, not {order!r}")
        try:
            children = await self._load()
        except TaskError as error:
            raise DBusError(TASK_FAILED, cut_text(str(error))) from error
        except ServiceNotRunningError as error:
            raise DBusError(NOT_RUNNING, str(error)) from error
        items = list(children)
        if order == "Alphabetical":
            items.sort(key=lambda item: item.title.casefold())
        if reverse:
            items.reverse()
        return [self.playlist(item) for item in items[index : index + max_count]]

    async def activate(self, playlist_id: str) -> None:
        media_id = media_id_of_path(playlist_id, PLAYLIST_PREFIX)
        if media_id is None:
            raise invalid(f"not a playlist of this player: {playlist_id}")
        item = next((i for i in self._cache if i.id == media_id), None)
        if item is None:
            raise invalid(f"no playlist {playlist_id}")
        await self._server.replies.request(PlayFromMediaId(media_id=media_id))
        self._active = item
        self._server.changes.schedule()

    def playlist(self, item: MediaItem) -> tuple[str, str, str]:
        return (playlist_path(item.id), item.title, self._server.artwork.icon(item))
