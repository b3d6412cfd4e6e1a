"""A reader: articles read aloud by espeak-ng, one queue item per sentence or paragraph.

The counterpart of the seeds' flutter_tts example: the article is the queue, so
the desktop's next/previous buttons move by sentence, the position is where the
reader is in the current sentence, and a pause stops mid-sentence::

    from audio_service import AudioServiceBackground
    from audio_service.players.tts import ReaderTask

    def entrypoint() -> None:
        AudioServiceBackground.run(ReaderTask)

    await AudioService.start(background_task_entrypoint=entrypoint)
    await AudioService.custom_action(
        "read_article", {"text": text, "title": "Today's news", "by": "sentence"}
    )

espeak-ng makes the voice (a WAV file per item, cached, the next item rendered
while the current one plays so that the transition is gapless) and, by
default, libmpv plays it (``audio-service-kit[mpv]``): exact pause and resume,
seeking, and speed without a change of pitch.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Literal

from audio_service._model._models import MediaItem
from audio_service.players._engine import EngineError, PlayerEngine
from audio_service.players._interruptions import InterruptionOptions
from audio_service.players._player import QueuePlayerTask
from audio_service.players._speech import EspeakSynthesizer, split_article, wav_duration
from audio_session import AudioSession, AudioSessionConfiguration
from audio_session._tasks import BackgroundTasks

__all__ = ["EspeakSynthesizer", "ReaderTask", "split_article"]

_log = logging.getLogger("audio_service.players.tts")

_READ_ARTICLE = "read_article"


class ReaderTask(QueuePlayerTask):
    """A :class:`~audio_service.players.QueuePlayerTask` that speaks its queue items.

    Each item is spoken from ``extras["text"]`` (its title when there is none),
    rendered by ``synthesizer`` (default: an :class:`EspeakSynthesizer` with its
    defaults). An item's duration starts as an estimate and becomes the real one
    as soon as the item is rendered. Speed changes keep the pitch (the engine's
    time stretching). The session is configured with
    :meth:`AudioSessionConfiguration.speech` unless ``session_configuration``
    says otherwise, so a navigation prompt pauses the reader rather than ducking
    it. The default engine is libmpv's
    (:class:`~audio_service.players.mpv.MpvEngine`).

    Read an article with :meth:`read_article`, or from a client with the custom
    action ``"read_article"`` and the arguments ``{"text": ..., "title": ...,
    "by": "sentence" | "paragraph", "play": True}`` (``by`` and ``play``
    optional); the action returns ``{"article_id": ..., "items": n}``.
    """

    def __init__(
        self,
        engine: PlayerEngine | None = None,
        *,
        synthesizer: EspeakSynthesizer | None = None,
        session: AudioSession | None = None,
        session_configuration: AudioSessionConfiguration | None = None,
        handle_interruptions: bool = True,
        interruptions: InterruptionOptions | None = None,
        max_speed: float = 4.0,
    ) -> None:
        if synthesizer is not None and not isinstance(synthesizer, EspeakSynthesizer):
            raise TypeError(f"synthesizer must be an EspeakSynthesizer, not {synthesizer!r}")
        super().__init__(
            engine,
            session=session,
            session_configuration=(
                session_configuration
                if session_configuration is not None
                else AudioSessionConfiguration.speech()
            ),
            handle_interruptions=handle_interruptions,
            interruptions=interruptions,
            max_speed=max_speed,
        )
        self._synthesizer = synthesizer
        self._ahead = BackgroundTasks(_log, "rendering ahead")

    @property
    def synthesizer(self) -> EspeakSynthesizer:
        """What renders the speech (created on first use when none was given)."""
        if self._synthesizer is None:
            self._synthesizer = EspeakSynthesizer()
        return self._synthesizer

    def create_engine(self) -> PlayerEngine:
        """libmpv (imported only now, so this module imports without python-mpv)."""
        from audio_service.players.mpv import MpvEngine

        return MpvEngine()

    async def resolve_source(self, item: MediaItem) -> str:
        """The rendered WAV file of ``item``'s text; starts rendering the item after it.

        Raises :class:`~audio_service.players.EngineError` when espeak-ng is
        missing or fails, which the player shows as an error state.
        """
        path = await self.synthesizer.render(_text_of(item))
        await self._publish_duration(item.id, path)
        index = self.queue.index_of(item.id, hint=self.queue_index)
        if index is not None and index == self.queue_index:
            # The player preloads the next item once this one is loaded; rendering it
            # now already means that preload, and the transition, find it ready.
            following = self._next_in_order(index)
            if following is not None:
                self._render_ahead(self.queue[following])
        return str(path)

    async def read_article(
        self,
        text: str,
        *,
        title: str,
        by: Literal["sentence", "paragraph"] = "sentence",
        play: bool = True,
        article_id: str | None = None,
        artist: str | None = None,
    ) -> list[MediaItem]:
        """Make ``text`` the queue, one item per sentence or paragraph, from its start.

        Plays it when ``play`` (else loads the first item, paused). The items
        are those of :func:`split_article`; ``article_id`` defaults to a hash of
        the title and text, so the same article gets the same ids again.
        Returns the items. Bad input raises before the queue changes.
        """
        if not isinstance(play, bool):
            raise TypeError(f"play must be a bool, not {play!r}")
        if article_id is None:
            article_id = _default_article_id(text, title)
        items = split_article(
            text,
            by=by,
            article_id=article_id,
            title=title,
            artist=artist,
            words_per_minute=self.synthesizer.words_per_minute,
        )
        # Paused first, so that the queue change cannot start the new first item
        # playing before it is (re)loaded from its start below.
        if self.playing:
            await self.on_pause()
        await self.on_update_queue(items)
        if play:
            await self.on_play_from_media_id(items[0].id)
        else:
            await self.on_prepare_from_media_id(items[0].id)
        return items

    custom_action_names = (_READ_ARTICLE,)

    async def on_custom_action(self, name: str, arguments: Any) -> Any:
        """``"read_article"`` (see the class); other actions go to the base class."""
        if name != _READ_ARTICLE:
            return await super().on_custom_action(name, arguments)
        if not isinstance(arguments, dict):
            raise TypeError(f"read_article arguments must be a dict, not {arguments!r}")
        unknown = set(arguments) - {"text", "title", "by", "play", "article_id", "artist"}
        if unknown:
            raise ValueError(f"read_article: unknown arguments {sorted(map(str, unknown))}")
        missing = [name for name in ("text", "title") if name not in arguments]
        if missing:
            raise ValueError(f"read_article: the arguments {missing} are required")
        items = await self.read_article(
            arguments["text"],
            title=arguments["title"],
            by=arguments.get("by", "sentence"),
            play=arguments.get("play", True),
            article_id=arguments.get("article_id"),
            artist=arguments.get("artist"),
        )
        extras = items[0].extras or {}
        return {"article_id": extras.get("article_id"), "items": len(items)}

    async def on_stop(self) -> None:
        """Stop the synthesizer's renders under way, then stop as a queue player does."""
        self._ahead.cancel()
        if self._synthesizer is not None:
            # Waits for their espeak-ng processes to be gone, so none outlives the service.
            await self._synthesizer.aclose()
        await super().on_stop()

    # ---------------------------------------------------------------- internals

    def _next_in_order(self, index: int) -> int | None:
        order = self.play_order
        try:
            place = order.index(index)
        except ValueError:
            return None
        return order[place + 1] if place + 1 < len(order) else None

    def _render_ahead(self, item: MediaItem) -> None:
        text = _text_of(item)
        if self.synthesizer.cached(text) is not None:
            return
        self._ahead.spawn(self._render_quietly(item.id, text), name=f"render ahead {item.id}")

    async def _render_quietly(self, media_id: str, text: str) -> None:
        try:
            path = await self.synthesizer.render(text)
        except Exception as error:
            # Not fatal here: the item's own load reports it when (if) it is played.
            _log.debug("rendering %r ahead failed: %s", media_id, error)
            return
        await self._publish_duration(media_id, path)

    async def _publish_duration(self, media_id: str, path: Path) -> None:
        try:
            duration = wav_duration(path)
        except EngineError as error:
            _log.warning("cannot read the duration of %s: %s", path, error)
            return
        index = self.queue.index_of(media_id, hint=self.queue_index)
        if index is not None and self.queue[index].duration != duration:
            # The item as it is now (tags or art may have changed it), with the real duration.
            await self.on_update_media_item(self.queue[index].copy_with(duration=duration))


def _default_article_id(text: object, title: object) -> str:
    # Bad types are split_article's to report; the id only has to be computable.
    material = f"{title}\0{text}" if isinstance(text, str) and isinstance(title, str) else ""
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
    return f"article-{digest[:16]}"


def _text_of(item: MediaItem) -> str:
    text = (item.extras or {}).get("text")
    return text if isinstance(text, str) and text.strip() else item.title
