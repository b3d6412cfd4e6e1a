"""libmpv as the player engine: :class:`MpvEngine`, and :class:`MpvPlayerTask` built on it.

Needs the optional extra ``audio-service-kit[mpv]`` (python-mpv) and libmpv
(``libmpv2`` on Debian and Ubuntu)::

    from audio_service import AudioServiceBackground
    from audio_service.players.mpv import MpvPlayerTask

    def entrypoint() -> None:
        AudioServiceBackground.run(MpvPlayerTask)

The engine plays files, ``file://`` and ``http(s)://`` URIs (internet radio
playlists included), gapless from one source to the preloaded next one. mpv
is only the audio engine: its own key bindings, on-screen controller, media
keys, configuration files, scripts and terminal output are all off, because
the service owns the desktop's media controls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
from collections import OrderedDict
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlsplit
from urllib.request import url2pathname

from audio_service._model._models import MediaItem
from audio_service._surfaces._art import ArtCache
from audio_service.players._covers import read_cover
from audio_service.players._engine import EngineError, EngineListener, PlayerEngine
from audio_service.players._interruptions import InterruptionOptions
from audio_service.players._mpv_events import MpvEventMapper, _seconds, _tags
from audio_service.players._mpv_playback import _ZERO, MpvPlayback, MpvState
from audio_service.players._player import QueuePlayerTask
from audio_service.players._start_watch import StartWatch
from audio_session import AudioSession, AudioSessionConfiguration
from audio_session._checks import check_str, is_number

__all__ = ["DEFAULT_AO", "MpvEngine", "MpvPlayerTask"]

_log = logging.getLogger("audio_service.players.mpv")

#: The audio outputs tried in order. ``pulse`` first, on PulseAudio and on PipeWire
#: (through pipewire-pulse) alike, because there the stream carries the session:
#: libpulse puts ``PULSE_PROP`` (the role and the session's token, see
#: docs/LINUX.md) on each stream that does not set those keys itself, and mpv's
#: pulse output sets none; pausing corks the stream, which both servers show.
#: mpv's native ``pipewire`` output writes ``media.role=Music``/``Movie`` over
#: ``PIPEWIRE_PROPS``, so the session's role (a ``phone`` configuration, say)
#: would be lost: it is only the fallback for a PipeWire without pipewire-pulse.
#: No ALSA: audio_session needs a pulse-protocol server anyway, and libasound
#: writes its errors to stderr on machines without a sound card.
DEFAULT_AO: Final = "pulse,pipewire"

#: Options that make libmpv an audio engine owned by this process, set before
#: it initialises (the ones that exist in every libmpv the engine supports).
_BASE_OPTIONS: Final[Mapping[str, str]] = {
    # Nothing of the user's mpv setup (mpv.conf, input.conf, scripts such as
    # mpv-mpris) may change the engine or grab the media controls we own.
    "config": "no",
    "load-scripts": "no",
    "terminal": "no",
    "input-default-bindings": "no",
    "input-vo-keyboard": "no",
    "osc": "no",
    # Audio only: covers are read by the task, not shown; URLs are not youtube-dl'ed.
    "vid": "no",
    "vo": "null",
    "ytdl": "no",
    "sub-auto": "no",
    "audio-file-auto": "no",
    "idle": "yes",
    "keep-open": "no",
    # Gapless: the preloaded next source is opened before the current one ends and
    # the audio output is kept open across when both share a format.
    "gapless-audio": "weak",
    "prefetch-playlist": "yes",
    "audio-pitch-correction": "yes",
    "hr-seek": "yes",
}

#: Options that exist only in some libmpv versions or builds; set after
#: initialisation, skipped where unknown.
_OPTIONAL_OPTIONS: Final[Mapping[str, str]] = {
    "input-media-keys": "no",
    "media-controls": "no",
    "cover-art-auto": "no",
}

#: When mpv has not said it is idle this long after a source's end, it has ended anyway.
_DRAIN_TIMEOUT: Final = 3.0


def _import_mpv() -> Any:
    try:
        import mpv
    except ImportError as error:
        raise EngineError(
            "python-mpv is not installed; install it with: pip install 'audio-service-kit[mpv]'"
        ) from error
    except OSError as error:
        # python-mpv raises OSError at import time when it cannot find libmpv.
        raise EngineError(
            f"libmpv could not be loaded ({error}); install it (Debian/Ubuntu: libmpv2)"
        ) from error
    return mpv


class MpvEngine:
    """A :class:`~audio_service.players.PlayerEngine` on libmpv, through python-mpv.

    ``ao`` is mpv's audio output list (default :data:`DEFAULT_AO`),
    ``audio_device`` mpv's ``audio-device`` (e.g. ``"pulse/alsa_output.usb-…"``;
    default: the server's default output, following it when it changes),
    ``client_name`` the application name the audio server shows, ``options``
    further mpv options (``{"cache-secs": "20"}``), set last so they win.

    libmpv calls back on its own thread; every report is handed to the event
    loop with ``call_soon_threadsafe``, so the listener runs in the loop's thread.
    """

    def __init__(
        self,
        *,
        ao: str | None = None,
        audio_device: str | None = None,
        client_name: str = "audio-service",
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.ao = DEFAULT_AO if ao is None else check_str(ao, "ao", empty=False, c_string=True)
        self.audio_device = (
            None
            if audio_device is None
            else check_str(audio_device, "audio_device", empty=False, c_string=True)
        )
        self.client_name = check_str(client_name, "client_name", empty=False, c_string=True)
        if options is not None and not isinstance(options, Mapping):
            raise TypeError(f"options must be a mapping of str to str, not {options!r}")
        self.options: dict[str, str] = {}
        for key, value in (options or {}).items():
            check_str(key, "options key", empty=False, c_string=True)
            self.options[key] = check_str(value, f"options[{key!r}]", c_string=True)
        self._mpv: Any = None
        self._listener: EngineListener | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        # Changed by this engine's commands and by mpv's reports alike.
        self._playback = MpvPlayback()
        self._load: asyncio.Future[None] | None = None
        self._unpaused = False
        self._speed = 1.0
        self._watch: StartWatch | None = None
        self._version: tuple[int, ...] = (0, 0, 0)
        self._dead = False
        self._drain_timer: asyncio.TimerHandle | None = None
        # mpv's reports, mapped onto the playback state in the loop's thread.
        self._events = MpvEventMapper(self._playback, self)

    def __repr__(self) -> str:
        return f"<MpvEngine {self._playback.state.value} {self._playback.current_source!r}>"

    # ----------------------------------------------------------------- lifecycle

    async def open(self, listener: EngineListener) -> None:
        """Start libmpv (in a worker thread: initialising it touches the disk and the server)."""
        if self._closed:
            raise EngineError("this MpvEngine is closed")
        if self._mpv is not None:
            raise EngineError("this MpvEngine is already open")
        module = _import_mpv()
        self._loop = asyncio.get_running_loop()
        self._listener = listener
        self._events.open(self._loop, listener)
        self._watch = StartWatch(self._loop, self._time_pos, lambda _: self.report_buffering())
        self._mpv = await asyncio.to_thread(self._create, module)

    def _create(self, module: Any) -> Any:
        options = dict(_BASE_OPTIONS)
        options["ao"] = self.ao
        options["audio-client-name"] = self.client_name
        if self.audio_device is not None:
            options["audio-device"] = self.audio_device
        options.update(self.options)
        try:
            player = module.MPV(log_handler=self._events.on_log, loglevel="warn", **options)
        except (AttributeError, ValueError, TypeError, SystemError) as error:
            raise EngineError(f"libmpv refused the options: {error}") from error
        for name, value in _OPTIONAL_OPTIONS.items():
            if name not in self.options:
                with contextlib.suppress(AttributeError, ValueError, TypeError, SystemError):
                    player[name] = value  # (python-mpv maps this to "options/<name>")
        self._version = tuple(getattr(player, "mpv_version_tuple", (0, 0, 0)))
        events = module.MpvEventID
        decoder = module.lazy_decoder

        # These run on mpv's event thread: they only copy what they need and post it.
        def on_event(event: Any) -> None:
            kind = event.event_id.value
            if kind == events.START_FILE:
                self._events.post("start", event.data.playlist_entry_id)
            elif kind == events.FILE_LOADED:
                # Read now, so that they belong to this file and not to a later one.
                duration = metadata = None
                with contextlib.suppress(Exception):
                    duration = player.duration
                    metadata = player.metadata
                self._events.post("loaded", _seconds(duration), _tags(metadata))
            elif kind == events.END_FILE:
                self._events.post("end", event.as_dict(decoder=decoder))
            elif kind == events.PLAYBACK_RESTART:
                self._events.post("restart")
            elif kind == events.SHUTDOWN:
                self._events.post("shutdown")

        def on_property(name: str, value: Any) -> None:
            self._events.post("property", name, value)

        player.register_event_callback(on_event)
        for name in ("paused-for-cache", "duration", "metadata", "idle-active"):
            player.observe_property(name, on_property)
        return player

    async def close(self) -> None:
        """Terminate libmpv; its shutdown (joining its threads) runs in a worker thread."""
        self._closed = True
        self._events.close()
        self._fail_load(EngineError("the engine was closed"))
        self._cancel_drain()
        self._listener = None
        self._watch_stop()
        player, self._mpv = self._mpv, None
        self._playback.state = MpvState.IDLE
        if player is None:
            return
        try:
            await asyncio.to_thread(player.terminate)
        except RuntimeError:
            # The loop's executor is shut down already (interpreter exit): do it here.
            player.terminate()

    # ----------------------------------------------------------------- playback

    async def load(self, source: str, *, position: timedelta, play: bool) -> None:
        check_str(source, "source", empty=False, c_string=True)
        if not isinstance(position, timedelta):
            raise TypeError(f"position must be a timedelta, not {position!r}")
        player = self._player()
        path = _local_path(source)
        if path is not None and await asyncio.to_thread(os.path.isdir, path):
            # mpv would play a directory as a playlist of whatever it holds.
            raise EngineError(f"cannot play {source}: it is a directory")
        self._fail_load(EngineError(f"replaced by {source}"))
        start = max(position, _ZERO)
        options = f"start={start.total_seconds():.6f}" if start > _ZERO else ""
        self._call(setattr, player, "pause", not play)
        self._unpaused = play
        self._watch_stop()
        # mpv 0.38 put an insertion index before the per-file options.
        index = ("-1",) if self._version >= (0, 38, 0) else ()
        result = self._call(player.command, "loadfile", source, "replace", *index, options)
        entry = result.get("playlist_entry_id") if isinstance(result, Mapping) else None
        if not isinstance(entry, int):
            self._call(player.command, "stop")
            raise EngineError("this libmpv is too old: it does not number playlist entries")
        loaded = asyncio.get_running_loop().create_future()
        self._load = loaded
        playback = self._playback
        playback.generation += 1
        self._cancel_drain()
        playback.begin(entry, start)
        playback.current_source, playback.advanced_from = source, None
        try:
            await loaded
        except asyncio.CancelledError:
            if self._load is loaded and self._mpv is not None:
                # Nobody waits for this source any more: it must not start playing later.
                self._load = None
                playback.state, playback.current_id = MpvState.IDLE, None
                with contextlib.suppress(EngineError):
                    self._call(player.command, "stop")
            raise
        finally:
            if self._load is loaded:
                self._load = None

    async def preload(self, source: str | None) -> None:
        if source is not None:
            check_str(source, "source", empty=False, c_string=True)
        player = self._player()
        playback = self._playback
        if playback.next_id is not None:
            self.remove_entry(playback.next_id)
            playback.next_id = playback.next_source = None
        if source is None:
            return
        index = ("-1",) if self._version >= (0, 38, 0) else ()
        result = self._call(player.command, "loadfile", source, "append", *index, "")
        entry = result.get("playlist_entry_id") if isinstance(result, Mapping) else None
        playback.next_id = entry if isinstance(entry, int) else None
        playback.next_source = source if playback.next_id is not None else None

    async def play(self) -> None:
        self._call(setattr, self._player(), "pause", False)
        self._unpaused = True
        if self._playback.state is MpvState.LOADED:
            self._watch_start()

    async def pause(self) -> None:
        # mpv's pulse output corks the stream on pause: the server sees it stopped.
        self._call(setattr, self._player(), "pause", True)
        self._unpaused = False
        self._watch_stop()

    async def seek(self, position: timedelta) -> None:
        if not isinstance(position, timedelta):
            raise TypeError(f"position must be a timedelta, not {position!r}")
        player = self._player()
        playback = self._playback
        if playback.state is not MpvState.LOADED:
            return
        seconds = max(position.total_seconds(), 0.0)
        if playback.duration is not None:
            seconds = min(seconds, playback.duration)
        self._call(player.command, "seek", f"{seconds:.6f}", "absolute+exact")
        self._watch_stop()
        playback.seek_target = timedelta(seconds=seconds)

    async def set_speed(self, speed: float) -> None:
        if not is_number(speed):
            raise TypeError(f"speed must be a number, not {speed!r}")
        if not math.isfinite(speed) or speed <= 0:
            raise ValueError(f"speed must be a finite number > 0, not {speed!r}")
        self._call(setattr, self._player(), "speed", float(speed))
        self._speed = float(speed)

    async def set_volume(self, volume: float) -> None:
        if not is_number(volume):
            raise TypeError(f"volume must be a number, not {volume!r}")
        if not 0.0 <= volume <= 1.0:
            raise ValueError(f"volume must be between 0.0 and 1.0, not {volume!r}")
        # mpv's volume is cubic (gain = (volume / 100) ** 3): the cube root keeps ours linear.
        self._call(setattr, self._player(), "volume", 100.0 * float(volume) ** (1 / 3))

    def position(self) -> timedelta:
        playback = self._playback
        if playback.seek_target is not None:
            return playback.seek_target
        if playback.state is MpvState.LOADING:
            return playback.start
        if playback.state is MpvState.DRAINING and playback.duration is not None:
            return timedelta(seconds=playback.duration)
        if playback.state is not MpvState.LOADED or self._mpv is None:
            return _ZERO
        try:
            seconds = _seconds(self._mpv.time_pos)
        except Exception:  # a dying core answers with anything; 0 is right then
            return _ZERO
        return _ZERO if seconds is None else timedelta(seconds=seconds)

    async def stop(self) -> None:
        player = self._player()
        self._unpaused = False
        self._watch_stop()
        self._fail_load(EngineError("stopped"))
        self._cancel_drain()
        playback = self._playback
        playback.generation += 1
        playback.state, playback.current_id, playback.next_id = MpvState.IDLE, None, None
        playback.seek_target = None
        # Unloading closes mpv's audio output: no stream is left on the server.
        self._call(player.command, "stop")

    # ------------------------------------------------------------------ helpers

    def _watch_start(self) -> None:
        if self._watch is not None:
            self._watch.start(self._speed)

    def _watch_stop(self) -> None:
        if self._watch is not None:
            self._watch.stop()

    def _time_pos(self) -> float | None:
        playback = self._playback
        if playback.state is not MpvState.LOADED or self._mpv is None or playback.buffering:
            return None
        try:
            return _seconds(self._mpv.time_pos)
        except Exception:  # a dying core answers with anything
            return None

    def _player(self) -> Any:
        if self._mpv is None:
            raise EngineError("this MpvEngine is closed" if self._closed else "open() it first")
        if self._dead:
            raise EngineError("mpv has shut down; this engine cannot play any more")
        return self._mpv

    def _call(self, function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except EngineError:
            raise
        except Exception as error:  # python-mpv raises all sorts for mpv's error codes
            raise EngineError(f"mpv: {error}") from error

    def _fail_load(self, error: EngineError) -> None:
        loading, self._load = self._load, None
        if loading is not None and not loading.done():
            loading.set_exception(error)
            loading.exception()  # retrieved: the awaiter may be gone already

    def _cancel_drain(self) -> None:
        timer, self._drain_timer = self._drain_timer, None
        if timer is not None:
            timer.cancel()

    # ------------------------------------------- what mpv's reports call for
    # (the mapper's EngineOperations; not part of the PlayerEngine API)

    def finish_load(self) -> None:
        """The current source has opened: load() returns, the output's start is watched."""
        if self._unpaused:
            self._watch_start()
        loading, self._load = self._load, None
        if loading is not None and not loading.done():
            loading.set_result(None)

    def take_load(self) -> asyncio.Future[None] | None:
        """The pending load()'s future, now the caller's to settle (once mpv has said why)."""
        loading, self._load = self._load, None
        return loading

    def report_buffering(self) -> None:
        """Tell the listener whether playback waits: for the cache, or for the output to start."""
        playback = self._playback
        buffering = playback.buffering or (self._watch is not None and self._watch.stalled)
        if buffering != playback.reported_buffering:
            playback.reported_buffering = buffering
            if self._listener is not None:
                self._listener.on_buffering(buffering)

    def remove_entry(self, entry: int) -> None:
        """Remove ``entry`` from mpv's playlist."""
        self._remove_entries(entry, 0, 1)

    def remove_entries_after(self, entry: int, count: int) -> None:
        """Remove up to ``count`` entries that follow ``entry`` in mpv's playlist."""
        self._remove_entries(entry, 1, count)

    def _remove_entries(self, entry: int, offset: int, count: int) -> None:
        # Up to ``count`` entries from ``offset`` places after ``entry``; mpv renumbers
        # what follows a removed entry, so each removal is at the same index.
        player = self._mpv
        if player is None:
            return
        with contextlib.suppress(EngineError):
            playlist = self._call(getattr, player, "playlist") or []
            for index, item in enumerate(playlist):
                if isinstance(item, Mapping) and item.get("id") == entry:
                    at = index + offset
                    for _ in range(min(count, len(playlist) - at)):
                        self._call(player.command, "playlist-remove", str(at))
                    return

    def drain(self) -> None:
        """The source is decoded to its end: report the end once mpv has played it out.

        With gapless audio mpv reports a source's end as soon as it has handed
        its last samples to the server, up to a second before they are heard;
        it goes idle once they are (while it drains, it answers no calls).
        """
        self._playback.state = MpvState.DRAINING
        self._cancel_drain()
        if self._loop is not None:
            self._drain_timer = self._loop.call_later(_DRAIN_TIMEOUT, self.drained)

    def drained(self) -> None:
        """mpv went idle, or did not say so in time: what was draining has been heard."""
        self._cancel_drain()
        playback = self._playback
        if playback.state is not MpvState.DRAINING:
            return
        playback.state, playback.current_id = MpvState.ENDED, None
        if self._listener is not None:
            self._listener.on_ended(False)

    def shut_down(self) -> None:
        """Someone quit mpv (it has a quit command): this engine cannot play any more."""
        playback = self._playback
        was_playing = playback.state in (MpvState.LOADED, MpvState.ADVANCING, MpvState.DRAINING)
        self._fail_load(EngineError("mpv shut down"))
        self._cancel_drain()
        playback.state, playback.current_id, playback.next_id = MpvState.IDLE, None, None
        self._dead = True
        if was_playing and self._listener is not None:
            self._listener.on_error("mpv shut down")


# ----------------------------------------------------------------------- the task

#: Embedded covers remembered per file (path, modification time, size).
_COVER_MEMORY: Final = 64


class MpvPlayerTask(QueuePlayerTask):
    """A ready-made music and podcast player: :class:`QueuePlayerTask` on :class:`MpvEngine`.

    Plays files, ``file://`` and ``http(s)://`` URIs (the item's id, or
    ``extras["uri"]``). A queue item's missing title, artist, album, genre and
    duration are filled from the source's tags; its art is ``art_uri`` when
    set, else the cover embedded in a local file (ID3 or FLAC picture), stored
    in ``art_cache`` (default: an :class:`~audio_service.players.ArtCache` in the
    user's cache directory) and published as a ``file://`` URI.

    The other arguments are :class:`QueuePlayerTask`'s; ``engine`` defaults to
    ``MpvEngine()`` (pass one to choose the output device or mpv options).
    """

    def __init__(
        self,
        engine: PlayerEngine | None = None,
        *,
        session: AudioSession | None = None,
        session_configuration: AudioSessionConfiguration | None = None,
        handle_interruptions: bool = True,
        interruptions: InterruptionOptions | None = None,
        max_speed: float = 4.0,
        art_cache: ArtCache | None = None,
    ) -> None:
        super().__init__(
            engine,
            session=session,
            session_configuration=session_configuration,
            handle_interruptions=handle_interruptions,
            interruptions=interruptions,
            max_speed=max_speed,
        )
        if art_cache is not None and not isinstance(art_cache, ArtCache):
            raise TypeError(f"art_cache must be an ArtCache or None, not {art_cache!r}")
        self._art_cache = art_cache
        # One lookup per file version, shared by concurrent describes of the same item.
        self._covers: OrderedDict[tuple[str, int, int], asyncio.Task[str | None]] = OrderedDict()

    def create_engine(self) -> PlayerEngine:
        """``MpvEngine()``: libmpv on the default output."""
        return MpvEngine()

    async def describe_media_item(
        self, item: MediaItem, source: str, tags: Mapping[str, str]
    ) -> MediaItem:
        """Fills missing fields from the tags, and the art from the file when the item has none."""
        described = await super().describe_media_item(item, source, tags)
        if described.art_uri is None:
            art = await self.embedded_art(source)
            if art is not None:
                described = described.copy_with(art_uri=art)
        return described

    async def embedded_art(self, source: str) -> str | None:
        """The ``file://`` URI of the cover embedded in ``source`` (a local file), or None."""
        path = _local_path(source)
        if path is None:
            return None
        try:
            info = await asyncio.to_thread(os.stat, path)
        except OSError:
            return None
        key = (path, info.st_mtime_ns, info.st_size)
        lookup = self._covers.get(key)
        if lookup is None:
            lookup = asyncio.get_running_loop().create_task(
                self._store_cover(path), name=f"embedded cover of {path}"
            )
            self._covers[key] = lookup
            while len(self._covers) > _COVER_MEMORY:
                self._covers.popitem(last=False)
        else:
            self._covers.move_to_end(key)
        # Shielded: the lookup is shared, a cancelled describe must not cancel it for others.
        return await asyncio.shield(lookup)

    async def _store_cover(self, path: str) -> str | None:
        cache = self._art_cache
        if cache is None:
            cache = self._art_cache = ArtCache()
        cover = await asyncio.to_thread(read_cover, path, max_size=cache.max_size)
        if cover is None:
            return None
        try:
            return await cache.store(cover.data, content_type=cover.content_type)
        except (OSError, ValueError) as error:
            _log.warning("cannot store the cover of %s: %s", path, error)
            return None


def _local_path(source: str) -> str | None:
    """The file a source names, or None for a network URI."""
    if "://" not in source:
        return source
    parts = urlsplit(source)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    return url2pathname(parts.path)  # (which also undoes the percent-encoding)
