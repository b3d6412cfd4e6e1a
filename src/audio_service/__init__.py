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
    "AudioServiceBackground": "._service._background",
    "AudioService": "._api._client",
    "AudioServiceClient": "._api._client",
    "AudioServiceWidget": "._api._widget",
    "AudioServiceError": "._errors",
    "HostStartError": "._errors",
    "NotConnectedError": "._errors",
    "ServiceConnectionError": "._errors",
    "ServiceNotRunningError": "._errors",
    "TaskError": "._errors",
    "TaskErrorInfo": "._errors",
    "SavedSession": "._service._persistence",
    "MEDIA_ROOT_ID": "._model._models",
    "RECENT_ROOT_ID": "._model._models",
    "AudioProcessingState": "._model._models",
    "AudioServiceRepeatMode": "._model._models",
    "AudioServiceShuffleMode": "._model._models",
    "CustomMediaAction": "._model._models",
    "MediaAction": "._model._models",
    "MediaButton": "._model._models",
    "MediaControl": "._model._models",
    "MediaItem": "._model._models",
    "PlaybackState": "._model._models",
    "Rating": "._model._models",
    "RatingStyle": "._model._models",
    "ServiceConfig": "._model._models",
    "StateChanges": "._model._models",
    "MediaQueue": "._model._queue",
    "BackgroundAudioTask": "._service._task",
    "desktop_entry_path": "._surfaces._linux._desktop_entry",
    "install_desktop_entry": "._surfaces._linux._desktop_entry",
}

if TYPE_CHECKING:
    from audio_service._api._client import (
        AudioService,
        AudioServiceClient,
    )
    from audio_service._api._widget import AudioServiceWidget
    from audio_service._errors import (
        AudioServiceError,
        HostStartError,
        NotConnectedError,
        ServiceConnectionError,
        ServiceNotRunningError,
        TaskError,
        TaskErrorInfo,
    )
    from audio_service._model._models import (
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
        StateChanges,
    )
    from audio_service._model._queue import (
        MediaQueue,
    )
    from audio_service._service._background import (
        AudioServiceBackground,
    )
    from audio_service._service._persistence import (
        SavedSession,
    )
    from audio_service._service._task import (
        BackgroundAudioTask,
    )
    from audio_service._surfaces._linux._desktop_entry import (
        desktop_entry_path,
        install_desktop_entry,
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
    "AudioServiceWidget",
    "BackgroundAudioTask",
    "CustomMediaAction",
    "HostStartError",
    "MediaAction",
    "MediaButton",
    "MediaControl",
    "MediaItem",
    "MediaQueue",
    "NotConnectedError",
    "PlaybackState",
    "Rating",
    "RatingStyle",
    "SavedSession",
    "ServiceConfig",
    "ServiceConnectionError",
    "ServiceNotRunningError",
    "StateChanges",
    "TaskError",
    "TaskErrorInfo",
    "__version__",
    "desktop_entry_path",
    "install_desktop_entry",
]
