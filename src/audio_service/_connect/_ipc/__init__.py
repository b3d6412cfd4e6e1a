"""Local IPC between an audio service host process and its clients.

The host runs a :class:`Server` on a Unix socket in ``$XDG_RUNTIME_DIR``; UIs,
command-line tools and other processes of the same user :func:`connect` to it.
Requests and replies, and the events the server pushes, carry opaque payload
bytes (normally msgspec-encoded): this layer moves them, checks who is talking,
bounds every buffer, and turns every failure into a typed exception.
"""

from audio_service._connect._ipc._client import Client, connect
from audio_service._connect._ipc._errors import (
    BadRequestError,
    ConnectionLostError,
    ErrorCode,
    FrameTooLargeError,
    HandshakeError,
    IpcError,
    ProtocolError,
    RemoteError,
    RequestError,
    RuntimeDirError,
    ServerNotFoundError,
    ServiceAlreadyRunningError,
    UnknownMethodError,
    VersionMismatchError,
)
from audio_service._connect._ipc._framing import DEFAULT_MAX_FRAME_SIZE
from audio_service._connect._ipc._paths import (
    list_services,
    name_taken,
    socket_dir,
    socket_path,
    validate_app_id,
)
from audio_service._connect._ipc._peer import PeerInfo
from audio_service._connect._ipc._protocol import PROTOCOL_VERSION, Event, Payload
from audio_service._connect._ipc._server import Connection, Deferred, Handler, Server

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "PROTOCOL_VERSION",
    "BadRequestError",
    "Client",
    "Connection",
    "ConnectionLostError",
    "Deferred",
    "ErrorCode",
    "Event",
    "FrameTooLargeError",
    "Handler",
    "HandshakeError",
    "IpcError",
    "Payload",
    "PeerInfo",
    "ProtocolError",
    "RemoteError",
    "RequestError",
    "RuntimeDirError",
    "Server",
    "ServerNotFoundError",
    "ServiceAlreadyRunningError",
    "UnknownMethodError",
    "VersionMismatchError",
    "connect",
    "list_services",
    "name_taken",
    "socket_dir",
    "socket_path",
    "validate_app_id",
]
