"""Fixtures for the IPC transport tests: a private runtime dir, servers, clients, raw sockets."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ipc_support import APP_ID, RawPeer, standard_handler

from audio_service._connect._ipc import Client, Server, _paths, connect


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private XDG_RUNTIME_DIR (short, so socket paths fit), and a private fallback root."""
    directory = Path(tempfile.mkdtemp(prefix="ipc-"))
    fallback = directory / "tmp"
    fallback.mkdir(mode=0o1777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(directory))
    monkeypatch.setattr(_paths, "_FALLBACK_ROOT", fallback)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


MakeServer = Callable[..., Awaitable[Server]]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
async def make_server(runtime_dir: Path) -> AsyncIterator[MakeServer]:
    servers: list[Server] = []

    async def factory(handler: Any = standard_handler, app_id: str = APP_ID, **kw: Any) -> Server:
        server = Server(app_id, handler, **kw)
        await server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        await server.close()


@pytest.fixture
async def server(make_server: MakeServer) -> Server:
    return await make_server()


@pytest.fixture
async def make_client(runtime_dir: Path) -> AsyncIterator[MakeClient]:
    clients: list[Client] = []

    async def factory(target: Any = APP_ID, name: str = "test client", **kw: Any) -> Client:
        client = await connect(target, name, **kw)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
async def client(server: Server, make_client: MakeClient) -> Client:
    return await make_client()


@pytest.fixture
async def raw_peer() -> AsyncIterator[Callable[[Path], Awaitable[RawPeer]]]:
    peers: list[RawPeer] = []

    async def factory(path: Path) -> RawPeer:
        peer = await RawPeer.open(path)
        peers.append(peer)
        return peer

    yield factory
    for peer in peers:
        await peer.close()
