"""What MPRIS clients are told: changes computed from the core's events and sent once per turn.

PropertiesChanged carries only the values that differ from what was last sent,
then ``Seeked`` follows when the position moved in a way the rate cannot
explain, then the track-list signals. ``Position`` is never in
PropertiesChanged: clients extrapolate it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from dbus_fast import Message, Variant

from audio_service._model._events import MediaItemChanged, QueueChanged, ServiceEvent, StateChanged
from audio_service._model._models import (
    AudioProcessingState,
    AudioServiceShuffleMode,
    MediaAction,
)
from audio_service._surfaces._linux._mpris._mapping import loop_status, playback_status

if TYPE_CHECKING:
    from audio_service._surfaces._linux._mpris._server import MprisServer

__all__ = ["JUMP_TOLERANCE", "OBJECT_PATH", "PLAYER_INTERFACE", "Changes"]

_log = logging.getLogger("audio_service.mpris")

OBJECT_PATH: Final = "/org/mpris/MediaPlayer2"
PLAYER_INTERFACE: Final = "org.mpris.MediaPlayer2.Player"
PROPERTIES_INTERFACE: Final = "org.freedesktop.DBus.Properties"
#: A position this far (seconds) from the extrapolated one is a jump clients must hear of.
JUMP_TOLERANCE: Final = 1.0
_JUMP: Final = timedelta(seconds=JUMP_TOLERANCE)
_ZERO: Final = timedelta(0)

# Enum members read on every change: on Python 3.11 each MediaAction.X is a lookup
# through the enum's metaclass, several times slower than a module global.
_READY: Final = AudioProcessingState.READY
_NO_SHUFFLE: Final = AudioServiceShuffleMode.NONE
_SKIP_TO_NEXT: Final = MediaAction.SKIP_TO_NEXT
_SKIP_TO_PREVIOUS: Final = MediaAction.SKIP_TO_PREVIOUS
_SEEK: Final = MediaAction.SEEK


class Changes:
    """Collects what changed since the last flush and sends it in one go."""

    def __init__(self, server: MprisServer) -> None:
        self._server = server
        core = server.core
        self._core = core
        #: Each property's signature, for PropertiesChanged.
        self._signatures = {
            interface.name: {
                prop.name: prop.signature for prop in interface.introspect().properties
            }
            for interface in (server._player, server._playlists)
        }
        # What clients were last told; the flush compares against it.
        self._sent_player: dict[str, Any] = {}
        self._sent_playlists: dict[str, Any] = {}
        self._flush_handle: asyncio.Handle | None = None
        #: Something changed that clients have not been told yet.
        self._due = False
        #: While above 0 (see hold), a change waits for the holder instead of a call_soon.
        self._holds = 0
        # Looked up once: in Python 3.11 each get_running_loop() is a getpid system call.
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The track list's window needs another look at the next flush.
        self.tracklist_dirty = False
        self._seek_pending = False
        #: How many ``Seeked`` signals were sent (a seek that sent none sends one).
        self.seeked_count = 0
        self._last_state = core.state
        self._last_item_id = core.media_item.id if core.media_item is not None else None

    # ---------------------------------------------------------------- the service

    def on_event(self, event: ServiceEvent) -> None:
        """Note what ``event`` changes for clients, and flush at the end of this turn."""
        if isinstance(event, StateChanged):
            old, new = self._last_state, event.state
            self._last_state = new
            item = self._core.media_item
            duration = item.duration if item is not None else None
            # old.position_at(new.update_time, duration) and new's own, inline: this runs on
            # every state change.
            expected = old.update_position
            if old.playing and old.processing_state is _READY and old.speed > 0:
                elapsed = new.update_time - old.update_time
                if elapsed > 0:
                    expected = expected + timedelta(seconds=elapsed * old.speed)
            actual = new.update_position
            if duration is not None:
                if expected > duration:
                    expected = duration
                if actual > duration:
                    actual = duration
            if expected < _ZERO:
                expected = _ZERO
            if abs(actual - expected) > _JUMP:
                self._seek_pending = True
            if new.queue_index != old.queue_index:
                self.tracklist_dirty = True
        elif isinstance(event, MediaItemChanged):
            self.tracklist_dirty = True
            new_id = event.media_item.id if event.media_item is not None else None
            if new_id != self._last_item_id and new_id is not None:
                # A new track: clients resync their position (Seeked at the start position).
                self._seek_pending = True
            self._last_item_id = new_id
        elif isinstance(event, QueueChanged):
            self.tracklist_dirty = True
        else:
            return
        self.schedule()

    def service_stopped(self) -> None:
        """The service ended: tell clients now (no track, stopped), with no Seeked."""
        self.tracklist_dirty = True
        self._seek_pending = False
        self._last_state = self._core.state
        self._last_item_id = None
        self.flush()

    def seeked(self) -> None:
        """A seek happened: clients hear of it even if the position barely moved."""
        self._seek_pending = True
        self.schedule()

    # ------------------------------------------------------------------ flushing

    def schedule(self) -> None:
        """Flush at the end of this loop iteration (when held: when the holder says)."""
        if self._due or self._server.closed:
            return
        self._due = True
        if not self._holds:
            self._call_flush()

    def _call_flush(self) -> None:
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        self._flush_handle = loop.call_soon(self.flush)

    def hold(self) -> None:
        """Changes from now on wait for :meth:`flush_pending` or the matching :meth:`release`.

        Around a request whose callback may end at once and flush itself: a
        flush scheduled and then cancelled would still cost the loop one more
        iteration (a cancelled handle in the ready queue makes the next wait a poll).
        """
        self._holds += 1

    def release(self) -> None:
        """End a :meth:`hold`: what changed and was not flushed goes at the end of this turn."""
        self._holds -= 1
        if not self._holds and self._due and self._flush_handle is None:
            if self._server.closed:
                self._due = False
            else:
                self._call_flush()

    def cancel(self) -> None:
        self._due = False
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None

    def flush_pending(self) -> None:
        """Send what changed now instead of at the end of this turn."""
        if self._due:
            handle = self._flush_handle
            if handle is not None:
                handle.cancel()
            self.flush()

    def remember_sent(self) -> None:
        """Take the current state as what clients know (a fresh connection read it all)."""
        self._sent_player = self.player_values()
        self._sent_playlists = self._playlists_values()
        self._server.track_list.remember()

    def player_values(self) -> dict[str, Any]:
        # Runs on every change of the service, so computed straight from the state; the
        # getters of the same properties answer through the same helpers.
        server = self._server
        state = self._core.state
        item = self._core.media_item
        transport = server.transport
        actions = transport.actions(state, item)
        low, high = transport.rate_limits(actions)
        playable = transport.playable(item, actions)
        return {
            "PlaybackStatus": playback_status(state),
            "LoopStatus": loop_status(state.repeat_mode),
            "Rate": min(max(state.speed, low), high),
            "Shuffle": state.shuffle_mode is not _NO_SHUFFLE,
            # Items are immutable: the item and its published art stand for the metadata.
            "Metadata": server.artwork.metadata_key(item),
            "Volume": transport.volume,
            "MinimumRate": low,
            "MaximumRate": high,
            "CanGoNext": _SKIP_TO_NEXT in actions,
            "CanGoPrevious": _SKIP_TO_PREVIOUS in actions,
            "CanPlay": playable,
            "CanPause": playable,
            "CanSeek": item is not None and _SEEK in actions,
        }

    def _playlists_values(self) -> dict[str, Any]:
        # PlaylistsInterface.CHANGING, read from where its getters read them (every flush).
        playlists = self._server.playlist_list
        return {"PlaylistCount": playlists.count(), "ActivePlaylist": playlists.active()}

    def flush(self) -> None:
        self._flush_handle = None
        self._due = False
        link = self._server.link
        bus = link.bus
        if bus is None or not bus.connected:  # not yet, or lost: see BusLink.stay_connected
            return
        writes = link.hold_writes()  # the signals of one flush leave in one write
        try:
            self._send_changes()
        except OSError as error:
            # The daemon went away and dbus-fast has only just noticed; the link
            # reconnects and the new connection starts from the current state.
            _log.debug("MPRIS: could not send the changes: %s", error)
        finally:
            if writes is not None:
                writes.release()

    def _send_changes(self) -> None:
        values = self.player_values()
        sent = self._sent_player
        self._sent_player = values
        # Most values are the very objects sent last time (the same strings, the same
        # MetadataKey): the identity test spares their comparison.
        changed = {}
        for name, value in values.items():
            old = sent.get(name)
            if value is not old and value != old:
                changed[name] = value
        if changed:
            if "Metadata" in changed:
                changed["Metadata"] = self._server.artwork.metadata()
            self._properties_changed(PLAYER_INTERFACE, changed)
        if self._seek_pending:
            self._seek_pending = False
            self.seeked_count += 1
            self._server._player.Seeked(self._server.transport.position())
        if self.tracklist_dirty:
            # Only the queue, the current item and its index move the window.
            self.tracklist_dirty = False
            self._server.track_list.flush()
        playlists = self._playlists_values()
        sent = self._sent_playlists
        if playlists != sent:  # one comparison in C when nothing changed, as is usual
            self._sent_playlists = playlists
            changed = {k: v for k, v in playlists.items() if sent.get(k) != v}
            self._properties_changed(self._server._playlists.name, changed)

    def _properties_changed(self, interface: str, changed: dict[str, Any]) -> None:
        # What ServiceInterface.emit_properties_changed sends, without its search of every
        # property and export on each call: this is on the path of every PlayPause. A player
        # toggled back and forth sends the same few signals: each is marshalled once.
        signatures = self._signatures[interface]

        def build() -> Message:
            body = {name: Variant(signatures[name], value) for name, value in changed.items()}
            return Message.new_signal(
                OBJECT_PATH,
                PROPERTIES_INTERFACE,
                "PropertiesChanged",
                "sa{sv}as",
                [interface, body, []],
            )

        key = (interface, *changed.items())
        try:
            hash(key)
        except TypeError:  # a dict (Metadata) or a list among the values: not kept
            self._server.link.send(build())
            return
        self._server.link.send_marshalled(key, build)
