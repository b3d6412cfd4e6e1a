"""Buses and power services for the power tests.

- :class:`PrivateSystemBus`: a second ``dbus-daemon`` configured as a *system*
  bus (type ``system``, fd passing allowed), reached through ``DBUS_SYSTEM_BUS_ADDRESS``.
- :class:`GnomeSession`: the real ``gnome-session-binary`` (package gnome-session-bin)
  on the private session and system buses, with no component and no autostart
  app: just its ``org.gnome.SessionManager``. It needs no display.
- :class:`PortalDesktop`: the real ``xdg-desktop-portal`` and its GTK backend.
- :class:`XfcePowerManager`: the real ``xfce4-power-manager``.
- :func:`sandbox_command`: a command in a Flatpak-like bubblewrap sandbox.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from pathlib import Path
from types import TracebackType

from audio_session.testing import PrivateSessionBus
from audio_session.testing._process import ManagedProcess, RigUnavailable

_SYSTEM_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""


class PrivateSystemBus:
    """A private ``dbus-daemon`` with a system-bus configuration."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="power-system-bus-"))
        self.socket_path = self.root / "system_bus_socket"
        self.address = f"unix:path={self.socket_path}"
        self.process: ManagedProcess | None = None

    def start(self) -> PrivateSystemBus:
        config = self.root / "system.conf"
        config.write_text(_SYSTEM_CONFIG.format(socket=self.socket_path))
        self.process = ManagedProcess(
            "dbus-daemon (system)",
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile"],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            self.root / "dbus-daemon.log",
        )
        self.process.wait_until(lambda: _accepts(self.socket_path), "listening")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateSystemBus:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_SESSION_FILE = """[GNOME Session]
Name=Power tests
RequiredComponents=
"""


class GnomeSession:
    """The real GNOME session manager, with nothing to manage but inhibitors."""

    BINARY = "/usr/libexec/gnome-session-binary"

    def __init__(self, session_bus: PrivateSessionBus, system_bus: PrivateSystemBus) -> None:
        self._session_bus = session_bus
        self._system_bus = system_bus
        self.root = Path(tempfile.mkdtemp(prefix="power-gnome-session-"))
        self.process: ManagedProcess | None = None

    def start(self) -> GnomeSession:
        if not os.access(self.BINARY, os.X_OK):
            raise RigUnavailable(
                "gnome-session-binary is not installed (package gnome-session-bin)"
            )
        sessions = self.root / "data" / "gnome-session" / "sessions"
        sessions.mkdir(parents=True)
        (sessions / "power-tests.session").write_text(_SESSION_FILE)
        empty = self.root / "empty"
        empty.mkdir()
        env = {
            **self._session_bus.env,
            "DBUS_SYSTEM_BUS_ADDRESS": self._system_bus.address,
            "XDG_DATA_DIRS": f"{self.root / 'data'}:/usr/share",
            # No autostart app and no system-wide configuration: only the manager runs.
            "XDG_CONFIG_DIRS": str(empty),
            "XDG_CONFIG_HOME": str(empty),
            "XDG_CURRENT_DESKTOP": "GNOME",
            "GSETTINGS_BACKEND": "memory",
        }
        self.process = ManagedProcess(
            "gnome-session",
            [
                self.BINARY,
                "--builtin",
                "--session=power-tests",
                "--disable-acceleration-check",
                f"--autostart={empty}",
            ],
            env,
            self.root / "gnome-session.log",
        )
        return self

    def stop(self) -> None:
        if self.process is not None:
            # SIGTERM starts a logout that takes seconds; it has nothing to save.
            self.process.kill()
            self.process.stop()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)


class VirtualDisplay:
    """An Xvfb display of its own, for the X clients among the desktop services."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name = ""

    def start(self) -> ManagedProcess:
        for number in range(99, 999, 7):
            if not Path(f"/tmp/.X11-unix/X{number}").exists():
                break
        self.name = f":{number}"
        xvfb = ManagedProcess(
            "Xvfb",
            ["Xvfb", self.name, "-nolisten", "tcp", "-screen", "0", "64x64x24"],
            {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            self.root / f"xvfb-{number}.log",
        )
        try:
            xvfb.wait_until(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), "listening")
        except BaseException:
            xvfb.stop()
            raise
        return xvfb


class PortalDesktop:
    """The real ``xdg-desktop-portal`` with its real GTK backend, for GNOME.

    The GTK backend serves Inhibit through gnome-session only when GNOME Shell's
    ``org.gnome.ScreenSaver`` is on the bus too; GNOME Shell cannot run here, so
    the test gives that one small interface (see ``power_services.ScreenSaver``).
    The backend is a GTK program: it gets its own Xvfb display.
    """

    def __init__(self, session_bus: PrivateSessionBus) -> None:
        self._session_bus = session_bus
        self.root = Path(tempfile.mkdtemp(prefix="power-portal-"))
        self.processes: list[ManagedProcess] = []

    def start_display(self) -> str:
        display = VirtualDisplay(self.root)
        self.processes.append(display.start())
        return display.name

    def start_backend(self, display: str) -> None:
        env = {**self._session_bus.env, "DISPLAY": display, "XDG_CURRENT_DESKTOP": "GNOME"}
        self.processes.append(
            ManagedProcess(
                "xdg-desktop-portal-gtk",
                ["/usr/libexec/xdg-desktop-portal-gtk", "--replace"],
                {**env, "GSETTINGS_BACKEND": "memory"},
                self.root / "portal-gtk.log",
            )
        )

    def start_portal(self) -> None:
        env = {**self._session_bus.env, "XDG_CURRENT_DESKTOP": "GNOME"}
        self.processes.append(
            ManagedProcess(
                "xdg-desktop-portal",
                ["/usr/libexec/xdg-desktop-portal", "--replace", "--verbose"],
                env,
                self.root / "portal.log",
            )
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.kill()
            process.stop()
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)


class XfcePowerManager:
    """The real ``xfce4-power-manager`` (Xfce 4.18), which serves
    ``org.freedesktop.PowerManagement.Inhibit``; an X client, so on an Xvfb display.

    Without a DPMS-capable monitor (Xvfb, or Xorg's dummy driver) it now and then
    crashes just after an inhibitor goes; its ``--debug`` trace, written before, is
    what tells that the inhibitor went.
    """

    def __init__(self, session_bus: PrivateSessionBus, system_bus: PrivateSystemBus) -> None:
        self._session_bus = session_bus
        self._system_bus = system_bus
        self.root = Path(tempfile.mkdtemp(prefix="power-xfce-"))
        self.processes: list[ManagedProcess] = []

    def start(self) -> XfcePowerManager:
        display = VirtualDisplay(self.root)
        self.processes.append(display.start())
        env = {
            **self._session_bus.env,
            "DISPLAY": display.name,
            "DBUS_SYSTEM_BUS_ADDRESS": self._system_bus.address,
            "XDG_CURRENT_DESKTOP": "XFCE",
        }
        self.processes.append(
            ManagedProcess(
                "xfce4-power-manager",
                # Its --debug trace goes to stdout, line by line only through stdbuf.
                ["stdbuf", "-oL", "xfce4-power-manager", "--debug"],
                env,
                self.root / "xfce4-power-manager.log",
            )
        )
        return self

    def log(self) -> str:
        try:
            return (self.root / "xfce4-power-manager.log").read_text(errors="replace")
        except OSError:
            return ""

    async def wait_for_log(self, text: str, count: int = 1, timeout: float = 5.0) -> None:
        """Until its --debug trace says ``text`` ``count`` times (it signals nothing on the bus)."""
        async with asyncio.timeout(timeout):
            while self.log().count(text) < count:  # noqa: ASYNC110 - a file: nothing to await
                await asyncio.sleep(0.005)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.kill()
            process.stop()
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)


# The sandbox makes its own /proc and /dev; the others hold kernel state or
# Flatpak's own marker, which only the sandbox's file may provide.
_NOT_BOUND = frozenset({"proc", "dev", "sys", ".flatpak-info"})


def sandbox_command(flatpak_info: Path, *command: str) -> list[str]:
    """``command`` in a bubblewrap sandbox whose ``/.flatpak-info`` names the app, as Flatpak's.

    The sandbox root is a tmpfs with the host's directories bound in, so the
    file appears only inside (binding it over the host's own root would create it there).
    """
    # Every top-level directory of the host is bound in: the checkout, the
    # venv and the interpreter behind it may live anywhere (CI checks out
    # under a directory of its own), and a missing one fails as a bare execvp.
    binds: list[str] = []
    for entry in sorted(Path("/").iterdir()):
        if entry.name in _NOT_BOUND:
            continue
        if entry.is_symlink():
            binds += ["--symlink", os.readlink(entry), str(entry)]
        elif entry.is_dir():
            binds += ["--bind", str(entry), str(entry)]
    return [
        "bwrap",
        "--tmpfs",
        "/",
        *binds,
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        # Killing bwrap kills the app, as killing a Flatpak app's bwrap does.
        "--die-with-parent",
        "--ro-bind",
        str(flatpak_info),
        "/.flatpak-info",
        "--",
        *command,
    ]


def _accepts(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(os.fspath(path))
        except OSError:
            return False
    return True
