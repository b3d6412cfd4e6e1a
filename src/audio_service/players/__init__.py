"""Ready-made players: a queue player over any audio engine, and a task that switches players.

:class:`QueuePlayerTask` is a complete :class:`~audio_service.BackgroundAudioTask`
(queue, gapless next, seek, speed, repeat and shuffle, interruptions) that
plays through a :class:`PlayerEngine`. The engines live in submodules that are
imported explicitly, because they need optional native libraries::

    from audio_service.players.mpv import MpvPlayerTask   # libmpv (audio-service-kit[mpv])
    from audio_service.players.tts import ReaderTask      # espeak-ng + libmpv

:class:`MemoryEngine` plays nothing and is scripted by tests, so an app's task
can be tested end to end without an audio device.
"""

from typing import TYPE_CHECKING

from audio_session._lazy import lazy_exports

# Names load on first use (PEP 562): see audio_session._lazy.
_LAZY = {
    "ArtCache": "audio_service._surfaces._art",
    "EngineError": "._engine",
    "EngineListener": "._engine",
    "PlayerEngine": "._engine",
    "InterruptionOptions": "._interruptions",
    "MemoryEngine": "._memory_engine",
    "QueuePlayerTask": "._player",
    "SwitchingTask": "._switching",
}

if TYPE_CHECKING:
    from audio_service._surfaces._art import (
        ArtCache,
    )
    from audio_service.players._engine import (
        EngineError,
        EngineListener,
        PlayerEngine,
    )
    from audio_service.players._interruptions import (
        InterruptionOptions,
    )
    from audio_service.players._memory_engine import (
        MemoryEngine,
    )
    from audio_service.players._player import (
        QueuePlayerTask,
    )
    from audio_service.players._switching import (
        SwitchingTask,
    )


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)


__all__ = [
    "ArtCache",
    "EngineError",
    "EngineListener",
    "InterruptionOptions",
    "MemoryEngine",
    "PlayerEngine",
    "QueuePlayerTask",
    "SwitchingTask",
]
