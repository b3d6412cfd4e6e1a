"""The inhibitor while playing, through the route each desktop offers.

GNOME is the real gnome-session and Xfce the real xfce4-power-manager on the
private buses; KDE's PowerManagement (PowerDevil needs Plasma) and logind are
test services (see ``power_services``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from power_rig import GnomeSession, PrivateSystemBus, XfcePowerManager
from power_services import Logind, PowerManagement
from power_support import APP_ID, PowerManager, SessionManagerWatch, service

from audio_service._surfaces._linux._power._choice import route_order
from audio_session.testing import PrivateSessionBus

RELEASE_DELAY = 0.3


@pytest.fixture
async def watch(
    session_bus: PrivateSessionBus, gnome_session: GnomeSession
) -> AsyncIterator[SessionManagerWatch]:
    watch = await SessionManagerWatch.open(session_bus.address)
    yield watch
    watch.close()


async def test_gnome_holds_a_suspend_only_inhibitor_while_playing(
    watch: SessionManagerWatch,
    logind: Logind,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    async with service(journal, release_delay=RELEASE_DELAY) as svc:
        assert svc.keeper.status.inhibitor is None
        started = time.monotonic()
        await svc.play()
        added = await watch.wait_for("InhibitorAdded")
        assert added - started < 1.0
        assert await watch.inhibitors() == [
            {"app_id": APP_ID, "flags": 4, "reason": "Playing audio"}
        ]
        assert await watch.is_inhibited(4)
        assert not await watch.is_inhibited(8), "an audio app must not stop the screen blanking"
        await svc.keeper.settled()
        assert svc.keeper.status.inhibitor == "gnome-session"
        # gnome-session turns the suspend flag into a logind block lock of its own.
        await logind.wait(lambda: logind.held("block"))

        # Track changes (through LOADING) and seeks (through BUFFERING) do not flap it.
        await svc.core.handle(_next())
        await svc.core.handle(_seek(30))
        await svc.core.handle(_next())
        paused = time.monotonic()
        await svc.pause()
        removed = await watch.wait_for("InhibitorRemoved")
        assert removed - paused >= RELEASE_DELAY
        assert watch.count("InhibitorAdded") == 1
        assert not await watch.is_inhibited(4)
        await svc.keeper.settled()
        assert svc.keeper.status.inhibitor is None
        await logind.wait(lambda: not logind.held("block"))


async def test_playing_again_within_the_debounce_keeps_the_same_inhibitor(
    watch: SessionManagerWatch, journal: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "GNOME")
    async with service(journal, release_delay=30.0) as svc:
        await svc.play()
        await watch.wait_for("InhibitorAdded")
        await svc.pause()
        await svc.play()
        await svc.pause()
        await svc.play()
        await svc.keeper.settled()
        assert watch.count("InhibitorAdded") == 1
        assert watch.count("InhibitorRemoved") == 0
    # Closing the service releases it at once.
    await watch.wait_for("InhibitorRemoved")


async def test_kde_uses_power_management(
    power_management: PowerManagement,
    watch: SessionManagerWatch,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # gnome-session is on the bus too: the desktop's preference decides.
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    async with service(journal, release_delay=RELEASE_DELAY) as svc:
        await svc.play()
        await svc.keeper.settled()
        assert svc.keeper.status.inhibitor == "power-management"
        assert [c.application for c in power_management.cookies.values()] == [APP_ID]
        assert watch.count("InhibitorAdded") == 0
        await svc.pause()
        await power_management.wait(lambda: not power_management.cookies)
        assert power_management.calls == ["Inhibit", "UnInhibit"]


async def test_xfce_uses_its_power_manager(
    xfce_power_manager: XfcePowerManager,
    watch: SessionManagerWatch,
    session_bus: PrivateSessionBus,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real xfce4-power-manager, with gnome-session on the bus too.
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "XFCE")
    power = await PowerManager.open(session_bus.address)
    try:
        assert not await power.has_inhibit()
        async with service(journal, release_delay=RELEASE_DELAY) as svc:
            started = time.monotonic()
            await svc.play()
            added = await power.wait_for(True)
            assert added - started < 1.0
            await svc.keeper.settled()
            assert svc.keeper.status.inhibitor == "power-management"
            assert f"application name={APP_ID} reason=Playing audio" in xfce_power_manager.log()
            await svc.core.handle(_next())
            await svc.core.handle(_seek(12))
            paused = time.monotonic()
            await svc.pause()
            await xfce_power_manager.wait_for_log("Inhibit removed")
            assert time.monotonic() - paused >= RELEASE_DELAY
            log = xfce_power_manager.log()
            assert log.count("UnHibit message received") == 1
            # One inhibitor through the track change and the seek.
            assert log.count("Inhibit added") == 1
            assert watch.count("InhibitorAdded") == 0
    finally:
        power.close()


async def test_another_desktop_with_gnome_session_uses_it(
    power_management: PowerManagement,
    watch: SessionManagerWatch,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "Budgie:GNOME")
    async with service(journal) as svc:
        await svc.play()
        await svc.keeper.settled()
        assert svc.keeper.status.inhibitor == "gnome-session"
        assert not power_management.cookies


@pytest.mark.parametrize(
    "environ",
    [{"XDG_CURRENT_DESKTOP": "GNOME"}, {"XDG_CURRENT_DESKTOP": "KDE"}, {"SNAP": "/snap/x/1"}],
)
async def test_the_preferred_route_missing_falls_back_to_logind(
    session_bus: PrivateSessionBus,
    logind: Logind,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    async with service(journal, pause_on_sleep=False) as svc:
        await svc.play()
        await svc.keeper.settled()
        assert svc.keeper.status.inhibitor == "logind"
        assert [i.mode for i in logind.held()] == ["block"]


async def test_without_a_desktop_service_logind_blocks_sleep(
    session_bus: PrivateSessionBus,
    logind: Logind,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    async with service(journal, release_delay=RELEASE_DELAY, pause_on_sleep=False) as svc:
        await svc.play()
        await svc.keeper.settled()
        assert svc.keeper.status.inhibitor == "logind"
        (lock,) = logind.held()
        assert (lock.what, lock.mode, lock.who) == ("sleep", "block", APP_ID)
        assert not logind.held(what="idle")
        paused = time.monotonic()
        await svc.pause()
        await lock.released.wait()
        assert lock.released_at is not None
        assert lock.released_at - paused >= RELEASE_DELAY
        assert svc.keeper.status.inhibitor is None


async def test_nothing_to_ask_leaves_playback_alone_with_one_info_line(
    tmp_path: object,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-session-bus")
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-system-bus")
    caplog.set_level("INFO", logger="audio_service.power")
    async with service(journal) as svc:
        await svc.play()
        await svc.keeper.settled()
        await svc.pause()
        await svc.play()
        await svc.keeper.settled()
        assert svc.core.state.playing
        assert svc.keeper.status.inhibitor is None
        assert not svc.keeper.status.sleep_lock
        # With nothing to ask, a toggle starts no worker and arms no release timer.
        await svc.pause()
        assert svc.keeper._worker is None
        assert svc.keeper._timer is None
    lines = [r for r in caplog.records if r.name == "audio_service.power"]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].levelname == "INFO"
    assert "no session bus" in lines[0].getMessage()
    assert "no system bus" in lines[0].getMessage()


async def test_buses_without_power_services_give_one_info_line(
    session_bus: PrivateSessionBus,
    system_bus: PrivateSystemBus,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    caplog.set_level("DEBUG", logger="audio_service.power")
    async with service(journal, release_delay=0.01) as svc:
        for _ in range(2):
            await svc.play()
            await svc.keeper.settled()
            assert svc.core.state.playing
            await svc.pause()
        note = svc.keeper.status.note
        assert note is not None
        assert "logind: not on the bus" in note
    infos = [r for r in caplog.records if r.name == "audio_service.power" and r.levelno >= 20]
    assert len(infos) == 1, [r.getMessage() for r in infos]


async def test_routes_that_all_failed_are_not_asked_again_on_every_play(
    session_bus: PrivateSessionBus,
    system_bus: PrivateSystemBus,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    async with service(journal, release_delay=0.01, pause_on_sleep=False) as svc:
        await svc.play()
        await svc.keeper.settled()
        asked = svc.keeper._worker
        assert asked is not None
        assert svc.keeper.status.inhibitor is None
        # Until a retry is due, a toggle starts no worker to ask the same buses again.
        for _ in range(3):
            await svc.pause()
            await svc.play()
        assert svc.keeper._worker is asked


@pytest.mark.parametrize(
    ("environ", "flatpak_info", "first"),
    [
        ({"XDG_CURRENT_DESKTOP": "GNOME"}, False, "gnome-session"),
        ({"XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}, False, "gnome-session"),
        ({"XDG_CURRENT_DESKTOP": "KDE"}, False, "power-management"),
        ({"XDG_CURRENT_DESKTOP": "XFCE"}, False, "power-management"),
        ({"XDG_CURRENT_DESKTOP": "sway"}, False, "gnome-session"),
        ({"XDG_CURRENT_DESKTOP": "KDE", "FLATPAK_ID": "org.example.App"}, False, "portal"),
        ({"XDG_CURRENT_DESKTOP": "GNOME"}, True, "portal"),
        ({"SNAP": "/snap/app/1"}, False, "portal"),
    ],
)
def test_the_desktop_sets_the_order(
    tmp_path: object, environ: dict[str, str], flatpak_info: bool, first: str
) -> None:
    info = f"{tmp_path}/.flatpak-info"
    if flatpak_info:
        with open(info, "w") as file:
            file.write("[Application]\nname=org.example.App\n")
    order = route_order(environ, info)
    assert order[0] == first
    assert sorted(order) == sorted(set(order))
    if first != "portal":
        # Unsandboxed, the portal has no app id to give the session manager: last resort.
        assert order[-1] == "portal"
        assert order.index("logind") < order.index("portal")


def _next() -> object:
    from audio_service._service._requests import SkipToNext

    return SkipToNext()


def _seek(seconds: float) -> object:
    from datetime import timedelta

    from audio_service._service._requests import SeekTo

    return SeekTo(position=timedelta(seconds=seconds))


async def test_a_release_timer_that_fires_after_playback_stopped_again_waits_the_rest(
    session_bus: PrivateSessionBus,
    logind: Logind,
    journal: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "sway")
    # Long enough that the play and pause below happen before the first timer fires.
    delay = 1.0
    async with service(journal, release_delay=delay, pause_on_sleep=False) as svc:
        await svc.play()
        await svc.keeper.settled()
        (lock,) = logind.held()
        await svc.pause()
        timer = svc.keeper._timer
        assert timer is not None
        await asyncio.sleep(delay / 4)
        # Playing again leaves the timer armed; stopping again counts the delay from now.
        await svc.play()
        paused = time.monotonic()
        await svc.pause()
        assert svc.keeper._timer is timer
        await lock.released.wait()
        assert lock.released_at is not None
        assert lock.released_at - paused >= delay
        assert svc.keeper.status.inhibitor is None
