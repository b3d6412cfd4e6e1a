"""A sandboxed app keeps the machine awake through the portal, all of it real.

The app runs in a bubblewrap sandbox with a ``/.flatpak-info``, as Flatpak
makes them, so that the real xdg-desktop-portal knows it by its app id; the
portal's real GTK backend hands the inhibitor to the real gnome-session. Only
GNOME Shell's ``org.gnome.ScreenSaver`` (which the backend requires) is a test service.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from power_rig import GnomeSession, PortalDesktop, PrivateSystemBus, sandbox_command
from power_support import SessionManagerWatch

from audio_session.testing import PrivateSessionBus

SANDBOXED_APP = "org.example.Sandboxed"


@pytest.fixture
async def watch(
    session_bus: PrivateSessionBus, gnome_session: GnomeSession
) -> AsyncIterator[SessionManagerWatch]:
    watch = await SessionManagerWatch.open(session_bus.address)
    yield watch
    watch.close()


class Sandboxed:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def command(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()
        return await self.answer()

    async def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(10):
            raw = await self.process.stdout.readline()
        assert raw, "the sandboxed player exited"
        answer: dict[str, Any] = json.loads(raw)
        return answer


@pytest.fixture
async def sandboxed(
    portal: PortalDesktop,
    session_bus: PrivateSessionBus,
    system_bus: PrivateSystemBus,
    tmp_path: Path,
) -> AsyncIterator[Sandboxed]:
    info = tmp_path / "flatpak-info"
    info.write_text(f"[Application]\nname={SANDBOXED_APP}\n\n[Instance]\ninstance-id=1\n")
    player = Path(__file__).with_name("sandboxed_player.py")
    env = {
        **session_bus.env,
        "DBUS_SYSTEM_BUS_ADDRESS": system_bus.address,
        "FLATPAK_ID": SANDBOXED_APP,
        "XDG_CURRENT_DESKTOP": "GNOME",
    }
    process = await asyncio.create_subprocess_exec(
        *sandbox_command(info, sys.executable, str(player)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    app = Sandboxed(process)
    try:
        assert await app.answer() == {"started": True}
        yield app
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_sandboxed_app_inhibits_suspend_through_the_portal(
    sandboxed: Sandboxed, watch: SessionManagerWatch
) -> None:
    assert await sandboxed.command("play") == {"inhibitor": "portal", "note": None}
    await watch.wait_for("InhibitorAdded")
    # The portal knew the app from its sandbox; gnome-session got the suspend flag only.
    assert await watch.inhibitors() == [
        {"app_id": SANDBOXED_APP, "flags": 4, "reason": "Playing audio"}
    ]
    assert not await watch.is_inhibited(8)

    await sandboxed.command("pause")
    await watch.wait_for("InhibitorRemoved")
    assert not await watch.is_inhibited(4)

    # Killed while playing: the portal closes the dead caller's request.
    assert (await sandboxed.command("play"))["inhibitor"] == "portal"
    await watch.wait_for("InhibitorAdded", 2)
    sandboxed.process.kill()
    await watch.wait_for("InhibitorRemoved", 2)
    assert not await watch.is_inhibited(4)
