"""The frames that answer a request: its reply, or the error it ends in.

Apart from the connection (``_server._ServerProtocol``) because turning a
handler's outcome into exactly one frame is a job of its own: every outcome,
even a cancellation or a reply the client could not read, must end in one
answer, or the caller would wait forever.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

from audio_service._connect._ipc._errors import ErrorCode, FrameTooLargeError, RequestError
from audio_service._connect._ipc._framing import body_size, encode_frame
from audio_service._connect._ipc._protocol import (
    DECODE_ERRORS,
    Error,
    Payload,
    Reply,
    Request,
    as_payload,
)

__all__ = ["error_frame", "reply_frame"]

# The server's: a failed handler is logged as the server's doing, as it always was.
_log = logging.getLogger("audio_service._connect._ipc._server")


def _type_name(error: BaseException) -> str:
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def error_frame(
    encoder: msgspec.msgpack.Encoder,
    request_id: int | None,
    code: str,
    error: BaseException | None,
    message: str,
) -> bytearray:
    """An ``err`` frame; ``error`` names its type (None: a protocol error of the peer's)."""
    type_name = "ProtocolError" if error is None else _type_name(error)
    return encode_frame(encoder, Error(request_id, code, type_name, message))


def reply_frame(
    encoder: msgspec.msgpack.Encoder,
    request: Request,
    result: Payload | None,
    error: BaseException | None,
    peer_max_frame: int,
) -> bytearray:
    """The one frame that answers ``request``, from its handler's result or error.

    Raises the :class:`asyncio.CancelledError` it is given when the calling task
    itself is being cancelled (the connection is going away: nobody is left to
    answer); any other cancellation is an answer like any other error.
    """
    try:
        if error is not None:
            raise error
        payload = as_payload(result, f"the reply of the handler for {request.method!r}")
    except asyncio.CancelledError as cancelled:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        # Something the handler awaited was cancelled, not this request.
        return error_frame(
            encoder, request.id, ErrorCode.HANDLER_FAILED, cancelled, "the handler was cancelled"
        )
    except RequestError as refusal:
        # A deliberate refusal: the code says it all, the module path would be noise.
        return encode_frame(
            encoder, Error(request.id, refusal.code, type(refusal).__qualname__, refusal.message)
        )
    except DECODE_ERRORS as unreadable:
        return error_frame(encoder, request.id, ErrorCode.BAD_REQUEST, unreadable, str(unreadable))
    except Exception as failure:
        _log.warning("the handler for %r failed", request.method, exc_info=True)
        return error_frame(encoder, request.id, ErrorCode.HANDLER_FAILED, failure, str(failure))
    frame = encode_frame(encoder, Reply(request.id, payload))
    size = body_size(frame)
    if size > peer_max_frame:
        too_large = FrameTooLargeError(size, peer_max_frame, "reply")
        return error_frame(
            encoder, request.id, ErrorCode.TOO_LARGE, too_large, f"{too_large} of the client"
        )
    return frame
