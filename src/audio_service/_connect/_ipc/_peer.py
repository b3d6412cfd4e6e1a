"""Who is on the other end of a Unix socket, and whether they may talk to us."""

from __future__ import annotations

import socket
import struct
import sys
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Credentials", "PeerInfo", "check_peer_uid", "peer_credentials"]

# struct ucred { pid_t pid; uid_t uid; gid_t gid; }
_UCRED = struct.Struct("iII")


class _SockOpt(Protocol):
    def getsockopt(self, level: int, optname: int, buflen: int, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Credentials:
    """The process id, user id and group id of a socket's peer, as the kernel reports them."""

    pid: int
    uid: int
    gid: int


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """The client a request came from, as the server's handler sees it.

    ``pid``, ``uid`` and ``gid`` come from the kernel (``SO_PEERCRED``) at connect
    time; ``client_name`` is what the client said in its handshake and
    ``connection_id`` tells connections of the same process apart.
    """

    pid: int
    uid: int
    gid: int
    client_name: str
    connection_id: int


def peer_credentials(sock: _SockOpt) -> Credentials:
    """The credentials of the peer of the connected Unix socket ``sock``.

    Linux only (``SO_PEERCRED``); elsewhere :class:`NotImplementedError`, so that
    the uid check is never silently skipped.
    """
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        raise NotImplementedError(
            f"reading a Unix socket peer's uid is not supported on {sys.platform}"
        )
    pid, uid, gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, option, _UCRED.size))
    return Credentials(pid=pid, uid=uid, gid=gid)


def check_peer_uid(peer_uid: int, own_uid: int) -> str | None:
    """None when a peer running as ``peer_uid`` may talk to us, else the reason it may not.

    Only the same user is allowed: root is refused too, as it has no business
    driving a user's player through this socket.
    """
    if peer_uid == own_uid:
        return None
    return f"peer runs as uid {peer_uid}, this service only serves uid {own_uid}"
