"""pytest fixtures for the real audio rig, loaded through the ``pytest11`` entry point.

Importing this module is cheap and starts nothing: servers start when a test
first asks for one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from audio_session.testing._audio import FLAVOURS, AudioServer, AudioServerFlavour
from audio_session.testing._audio import start_audio_server as _start_audio_server
from audio_session.testing._dbus import PrivateSessionBus
from audio_session.testing._rig import AudioRig


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("audio-rig", "real audio stack (audio_session.testing)")
    group.addoption(
        "--audio-server",
        default=",".join(FLAVOURS),
        help="comma-separated audio server flavours for the audio_server fixture "
        f"(default: {','.join(FLAVOURS)})",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "audio_server(*flavours): run only against these audio server flavours"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "audio_server" not in metafunc.fixturenames:
        return
    chosen = [f.strip() for f in str(metafunc.config.getoption("--audio-server")).split(",")]
    unknown = set(chosen) - set(FLAVOURS)
    if unknown:
        raise pytest.UsageError(f"unknown --audio-server flavour(s): {', '.join(sorted(unknown))}")
    marker = metafunc.definition.get_closest_marker("audio_server")
    if marker is not None:
        chosen = [f for f in chosen if f in marker.args]
    metafunc.parametrize("audio_server", chosen, indirect=True)


class _ServerPool:
    """One server per flavour for the whole session, restarted if a test killed it."""

    def __init__(self) -> None:
        self.servers: dict[str, AudioServer] = {}

    def get(self, flavour: AudioServerFlavour) -> AudioServer:
        server = self.servers.get(flavour)
        if server is None:
            server = self.servers[flavour] = _start_audio_server(flavour)
        elif not all(process.running for process in server.processes):
            server.start_again()
        return server

    def release(self, server: AudioServer) -> None:
        if all(process.running for process in server.processes):
            asyncio.run(server.reset())

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


@pytest.fixture(scope="session")
def _audio_server_pool() -> Iterator[_ServerPool]:
    pool = _ServerPool()
    yield pool
    pool.close()


def _server_fixture(pool: _ServerPool, flavour: AudioServerFlavour) -> Iterator[AudioServer]:
    server = pool.get(flavour)
    yield server
    pool.release(server)


@pytest.fixture
def audio_server(
    request: pytest.FixtureRequest, _audio_server_pool: _ServerPool
) -> Iterator[AudioServer]:
    """A running audio server; the test runs once per selected flavour."""
    flavour: AudioServerFlavour = getattr(request, "param", "pulseaudio")
    yield from _server_fixture(_audio_server_pool, flavour)


@pytest.fixture
def pulseaudio_server(_audio_server_pool: _ServerPool) -> Iterator[AudioServer]:
    """A running PulseAudio server (with role-cork)."""
    yield from _server_fixture(_audio_server_pool, "pulseaudio")


@pytest.fixture
def pipewire_server(_audio_server_pool: _ServerPool) -> Iterator[AudioServer]:
    """A running PipeWire + WirePlumber + pipewire-pulse server."""
    yield from _server_fixture(_audio_server_pool, "pipewire")


@pytest.fixture
def dbus_session() -> Iterator[PrivateSessionBus]:
    """A private session bus of the test's own."""
    with PrivateSessionBus() as bus:
        yield bus


@pytest.fixture
def audio_rig(dbus_session: PrivateSessionBus, audio_server: AudioServer) -> Iterator[AudioRig]:
    """Bus + audio server + private XDG dirs, with this process's environment pointed at them."""
    rig = AudioRig(server=audio_server, bus=dbus_session).open()
    with rig.activate():
        yield rig
    rig.stop()
