"""Starting, watching and stopping the rig's helper processes.

Every process the rig starts leads its own session (``start_new_session``), so
stopping it can signal exactly that process group and nothing else on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CommandResult",
    "ManagedProcess",
    "RigError",
    "RigUnavailable",
    "require_program",
    "run_command",
    "run_command_sync",
    "session_members",
]

#: Debian packages that provide each program the rig runs, for error messages.
PACKAGE_OF = {
    "dbus-daemon": "dbus-daemon",
    "dbus-monitor": "dbus-bin",
    "pulseaudio": "pulseaudio",
    "pactl": "pulseaudio-utils",
    "pacat": "pulseaudio-utils",
    "paplay": "pulseaudio-utils",
    "pipewire": "pipewire",
    "pipewire-pulse": "pipewire-pulse",
    "wireplumber": "wireplumber",
    "pw-cli": "pipewire-bin",
    "playerctl": "playerctl",
    "gdbus": "libglib2.0-bin",
    "espeak-ng": "espeak-ng",
}


class RigError(RuntimeError):
    """Something the rig started or ran did not behave; the message says what and why."""


class RigUnavailable(RigError):
    """A program the rig needs is not installed."""


def require_program(name: str) -> str:
    """The absolute path of ``name``, or :class:`RigUnavailable` naming its Debian package."""
    path = shutil.which(name)
    if path is None:
        package = PACKAGE_OF.get(name, name)
        raise RigUnavailable(f"{name} is not installed (Debian package: {package})")
    return path


@dataclass(frozen=True)
class CommandResult:
    """What a finished command printed and how it ended."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> CommandResult:
        if self.returncode != 0:
            raise RigError(
                f"{' '.join(self.args)} exited with {self.returncode}: "
                f"{(self.stderr or self.stdout).strip()}"
            )
        return self


async def run_command(
    args: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float = 10.0,
    check: bool = True,
    stdin: bytes | None = None,
) -> CommandResult:
    """Run a short-lived client program without blocking the event loop.

    Async on purpose: the program may talk to a D-Bus service served by this
    very event loop (a ``playerctl`` call against an in-process MPRIS player).
    """
    program = require_program(args[0])
    process = await asyncio.create_subprocess_exec(
        program,
        *args[1:],
        env=dict(env),
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise RigError(f"{' '.join(args)} did not finish within {timeout} s") from None
    result = CommandResult(
        tuple(args),
        process.returncode or 0,
        out.decode(errors="replace"),
        err.decode("utf-8", "replace"),
    )
    return result.check() if check else result


def run_command_sync(
    args: Sequence[str], env: Mapping[str, str], *, timeout: float = 10.0, check: bool = True
) -> CommandResult:
    """The blocking twin of :func:`run_command`, for set-up code outside an event loop."""
    program = require_program(args[0])
    try:
        completed = subprocess.run(
            [program, *args[1:]],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RigError(f"{' '.join(args)} did not finish within {timeout} s") from None
    result = CommandResult(
        tuple(args),
        completed.returncode,
        completed.stdout.decode(errors="replace"),
        completed.stderr.decode(errors="replace"),
    )
    return result.check() if check else result


def session_members(session_id: int) -> list[int]:
    """The pids of every live process in session ``session_id`` (read from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 6 is the session id; the command name (field 2) may contain spaces.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[3]) == session_id:
            members.append(int(entry.name))
    return members


class ManagedProcess:
    """A long-running helper (a server, a monitor, a foreign stream) in its own session.

    Its output goes to ``log_path`` so that a failure can say what the program said.
    """

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        *,
        stdout_pipe: bool = False,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.args = (require_program(args[0]), *args[1:])
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self._log,
            stderr=self._log,
            start_new_session=True,
            cwd=cwd,
        )
        self.pid = self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        """Poll ``ready`` until it holds; fail with the program's last words if it died."""
        deadline = time.monotonic() + timeout
        delay = 0.005
        while not ready():
            if not self.running:
                raise RigError(
                    f"{self.name} exited with {self.popen.returncode} before {what}:\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RigError(f"{self.name} was not {what} within {timeout} s:\n{self.log_tail()}")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the whole session, then SIGKILL what is left after ``timeout``."""
        if self.running or session_members(self.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
            deadline = time.monotonic() + timeout
            while session_members(self.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            if session_members(self.pid) or self.running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait()
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self._log.close()

    def kill(self) -> None:
        """SIGKILL the whole session at once (to simulate a crash)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait()
