"""The demo's background task: music (mpv) and a reader (espeak-ng) in one service.

:class:`DemoTask` is a :class:`~audio_service.players.SwitchingTask` with two
handlers, ``music`` (an :class:`~audio_service.players.mpv.MpvPlayerTask` over the
generated catalogue) and ``reader`` (a :class:`~audio_service.players.tts.ReaderTask`
holding a short article). It adds the browse tree (``music`` and ``spoken``
folders), plays any catalogue item from its id, and forwards what happens to its
audio session to every client as custom events, which is where the UI's log
gets them: the host is the process that plays, so its session is the one that
is interrupted, told the output became noisy and sees the devices come and go.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from audio_service._model._models import MEDIA_ROOT_ID, MediaItem
from audio_service._service._background import AudioServiceBackground
from audio_service.players import QueuePlayerTask, SwitchingTask
from audio_session import (
    AudioDevicesChangedEvent,
    AudioInterruptionEvent,
    AudioSession,
)
from audio_session._stream import Subscription

if TYPE_CHECKING:
    from audio_service.players.tts import ReaderTask

from audio_service.demo._catalogue import (
    ARTICLE_ID,
    ARTICLE_TEXT,
    ARTICLE_TITLE,
    Catalogue,
    default_catalogue_dir,
    ensure_catalogue,
)

__all__ = [
    "APP_ID",
    "IDENTITY",
    "DemoTask",
    "demo_entrypoint",
]

_log = logging.getLogger("audio_service.demo")

#: The demo service's app id: its socket name and its MPRIS player name (``playerctl -p``).
APP_ID = "audio_service_demo"
#: The name desktops show for the player.
IDENTITY = "Audio Service Demo"
MUSIC = "music"
READER = "reader"


class DemoTask(SwitchingTask):
    """Music and a reader behind one service; see the module docstring.

    ``music`` and ``reader`` replace the default handlers (tests give players
    built on :class:`~audio_service.players.MemoryEngine`); ``session`` is the
    session whose events are forwarded (default: the process's instance).
    ``on_start`` takes ``{"catalogue": "<directory>"}`` (default: the user's
    catalogue directory).
    """

    def __init__(
        self,
        *,
        music: QueuePlayerTask | None = None,
        reader: ReaderTask | None = None,
        session: AudioSession | None = None,
    ) -> None:
        if music is None:
            from audio_service.players.mpv import MpvPlayerTask

            music = MpvPlayerTask(session=session)
        if reader is None:
            from audio_service.players.tts import ReaderTask

            reader = ReaderTask(session=session)
        super().__init__({MUSIC: music, READER: reader}, initial=MUSIC)
        self._music = music
        self._reader = reader
        self._given_session = session
        self._catalogue: Catalogue | None = None
        self._subscriptions: list[Subscription[Any]] = []

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue loaded by :meth:`on_start`."""
        if self._catalogue is None:
            raise RuntimeError("the demo task has not started")
        return self._catalogue

    # ---------------------------------------------------------------- lifecycle

    async def on_start(self, params: dict[str, Any] | None) -> None:
        raw = (params or {}).get("catalogue")
        directory = Path(raw) if isinstance(raw, str) and raw else default_catalogue_dir()
        catalogue = await asyncio.to_thread(ensure_catalogue, directory)
        self._catalogue = catalogue
        session = self._given_session or await AudioSession.instance()
        self._subscriptions = [
            session.interruption_event_stream.listen(self._forward_interruption),
            session.becoming_noisy_event_stream.listen(self._forward_noisy),
            session.devices_changed_event_stream.listen(self._forward_devices),
        ]
        await super().on_start({"queue": [_as_dict(item) for item in catalogue.playlist]})
        await self._load_article(catalogue)

    async def _load_article(self, catalogue: Catalogue) -> None:
        items = await self._reader.read_article(
            ARTICLE_TEXT,
            title=ARTICLE_TITLE,
            play=False,
            article_id=ARTICLE_ID,
            artist="audio-service-kit",
        )
        # Every sentence shows the article's cover.
        for item in items:
            await self._reader.on_update_media_item(
                item.copy_with(art_uri=catalogue.article.art_uri)
            )

    async def on_stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()
        await super().on_stop()

    # --------------------------------------------------------------- switching

    async def switch_to(self, name: str) -> str:
        before = self.current_name
        switched = await super().switch_to(name)
        if switched != before:
            await self._send({"event": "handler", "name": switched})
        return switched

    # ----------------------------------------------------------------- browsing

    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        catalogue = self._catalogue
        if catalogue is None:
            return []
        if parent_media_id == MEDIA_ROOT_ID:
            return list(catalogue.folders)
        children = catalogue.children(parent_media_id)
        if children:
            return list(children)
        return await self.current.on_load_children(parent_media_id)

    async def on_play_from_media_id(self, media_id: str) -> None:
        """Play a catalogue item, the article, or a folder (an MPRIS playlist), from its id.

        Music and episodes play in the music player, the article in the reader; a
        folder plays its first item. Other ids (the reader's sentences) go to the
        current player.
        """
        catalogue = self._catalogue
        if catalogue is None:
            await self.current.on_play_from_media_id(media_id)
            return
        children = catalogue.children(media_id)
        if children:
            media_id = children[0].id
        if media_id == ARTICLE_ID:
            await self.switch_to(READER)
            if self._reader.queue:
                await self._reader.on_play_from_media_id(self._reader.queue[0].id)
            return
        if catalogue.find(media_id) is not None:
            await self.switch_to(MUSIC)
            await self._music.on_play_from_media_id(media_id)
            return
        await self.current.on_play_from_media_id(media_id)

    # ------------------------------------------------------------------ actions

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        if name == "demo_info":
            return {
                "handler": self.current_name,
                "handlers": [MUSIC, READER],
                "pid": os.getpid(),
                "catalogue": str(self.catalogue.directory),
                "notes": list(self.catalogue.notes),
            }
        if name == "demo_probe":
            # What the tour checks beyond the published state: the engine's own clock.
            handler = self.current
            engine = handler.engine
            return {
                "handler": self.current_name,
                "pid": os.getpid(),
                "engine_position": engine.position().total_seconds() if engine else None,
                "item": handler.media_item.id if handler.media_item else None,
                "playing": handler.playing,
            }
        return await super().on_custom_action(name, arguments)

    # -------------------------------------------------------- session events

    async def _send(self, event: Mapping[str, Any]) -> None:
        if AudioServiceBackground.running:
            await AudioServiceBackground.send_custom_event(dict(event))

    async def _forward_interruption(self, event: AudioInterruptionEvent) -> None:
        await self._send(
            {"event": "interruption", "begin": event.begin, "type": event.type.name.lower()}
        )

    async def _forward_noisy(self, _: object) -> None:
        await self._send({"event": "becoming_noisy"})

    async def _forward_devices(self, event: AudioDevicesChangedEvent) -> None:
        await self._send(
            {
                "event": "devices",
                "added": sorted(d.name or d.id for d in event.devices_added),
                "removed": sorted(d.name or d.id for d in event.devices_removed),
            }
        )


def _as_dict(item: MediaItem) -> dict[str, Any]:
    encoded: dict[str, Any] = msgspec.to_builtins(item)
    return encoded


def demo_entrypoint() -> None:
    """The service's entrypoint (top level, so the host process imports it by name)."""
    AudioServiceBackground.run(DemoTask)
