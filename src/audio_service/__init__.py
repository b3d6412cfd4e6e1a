"""Run audio in a background task and wire it to the desktop's media controls.

The Python counterpart of Flutter's ``audio_service`` (its ``BackgroundAudioTask``
API). The app's audio logic is a :class:`BackgroundAudioTask`; the UI drives it
through :data:`AudioService`, and the task publishes its state through
:data:`AudioServiceBackground`::

    class MyTask(BackgroundAudioTask):
        async def on_play(self) -> None:
            await AudioServiceBackground.set_state(
                playing=True, processing_state=AudioProcessingState.READY
            )

    def entrypoint() -> None:  # top level, so another process can import it
        AudioServiceBackground.run(MyTask)

    await AudioService.start(background_task_entrypoint=entrypoint)
    await AudioService.play()
"""

import sys

from audio_session import __version__

from ._background import AudioServiceBackground
from ._client import AudioService, AudioServiceClient
from ._errors import AudioServiceError, NotConnectedError, ServiceNotRunningError, TaskError
from ._models import (
    MEDIA_ROOT_ID,
    RECENT_ROOT_ID,
    AudioProcessingState,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    CustomMediaAction,
    MediaAction,
    MediaButton,
    MediaControl,
    MediaItem,
    PlaybackState,
    Rating,
    RatingStyle,
    ServiceConfig,
)
from ._queue import MediaQueue
from ._task import BackgroundAudioTask

if sys.platform.startswith("linux"):
    # Host mode (the task in its own process) needs Unix sockets with peer
    # credentials; elsewhere the singleton stays in-process until a backend exists.
    from ._remote import HostLauncher as _HostLauncher

    AudioService.host_launcher = _HostLauncher()

__all__ = [
    "MEDIA_ROOT_ID",
    "RECENT_ROOT_ID",
    "AudioProcessingState",
    "AudioService",
    "AudioServiceBackground",
    "AudioServiceClient",
    "AudioServiceError",
    "AudioServiceRepeatMode",
    "AudioServiceShuffleMode",
    "BackgroundAudioTask",
    "CustomMediaAction",
    "MediaAction",
    "MediaButton",
    "MediaControl",
    "MediaItem",
    "MediaQueue",
    "NotConnectedError",
    "PlaybackState",
    "Rating",
    "RatingStyle",
    "ServiceConfig",
    "ServiceNotRunningError",
    "TaskError",
    "__version__",
]
