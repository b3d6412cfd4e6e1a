"""The task ``bench_mpris`` runs in a host process: one track, paused, play/pause only.

The host imports it by name (``benchmarks.mpris_task``); like a real player it
publishes an item (MPRIS offers PlayPause only while there is something to play).
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
)

TRACK = MediaItem(
    id="bench-track",
    title="Benchmark Track",
    artist="The Benchmarks",
    album="Latency",
    duration=timedelta(minutes=4),
)


class _TurnCounter:
    """Counts the event loop's iterations (``bench_mpris_syscalls`` reads it over IPC).

    Installed only when asked, so that ``bench_mpris``'s timings never pay for it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.turns = 0
        run_once = getattr(loop, "_run_once")  # noqa: B009  # BaseEventLoop's, looked up per turn

        def counted() -> None:
            self.turns += 1
            run_once()

        setattr(loop, "_run_once", counted)  # noqa: B010


class MprisBenchTask(BackgroundAudioTask):
    """Paused, no player: play and pause only publish the state, as a real task does."""

    _turns: _TurnCounter | None = None

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await AudioServiceBackground.set_media_item(TRACK)
        await AudioServiceBackground.set_state(
            controls=[MediaControl.play],
            processing_state=AudioProcessingState.READY,
            playing=False,
        )

    async def on_play(self) -> None:
        await AudioServiceBackground.set_state(playing=True, controls=[MediaControl.pause])

    async def on_pause(self) -> None:
        await AudioServiceBackground.set_state(playing=False, controls=[MediaControl.play])

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "pid":
            return os.getpid()
        if name == "loop_turns":
            # The loop's iterations so far (counting from the first of these calls).
            if self._turns is None:
                self._turns = _TurnCounter(asyncio.get_running_loop())
            return self._turns.turns
        raise ValueError(f"unknown custom action {name!r}")


def entrypoint() -> None:
    AudioServiceBackground.run(MprisBenchTask)
