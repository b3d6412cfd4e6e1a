"""An in-process service with its MPRIS server on the test's private bus."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# The album-art tests serve their covers with the control tests' HTTP server.
sys.path.append(str(Path(__file__).parent.parent / "controls"))
from mpris_support import APP_ID, Harness, PlayerTask

from audio_service import ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._surfaces._linux._mpris import MprisServer
from audio_session.testing import PrivateSessionBus


@pytest.fixture
def task() -> PlayerTask:
    return PlayerTask()


@pytest.fixture
async def player(dbus_session: PrivateSessionBus, task: PlayerTask) -> AsyncIterator[Harness]:
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID), stop_grace=0.5)
    await core.start()
    server = MprisServer(
        core,
        identity="Example Player",
        desktop_entry="org.example.Player",
        bus_address=dbus_session.address,
    )
    try:
        await server.start()
        yield Harness(core, task, server, dbus_session)
    finally:
        await server.close()
        await core.shutdown()
