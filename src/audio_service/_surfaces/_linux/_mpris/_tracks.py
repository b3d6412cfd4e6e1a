"""``org.mpris.MediaPlayer2.TrackList``: a window of the queue around the current item.

What clients see is a :class:`~._tracklist.Window`; each flush compares the new
window with the one sent and emits the spec's signals for the difference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from dbus_fast import DBusError, ErrorType, Variant

from audio_service._model._from_uri import item_from_uri
from audio_service._model._models import MediaItem
from audio_service._service._requests import AddQueueItemAt, RemoveQueueItem, SkipToQueueItem
from audio_service._surfaces._linux._mpris._ids import NO_TRACK, media_id_of_path, track_path
from audio_service._surfaces._linux._mpris._mapping import metadata
from audio_service._surfaces._linux._mpris._replies import invalid
from audio_service._surfaces._linux._mpris._tracklist import (
    Window,
    WindowChange,
    cut_text,
    window_of,
)

if TYPE_CHECKING:
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = ["TrackList"]


class TrackList:
    """The track-list window: what was sent, its signals, and the track-list methods."""

    def __init__(self, server: MprisServer, size: int, can_edit: bool) -> None:
        self._server = server
        self._size = size
        self.can_edit = can_edit
        self._window = Window()

    def _current_window(self) -> Window:
        core = self._server.core
        return window_of(core.queue, core.media_item, core.state.queue_index, self._size)

    def remember(self) -> None:
        """Take the current window as the one clients know."""
        self._window = self._current_window()

    def tracks(self) -> list[str]:
        return [track_path(media_id) for media_id in self._window.ids]

    def flush(self) -> None:
        """Emit the signals that take clients from the window they know to the current one."""
        server = self._server
        art_url = server.artwork.url
        new = self._current_window()
        change = WindowChange.between(self._window, new)
        self._window = new
        tracklist = server._tracklist
        if change.replaced:
            item = server.core.media_item
            current = track_path(item.id) if item is not None else NO_TRACK
            tracklist.TrackListReplaced(self.tracks(), current)
        for removed in change.removed:
            tracklist.TrackRemoved(track_path(removed.media_id))
        for added in change.added:
            after = track_path(added.after) if added.after is not None else NO_TRACK
            tracklist.TrackAdded(metadata(added.item, art_url), after)
        for changed in change.changed:
            path = track_path(changed.item.id)
            tracklist.TrackMetadataChanged(path, metadata(changed.item, art_url))
        updated = server.artwork.updated
        if updated:
            # Art that became local: the spec's "metadata of a track in the list changed".
            sent = {c.item.id for c in change.changed} | {a.item.id for a in change.added}
            for media_id in updated - sent:
                item = None if change.replaced else new.find(media_id)
                if item is not None:
                    path = track_path(media_id)
                    tracklist.TrackMetadataChanged(path, metadata(item, art_url))
            updated.clear()
        if change.tracks_changed:
            tracklist.emit_properties_changed({}, ["Tracks"])

    def _queue_item(self, track_id: str) -> MediaItem | None:
        media_id = media_id_of_path(track_id)
        if media_id is None:
            return None
        in_window = self._window.find(media_id)
        if in_window is not None:
            return in_window
        queue = self._server.core.queue
        index = queue.index_of(media_id)
        return queue[index] if index is not None else None

    def tracks_metadata(self, track_ids: list[str]) -> list[dict[str, Variant]]:
        art_url = self._server.artwork.url
        result = []
        for track_id in track_ids:
            item = self._queue_item(track_id)
            if item is not None:
                result.append(metadata(item, art_url))
        return result

    async def go_to(self, track_id: str) -> None:
        item = self._queue_item(track_id)
        if item is not None:
            await self._server.replies.request(SkipToQueueItem(media_id=item.id))

    async def add_track(self, uri: str, after_track: str, set_as_current: bool) -> None:
        if not self.can_edit:
            return
        parts = urlsplit(uri)
        if not parts.scheme:
            raise invalid(f"not an absolute URI: {uri!r}")
        if parts.scheme.lower() not in self._server.uri_schemes:
            raise DBusError(
                ErrorType.NOT_SUPPORTED, cut_text(f"unsupported URI scheme {parts.scheme!r}")
            )
        if after_track == NO_TRACK:
            index = 0
        else:
            after = self._queue_item(after_track)
            found = None if after is None else self._server.core.queue.index_of(after.id)
            if found is None:
                raise invalid(f"AfterTrack {after_track} is not in the track list")
            index = found + 1
        item = item_from_uri(uri)
        request = self._server.replies.request
        await request(AddQueueItemAt(media_item=item, index=index))
        if set_as_current:
            await request(SkipToQueueItem(media_id=item.id))

    async def remove_track(self, track_id: str) -> None:
        if not self.can_edit:
            return
        item = self._queue_item(track_id)
        if item is not None:
            await self._server.replies.request(RemoveQueueItem(media_item=item))
