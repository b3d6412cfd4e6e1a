"""How requests, replies and events cross the host's socket (msgpack via msgspec).

The IPC layer moves opaque payloads; this module gives them their types: a
client sends a :data:`~audio_service._service._requests.Request` under method
``request`` and gets back an outcome; the host pushes
:data:`~audio_service._model._events.ServiceEvent` values under topic ``event``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, Final, TypeAlias, get_args

import msgspec

from audio_service._errors import ServiceNotRunningError, TaskError, TaskErrorInfo
from audio_service._model._events import (
    EncodedQueueChanged,
    QueueChanged,
    ReceivedEvent,
    ServiceEvent,
)
from audio_service._service._requests import Request
from audio_service._surfaces._status import SurfacesStatus

__all__ = [
    "METHOD_REQUEST",
    "METHOD_SNAPSHOT",
    "METHOD_STATUS",
    "SUCCEEDED_NONE",
    "TOPIC_EVENT",
    "TOPIC_SYNCED",
    "Failed",
    "HostStatus",
    "NotRunning",
    "Succeeded",
    "decode_event",
    "decode_outcome",
    "decode_received_event",
    "encode_event",
    "encode_outcome",
    "encode_request",
    "received_event_decoder",
    "request_decoder",
]

METHOD_REQUEST = "request"
METHOD_SNAPSHOT = "snapshot"
#: Added after protocol version 1 without bumping it: an older host answers it
#: with an unknown-method error, which ``audio-service status`` reports as such.
METHOD_STATUS = "status"
TOPIC_EVENT = "event"
#: Pushed once to a new client after its snapshot and queue: it is now in sync.
TOPIC_SYNCED = "synced"


class Succeeded(msgspec.Struct, frozen=True, tag="ok"):
    """The callback returned ``value``."""

    value: Any = None


class Failed(msgspec.Struct, frozen=True, tag="failed"):
    """The callback raised; the task keeps running."""

    info: TaskErrorInfo


class NotRunning(msgspec.Struct, frozen=True, tag="not_running"):
    """The task had stopped (or not started) when the request arrived."""

    message: str = ""


Outcome: TypeAlias = Succeeded | Failed | NotRunning


class HostStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What ``status`` answers: the host process and its desktop surfaces."""

    app_id: str
    pid: int
    running: bool
    playing: bool
    surfaces: SurfacesStatus = SurfacesStatus()


class _RawSucceeded(msgspec.Struct, frozen=True, tag="ok"):
    # The value is decoded later, with the type the request says its result has.
    value: msgspec.Raw = msgspec.Raw(b"\xc0")


_encoder = msgspec.msgpack.Encoder()
# The decoders are built on first use: a host only encodes events and outcomes, and
# building them (compiling their types, about 1.5 ms) would delay every host start.
_event_decoder: msgspec.msgpack.Decoder[ServiceEvent] | None = None
_outcome_decoder: msgspec.msgpack.Decoder[_RawSucceeded | Failed | NotRunning] | None = None
_received_decoder: msgspec.msgpack.Decoder[ReceivedEvent] | None = None


# The encoders are the encoder's own bound method: a request encodes its request and its
# outcome, and the host each event it broadcasts, and a wrapper's frame would cost a call each.
#: A request as it crosses the socket.
encode_request: Callable[[Request], bytes] = _encoder.encode


def request_decoder() -> Callable[[bytes], Request]:
    return msgspec.msgpack.Decoder(Request).decode


#: What a callback ended in, as the reply's payload.
encode_outcome: Callable[[Outcome], bytes] = _encoder.encode


#: The reply of every callback that returns nothing, encoded once.
SUCCEEDED_NONE: Final = encode_outcome(Succeeded(value=None))


def decode_outcome(data: bytes, request: Request) -> Any:
    """The result of ``request`` from its reply; raises what the task raised."""
    result_type = type(request).result_type
    if result_type is None and data == SUCCEEDED_NONE:  # play, pause, seek…: most replies
        return None
    outcome = (_outcome_decoder or _new_outcome_decoder()).decode(data)
    if isinstance(outcome, Failed):
        raise TaskError(outcome.info)
    if isinstance(outcome, NotRunning):
        raise ServiceNotRunningError(outcome.message or "the background task is not running")
    if result_type is None:
        return None
    return msgspec.msgpack.decode(outcome.value, type=result_type)


#: An event as the host pushes it.
encode_event: Callable[[ServiceEvent], bytes] = _encoder.encode


def decode_event(data: bytes) -> ServiceEvent:
    return (_event_decoder or _new_event_decoder()).decode(data)


def _new_event_decoder() -> msgspec.msgpack.Decoder[ServiceEvent]:
    global _event_decoder
    _event_decoder = msgspec.msgpack.Decoder(ServiceEvent)
    return _event_decoder


def _new_outcome_decoder() -> msgspec.msgpack.Decoder[_RawSucceeded | Failed | NotRunning]:
    global _outcome_decoder
    _outcome_decoder = msgspec.msgpack.Decoder(_RawSucceeded | Failed | NotRunning)
    return _outcome_decoder


def received_event_decoder() -> Callable[[bytes], ReceivedEvent]:
    """:func:`decode_received_event` for bytes only (an event's payload), without its frame."""
    return (_received_decoder or _new_received_decoder()).decode


def decode_received_event(data: bytes | bytearray | memoryview) -> ReceivedEvent:
    """An event as a client mirrors it: queue items decoded only once they are read."""
    # The encoded items are views of the message: it must be bytes no one reuses.
    decoder = _received_decoder or _new_received_decoder()
    return decoder.decode(data if type(data) is bytes else bytes(data))


def _new_received_decoder() -> msgspec.msgpack.Decoder[ReceivedEvent]:
    global _received_decoder
    # The events, a queue edit's items left encoded (see audio_service._model._encoded).
    kinds = [EncodedQueueChanged if k is QueueChanged else k for k in get_args(ServiceEvent)]
    _received_decoder = msgspec.msgpack.Decoder(functools.reduce(operator.or_, kinds))
    return _received_decoder
