"""What a running service tells its observers, in order: the events and the snapshot.

The service core calls its observers with these objects; the in-process
connection hands them straight to the client, and a host process encodes them
with msgpack for its remote clients. A client (or any mirror) starts from a
:class:`ServiceSnapshot` and applies every later event in order.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec

from audio_service._model._encoded import EncodedReplace, EncodedSplice
from audio_service._model._models import MediaItem, PlaybackState, ServiceConfig
from audio_service._model._queue import QueueOp, QueueUpdate

__all__ = [
    "ChildrenChanged",
    "ConnectionLost",
    "CustomEvent",
    "EncodedQueueChanged",
    "MediaItemChanged",
    "QueueChanged",
    "ReceivedEvent",
    "ServiceEvent",
    "ServiceSnapshot",
    "ServiceStarted",
    "ServiceStopped",
    "StateChanged",
]


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    pass


class ServiceSnapshot(_Event, frozen=True, tag="snapshot"):
    """Everything a new observer needs before the events that follow."""

    #: True once ``on_start`` completed and until the service stops.
    running: bool
    config: ServiceConfig
    state: PlaybackState
    media_item: MediaItem | None = None
    queue: tuple[MediaItem, ...] = ()


class ServiceStarted(_Event, frozen=True, tag="started"):
    """``on_start`` completed; requests are now served."""


class ServiceStopped(_Event, frozen=True, tag="stopped"):
    """The task shut down; state, media item and queue are back to their initial values."""


class StateChanged(_Event, frozen=True, tag="state"):
    """The task published a new playback state."""

    state: PlaybackState


class MediaItemChanged(_Event, frozen=True, tag="media_item"):
    """The task published a new current media item (None: nothing current)."""

    media_item: MediaItem | None


class QueueChanged(_Event, frozen=True, tag="queue"):
    """The task changed the queue by ``ops``; ``length`` is the queue's new length.

    ``length`` lets a mirror notice that it missed an edit and ask for a snapshot.
    """

    ops: tuple[QueueOp, ...]
    length: int


class EncodedQueueChanged(_Event, frozen=True, tag="queue"):
    """:class:`QueueChanged` as a remote client decodes it: the items stay encoded until read.

    Never made by the core: a host's clients receive it in place of the event
    it encodes (see :mod:`audio_service._model._encoded`).
    """

    ops: tuple[EncodedReplace | EncodedSplice | QueueUpdate, ...]
    length: int


class CustomEvent(_Event, frozen=True, tag="custom_event"):
    """The task sent an app-defined event."""

    event: Any


class ChildrenChanged(_Event, frozen=True, tag="children_changed"):
    """The children of ``parent_media_id`` in the browsable tree changed."""

    parent_media_id: str


class ConnectionLost(_Event, frozen=True, tag="connection_lost"):
    """Made by a connection, never by the core: the link to the service broke."""

    reason: str = ""


#: Any event an observer of a service receives.
ServiceEvent: TypeAlias = (
    ServiceSnapshot
    | ServiceStarted
    | ServiceStopped
    | StateChanged
    | MediaItemChanged
    | QueueChanged
    | CustomEvent
    | ChildrenChanged
    | ConnectionLost
)

#: What a client's connection delivers: the events, a queue edit possibly still encoded.
ReceivedEvent: TypeAlias = ServiceEvent | EncodedQueueChanged
