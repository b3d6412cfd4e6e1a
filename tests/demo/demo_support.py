"""A demo service for UI tests: the real DemoTask, with engines that play nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from audio_service import AudioServiceBackground, BackgroundAudioTask
from audio_service.demo._catalogue import Catalogue
from audio_service.demo._task import DemoTask
from audio_service.players import MemoryEngine, QueuePlayerTask
from audio_service.players.tts import ReaderTask
from audio_session import AudioSession


class Harness:
    """What the entrypoint builds the task from, and what it built (set by the tests)."""

    session: ClassVar[AudioSession | None] = None
    catalogue: ClassVar[Catalogue | None] = None
    tasks: ClassVar[list[DemoTask]] = []
    music_engine: ClassVar[MemoryEngine | None] = None
    reader_engine: ClassVar[MemoryEngine | None] = None


def make_task() -> DemoTask:
    catalogue = Harness.catalogue
    assert catalogue is not None
    durations = {
        str((item.extras or {})["uri"]): item.duration or timedelta(seconds=20)
        for item in catalogue.playlist
    }
    Harness.music_engine = MemoryEngine(durations)
    Harness.reader_engine = MemoryEngine(default_duration=timedelta(seconds=3))
    task = DemoTask(
        music=QueuePlayerTask(Harness.music_engine, session=Harness.session),
        reader=ReaderTask(Harness.reader_engine, session=Harness.session),
        session=Harness.session,
    )
    Harness.tasks.append(task)
    return task


def memory_entrypoint() -> None:
    AudioServiceBackground.run(make_task)


class IdleTask(BackgroundAudioTask):
    """A service that plays nothing: something for the keeper to watch."""


def idle_entrypoint() -> None:
    AudioServiceBackground.run(IdleTask)
