"""Fixtures for the players: a MemoryBackend session and an in-process service (``rig``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from player_support import SPEAKER, Rig, new_client

from audio_service._service import _background
from audio_session import AudioSession, MemoryBackend


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend(devices=[SPEAKER])


@pytest.fixture
async def session(backend: MemoryBackend) -> AsyncIterator[AudioSession]:
    session = await AudioSession.create(backend)
    yield session
    await session.close()


@pytest.fixture
async def rig(
    request: pytest.FixtureRequest, backend: MemoryBackend, session: AudioSession
) -> AsyncIterator[Rig]:
    assert _background.active_core() is None, "an earlier test left a service running"
    rig = Rig(request.module, backend, session, new_client())
    yield rig
    await rig.stop()
    leftover = _background.active_core()
    if leftover is not None:
        _background.detach(leftover)
        pytest.fail("the test left a background task running")
