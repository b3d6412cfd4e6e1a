"""Background tasks for the shell tests, imported by name in host processes."""

from __future__ import annotations

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaItem,
)


class NoControlsTask(BackgroundAudioTask):
    """Loads a track and handles play and pause, but publishes no controls: a natural first try."""

    async def on_start(self, params: dict[str, object] | None) -> None:
        item = MediaItem(id="first", title="First Try", artist="Someone", album="Attempts")
        await AudioServiceBackground.set_queue([item])
        await AudioServiceBackground.set_media_item(item)
        await AudioServiceBackground.set_state(processing_state=AudioProcessingState.READY)

    async def on_play(self) -> None:
        await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self) -> None:
        await AudioServiceBackground.set_state(playing=False)


def no_controls_entrypoint() -> None:
    AudioServiceBackground.run(NoControlsTask)
