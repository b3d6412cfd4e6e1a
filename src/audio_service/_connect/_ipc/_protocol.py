"""The messages of the wire protocol, and their encoder and decoders.

Every frame body is one msgpack array whose first element names the message:

- ``["hello", version, app_id, client_name, max_frame_size]``: client -> server, first.
  An empty ``app_id`` accepts whichever app the socket serves.
- ``["welcome", version, app_id, max_frame_size]``: server -> client, once.
- ``["req", id, method, payload]``: client -> server.
- ``["rep", id, payload]``: server -> client, exactly one per request, or an ``err``.
- ``["err", id, code, type_name, message]``: server -> client; a nil ``id`` is about
  the connection (a refused handshake, an unreadable frame, shutting down).
- ``["evt", topic, payload]``: server -> client, in the order sent.

Payloads are opaque bytes (msgpack ``bin``), normally themselves msgspec-encoded.
The first two elements of ``hello`` and the layout of ``err`` never change, so a
peer of any version can read the version and the refusal. Later versions may
append fields: decoders ignore trailing elements.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "DECODE_ERRORS",
    "MAX_CLIENT_NAME_LENGTH",
    "MIN_FRAME_LIMIT",
    "PROTOCOL_VERSION",
    "Error",
    "Event",
    "Hello",
    "Payload",
    "Reply",
    "Request",
    "Welcome",
    "as_payload",
    "client_decoder",
    "encoder",
    "server_decoder",
]

#: Bumped on any change a peer of the previous version could not understand.
PROTOCOL_VERSION = 1

#: A peer announcing a smaller frame limit than this is refused.
MIN_FRAME_LIMIT = 1024
#: The longest client name a hello may carry.
MAX_CLIENT_NAME_LENGTH = 256

#: What the transport accepts as a payload. It is sent as is, never inspected.
Payload = bytes | bytearray | memoryview | msgspec.Raw


class Hello(msgspec.Struct, tag="hello", array_like=True, frozen=True):
    version: int
    app_id: str
    client_name: str
    max_frame_size: int


class Welcome(msgspec.Struct, tag="welcome", array_like=True, frozen=True):
    version: int
    app_id: str
    max_frame_size: int


class Request(msgspec.Struct, tag="req", array_like=True, frozen=True):
    id: int
    method: str
    payload: bytes


class Reply(msgspec.Struct, tag="rep", array_like=True, frozen=True):
    id: int
    payload: bytes


class Error(msgspec.Struct, tag="err", array_like=True, frozen=True):
    id: int | None
    code: str
    type_name: str
    message: str


class Event(msgspec.Struct, tag="evt", array_like=True, frozen=True):
    """A push from the server: a ``topic`` and its opaque ``payload`` bytes."""

    topic: str
    payload: bytes


def as_payload(value: object, name: str = "payload") -> bytes:
    """``value`` as something the encoder writes as msgpack ``bin``; TypeError otherwise.

    The annotation says ``bytes`` because the wire structs do; bytearray and
    memoryview encode the same way and are passed through without a copy.
    """
    if type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return value  # type: ignore[return-value]
    if isinstance(value, msgspec.Raw):
        # As a field value a Raw would be spliced in verbatim; a view of it is sent as bin.
        return memoryview(value)  # type: ignore[return-value]
    raise TypeError(
        f"{name} must be bytes, bytearray, memoryview or msgspec.Raw, not {type(value).__name__}"
    )


def encoder() -> msgspec.msgpack.Encoder:
    """A new encoder for the wire messages (one per connection side, reused)."""
    return msgspec.msgpack.Encoder()


def server_decoder() -> msgspec.msgpack.Decoder[Request | Hello | Reply | Error | Event | Welcome]:
    """Decodes what a server may receive (anything but ``req`` is then refused)."""
    return msgspec.msgpack.Decoder(Request | Hello | Reply | Error | Event | Welcome)


def client_decoder() -> msgspec.msgpack.Decoder[Reply | Event | Error | Welcome | Request | Hello]:
    """Decodes what a client may receive (``req`` and ``hello`` are then refused)."""
    return msgspec.msgpack.Decoder(Reply | Event | Error | Welcome | Request | Hello)


#: What decoding untrusted bytes can raise: msgspec reports invalid UTF-8 in a
#: string with the standard UnicodeDecodeError, not with one of its own errors.
DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError)

_any_decoder = msgspec.msgpack.Decoder()


def decode_any(body: Any) -> Any:
    """A lenient decode used to salvage an id or a version from a message that failed."""
    return _any_decoder.decode(body)
