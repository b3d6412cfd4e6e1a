"""Helpers shared by the IPC transport tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from audio_service._connect._ipc import PeerInfo, RequestError, UnknownMethodError

APP_ID = "org.test.Player"


async def standard_handler(method: str, payload: bytes, peer: PeerInfo) -> Any:
    """The methods the tests call."""
    if method == "echo":
        return payload
    if method == "peer":
        return msgspec.msgpack.encode(_peer(peer))
    if method == "increment":
        return msgspec.msgpack.encode(msgspec.msgpack.decode(payload, type=int) + 1)
    if method == "sleep":
        await asyncio.sleep(msgspec.msgpack.decode(payload, type=float))
        return payload
    if method == "hang":
        await asyncio.Event().wait()
    if method == "fail":
        raise ValueError("the handler broke")
    if method == "refuse":
        raise RequestError("not_now", "try again later")
    if method == "none":
        return None
    if method == "cancelled":
        inner = asyncio.get_running_loop().create_future()
        inner.cancel()
        await inner
    raise UnknownMethodError(method)


class Gate:
    """A server handler whose ``"gate"`` calls say when they start and wait to be let through.

    Everything else goes to :func:`standard_handler`. A test awaits ``entered`` instead
    of sleeping until a call has reached the server.
    """

    def __init__(self) -> None:
        self.calls = 0
        self._entered = asyncio.Condition()
        self.release = asyncio.Event()
        #: Set after a gate call's handler returned (its reply is on its way).
        self.returned = asyncio.Event()

    async def entered(self, count: int = 1) -> None:
        """Until ``count`` gate calls have reached the handler."""
        async with self._entered:
            await self._entered.wait_for(lambda: self.calls >= count)

    async def handler(self, method: str, payload: bytes, peer: PeerInfo) -> Any:
        if method != "gate":
            return await standard_handler(method, payload, peer)
        async with self._entered:
            self.calls += 1
            self._entered.notify_all()
        await self.release.wait()
        self.returned.set()
        return payload


def _peer(peer: PeerInfo) -> dict[str, Any]:
    return {
        "pid": peer.pid,
        "uid": peer.uid,
        "gid": peer.gid,
        "client_name": peer.client_name,
        "connection_id": peer.connection_id,
    }


class RawPeer:
    """A hand-driven client socket, for sending what a real client never would."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, path: Path) -> RawPeer:
        reader, writer = await asyncio.open_unix_connection(os.fspath(path))
        return cls(reader, writer)

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def send_body(self, body: bytes) -> None:
        self.writer.write(struct.pack(">I", len(body)) + body)

    def send(self, message: Any) -> None:
        self.send_body(msgspec.msgpack.encode(message))

    def hello(self, version: int = 1, app_id: str = APP_ID, max_frame: int = 1 << 20) -> None:
        self.send(["hello", version, app_id, "raw peer", max_frame])

    async def receive(self, timeout: float = 2.0) -> Any:
        """The next message, decoded loosely; EOFError when the server closed."""
        async with asyncio.timeout(timeout):
            try:
                header = await self.reader.readexactly(4)
                body = await self.reader.readexactly(struct.unpack(">I", header)[0])
            except asyncio.IncompleteReadError:
                raise EOFError from None
        return msgspec.msgpack.decode(body)

    async def handshake(self) -> None:
        self.hello()
        welcome = await self.receive()
        assert welcome[0] == "welcome", welcome

    async def until(self, predicate: Callable[[Any], bool], timeout: float = 2.0) -> list[Any]:
        """Messages up to and including the first one matching ``predicate``."""
        seen = []
        while True:
            message = await self.receive(timeout)
            seen.append(message)
            if predicate(message):
                return seen

    async def expect_eof(self, timeout: float = 2.0) -> list[Any]:
        """The messages sent before the server closed the connection."""
        seen = []
        while True:
            try:
                seen.append(await self.receive(timeout))
            except EOFError:
                return seen

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
