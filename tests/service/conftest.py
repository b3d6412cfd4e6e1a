"""Fixtures for the service core, task and client tests (none is autouse)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from audio_service import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_service._service import _background
from audio_session.testing import stop_processes_under
from service_support import FakeClock, RecordingTask


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def no_leftover_service() -> Iterator[None]:
    """Fail a test that leaves a background task running, and clear it for the next one."""
    RecordingTask.instances.clear()
    assert _background.active_core() is None, "an earlier test left a service running"
    yield
    leftover = _background.active_core()
    if leftover is not None:
        _background.detach(leftover)
        pytest.fail("the test left a background task running")


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ``XDG_RUNTIME_DIR``, so services and sockets are the test's own."""
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    return run


@pytest.fixture
async def client(runtime: Path) -> AsyncIterator[AudioServiceClient]:
    """A client that starts services in host mode; stops what it and the test left running."""
    client = AudioServiceClient()
    client.host_launcher = HostLauncher(start_timeout=20)
    yield client
    if client.connected and client.running:
        await client.stop()
    await client.disconnect()
    # Services a test left running on purpose (another app's, one it disconnected from).
    await asyncio.to_thread(stop_processes_under, runtime)
