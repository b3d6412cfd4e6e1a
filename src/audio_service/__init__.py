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

from typing import TYPE_CHECKING

from audio_session import __version__
from audio_session._lazy import lazy_exports

# Names load on first use (PEP 562): see audio_session._lazy.
_LAZY = {
    "AudioServiceBackground": "._background",
    "AudioService": "._client",
    "AudioServiceClient": "._client",
    "AudioServiceError": "._errors",
    "NotConnectedError": "._errors",
    "ServiceNotRunningError": "._errors",
    "TaskError": "._errors",
    "MEDIA_ROOT_ID": "._models",
    "RECENT_ROOT_ID": "._models",
    "AudioProcessingState": "._models",
    "AudioServiceRepeatMode": "._models",
    "AudioServiceShuffleMode": "._models",
    "CustomMediaAction": "._models",
    "MediaAction": "._models",
    "MediaButton": "._models",
    "MediaControl": "._models",
    "MediaItem": "._models",
    "PlaybackState": "._models",
    "Rating": "._models",
    "RatingStyle": "._models",
    "ServiceConfig": "._models",
    "MediaQueue": "._queue",
    "BackgroundAudioTask": "._task",
}

if TYPE_CHECKING:
    from ._background import (
        AudioServiceBackground,
    )
    from ._client import (
        AudioService,
        AudioServiceClient,
    )
    from ._errors import (
        AudioServiceError,
        NotConnectedError,
        ServiceNotRunningError,
        TaskError,
    )
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
    from ._queue import (
        MediaQueue,
    )
    from ._task import (
        BackgroundAudioTask,
    )


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)


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
