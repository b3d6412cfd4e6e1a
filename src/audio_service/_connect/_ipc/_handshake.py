"""The server's reading of a client's first message: a hello it accepts, or why not.

Apart from the connection protocol (``_server._ServerProtocol``) because it is one
job, done once per connection, that only decides: the protocol sends the refusal,
or goes on with the accepted hello, and keeps the per-frame work to itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from audio_service._connect._ipc._errors import ErrorCode
from audio_service._connect._ipc._protocol import (
    DECODE_ERRORS,
    MAX_CLIENT_NAME_LENGTH,
    MIN_FRAME_LIMIT,
    PROTOCOL_VERSION,
    Hello,
    decode_any,
)

__all__ = ["HelloRefusal", "read_hello"]


@dataclass(frozen=True, slots=True)
class HelloRefusal:
    """Why a first message is not an acceptable hello: the error sent before closing."""

    code: ErrorCode
    message: str


def read_hello(
    body: Any, decoder: msgspec.msgpack.Decoder[Hello], app_id: str
) -> Hello | HelloRefusal:
    """``body`` (a client's first frame) as a :class:`Hello` for the server of ``app_id``."""
    # Leniently first: a client of another protocol version gets told so, not "malformed".
    try:
        loose = decode_any(body)
    except DECODE_ERRORS:
        loose = None
    if not (isinstance(loose, list) and len(loose) >= 2 and loose[0] == "hello"):
        return HelloRefusal(ErrorCode.PROTOCOL, "the first message must be a 'hello'")
    version = loose[1]
    if type(version) is not int or version != PROTOCOL_VERSION:
        return HelloRefusal(
            ErrorCode.VERSION_MISMATCH,
            f"this server speaks protocol version {PROTOCOL_VERSION}, "
            f"the client speaks version {version!r}",
        )
    try:
        hello = decoder.decode(body)
    except DECODE_ERRORS as error:
        return HelloRefusal(ErrorCode.PROTOCOL, f"malformed hello: {error}")
    if hello.app_id and hello.app_id != app_id:
        return HelloRefusal(
            ErrorCode.WRONG_APP, f"this socket serves {app_id!r}, not {hello.app_id!r}"
        )
    if len(hello.client_name) > MAX_CLIENT_NAME_LENGTH:
        return HelloRefusal(
            ErrorCode.PROTOCOL, f"client_name must be at most {MAX_CLIENT_NAME_LENGTH} characters"
        )
    if hello.max_frame_size < MIN_FRAME_LIMIT:
        return HelloRefusal(
            ErrorCode.PROTOCOL, f"max_frame_size must be at least {MIN_FRAME_LIMIT}"
        )
    return hello
