"""Fixtures for the desktop-shell tests: one GNOME desktop and one demo catalogue per session."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from desktop import GnomeDesktop, XfcePanel

from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_service.demo._catalogue import Catalogue, ensure_catalogue
from audio_service.demo._task import APP_ID, IDENTITY, demo_entrypoint
from audio_session.testing import AudioRig, AudioServer

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def gnome_desktop() -> Iterator[GnomeDesktop]:
    """Xvfb, GNOME Shell and gsd-media-keys, started once (a few seconds) for the session."""
    desktop = GnomeDesktop().start()
    yield desktop
    desktop.stop()


@pytest.fixture(scope="session")
def xfce_panel(gnome_desktop: GnomeDesktop, _audio_server_pool: Any) -> Iterator[XfcePanel]:
    """xfce4-panel with its PulseAudio plugin, on the GNOME desktop's bus and its own display."""
    server = _audio_server_pool.get("pulseaudio")
    panel = XfcePanel(gnome_desktop.bus, {"PULSE_SERVER": server.env["PULSE_SERVER"]}).start()
    yield panel
    panel.stop()


@pytest.fixture(scope="session")
def demo_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    return ensure_catalogue(tmp_path_factory.mktemp("catalogue"))


@pytest.fixture
def gnome_rig(gnome_desktop: GnomeDesktop, pulseaudio_server: AudioServer) -> Iterator[AudioRig]:
    """This process and the hosts it starts on the GNOME desktop's session bus."""
    rig = AudioRig(server=pulseaudio_server, bus=gnome_desktop.bus).open()
    with rig.activate():
        yield rig
    rig.stop()


async def start_demo(catalogue: Catalogue, app_id: str = APP_ID) -> AudioServiceClient:
    """The demo's service in a host process, as ``audio-service demo`` starts it."""
    client = AudioServiceClient()
    client.host_launcher = HostLauncher()
    started = await client.start(
        demo_entrypoint,
        {"catalogue": str(catalogue.directory)},
        app_id=app_id,
        identity=IDENTITY,
    )
    assert started, "a demo service was already running"
    return client


@pytest.fixture
async def gnome_demo(
    gnome_rig: AudioRig, demo_catalogue: Catalogue
) -> AsyncIterator[AudioServiceClient]:
    client = await start_demo(demo_catalogue)
    yield client
    if client.running:
        await client.stop()
    await client.disconnect()
