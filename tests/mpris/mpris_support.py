"""A realistic task, and a harness around an in-process service with its MPRIS server."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    BackgroundAudioTask,
    MediaAction,
    MediaControl,
    MediaItem,
)
from audio_service._service._core import ServiceCore
from audio_service._surfaces._linux._mpris import MprisServer
from audio_session.testing import DBusMonitor, PrivateSessionBus

APP_ID = "org.example.Player"
BUS_NAME = f"org.mpris.MediaPlayer2.{APP_ID}"
PATH = "/org/mpris/MediaPlayer2"
ROOT = "org.mpris.MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
TRACKLIST = "org.mpris.MediaPlayer2.TrackList"
PLAYLISTS = "org.mpris.MediaPlayer2.Playlists"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
PROPERTIES = "type='signal',interface='org.freedesktop.DBus.Properties'"
TRACKLIST_SIGNALS = f"type='signal',interface='{TRACKLIST}'"
_TRACK_PATH = re.compile(r"/org/audioservicekit/track/[0-9a-f_]+")


def paths(text: str) -> list[str]:
    return _TRACK_PATH.findall(text)


def members(monitor: DBusMonitor) -> list[str]:
    return [m.member for m in monitor.messages if m.interface == TRACKLIST]


def track(number: int, **fields: Any) -> MediaItem:
    values: dict[str, Any] = {
        "title": f"Song {number}",
        "artist": f"Artist {number}",
        "album": "Album",
        "genre": "Jazz",
        "duration": timedelta(minutes=3),
    }
    values.update(fields)
    return MediaItem(id=f"song-{number}", **values)


def track_id(media_id: str) -> str:
    return "/org/audioservicekit/track/" + media_id.encode().hex()


def playlist_id(media_id: str) -> str:
    return "/org/audioservicekit/playlist/" + media_id.encode().hex()


PLAYLIST_ITEMS = [
    MediaItem(id="mix", title="Zebra mix", playable=False, art_uri="file:///art/mix.png"),
    MediaItem(id="favourites", title="Favourites", playable=False),
]


class PlayerTask(BackgroundAudioTask):
    """Plays a queue the way a real task does, and records what it was asked."""

    def __init__(self, items: list[MediaItem] | None = None) -> None:
        super().__init__()
        self.items = items if items is not None else [track(i) for i in range(5)]
        self.calls: list[tuple[str, Any]] = []
        self.system_actions = {MediaAction.SEEK, MediaAction.SET_SPEED}
        self.playlists = list(PLAYLIST_ITEMS)

    def controls(self, playing: bool) -> list[MediaControl]:
        return [
            MediaControl.skip_to_previous,
            MediaControl.pause if playing else MediaControl.play,
            MediaControl.skip_to_next,
            MediaControl.stop,
        ]

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await AudioServiceBackground.set_queue(self.items)
        await AudioServiceBackground.set_media_item(self.items[0])
        await AudioServiceBackground.set_state(
            controls=self.controls(False),
            system_actions=self.system_actions,
            processing_state=AudioProcessingState.READY,
            queue_index=0,
        )

    async def on_play(self) -> None:
        self.calls.append(("play", None))
        await AudioServiceBackground.set_state(playing=True, controls=self.controls(True))

    async def on_pause(self) -> None:
        self.calls.append(("pause", None))
        await AudioServiceBackground.set_state(playing=False, controls=self.controls(False))

    async def on_seek_to(self, position: timedelta) -> None:
        self.calls.append(("seek_to", position))
        await AudioServiceBackground.set_state(position=position)

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        self.calls.append(("skip_to_queue_item", media_id))
        queue = AudioServiceBackground.queue
        index = queue.index_of(media_id)
        if index is None:
            raise ValueError(f"no {media_id} in the queue")
        await AudioServiceBackground.set_media_item(queue[index])
        await AudioServiceBackground.set_state(queue_index=index, position=timedelta(0))

    async def on_set_repeat_mode(self, repeat_mode: AudioServiceRepeatMode) -> None:
        self.calls.append(("set_repeat_mode", repeat_mode))
        await AudioServiceBackground.set_state(repeat_mode=repeat_mode)

    async def on_set_shuffle_mode(self, shuffle_mode: AudioServiceShuffleMode) -> None:
        self.calls.append(("set_shuffle_mode", shuffle_mode))
        await AudioServiceBackground.set_state(shuffle_mode=shuffle_mode)

    async def on_set_speed(self, speed: float) -> None:
        self.calls.append(("set_speed", speed))
        await AudioServiceBackground.set_state(speed=speed)

    async def on_set_volume(self, volume: float) -> None:
        self.calls.append(("set_volume", volume))
        if volume > 1.5:
            raise ValueError("the amplifier refuses")

    async def on_play_from_uri(self, uri: str, extras: dict[str, Any] | None) -> None:
        self.calls.append(("play_from_uri", uri))
        if "boom" in uri:
            raise RuntimeError("cannot decode that")

    async def on_add_queue_item_at(self, media_item: MediaItem, index: int) -> None:
        self.calls.append(("add_queue_item_at", (media_item, index)))
        await AudioServiceBackground.splice_queue(index, 0, [media_item])

    async def on_remove_queue_item(self, media_item: MediaItem) -> None:
        self.calls.append(("remove_queue_item", media_item.id))
        index = AudioServiceBackground.queue.index_of(media_item.id)
        if index is not None:
            await AudioServiceBackground.splice_queue(index, 1)

    async def on_load_children(self, parent_media_id: str) -> list[MediaItem]:
        self.calls.append(("load_children", parent_media_id))
        return list(self.playlists) if parent_media_id == "root" else []

    async def on_play_from_media_id(self, media_id: str) -> None:
        self.calls.append(("play_from_media_id", media_id))

    def called(self, name: str) -> list[Any]:
        return [argument for call, argument in self.calls if call == name]


@dataclass
class Harness:
    core: ServiceCore
    task: PlayerTask
    server: MprisServer
    bus: PrivateSessionBus

    async def playerctl(self, *args: str, check: bool = True) -> str:
        return await self.bus.playerctl(*args, player=APP_ID, check=check)

    async def get(self, interface: str, name: str) -> str:
        """A property as gdbus prints it (GVariant text, types included)."""
        result = await self.bus.gdbus_call(
            BUS_NAME, PATH, "org.freedesktop.DBus.Properties.Get", interface, name
        )
        text = result.stdout.strip()
        match = re.fullmatch(r"\(<(.*)>,\)", text, re.S)
        assert match, text
        return match.group(1)

    async def call(self, member: str, *args: str, check: bool = True) -> Any:
        return await self.bus.gdbus_call(BUS_NAME, PATH, member, *args, check=check)

    async def set(self, interface: str, name: str, value: str, check: bool = True) -> Any:
        return await self.call(
            "org.freedesktop.DBus.Properties.Set", interface, name, value, check=check
        )


async def settle(player: Harness, monitor: DBusMonitor) -> None:
    """Return once everything the server sent so far has reached ``monitor``.

    Signals from one connection arrive in order, so a marker sent now through
    the server's own connection comes after all of them.
    """
    await asyncio.sleep(0)  # let a pending flush run first
    player.server._tracklist.emit_properties_changed({}, ["SettleMarker"])
    await monitor.wait_for(lambda m: 'string "SettleMarker"' in m.text)
