"""The client without asyncio: every request blocks until the service answered.

For scripts, cron jobs and programs built on another event loop (Qt, GTK)::

    from audio_service.sync import AudioService

    AudioService.connect("org.example.Podcasts")
    AudioService.play()
    print(AudioService.playback_state)
    AudioService.close()          # or let the interpreter's exit do it

The methods are those of :data:`audio_service.AudioService` without ``await``,
each with a ``timeout`` (seconds; ``None`` takes the client's, ``math.inf``
waits for ever). One difference: :meth:`SyncAudioServiceClient.close` ends this
client; the ``on_close`` request (notification dismissed) is
:meth:`~SyncAudioServiceClient.close_notification`.

It runs the asyncio client on a private thread with its own event loop, so it
can be called from any thread. Streams take callbacks, called in order on a
*dispatcher*: the client's own callback thread unless you pass another one
(the Qt and GTK adapters pass their main loop's).
"""

from __future__ import annotations

from audio_service._adapters._blocking import SyncAudioServiceClient
from audio_service._adapters._dispatch import Dispatcher
from audio_service._adapters._streams import CallbackStream, Listener

__all__ = ["AudioService", "CallbackStream", "Dispatcher", "Listener", "SyncAudioServiceClient"]

#: The process's blocking client; its threads start on first use and end at exit.
AudioService = SyncAudioServiceClient()
