"""Which playback streams belong to this app.

A stream is ours when either holds:

- it carries this session's token (property :data:`TOKEN_PROPERTY`). The backend
  puts the token into ``PULSE_PROP`` and ``PIPEWIRE_PROPS``, so every stream the
  process opens afterwards carries it, and so do the streams of every child
  process that inherits the environment, however far it wanders off;
- its ``application.process.id`` is this process, or a descendant of it (the
  ``/proc`` parent chain leads here) that stayed in this process's session. A
  child that starts a session of its own (``setsid``,
  ``start_new_session=True``) has detached itself, as a separate application
  does, and is ours only through the token. The pid is trusted only when the
  stream reports the same machine (``application.process.machine_id`` or
  ``application.process.host``), since pids mean nothing across machines.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from pathlib import Path

__all__ = ["TOKEN_PROPERTY", "OwnStreams"]

#: The stream property that carries the session's token.
TOKEN_PROPERTY = "audio_session.token"

#: How far up the parent chain to look (WirePlumber's PID matching uses the same bound).
MAX_ANCESTRY = 100


def _read_machine_id() -> str | None:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value:
            return value
    return None


class OwnStreams:
    """Tells our streams from everybody else's, by token or by process ancestry."""

    def __init__(
        self,
        *,
        token: str | None = None,
        pid: int | None = None,
        proc: Path = Path("/proc"),
    ) -> None:
        if token is not None and (not isinstance(token, str) or not token.isalnum()):
            raise ValueError(f"token must be a non-empty alphanumeric str, not {token!r}")
        #: The value of :data:`TOKEN_PROPERTY` on our streams.
        self.token = token if token is not None else secrets.token_hex(8)
        self.pid = os.getpid() if pid is None else pid
        self._proc = proc
        self._session = self._session_of(self.pid)
        self._machine_id = _read_machine_id()
        self._host = socket.gethostname()

    @property
    def pulse_property(self) -> str:
        """The ``PULSE_PROP`` entry that marks a stream as ours."""
        return f"{TOKEN_PROPERTY}={self.token}"

    @property
    def pipewire_property(self) -> str:
        """The ``PIPEWIRE_PROPS`` entry that marks a stream as ours."""
        return f"{TOKEN_PROPERTY}={self.token}"

    def is_ours(self, properties: Mapping[str, str]) -> bool:
        """Whether a stream with these properties belongs to this app."""
        if properties.get(TOKEN_PROPERTY) == self.token:
            return True
        raw_pid = properties.get("application.process.id", "")
        if not raw_pid.isdigit() or not self._same_machine(properties):
            return False
        return self.is_own_process(int(raw_pid))

    def is_own_process(self, pid: int) -> bool:
        """Whether ``pid`` is this process or a descendant that stayed in its session."""
        if pid == self.pid:
            return True
        if self._session is None or self._session_of(pid) != self._session:
            return False
        current = pid
        for _ in range(MAX_ANCESTRY):
            parent = self._parent_of(current)
            if parent is None or parent <= 1:
                return False
            if parent == self.pid:
                return True
            current = parent
        return False

    def _same_machine(self, properties: Mapping[str, str]) -> bool:
        machine = properties.get("application.process.machine_id")
        if machine and self._machine_id:
            return machine == self._machine_id
        host = properties.get("application.process.host")
        return not host or host == self._host

    def _stat(self, pid: int) -> list[str] | None:
        try:
            stat = (self._proc / str(pid) / "stat").read_text()
        except (OSError, ValueError):
            return None
        # The command name (field 2) is in parentheses and may contain anything.
        return stat[stat.rfind(")") + 2 :].split()

    def _parent_of(self, pid: int) -> int | None:
        fields = self._stat(pid)
        return int(fields[1]) if fields is not None and len(fields) > 1 else None

    def _session_of(self, pid: int) -> int | None:
        fields = self._stat(pid)
        return int(fields[3]) if fields is not None and len(fields) > 3 else None
