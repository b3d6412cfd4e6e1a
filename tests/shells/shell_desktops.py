"""A private GNOME desktop for tests: Xvfb, GNOME Shell (X11, software GL) and gsd-media-keys.

Everything runs on buses of its own — a session bus shared with the code under
test, and a second private bus standing in for the system bus (GNOME Shell
needs one to start; nothing answers on it) — so the machine's real session is
never touched. The shell runs with ``--unsafe-mode``: tests read the media card
and press its buttons through ``org.gnome.Shell.Eval``, and take screenshots
through ``org.gnome.Shell.Screenshot``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from shell_xwd import xwd_to_png

from audio_session.testing import ManagedProcess, PrivateSessionBus, RigError
from audio_session.testing._process import require_program, run_command

__all__ = ["CARD_STATE_JS", "GnomeDesktop"]

SHELL = "org.gnome.Shell"
GSD_MEDIA_KEYS = "/usr/libexec/gsd-media-keys"

#: The media section of the calendar menu, where GNOME 43 puts MPRIS cards.
_SECTION = "Main.panel.statusArea.dateMenu._messageList._mediaSection"

#: Every media card: what a person sees on it, and whether its buttons respond
#: (``Eval`` answers with the JSON of the script's value).
CARD_STATE_JS = f"""
{_SECTION}._messages.map(m => ({{
    bus_name: m._player._busName,
    title: m.titleLabel.text,
    body: m.bodyLabel.text,
    play_icon: m._playPauseButton.child.icon_name,
    previous_reactive: m._prevButton.reactive,
    next_reactive: m._nextButton.reactive,
    cover: m._icon.gicon && m._icon.gicon.get_file ? m._icon.gicon.get_file().get_uri() : null,
}}))
"""

#: What ``Eval`` of this says once gsd-media-keys holds its grabs (they come in one call).
_GRABS_JS = "Main.shellDBusService._grabbedAccelerators.size"


class GnomeDesktop:
    """Start with :meth:`start`, stop with :meth:`stop`; ``env`` reaches its display and bus."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gnome-desktop-"))
        self.bus = PrivateSessionBus(self.root / "session")
        self.system_bus = PrivateSessionBus(self.root / "system")
        self.processes: list[ManagedProcess] = []
        self.display = ""
        self.timings: dict[str, float] = {}

    @property
    def env(self) -> dict[str, str]:
        return {
            **self.bus.env,
            "DISPLAY": self.display,
            "DBUS_SYSTEM_BUS_ADDRESS": self.system_bus.address,
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_DATA_HOME": str(self.root / "data"),
            "XDG_CACHE_HOME": str(self.root / "cache"),
            "XDG_CURRENT_DESKTOP": "GNOME",
            # Defaults only, nothing written anywhere: dconf is not there to write to.
            "GSETTINGS_BACKEND": "memory",
            "LIBGL_ALWAYS_SOFTWARE": "1",
            "NO_AT_BRIDGE": "1",
        }

    def _spawn(self, name: str, args: list[str], **options: Any) -> ManagedProcess:
        process = ManagedProcess(
            name, args, self.env, self.root / "logs" / f"{name}.log", **options
        )
        self.processes.append(process)
        return process

    def start(self) -> GnomeDesktop:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        for program in ("Xvfb", "gnome-shell", "xdotool"):
            require_program(program)
        if not os.access(GSD_MEDIA_KEYS, os.X_OK):
            raise RigError(f"{GSD_MEDIA_KEYS} is missing (Debian package: gnome-settings-daemon)")
        began = time.monotonic()
        self.bus.start()
        self.system_bus.start()
        # -displayfd: the server picks a free display and says which once it accepts clients.
        xvfb = self._spawn(
            "Xvfb",
            ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout_pipe=True,
        )
        assert xvfb.popen.stdout is not None
        number = xvfb.popen.stdout.readline().decode().strip()
        if not number.isdigit():
            raise RigError(f"Xvfb did not start:\n{xvfb.log_tail()}")
        self.display = f":{number}"
        self.timings["xvfb"] = time.monotonic() - began
        shell = self._spawn(
            "gnome-shell", ["gnome-shell", "--x11", "--replace", "--unsafe-mode", "--sm-disable"]
        )
        shell.wait_until(
            lambda: self._eval_sync("global.context.unsafe_mode") == "true",
            "answering Eval in unsafe mode",
            timeout=30,
        )
        self.timings["gnome-shell"] = time.monotonic() - began
        keys = self._spawn("gsd-media-keys", [GSD_MEDIA_KEYS])
        keys.wait_until(
            lambda: int(self._eval_sync(_GRABS_JS) or 0) > 0, "holding its key grabs", timeout=30
        )
        self.timings["gsd-media-keys"] = time.monotonic() - began

    def _eval_sync(self, script: str) -> str | None:
        """``Eval`` through gdbus, for start-up (before any event loop runs)."""
        result = subprocess.run(
            [
                "gdbus",
                "call",
                "--session",
                "--dest",
                SHELL,
                "--object-path",
                "/org/gnome/Shell",
                "--method",
                "org.gnome.Shell.Eval",
                script,
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if result.returncode != 0 or not result.stdout.startswith("(true, '"):
            return None
        return result.stdout.strip()[len("(true, '") : -len("')")]

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.system_bus.stop()
        self.bus.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------- from tests

    async def eval(self, script: str) -> Any:
        """The JSON value of ``script`` evaluated in the shell (it must return a JSON string)."""
        bus = await MessageBus(bus_address=self.bus.address).connect()
        try:
            reply = await bus.call(
                Message(
                    destination=SHELL,
                    path="/org/gnome/Shell",
                    interface="org.gnome.Shell",
                    member="Eval",
                    signature="s",
                    body=[script],
                )
            )
        finally:
            bus.disconnect()
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN, reply.body
        ok, text = reply.body
        if not ok:
            raise AssertionError(f"Eval failed: {text}")
        return json.loads(text) if text else None

    async def cards(self) -> list[dict[str, Any]]:
        cards: list[dict[str, Any]] = await self.eval(CARD_STATE_JS)
        return cards

    async def seen_can_play(self, bus_name: str) -> bool | None:
        """``CanPlay`` as the shell's proxy for ``bus_name`` holds it (None: not read yet)."""
        value: bool | None = await self.eval(
            f"{_SECTION}._players.get({json.dumps(bus_name)})?._playerProxy?.CanPlay ?? null"
        )
        return value

    async def press(self, bus_name: str, button: str) -> None:
        """Click ``_prevButton``, ``_playPauseButton`` or ``_nextButton`` of a player's card."""
        await self.eval(
            f"{_SECTION}._messages.find(m => m._player._busName == {json.dumps(bus_name)})"
            f".{button}.emit('clicked', 1), null"
        )

    async def screenshot(self, path: Path) -> None:
        """The whole screen as a PNG at ``path``, taken by the shell itself."""
        bus = await MessageBus(bus_address=self.bus.address).connect()
        try:
            reply = await bus.call(
                Message(
                    destination=SHELL,
                    path="/org/gnome/Shell/Screenshot",
                    interface="org.gnome.Shell.Screenshot",
                    member="Screenshot",
                    signature="bbs",
                    body=[False, False, str(path)],
                )
            )
        finally:
            bus.disconnect()
        assert reply is not None
        assert reply.message_type is MessageType.METHOD_RETURN, reply.body
        assert reply.body[0], f"the shell could not save {path}"

    async def key(self, name: str) -> None:
        """Press and release a key on the X server, as a keyboard would."""
        await run_command(("xdotool", "key", name), self.env, timeout=10)


XFCONFD = "/usr/lib/x86_64-linux-gnu/xfce4/xfconf/xfconfd"
#: The panel's height, and the middle of the plugin's button on it (the panel's only item).
PANEL_SIZE = 30
PLUGIN_BUTTON = (27, 15)

#: One panel with one plugin: xfce4-pulseaudio-plugin (its defaults: MPRIS and media keys on).
_PANEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="size" type="uint" value="30"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="pulseaudio"/>
  </property>
</channel>
"""


class XfcePanel:
    """xfce4-panel with the PulseAudio plugin on an X server of its own, on a given session bus.

    Its own display, because the plugin grabs the media keys on the X server, where GNOME
    Shell already holds them. ``data_home`` is the XDG data dir it looks for desktop files in.
    """

    def __init__(self, bus: PrivateSessionBus, audio_env: dict[str, str]) -> None:
        self.bus = bus
        self.audio_env = audio_env
        self.root = Path(tempfile.mkdtemp(prefix="xfce-panel-"))
        self.data_home = self.root / "data"
        self.processes: list[ManagedProcess] = []
        self.display = ""

    @property
    def env(self) -> dict[str, str]:
        return {
            **self.bus.env,
            **self.audio_env,
            "DISPLAY": self.display,
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_DATA_HOME": str(self.data_home),
            "XDG_CACHE_HOME": str(self.root / "cache"),
            "XDG_CURRENT_DESKTOP": "XFCE",
            "NO_AT_BRIDGE": "1",
        }

    def start(self) -> XfcePanel:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, args: list[str], **options: Any) -> ManagedProcess:
        process = ManagedProcess(
            name, args, self.env, self.root / "logs" / f"{name}.log", **options
        )
        self.processes.append(process)
        return process

    def _start(self) -> None:
        require_program("xfce4-panel")
        require_program("xfconf-query")
        channel = self.root / "config" / "xfce4" / "xfconf" / "xfce-perchannel-xml"
        channel.mkdir(parents=True)
        (channel / "xfce4-panel.xml").write_text(_PANEL_XML)
        (self.data_home / "applications").mkdir(parents=True)
        xvfb = self._spawn(
            "Xvfb",
            ["Xvfb", "-displayfd", "1", "-screen", "0", "1024x600x24", "-nolisten", "tcp"],
            stdout_pipe=True,
        )
        assert xvfb.popen.stdout is not None
        number = xvfb.popen.stdout.readline().decode().strip()
        if not number.isdigit():
            raise RigError(f"Xvfb did not start:\n{xvfb.log_tail()}")
        self.display = f":{number}"
        # Started here rather than activated by the bus, so that it reads our config dir.
        xfconfd = self._spawn("xfconfd", [XFCONFD])
        # Asking it anything before it owns its name would have the bus start another one.
        xfconfd.wait_until(lambda: self._has_owner("org.xfce.Xfconf"), "on the bus")
        if self._panel_property("/configver") != "2":
            raise RigError(f"xfconfd did not read {channel}:\n{xfconfd.log_tail()}")
        # No window manager runs on this display; the panel would wait for one.
        panel = ManagedProcess(
            "xfce4-panel",
            ["xfce4-panel", "--disable-wm-check"],
            {**self.env, "PANEL_DEBUG": "all"},
            self.root / "logs" / "xfce4-panel.log",
        )
        self.processes.append(panel)
        panel.wait_until(
            lambda: (
                "Grabbing multimedia control keys" in panel.log_path.read_text(errors="replace")
            ),
            "running the plugin",
        )

    def _has_owner(self, name: str) -> bool:
        result = subprocess.run(
            [
                "gdbus",
                "call",
                "--session",
                "--dest",
                "org.freedesktop.DBus",
                "--object-path",
                "/org/freedesktop/DBus",
                "--method",
                "org.freedesktop.DBus.NameHasOwner",
                name,
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout.strip() == "(true,)"

    def _panel_property(self, name: str) -> str | None:
        result = subprocess.run(
            ["xfconf-query", "-c", "xfce4-panel", "-p", name],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout.strip() if result.returncode == 0 else None

    async def known_players(self) -> list[str]:
        """The players the plugin has listed (its ``mpris-players`` setting: desktop ids)."""
        result = await run_command(
            ("xfconf-query", "-c", "xfce4-panel", "-p", "/plugins/plugin-1/mpris-players"),
            self.env,
            check=False,
        )
        text = result.stdout.strip() if result.returncode == 0 else ""
        return [name for name in text.split(";") if name]

    async def key(self, name: str) -> None:
        await run_command(("xdotool", "key", name), self.env, timeout=10)

    async def windows(self) -> list[dict[str, int]]:
        """Every visible window's ``X``, ``Y``, ``WIDTH`` and ``HEIGHT``."""
        result = await run_command(
            (
                "xdotool",
                "search",
                "--onlyvisible",
                "--name",
                "",
                "getwindowgeometry",
                "--shell",
                "%@",
            ),
            self.env,
            check=False,
        )
        found: list[dict[str, int]] = []
        for line in result.stdout.splitlines():
            key, _, value = line.partition("=")
            if key == "WINDOW":
                found.append({})
            elif found and value.lstrip("-").isdigit():
                found[-1][key] = int(value)
        return found

    async def open_menu(self) -> dict[str, int]:
        """Click the plugin's button; the geometry of the menu that opens under the panel."""
        await self.click(*PLUGIN_BUTTON)
        for _ in range(200):
            for window in await self.windows():
                if window.get("Y") == PANEL_SIZE and window.get("WIDTH", 0) > 100:
                    return window
            await asyncio.sleep(0.025)
        raise AssertionError("the plugin's menu did not open")

    async def close_menu(self) -> None:
        await self.key("Escape")
        for _ in range(200):
            if not any(w.get("Y") == PANEL_SIZE for w in await self.windows()):
                return
            await asyncio.sleep(0.025)
        raise AssertionError("the plugin's menu did not close")

    async def click(self, x: int, y: int) -> None:
        await run_command(("xdotool", "mousemove", str(x), str(y), "click", "1"), self.env)

    async def screenshot(self, path: Path) -> None:
        """The whole display as a PNG (xwd, converted here: no image tools needed)."""
        dump = path.with_suffix(".xwd")
        await run_command(("xwd", "-root", "-silent", "-out", str(dump)), self.env)
        await asyncio.to_thread(_convert, dump, path)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def _convert(dump: Path, png: Path) -> None:
    png.write_bytes(xwd_to_png(dump.read_bytes()))
    dump.unlink()
