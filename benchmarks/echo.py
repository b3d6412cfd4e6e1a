"""The baseline of the round-trip benchmarks: a bare asyncio Unix-socket echo."""

from __future__ import annotations

import asyncio

__all__ = ["EchoClient", "EchoServer"]


class EchoServer(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._transport.write(data)


class EchoClient(asyncio.Protocol):
    """Resolves one future per round trip once the whole message came back."""

    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None
        self.expected = 0
        self.received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if self.received >= self.expected and self.waiter is not None:
            self.waiter.set_result(None)
            self.waiter = None

    async def round_trip(self, message: bytes) -> None:
        self.expected, self.received = len(message), 0
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(message)
        await self.waiter
