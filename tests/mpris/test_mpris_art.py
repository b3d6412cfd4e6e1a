"""``mpris:artUrl`` and playlist icons from the album-art cache, with a real (slow) art server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from art_server import PNG, ArtServer
from mpris_support import (
    APP_ID,
    PLAYER,
    PLAYLISTS,
    PROPERTIES,
    TRACKLIST,
    TRACKLIST_SIGNALS,
    Harness,
    PlayerTask,
    playlist_id,
    settle,
    track,
    track_id,
)

from audio_service import MediaItem, ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._surfaces._art import ArtCache
from audio_service._surfaces._linux._mpris import MprisServer
from audio_session.testing import MonitoredMessage, PrivateSessionBus

LOCAL_COVER = "file:///usr/share/covers/song-1.png"


@dataclass
class ArtRig:
    player: Harness
    art: ArtServer
    cache: ArtCache

    def metadata_changes(self, monitor_messages: list[MonitoredMessage]) -> list[str]:
        return [
            m.text
            for m in monitor_messages
            if m.member == "PropertiesChanged" and f'string "{PLAYER}"' in m.text
        ]


@pytest.fixture
async def rig(dbus_session: PrivateSessionBus, tmp_path: Path) -> AsyncIterator[ArtRig]:
    art = ArtServer()
    await art.start()
    art.slow("/cover-0.png")
    art.image("/cover-2.png")
    art.slow("/cover-3.png")
    items = [
        track(0, art_uri=art.url("/cover-0.png")),
        track(1, art_uri=LOCAL_COVER),
        track(2, art_uri=art.url("/cover-2.png")),
        track(3, art_uri=art.url("/cover-3.png")),
    ]
    task = PlayerTask(items)
    task.playlists = [
        MediaItem(id="mix", title="Mix", playable=False, art_uri=art.url("/cover-2.png")),
    ]
    cache = ArtCache(tmp_path / "art", timeout=5)
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID), stop_grace=0.5)
    await core.start()
    server = MprisServer(core, identity="Art", bus_address=dbus_session.address, art=cache)
    try:
        await server.start()
        yield ArtRig(Harness(core, task, server, dbus_session), art, cache)
    finally:
        await server.close()
        await core.shutdown()
        await cache.aclose()
        await art.stop()


def art_of(text: str) -> str | None:
    """The ``mpris:artUrl`` in a message or property text as dbus-monitor or gdbus prints it."""
    for marker in ('string "mpris:artUrl"\n', "'mpris:artUrl': <'"):
        if marker in text:
            rest = text.split(marker, 1)[1]
            if marker.startswith("string"):
                return rest.split('"', 2)[1]
            return rest.split("'", 1)[0]
    return None


async def test_remote_art_goes_out_once_cached_and_never_delays_state(rig: ArtRig) -> None:
    player, cover = rig.player, rig.art.url("/cover-0.png")
    async with player.bus.monitor(PROPERTIES, TRACKLIST_SIGNALS) as monitor:
        await rig.art.wait_hit("/cover-0.png")  # the download started with the first metadata
        metadata = await player.get(PLAYER, "Metadata")
        assert "'xesam:title': <'Song 0'>" in metadata
        assert art_of(metadata) is None  # not cached yet: no art, and never the http URL
        assert "http://" not in metadata

        # The art server hangs; play/pause still goes through at once.
        await player.playerctl("play-pause")
        status = await monitor.wait_for(lambda m: 'string "PlaybackStatus"' in m.text)
        assert 'string "Playing"' in status.text
        assert not rig.art.release.is_set()

        rig.art.release.set()
        changed = await monitor.wait_for(lambda m: art_of(m.text) is not None)
        local = rig.cache.lookup(cover)
        assert local is not None
        assert local.startswith("file://")
        assert changed.member == "PropertiesChanged"
        assert art_of(changed.text) == local
        assert 'string "PlaybackStatus"' not in changed.text  # only what changed
        # Song 0 is in the track list, so its track-list metadata changed too.
        track_changed = await monitor.wait_for(lambda m: m.member == "TrackMetadataChanged")
        assert f'object path "{track_id("song-0")}"' in track_changed.text
        assert art_of(track_changed.text) == local
        await settle(player, monitor)
    assert all("http://" not in m.text for m in monitor.messages)
    assert art_of(await player.get(PLAYER, "Metadata")) == local
    assert await player.playerctl("metadata", "mpris:artUrl") == local
    assert await asyncio.to_thread(Path(local.removeprefix("file://")).read_bytes) == PNG


async def test_file_art_passes_through_and_cached_art_goes_out_at_once(rig: ArtRig) -> None:
    player = rig.player
    async with player.bus.monitor(PROPERTIES) as monitor:
        await player.call(f"{TRACKLIST}.GoTo", track_id("song-1"))
        first = await monitor.wait_for(lambda m: "Song 1" in m.text)
        assert art_of(first.text) == LOCAL_COVER

        local = await rig.cache.fetch(rig.art.url("/cover-2.png"))
        await player.call(f"{TRACKLIST}.GoTo", track_id("song-2"))
        second = await monitor.wait_for(lambda m: "Song 2" in m.text)
        assert art_of(second.text) == local  # already cached: in the first metadata
        await settle(player, monitor)
    assert len(rig.metadata_changes(monitor.find(lambda m: "Song 2" in m.text))) == 1
    assert rig.art.hits["/cover-2.png"] == 1
    result = await player.call(
        f"{TRACKLIST}.GetTracksMetadata", f"[@o '{track_id('song-2')}', '{track_id('song-3')}']"
    )
    assert f"'mpris:artUrl': <'{local}'>" in result.stdout
    assert "http://" not in result.stdout  # song 3's art is not cached: no art


async def test_art_of_a_track_left_behind_is_not_published(rig: ArtRig) -> None:
    player = rig.player
    async with player.bus.monitor(PROPERTIES, TRACKLIST_SIGNALS) as monitor:
        await player.call(f"{TRACKLIST}.GoTo", track_id("song-3"))
        await rig.art.wait_hit("/cover-3.png")
        await player.call(f"{TRACKLIST}.GoTo", track_id("song-1"))
        await monitor.wait_for(lambda m: art_of(m.text) == LOCAL_COVER)
        rig.art.release.set()
        await rig.cache.fetch(rig.art.url("/cover-3.png"))  # the download went on to the end
        await settle(player, monitor)
    assert all(m.member != "TrackMetadataChanged" for m in monitor.messages)
    published = [art_of(m.text) for m in monitor.messages if art_of(m.text)]
    assert published == [LOCAL_COVER]
    assert art_of(await player.get(PLAYER, "Metadata")) == LOCAL_COVER


async def test_playlist_icons_are_fetched_and_announced(rig: ArtRig) -> None:
    player = rig.player
    signals = f"type='signal',interface='{PLAYLISTS}'"
    async with player.bus.monitor(signals) as monitor:
        listed = await player.call(f"{PLAYLISTS}.GetPlaylists", "0", "10", "User", "false")
        assert f"(objectpath '{playlist_id('mix')}', 'Mix', '')" in listed.stdout
        changed = await monitor.wait_for(lambda m: m.member == "PlaylistChanged")
    local = rig.cache.lookup(rig.art.url("/cover-2.png"))
    assert local is not None
    assert f'string "{local}"' in changed.text
    listed = await player.call(f"{PLAYLISTS}.GetPlaylists", "0", "10", "User", "false")
    assert f"'Mix', '{local}')" in listed.stdout


async def test_without_a_cache_the_item_art_is_published_as_it_is(player: Harness) -> None:
    remote = "https://covers.example.com/0.png"
    player.core.set_media_item(track(0, art_uri=remote))
    assert art_of(await player.get(PLAYER, "Metadata")) == remote
