"""Services for the shell tests: the demo in a host process, and tasks imported by name there."""

from __future__ import annotations

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
)
from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_service.demo._catalogue import Catalogue
from audio_service.demo._desktop import ensure_desktop_entry
from audio_service.demo._task import APP_ID, IDENTITY, demo_entrypoint


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


class LateTrackTask(BackgroundAudioTask):
    """Starts with nothing loaded; the custom action ``load`` loads a track, as a person would."""

    async def on_custom_action(self, name: str, arguments: object) -> object:
        if name == "load":
            item = MediaItem(id="late", title="Late Track", artist="Someone")
            await AudioServiceBackground.set_queue([item])
            await AudioServiceBackground.set_media_item(item)
            await AudioServiceBackground.set_state(
                controls=[MediaControl.play, MediaControl.pause],
                processing_state=AudioProcessingState.READY,
            )
        return None


def late_track_entrypoint() -> None:
    AudioServiceBackground.run(LateTrackTask)


async def start_demo(catalogue: Catalogue, app_id: str = APP_ID) -> AudioServiceClient:
    """The demo's service in a host process, as ``audio-service demo`` starts it.

    Its desktop entry is installed first, as the demo does: Xfce's plugin lists only players
    whose ``.desktop`` file exists when they appear.
    """
    client = AudioServiceClient()
    client.host_launcher = HostLauncher()
    started = await client.start(
        demo_entrypoint,
        {"catalogue": str(catalogue.directory)},
        app_id=app_id,
        identity=IDENTITY,
        desktop_entry=ensure_desktop_entry() if app_id == APP_ID else None,
    )
    assert started, "a demo service was already running"
    return client
