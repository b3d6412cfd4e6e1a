"""Fixtures for the desktop-shell tests: one GNOME desktop and one Xfce panel per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from shell_desktops import GnomeDesktop, XfcePanel
from shell_tasks import start_demo

from audio_service._api._client import AudioServiceClient
from audio_service.demo._catalogue import Catalogue
from audio_session.testing import AudioRig, AudioServer


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
def demo_catalogue(shared_catalogue: Catalogue) -> Catalogue:
    return shared_catalogue


@pytest.fixture
def gnome_rig(gnome_desktop: GnomeDesktop, pulseaudio_server: AudioServer) -> Iterator[AudioRig]:
    """This process and the hosts it starts on the GNOME desktop's session bus."""
    rig = AudioRig(server=pulseaudio_server, bus=gnome_desktop.bus).open()
    with rig.activate():
        yield rig
    rig.stop()


@pytest.fixture
async def gnome_demo(
    gnome_rig: AudioRig, demo_catalogue: Catalogue
) -> AsyncIterator[AudioServiceClient]:
    client = await start_demo(demo_catalogue)
    yield client
    if client.running:
        await client.stop()
    await client.disconnect()
