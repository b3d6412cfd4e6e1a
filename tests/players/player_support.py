"""Helpers of the player tests: items, engines, and the in-process service harness (``Rig``).

Each test module that starts services defines, at top level::

    TASKS: list[BackgroundAudioTask] = []

    def entrypoint() -> None:
        AudioServiceBackground.run(TASKS.pop)

(an entrypoint must be a top-level function the host could import), and
``rig.start(task)`` puts ``task`` there and starts the service in-process.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from audio_service import AudioServiceClient, BackgroundAudioTask, MediaItem
from audio_service._connect._inprocess import InProcessLauncher
from audio_service.players import MemoryEngine
from audio_session import AudioDevice, AudioSession, MemoryBackend

SPEAKER = AudioDevice("speaker", "Speakers", is_output=True)


def track(number: int, *, minutes: float = 3, **fields: Any) -> MediaItem:
    """A queue item whose id is its URI, as in the seeds."""
    fields.setdefault("title", f"Track {number}")
    fields.setdefault("artist", "The Testers")
    return MediaItem(
        id=f"file:///music/track{number}.ogg", duration=timedelta(minutes=minutes), **fields
    )


def tracks(count: int) -> list[MediaItem]:
    return [track(number) for number in range(1, count + 1)]


def engine_for(items: Iterable[MediaItem], **options: Any) -> MemoryEngine:
    """A MemoryEngine that knows the items' durations."""
    durations = {item.id: item.duration for item in items if item.duration is not None}
    return MemoryEngine(durations, **options)


class Rig:
    """A session on a MemoryBackend and a client that starts services in-process."""

    def __init__(
        self, module: Any, backend: MemoryBackend, session: AudioSession, client: AudioServiceClient
    ) -> None:
        self._module = module
        self.backend = backend
        self.session = session
        self.client = client

    async def start(
        self, task: BackgroundAudioTask, params: dict[str, Any] | None = None, **options: Any
    ) -> AudioServiceClient:
        self._module.TASKS.append(task)
        options.setdefault("mpris", False)
        started = await self.client.start(
            self._module.entrypoint, params, in_process=True, **options
        )
        assert started
        return self.client

    async def stop(self) -> None:
        if self.client.running:
            await self.client.stop()
        await self.client.disconnect()
        self.client = new_client()


def new_client() -> AudioServiceClient:
    client = AudioServiceClient()
    client.in_process_launcher = InProcessLauncher(stop_grace=0.05)
    return client
