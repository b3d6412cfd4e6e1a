"""Pause before the machine sleeps, through logind's delay lock and PrepareForSleep.

logind is a test service on a private system bus: it needs systemd as PID 1.
"""

from __future__ import annotations

import pytest
from power_services import INHIBIT_DELAY_MAX, Logind
from power_support import APP_ID, service

from audio_session.testing import PrivateSessionBus


@pytest.fixture(autouse=True)
def _no_desktop(session_bus: PrivateSessionBus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")


async def test_a_delay_lock_is_held_only_while_playing(logind: Logind, journal: list[str]) -> None:
    async with service(journal, release_delay=0.05, keep_awake=False) as svc:
        await svc.keeper.settled()
        assert not logind.held("delay")
        await svc.play()
        await svc.keeper.settled()
        (lock,) = logind.held("delay")
        assert (lock.what, lock.who) == ("sleep", APP_ID)
        assert svc.keeper.status.sleep_lock
        assert svc.keeper.status.inhibitor is None, "keep_awake=False takes no block lock"
        await svc.pause()
        await lock.released.wait()
        await svc.keeper.settled()
        assert not svc.keeper.status.sleep_lock


async def test_playback_pauses_before_the_delay_lock_is_closed(
    logind: Logind, journal: list[str]
) -> None:
    async with service(journal) as svc:
        # A player that takes a while to pause (a fade-out): logind must wait for it.
        svc.task.pause_takes = 0.2
        await svc.play()
        await svc.keeper.settled()
        assert logind.held("delay")
        waited = await logind.suspend()
        assert not svc.core.state.playing
        paused = journal.index("task: paused")
        released = journal.index(f"logind: delay sleep released by {APP_ID}")
        assert journal.index("logind: PrepareForSleep(true)") < paused < released
        assert journal.index("logind: asleep") > released
        assert "logind: delay timed out" not in journal
        assert waited < INHIBIT_DELAY_MAX


async def test_after_waking_the_lock_is_retaken_only_when_playing(
    logind: Logind, journal: list[str]
) -> None:
    async with service(journal) as svc:
        await svc.play()
        await svc.keeper.settled()
        await logind.suspend()
        logind.wake()
        await svc.keeper.settled()
        # Paused for the sleep and not told to resume: it stays paused, with no lock.
        assert not svc.core.state.playing
        assert not logind.held("delay")
        assert journal.count("task: play") == 1

        await svc.play()
        await svc.keeper.settled()
        assert len(logind.held("delay")) == 1


async def test_resume_after_wake_plays_again_and_retakes_the_lock(
    logind: Logind, journal: list[str]
) -> None:
    async with service(journal, resume_after_wake=True) as svc:
        await svc.play()
        await svc.keeper.settled()
        await logind.suspend()
        assert not svc.core.state.playing
        logind.wake()
        await svc.keeper.settled()
        assert svc.core.state.playing
        assert journal.count("task: play") == 2
        assert len(logind.held("delay")) == 1


async def test_a_paused_service_is_left_alone_by_sleep_and_wake(
    logind: Logind, journal: list[str]
) -> None:
    async with service(journal, release_delay=0.05, resume_after_wake=True) as svc:
        await svc.play()
        await svc.keeper.settled()
        assert logind.held("delay")
        await svc.pause()
        await logind.wait(lambda: not logind.held())
        waited = await logind.suspend()
        logind.wake()
        await svc.keeper.settled()
        # Not paused by the sleep, so not resumed after it; no lock was left to wait for.
        assert journal.count("task: paused") == 1
        assert journal.count("task: play") == 1
        assert not logind.held()
        assert waited < 1.0


async def test_repeated_signals_pause_once_and_take_one_lock(
    logind: Logind, journal: list[str]
) -> None:
    # elogind sends PrepareForSleep twice.
    async with service(journal, resume_after_wake=True) as svc:
        await svc.play()
        await svc.keeper.settled()
        await logind.suspend(repeat=2)
        await svc.keeper.settled()
        assert journal.count("task: paused") == 1
        logind.wake(repeat=2)
        await svc.keeper.settled()
        assert journal.count("task: play") == 2
        assert len(logind.held("delay")) == 1
        assert svc.core.state.playing


async def test_pause_on_sleep_off_takes_no_delay_lock(logind: Logind, journal: list[str]) -> None:
    async with service(journal, pause_on_sleep=False) as svc:
        await svc.play()
        await svc.keeper.settled()
        assert not logind.held("delay")
        assert logind.held("block")
        await logind.suspend()
        await svc.keeper.settled()
        assert svc.core.state.playing
