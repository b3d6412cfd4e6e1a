"""Fixtures for the service core, task and client tests (none is autouse)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audio_service._service import _background
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
