"""A private D-Bus session bus, and the real clients tests drive it with."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from audio_session.testing._process import (
    CommandResult,
    ManagedProcess,
    RigError,
    require_program,
    run_command,
)

__all__ = ["DBusMonitor", "MonitoredMessage", "PrivateSessionBus"]


class PrivateSessionBus:
    """A ``dbus-daemon --session`` of our own, listening in a private directory.

    Nothing of the machine's real session leaks in: ``env`` carries the bus
    address and private ``HOME``/``XDG_RUNTIME_DIR`` for programs started against it.
    """

    def __init__(self, root: Path | None = None) -> None:
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="audio-rig-bus-")) if root is None else root
        self.runtime_dir = self.root / "run"
        self.home = self.root / "home"
        self.socket_path = self.runtime_dir / "bus"
        self.address = f"unix:path={self.socket_path}"
        self.process: ManagedProcess | None = None

    @property
    def env(self) -> dict[str, str]:
        """Environment for a client of this bus (no other bus or display reachable)."""
        return {
            "PATH": _default_path(),
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "LANG": "C.UTF-8",
        }

    def start(self) -> PrivateSessionBus:
        if self.process is not None:
            return self
        require_program("dbus-daemon")
        for directory in (self.runtime_dir, self.home):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
        self.process = ManagedProcess(
            "dbus-daemon",
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={self.address}"],
            self.env,
            self.root / "logs" / "dbus-daemon.log",
        )
        # The socket file appears at bind(), before listen(): only a connection proves it ready.
        self.process.wait_until(lambda: _accepts_connections(self.socket_path), "listening")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateSessionBus:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def processes(self) -> list[ManagedProcess]:
        return [self.process] if self.process is not None else []

    async def run(self, *args: str, timeout: float = 10.0, check: bool = True) -> CommandResult:
        """Run any client program against this bus."""
        return await run_command(args, self.env, timeout=timeout, check=check)

    async def playerctl(self, *args: str, player: str | None = None, check: bool = True) -> str:
        """``playerctl [--player=P] ARGS`` against this bus; its standard output, stripped."""
        selector = [f"--player={player}"] if player else []
        result = await self.run("playerctl", *selector, *args, check=check)
        return result.stdout.strip()

    async def gdbus_call(
        self, destination: str, path: str, method: str, *args: str, check: bool = True
    ) -> CommandResult:
        """``gdbus call --session`` with ``method`` as ``interface.Member`` and GVariant args."""
        return await self.run(
            "gdbus",
            "call",
            "--session",
            "--dest",
            destination,
            "--object-path",
            path,
            "--method",
            method,
            *args,
            check=check,
        )

    async def gdbus_introspect(self, destination: str, path: str) -> str:
        result = await self.run(
            "gdbus", "introspect", "--session", "--dest", destination, "--object-path", path
        )
        return result.stdout

    async def list_names(self) -> list[str]:
        result = await self.gdbus_call(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"
        )
        return re.findall(r"'([^']*)'", result.stdout)

    def monitor(self, *match_rules: str) -> DBusMonitor:
        """A ``dbus-monitor`` recording the messages that match (all, without rules)."""
        return DBusMonitor(self, match_rules)


@dataclass
class MonitoredMessage:
    """One message as ``dbus-monitor`` printed it."""

    kind: str
    sender: str
    destination: str
    path: str
    interface: str
    member: str
    body: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.body)


_HEADER = re.compile(
    r"^(?P<kind>signal|method call|method return|error) time=\S+ sender=(?P<sender>\S+) "
    r"-> destination=(?P<destination>\S+)(?P<rest>.*)$"
)
_FIELD = re.compile(r"(path|interface|member)=([^;\s]+)")


class DBusMonitor:
    """Records what crosses the bus, as parsed messages, until stopped.

    Use as ``async with bus.monitor("type='signal'") as monitor:``; then
    ``await monitor.wait_for(lambda m: m.member == "Seeked")``.
    """

    def __init__(self, bus: PrivateSessionBus, match_rules: tuple[str, ...]) -> None:
        self._bus = bus
        self._rules = match_rules
        self.messages: list[MonitoredMessage] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> DBusMonitor:
        program = require_program("dbus-monitor")
        self._process = await asyncio.create_subprocess_exec(
            program,
            "--address",
            self._bus.address,
            *self._rules,
            env=self._bus.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read())
        # dbus-monitor has become a monitor once its own NameAcquired/NameLost pair shows.
        await self.wait_for(lambda m: m.member == "NameLost", timeout=5.0)
        self.messages.clear()
        return self

    async def _read(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        stdout = self._process.stdout
        pending: MonitoredMessage | None = None
        while True:
            # A message is complete when the next header starts or output goes quiet;
            # only complete messages are published, so predicates may look at the body.
            try:
                raw = await asyncio.wait_for(stdout.readline(), 0.02 if pending else None)
            except TimeoutError:
                raw = None
            if not raw:
                if pending is not None:
                    self._publish(pending)
                    pending = None
                if raw == b"":
                    return
                continue
            line = raw.decode(errors="replace").rstrip("\n")
            header = _HEADER.match(line)
            if header:
                if pending is not None:
                    self._publish(pending)
                fields = dict(_FIELD.findall(header["rest"]))
                pending = MonitoredMessage(
                    header["kind"],
                    header["sender"],
                    header["destination"],
                    fields.get("path", ""),
                    fields.get("interface", ""),
                    fields.get("member", ""),
                )
            elif pending is not None:
                pending.body.append(line.strip())

    def _publish(self, message: MonitoredMessage) -> None:
        self.messages.append(message)
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[MonitoredMessage], bool], timeout: float = 5.0
    ) -> MonitoredMessage:
        """The first recorded message that satisfies ``predicate``, waiting for it if needed."""

        async def scan() -> MonitoredMessage:
            seen = 0
            while True:
                for message in self.messages[seen:]:
                    if predicate(message):
                        return message
                    seen += 1
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(scan(), timeout)
        except TimeoutError:
            raise RigError(
                f"no matching D-Bus message within {timeout} s; saw "
                f"{[(m.kind, m.interface, m.member) for m in self.messages]}"
            ) from None

    def find(self, predicate: Callable[[MonitoredMessage], bool]) -> list[MonitoredMessage]:
        return [message for message in self.messages if predicate(message)]

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def __aenter__(self) -> DBusMonitor:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _default_path() -> str:
    return os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")


def _accepts_connections(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(os.fspath(path))
        except OSError:
            return False
    return True
