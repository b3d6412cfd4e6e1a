"""The latest values of the service, as both GUI adapters offer them."""

from __future__ import annotations

from datetime import timedelta

from audio_service._api._client import AudioServiceClient
from audio_service._model._models import MediaItem, PlaybackState
from audio_service._model._queue import MediaQueue

__all__ = ["LatestValues"]


class LatestValues:
    """Read-only views of the asyncio client's latest values.

    They are plain attribute reads, safe from the GUI thread: the client's loop
    replaces each value whole, never mutates one in place.
    """

    @property
    def asyncio_client(self) -> AudioServiceClient:
        raise NotImplementedError

    @property
    def playback_state(self) -> PlaybackState:
        """The latest playback state."""
        return self.asyncio_client.playback_state

    @property
    def current_media_item(self) -> MediaItem | None:
        """The current media item."""
        return self.asyncio_client.current_media_item

    @property
    def queue(self) -> MediaQueue:
        """The latest queue."""
        return self.asyncio_client.queue

    @property
    def position(self) -> timedelta:
        """The position now (extrapolated)."""
        return self.asyncio_client.position
