"""Fixtures for the Linux backend tests: backends opened on the rig, closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from linux_support import FAST_BACKOFF, Harness, Recorder

from audio_session._linux import InterruptionPolicy, LinuxBackend
from audio_session.testing import AudioRig


@pytest.fixture
async def make_linux(audio_rig: AudioRig) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    """Builds opened backends on the rig (``policy=`` etc. pass through); closes them after."""
    made: list[Harness] = []

    async def make(*, policy: InterruptionPolicy | None = None) -> Harness:
        backend = LinuxBackend(policy=policy, backoff=FAST_BACKOFF)
        recorder = Recorder()
        assert audio_rig.server is not None
        harness = Harness(backend, recorder, audio_rig.server, audio_rig)
        made.append(harness)
        await backend.open(recorder)
        return harness

    yield make
    for harness in made:
        await harness.stop_children()
        await harness.backend.close()


@pytest.fixture
async def linux(make_linux: Callable[..., Awaitable[Harness]]) -> Harness:
    """A LinuxBackend with the default policy, opened on the rig."""
    return await make_linux()
