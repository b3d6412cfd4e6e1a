"""The exceptions of the IPC transport and the error codes carried on the wire."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "BadRequestError",
    "ConnectionLostError",
    "ErrorCode",
    "FrameTooLargeError",
    "HandshakeError",
    "IpcError",
    "ProtocolError",
    "RemoteError",
    "RequestError",
    "RuntimeDirError",
    "ServerNotFoundError",
    "ServiceAlreadyRunningError",
    "UnknownMethodError",
    "VersionMismatchError",
]


class ErrorCode(StrEnum):
    """Why a request or a connection failed, as sent on the wire.

    A peer may send codes this version does not know, so :attr:`RemoteError.code`
    is a plain ``str``; compare it with these members (they are strings too).
    """

    #: The handler does not implement the method.
    UNKNOWN_METHOD = "unknown_method"
    #: The payload could not be decoded or its values are invalid.
    BAD_REQUEST = "bad_request"
    #: The handler raised an unexpected exception.
    HANDLER_FAILED = "handler_failed"
    #: A frame was not a valid message of the protocol.
    PROTOCOL = "protocol"
    #: Client and server speak different protocol versions.
    VERSION_MISMATCH = "version_mismatch"
    #: The client asked for another app id than the one the server serves.
    WRONG_APP = "wrong_app"
    #: The peer runs as another user.
    PERMISSION_DENIED = "permission_denied"
    #: The server is closing; sent once before it ends every connection.
    SHUTTING_DOWN = "shutting_down"
    #: A message was larger than the receiver's frame limit.
    TOO_LARGE = "too_large"
    #: The client did not read what the server sent it fast enough and was disconnected.
    TOO_SLOW = "too_slow"


class IpcError(Exception):
    """Base class of every error raised by the IPC transport."""


class RuntimeDirError(IpcError):
    """The directory for the sockets is missing, unsafe, or not usable."""


class ServerNotFoundError(IpcError, ConnectionError):
    """No service is listening for the app id (or at the path) asked for."""


class ServiceAlreadyRunningError(IpcError):
    """Another live server already serves this app id."""


class ConnectionLostError(IpcError, ConnectionError):
    """The connection ended before the reply came, or the client was already closed.

    ``code`` is the :class:`ErrorCode` the server gave as its reason, when it gave one
    (``too_slow``: it dropped this client for not reading fast enough).
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class ProtocolError(IpcError):
    """The peer sent something that breaks the protocol."""


class FrameTooLargeError(ProtocolError, ValueError):
    """A message is larger than the frame limit of the side that would receive it."""

    def __init__(self, size: int, limit: int, what: str = "frame") -> None:
        super().__init__(f"{what} of {size} bytes exceeds the frame limit of {limit} bytes")
        self.size = size
        self.limit = limit


class HandshakeError(ProtocolError):
    """The server refused the connection during the handshake.

    ``code`` is the :class:`ErrorCode` the server gave (``permission_denied``,
    ``wrong_app``, ``protocol``...).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class VersionMismatchError(HandshakeError):
    """Client and server speak different protocol versions."""

    def __init__(self, message: str, *, local_version: int, remote_version: int | None) -> None:
        super().__init__(ErrorCode.VERSION_MISMATCH, message)
        self.local_version = local_version
        self.remote_version = remote_version


class RemoteError(IpcError):
    """A request failed on the server.

    ``code`` says why (see :class:`ErrorCode`), ``type_name`` is the name of the
    exception type raised on the server and ``message`` its text.
    """

    def __init__(self, code: str, type_name: str, message: str, *, method: str = "") -> None:
        prefix = f"{method}: " if method else ""
        super().__init__(f"{prefix}{code}: {type_name}: {message}")
        self.code = code
        self.type_name = type_name
        self.message = message
        self.method = method


class RequestError(Exception):
    """Raise this from a server handler to answer with a chosen error ``code``.

    Any other exception is reported to the caller as ``handler_failed``, except
    msgspec decoding and validation errors (and :class:`UnicodeDecodeError`,
    which msgspec raises for invalid UTF-8), which become ``bad_request``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class UnknownMethodError(RequestError):
    """Raise this from a server handler that does not implement ``method``."""

    def __init__(self, method: str) -> None:
        super().__init__(ErrorCode.UNKNOWN_METHOD, f"unknown method {method!r}")
        self.method = method


class BadRequestError(RequestError):
    """Raise this from a server handler when the payload is not acceptable."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.BAD_REQUEST, message)
