"""What a D-Bus connection with held writes puts on its socket, for the tests of both packages."""

from __future__ import annotations

from typing import Any

from dbus_fast.aio import MessageBus

from audio_session._bus import WriteHold, write_hold


class RecordingSocket:
    """Passes sends on to the real socket and keeps a copy of each; ``take`` caps the first."""

    def __init__(self, sock: Any, take: int | None = None) -> None:
        self._socket = sock
        self._take = take
        self.sent: list[bytes] = []

    @property
    def sends(self) -> list[int]:
        """The size of each send, in order."""
        return [len(data) for data in self.sent]

    def send(self, data: Any) -> int:
        view = memoryview(data)
        if self._take is not None:
            view, self._take = view[: self._take], None
        sent: int = self._socket.send(view)
        self.sent.append(bytes(view[:sent]))
        return sent


def record_writes(bus: MessageBus, take: int | None = None) -> tuple[WriteHold, RecordingSocket]:
    """``bus``'s write hold, its socket replaced by a :class:`RecordingSocket`."""
    writes = write_hold(bus)
    assert writes is not None
    recorder = RecordingSocket(writes._socket, take)
    writes._socket = recorder  # type: ignore[assignment]
    return writes, recorder
