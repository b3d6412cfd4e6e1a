"""Shared pieces of the ``bench_service_*`` benchmarks: a private runtime dir, hosts, stats.

Every benchmark starts its hosts under a temporary ``XDG_RUNTIME_DIR`` (and
``XDG_STATE_HOME``), so it never meets a service of the user's, and stops
every host it started, killing it if it does not exit by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from audio_service import AudioServiceError, MediaItem
from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_session._stream import Stream
from benchmarks import service_task

T = TypeVar("T")

#: The longest any single step may take before a benchmark gives up on it.
STEP_TIMEOUT = 30.0

_ENV = ("XDG_RUNTIME_DIR", "XDG_STATE_HOME")


def music_items(tag: str, count: int) -> list[MediaItem]:
    """Items as a music app makes them: a few strings and a duration each."""
    return [
        MediaItem(
            id=f"{tag}-{i}",
            title=f"Track {i}",
            album=f"Album {i // 12}",
            artist="Bench Artist",
            duration=timedelta(seconds=150 + i % 90),
            art_uri=f"file:///music/art/{i // 12}.jpg",
        )
        for i in range(count)
    ]


@contextlib.contextmanager
def private_runtime(prefix: str) -> Iterator[Path]:
    """Point ``XDG_RUNTIME_DIR`` and ``XDG_STATE_HOME`` at a fresh 0700 directory."""
    saved = {name: os.environ.get(name) for name in _ENV}
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        os.chmod(directory, 0o700)
        run = Path(directory, "run")
        run.mkdir(mode=0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(run)
        os.environ["XDG_STATE_HOME"] = str(Path(directory, "state"))
        try:
            yield Path(directory)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def host_client() -> AudioServiceClient:
    """A fresh client that starts and finds services in host mode."""
    client = AudioServiceClient()
    client.host_launcher = HostLauncher(start_timeout=STEP_TIMEOUT)
    return client


@dataclass
class Host:
    """A running host process and the client that started it."""

    client: AudioServiceClient
    pid: int
    app_id: str


@contextlib.asynccontextmanager
async def running_host(app_id: str) -> AsyncIterator[Host]:
    """Start a host running :class:`~benchmarks.service_task.BenchTask`; stop it on exit."""
    client = host_client()
    pid = 0
    try:
        started = await client.start(service_task.entrypoint, in_process=False, app_id=app_id)
        if not started:
            raise RuntimeError(f"a host for {app_id!r} was already running")
        pid = await client.custom_action("pid")
        yield Host(client, pid, app_id)
    finally:
        await stop_host(client, pid)


async def stop_host(client: AudioServiceClient, pid: int) -> None:
    """Stop the host ``client`` is connected to and wait until process ``pid`` is gone."""
    with contextlib.suppress(AudioServiceError, OSError, TimeoutError):
        async with asyncio.timeout(STEP_TIMEOUT):
            if client.running:
                await client.stop()
    await client.disconnect()
    if pid:
        await wait_gone(pid)


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


async def wait_gone(pid: int, timeout: float = 5.0) -> None:
    """Wait for ``pid`` to exit; kill it when it has not after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while alive(pid):
        if loop.time() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = loop.time() + timeout
        await asyncio.sleep(0.01)


async def until(stream: Stream[T], predicate: Callable[[T], bool]) -> T:
    """The first value of ``stream`` (the latest, for a replaying one) that passes."""
    async with asyncio.timeout(STEP_TIMEOUT):
        return await stream.first(predicate)


def percentile(samples: list[int], fraction: float) -> int:
    """The ``fraction`` quantile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def us(ns: float) -> str:
    return f"{ns / 1e3:.1f} µs"


def ms(ns: float) -> str:
    return f"{ns / 1e6:.2f} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"
