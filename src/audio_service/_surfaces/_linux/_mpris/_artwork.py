"""Album art on MPRIS: ``mpris:artUrl`` and playlist icons made local through the art cache.

With an :class:`~audio_service._surfaces._art.ArtCache`, ``mpris:artUrl`` is
never a remote URL. Metadata goes out at once (``file://`` and other local
schemes as they are, ``http(s)`` art only when already cached, otherwise
without art) and again, as PropertiesChanged and TrackMetadataChanged, once the
cache has the file. Shells can fetch ``http(s)`` art themselves, but then the
image is downloaded twice (by the shell and, for the notification, by us),
without the item's ``art_headers`` (art behind a login fails), and the URL
flips to the cached file later, which redraws the widget for the same picture.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from dbus_fast import Variant

from audio_service._model._models import MediaItem
from audio_service._surfaces._linux._mpris._mapping import metadata

if TYPE_CHECKING:
    from audio_service._surfaces._art import ArtCache, ArtFollower
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = ["Artwork", "MetadataKey"]

_log = logging.getLogger("audio_service.mpris")

_REMOTE: Final = ("http://", "https://")


def _remote(uri: str) -> bool:
    return uri[:8].lower().startswith(_REMOTE)


class MetadataKey(tuple[MediaItem | None, str | None]):
    """What ``Metadata`` is built from: (item, published art URL), compared by content.

    Items compare equal by id alone, but the same id with new fields (a title
    from the tags) is new metadata for clients.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MetadataKey):
            return NotImplemented
        mine, theirs = self[0], other[0]
        if self[1] != other[1]:
            return False
        if mine is theirs:
            return True
        return mine is not None and theirs is not None and mine.same_content(theirs)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]


class Artwork:
    """Follows the current item's art, and builds the metadata that carries it."""

    def __init__(self, server: MprisServer, art: ArtCache | None) -> None:
        self._server = server
        self._art = art
        self._follower: ArtFollower | None = art.follower(self._ready) if art is not None else None
        #: The current item's (id, remote art URI) and its local file, once there is one.
        self._key: tuple[str, str] | None = None
        self._local: str | None = None
        #: Items whose art became local since the last flush (TrackMetadataChanged).
        self.updated: set[str] = set()
        #: The last metadata built, with the (item, art URL) it was built from.
        self._memo: tuple[MetadataKey, dict[str, Variant]] | None = None
        #: The last key made: given again for the same item and URL, the flush's
        #: comparison with what it sent is an identity test.
        self._last_key: MetadataKey | None = None
        #: Remote playlist icons being fetched, or that failed (not retried).
        self._icons_tried: set[str] = set()

    def close(self) -> None:
        if self._follower is not None:
            self._follower.close()

    def metadata_key(self, item: MediaItem | None) -> MetadataKey:
        """What the metadata of ``item`` is built from: the item and its published art."""
        self._follow(item)
        url = self.url(item) if item is not None else None
        last = self._last_key
        if last is not None and last[0] is item and last[1] == url:
            return last
        key = self._last_key = MetadataKey((item, url))
        return key

    def metadata(self) -> dict[str, Variant]:
        """``Metadata``: the current item's, built once per item and art URL."""
        key = self.metadata_key(self._server.core.media_item)
        memo = self._memo
        if memo is None or memo[0] != key:
            memo = self._memo = (key, metadata(key[0], self.url))
        return memo[1]

    def _follow(self, item: MediaItem | None) -> None:
        # Resolved once per item and art URI: a cache hit now, or a download that calls back.
        follower = self._follower
        if follower is None:
            return
        uri = item.art_uri if item is not None else None
        if item is None or not uri or not _remote(uri):
            if self._key is not None:
                self._key = self._local = None
                follower.resolve(None)
            return
        key = (item.id, uri)
        if key != self._key:
            self._key = key
            self._local = follower.resolve(item)

    def url(self, item: MediaItem) -> str | None:
        """The ``mpris:artUrl`` of ``item``: never a remote URL when there is a cache."""
        uri = item.art_uri
        if not uri or self._art is None or not _remote(uri):
            return uri
        if (item.id, uri) == self._key:
            return self._local
        # Another track-list item: its art only if some earlier download left it in the cache.
        return self._art.lookup(uri)

    def _ready(self, item: MediaItem, local: str) -> None:
        if (item.id, item.art_uri) != self._key or self._server.closed:
            return
        self._local = local
        self.updated.add(item.id)
        changes = self._server.changes
        changes.tracklist_dirty = True
        changes.schedule()

    def icon(self, item: MediaItem) -> str:
        """A playlist's icon: local, or "" while (or after failing) fetching a remote one."""
        uri = item.art_uri or ""
        if not uri or self._art is None or not _remote(uri):
            return uri
        local = self._art.lookup(uri)
        if local is not None:
            return local
        if uri not in self._icons_tried and not self._server.closed:
            self._icons_tried.add(uri)
            self._server.spawn(self._fetch_icon(item))
        return ""

    async def _fetch_icon(self, item: MediaItem) -> None:
        from audio_service._surfaces._art import ArtError

        assert self._art is not None
        uri = item.art_uri or ""
        try:
            await self._art.fetch(uri, item.art_headers)
        except (ArtError, ValueError) as error:
            _log.warning("icon of playlist %r not available: %s", item.id, error)
            return
        self._icons_tried.discard(uri)
        if self._server.link.bus is None:
            return
        self._server.playlist_list.icon_ready(uri)
