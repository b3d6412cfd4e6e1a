"""The baseline of the round-trip benchmarks: a bare asyncio Unix-socket echo."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from benchmarks.service_support import STEP_TIMEOUT

__all__ = [
    "ECHO_SERVER_SCRIPT",
    "EchoClient",
    "EchoServer",
    "end_child",
    "start_child_server",
]

#: The echo server as a child process's script (its socket path is argv[1]). It serves until
#: its standard input closes, so it cannot outlive the benchmark.
ECHO_SERVER_SCRIPT = """
import asyncio, sys

class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_unix_server(Echo, sys.argv[1])
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", flush=True)
    await reader.read()
    server.close()

asyncio.run(main())
"""


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


async def start_child_server(script: str, path: Path) -> asyncio.subprocess.Process:
    """Run ``script`` (which prints "ready" once it listens at ``path``) in a child process."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, str(path), stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdout is not None
    async with asyncio.timeout(STEP_TIMEOUT):
        ready = await child.stdout.readline()
    if ready.strip() != b"ready":
        await end_child(child)
        raise RuntimeError("a child server did not start")
    return child


async def end_child(child: asyncio.subprocess.Process) -> None:
    """Close the child's standard input (its signal to end) and wait; kill it after 5 s."""
    assert child.stdin is not None
    child.stdin.close()
    try:
        async with asyncio.timeout(5):
            await child.wait()
    except TimeoutError:
        child.kill()
        await child.wait()
