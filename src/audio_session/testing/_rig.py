"""The whole rig in one object: a private session bus, an audio server, private XDG dirs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from audio_session.testing._audio import AudioServer, AudioServerFlavour, start_audio_server
from audio_session.testing._dbus import DBusMonitor, PrivateSessionBus
from audio_session.testing._process import ManagedProcess

__all__ = ["AudioRig", "processes_under", "stop_processes_under"]

#: Seconds a process started under the rig gets to exit after SIGTERM.
STOP_GRACE = 5.0

#: Variables that :meth:`AudioRig.activate` points at the rig.
ACTIVATED_VARIABLES = (
    "DBUS_SESSION_BUS_ADDRESS",
    "PULSE_SERVER",
    "PIPEWIRE_RUNTIME_DIR",
    "XDG_RUNTIME_DIR",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
)


class AudioRig:
    """A private desktop for one test: session bus, audio server and user directories.

    ``AudioRig.start("pulseaudio")`` starts everything it needs and
    ``stop()`` stops exactly that. Pass an already running ``server`` or ``bus``
    to share them; the rig then leaves them running when it stops.

    Code under test in the same process reaches the rig through ``activate()``,
    which points ``DBUS_SESSION_BUS_ADDRESS``, ``PULSE_SERVER``, ``XDG_RUNTIME_DIR``
    and the XDG state/cache/config/data homes at the rig; child processes get ``env``.
    """

    def __init__(
        self,
        server: AudioServer | None = None,
        bus: PrivateSessionBus | None = None,
        root: Path | None = None,
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="audio-rig-")) if root is None else root
        self._own_bus = bus is None
        self.bus = PrivateSessionBus(self.root / "bus") if bus is None else bus
        self.server = server
        self.runtime_dir = self.root / "app-run"
        self.homes = {
            "XDG_STATE_HOME": self.root / "state",
            "XDG_CACHE_HOME": self.root / "cache",
            "XDG_CONFIG_HOME": self.root / "config",
            "XDG_DATA_HOME": self.root / "data",
        }
        self._owned_server: AudioServer | None = None

    @classmethod
    def start(cls, flavour: AudioServerFlavour | None = "pulseaudio") -> AudioRig:
        """A rig with its own bus and, unless ``flavour`` is None, its own audio server."""
        rig = cls()
        try:
            if flavour is not None:
                rig._owned_server = start_audio_server(flavour, rig.root / flavour)
                rig.server = rig._owned_server
            rig.open()
        except BaseException:
            rig.stop()
            raise
        return rig

    def open(self) -> AudioRig:
        """Create the private directories and start the bus if the rig owns it."""
        for directory in (self.runtime_dir, *self.homes.values()):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
        if self._own_bus:
            self.bus.start()
        return self

    def stop(self) -> None:
        """Stop what the rig started, and every process started under it that is still running.

        A background service host that a test forgot to stop would otherwise outlive
        the rig (hosts detach from their starter): it is found by the rig's runtime
        directory in its environment, asked to stop (SIGTERM), and killed if it lingers.
        """
        stop_processes_under(self.runtime_dir)
        if self._owned_server is not None:
            self._owned_server.stop()
            self._owned_server = None
        if self._own_bus:
            self.bus.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> AudioRig:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def processes(self) -> list[ManagedProcess]:
        """Every long-running process this rig and its server run."""
        server = self.server.processes if self.server is not None else []
        return self.bus.processes + server

    @property
    def env(self) -> dict[str, str]:
        """Environment for a child process (an app, a host, a CLI) that should see the rig."""
        env = {**self.bus.env}
        if self.server is not None:
            server_env = self.server.env
            for key in ("PULSE_SERVER", "PIPEWIRE_RUNTIME_DIR"):
                env[key] = server_env[key]
        env["XDG_RUNTIME_DIR"] = str(self.runtime_dir)
        env.update({key: str(path) for key, path in self.homes.items()})
        return env

    @contextmanager
    def activate(self) -> Iterator[AudioRig]:
        """Point this process's environment at the rig; restore it afterwards."""
        env = self.env
        saved = {key: os.environ.get(key) for key in ACTIVATED_VARIABLES}
        try:
            for key in ACTIVATED_VARIABLES:
                if key in env:
                    os.environ[key] = env[key]
                else:
                    os.environ.pop(key, None)
            yield self
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # Shortcuts to the bus's clients, the ones tests use most.

    async def playerctl(self, *args: str, player: str | None = None, check: bool = True) -> str:
        return await self.bus.playerctl(*args, player=player, check=check)

    def monitor(self, *match_rules: str) -> DBusMonitor:
        return self.bus.monitor(*match_rules)


def stop_processes_under(runtime_dir: Path, *, grace: float = STOP_GRACE) -> list[int]:
    """Stop this user's processes whose environment points ``XDG_RUNTIME_DIR`` at ``runtime_dir``.

    Returns their pids. SIGTERM first (a service host then stops its task
    cleanly), SIGKILL for those still there after ``grace`` seconds.
    """
    found = processes_under(runtime_dir)
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    pending = list(found)
    while pending and time.monotonic() < deadline:
        pending = [pid for pid in pending if _running(pid)]
        if pending:
            time.sleep(0.02)  # another process's exit has nothing to wait on
    for pid in pending:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return found


def processes_under(runtime_dir: Path) -> list[int]:
    """This user's live processes whose environment sets ``XDG_RUNTIME_DIR`` to ``runtime_dir``."""
    marker = f"XDG_RUNTIME_DIR={runtime_dir}".encode()
    return [pid for pid in _user_pids() if marker in _environ(pid) and _running(pid)]


def _user_pids() -> list[int]:
    me, uid = os.getpid(), os.getuid()
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != me:
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
    return pids


def _environ(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []


def _running(pid: int) -> bool:
    """Whether ``pid`` is alive and not a zombie (a detached host's reaper may be slow)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
