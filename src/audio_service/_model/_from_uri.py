"""A media item for a bare URI (MPRIS ``OpenUri`` and ``TrackList.AddTrack``, ``play_from_uri``).

One function for every way in, so an item looks the same however it came:
titled from the file name until the engine reads its tags, which then replace
that guessed title (:func:`has_guessed_title`).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from audio_service._model._models import MediaItem

__all__ = ["has_guessed_title", "item_from_uri", "title_from_uri"]


def title_from_uri(uri: str) -> str:
    """The title a URI suggests: its file name without the extension ("My Song")."""
    path = unquote(urlsplit(uri).path) if "://" in uri else uri
    name = PurePosixPath(path.rstrip("/")).name
    stem = PurePosixPath(name).stem if "." in name.lstrip(".") else name
    return stem or uri


def item_from_uri(uri: str, extras: dict[str, Any] | None = None) -> MediaItem:
    """The item that plays ``uri``: its id and ``extras["uri"]``, titled from the file name."""
    item_extras = dict(extras or {})
    item_extras["uri"] = uri
    return MediaItem(id=uri, title=title_from_uri(uri), extras=item_extras)


def has_guessed_title(item: MediaItem) -> bool:
    """Whether ``item``'s title is only what its URI suggests (tags may replace it)."""
    uri = (item.extras or {}).get("uri")
    source = uri if isinstance(uri, str) and uri else item.id
    return item.title == title_from_uri(source)
