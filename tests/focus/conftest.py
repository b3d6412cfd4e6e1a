"""Focus participants in real processes, for the multi-process tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from audio_session.testing import PrivateSessionBus

PARTICIPANT = Path(__file__).with_name("participant.py")


class Participant:
    """A participant process: send it commands, read its replies and focus changes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.changes: list[tuple[int, list[list[Any]]]] = []
        self.name = ""
        self.hosting = False
        self._replies: asyncio.Queue[Any] = asyncio.Queue()
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self._ready = asyncio.get_running_loop().create_future()

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            if message["event"] == "ready":
                self.name, self.hosting = message["name"], message["hosting"]
                self._ready.set_result(None)
            elif message["event"] == "change":
                self.changes.append((message["focus"], message["interruptions"]))
                self._changed.set()
            else:
                await self._replies.put(message["value"])

    async def command(self, *words: object) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write((" ".join(map(str, words)) + "\n").encode())
        await self.process.stdin.drain()
        return await asyncio.wait_for(self._replies.get(), 5.0)

    async def request(self, gain: int, usage: int = 1, wpwd: bool = False) -> bool:
        return bool(await self.command("request", gain, usage, int(wpwd)))

    async def abandon(self) -> bool:
        return bool(await self.command("abandon"))

    async def state(self) -> tuple[int | None, bool]:
        focus, hosting = await self.command("state")
        return focus, hosting

    async def wait_changes(self, count: int, timeout: float = 5.0) -> list[Any]:
        """Wait until ``count`` changes arrived in all; return them all."""

        async def wait() -> None:
            while len(self.changes) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)
        return self.changes

    def take(self, count: int) -> list[Any]:
        """The oldest ``count`` changes, removed."""
        taken, self.changes[:count] = self.changes[:count], []
        return taken

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@pytest.fixture
async def spawn(dbus_session: PrivateSessionBus) -> AsyncIterator[Any]:
    started: list[Participant] = []

    async def start() -> Participant:
        env = {**dbus_session.env}
        if "PYTHONPATH" in os.environ:
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(PARTICIPANT),
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        participant = Participant(process)
        started.append(participant)
        await asyncio.wait_for(participant._ready, 10.0)
        return participant

    yield start
    for participant in started:
        await participant.stop()
