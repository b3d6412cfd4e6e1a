"""A real dunst (the notification daemon of tiling desktops) on the test's bus, under Xvfb.

dunst shows a notification's actions in a context menu drawn by ``dmenu``; here
``dmenu`` is a script that records the menu and picks the entry named in a
file, so that ``dunstctl context`` invokes an action as a user choosing it
does. ``dunstctl close`` is the user dismissing the notification.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from audio_session.testing import PrivateSessionBus
from audio_session.testing._process import ManagedProcess, run_command

_DMENU = """#!/bin/sh
# dmenu for the tests: record the menu, answer with the line that names the chosen action.
cat > "{menu}"
grep -F -- "$(cat "{choice}")" "{menu}" | head -n 1
"""


class Dunst:
    def __init__(self, bus: PrivateSessionBus, root: Path, display: str) -> None:
        self.bus = bus
        self.root = root
        self.display = display
        self.menu = root / "menu.txt"
        self.choice = root / "choice.txt"

    @property
    def env(self) -> dict[str, str]:
        return {**self.bus.env, "DISPLAY": self.display}

    async def ctl(self, *args: str) -> str:
        result = await run_command(("dunstctl", *args), self.env, timeout=10)
        return result.stdout.strip()

    async def choose(self, label: str) -> None:
        """Open the context menu of the newest notification and pick ``label``.

        dunst runs the menu on its own after answering: wait for what the choice does.
        """
        self.choice.write_text(label)
        await self.ctl("context")

    def last_menu(self) -> list[str]:
        """The entries of the menu dunst showed last."""
        return self.menu.read_text().splitlines()


def _free_display() -> int:
    taken = (
        {name[1:] for name in os.listdir("/tmp/.X11-unix")}
        if os.path.isdir("/tmp/.X11-unix")
        else set()
    )
    while True:
        number = random.randrange(200, 900)
        if str(number) not in taken and not os.path.exists(f"/tmp/.X{number}-lock"):
            return number


@contextmanager
def running_dunst(bus: PrivateSessionBus, root: Path) -> Iterator[Dunst]:
    """Xvfb and dunst (owning org.freedesktop.Notifications on ``bus``) until the block ends."""
    for program in ("Xvfb", "dunst", "dunstctl"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing: scripts/ensure-system-deps.sh installs it")
    number = _free_display()
    xvfb = ManagedProcess(
        "Xvfb",
        ["Xvfb", f":{number}", "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        bus.env,
        root / "xvfb.log",
    )
    dunst: ManagedProcess | None = None
    try:
        xvfb.wait_until(lambda: os.path.exists(f"/tmp/.X11-unix/X{number}"), "listening")
        handle = Dunst(bus, root, f":{number}")
        dmenu = root / "dmenu.sh"
        dmenu.write_text(_DMENU.format(menu=handle.menu, choice=handle.choice))
        dmenu.chmod(0o755)
        config = root / "dunstrc"
        config.write_text(f"[global]\n    dmenu = {dmenu}\n    show_indicators = no\n")
        dunst = ManagedProcess(
            "dunst", ["dunst", "-config", str(config)], handle.env, root / "dunst.log"
        )
        yield handle
    finally:
        if dunst is not None:
            dunst.stop()
        xvfb.stop()
