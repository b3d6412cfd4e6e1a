"""TrackList: a window of the queue around the current item, and its signals."""

from __future__ import annotations

import asyncio

from mpris_support import (
    APP_ID,
    NO_TRACK,
    PROPERTIES,
    TRACKLIST,
    TRACKLIST_SIGNALS,
    Harness,
    members,
    paths,
    settle,
    track,
    track_id,
)

from audio_service import AudioProcessingState, ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._surfaces._linux._mpris import MprisServer
from audio_service.players import MemoryEngine, QueuePlayerTask
from audio_session import AudioSession, MemoryBackend
from audio_session.testing import MonitoredMessage, PrivateSessionBus


def tracks_invalidated(message: MonitoredMessage) -> bool:
    return (
        message.member == "PropertiesChanged"
        and f'string "{TRACKLIST}"' in message.text
        and 'string "Tracks"' in message.text
    )


async def test_tracks_and_their_metadata(player: Harness) -> None:
    tracks = paths(await player.get(TRACKLIST, "Tracks"))
    assert tracks == [track_id(f"song-{i}") for i in range(5)]
    assert await player.get(TRACKLIST, "CanEditTracks") == "true"
    stale = track_id("gone")
    result = await player.call(
        f"{TRACKLIST}.GetTracksMetadata", f"[@o '{track_id('song-2')}', '{stale}']"
    )
    assert paths(result.stdout) == [track_id("song-2")]
    assert "'xesam:title': <'Song 2'>" in result.stdout


async def test_go_to(player: Harness) -> None:
    await player.call(f"{TRACKLIST}.GoTo", track_id("song-3"))
    assert player.task.called("skip_to_queue_item") == ["song-3"]
    assert await player.playerctl("metadata", "title") == "Song 3"
    await player.call(f"{TRACKLIST}.GoTo", track_id("unknown"))
    assert player.task.called("skip_to_queue_item") == ["song-3"]


async def test_add_and_remove_tracks_signal_only_the_difference(player: Harness) -> None:
    uri = "file:///music/new%20song.ogg"
    async with player.bus.monitor(PROPERTIES, TRACKLIST_SIGNALS) as monitor:
        await player.call(f"{TRACKLIST}.AddTrack", uri, track_id("song-1"), "false")
        added = await monitor.wait_for(lambda m: m.member == "TrackAdded")
        await monitor.wait_for(tracks_invalidated)
        await player.call(f"{TRACKLIST}.RemoveTrack", track_id("song-3"))
        removed = await monitor.wait_for(lambda m: m.member == "TrackRemoved")
        await settle(player, monitor)
    ((item, index),) = player.task.called("add_queue_item_at")
    assert (item.id, item.title, index) == (uri, "new song", 2)
    assert paths(added.text) == [track_id(uri), track_id("song-1")]  # its id, then AfterTrack
    assert paths(removed.text) == [track_id("song-3")]
    assert members(monitor) == ["TrackAdded", "TrackRemoved"]
    invalidations = monitor.find(tracks_invalidated)
    assert len(invalidations) == 2
    assert all("variant" not in message.text for message in invalidations)
    expected = ["song-0", "song-1", uri, "song-2", "song-4"]
    assert paths(await player.get(TRACKLIST, "Tracks")) == [track_id(i) for i in expected]


async def test_add_track_at_the_start_as_current(player: Harness) -> None:
    uri = "https://example.com/stream"
    await player.call(f"{TRACKLIST}.AddTrack", uri, NO_TRACK, "true")
    ((_item, index),) = player.task.called("add_queue_item_at")
    assert index == 0
    assert player.task.called("skip_to_queue_item") == [uri]
    assert paths(await player.get(TRACKLIST, "Tracks"))[0] == track_id(uri)


async def test_add_track_refuses_bad_input(player: Harness) -> None:
    add = f"{TRACKLIST}.AddTrack"
    result = await player.call(add, "file:///a.ogg", track_id("nope"), "false", check=False)
    assert "InvalidArgs" in result.stderr
    result = await player.call(add, "gopher://x/a.ogg", NO_TRACK, "false", check=False)
    assert "NotSupported" in result.stderr
    assert player.task.called("add_queue_item_at") == []


async def test_a_replaced_queue_is_one_signal(player: Harness) -> None:
    async with player.bus.monitor(PROPERTIES, TRACKLIST_SIGNALS) as monitor:
        fresh = [track(i) for i in range(10, 16)]
        player.core.set_queue(fresh)
        player.core.set_media_item(fresh[0])
        replaced = await monitor.wait_for(lambda m: m.member == "TrackListReplaced")
        await settle(player, monitor)
    assert members(monitor) == ["TrackListReplaced"]
    assert paths(replaced.text) == [track_id(i.id) for i in fresh] + [track_id("song-10")]


async def test_changed_metadata_of_a_listed_track(player: Harness) -> None:
    async with player.bus.monitor(TRACKLIST_SIGNALS) as monitor:
        player.core.update_queue_item(2, track(2, title="Renamed"))
        message = await monitor.wait_for(lambda m: m.member == "TrackMetadataChanged")
    assert paths(message.text)[0] == track_id("song-2")
    assert 'string "Renamed"' in message.text


async def playing_from(core: ServiceCore, media_id: str) -> None:
    """Return once ``media_id`` is loaded and playing (tags before that are not its own)."""

    def ready() -> bool:
        state, item = core.state, core.media_item
        loaded = state.processing_state is AudioProcessingState.READY
        return item is not None and item.id == media_id and state.playing and loaded

    done = asyncio.Event()
    unobserve = core.observe(lambda _event: done.set() if ready() else None)
    try:
        if not ready():
            await asyncio.wait_for(done.wait(), 5)
    finally:
        unobserve()


async def test_add_track_and_open_uri_make_the_same_item_and_tags_retitle_both(
    dbus_session: PrivateSessionBus,
) -> None:
    # AddTrack used to keep "My Song.mp3" even after the tags were read; OpenUri said "My Song"
    # and took the tags' title. Both now come from one function.
    engine = MemoryEngine()
    session = await AudioSession.create(MemoryBackend())
    task = QueuePlayerTask(engine, session=session)
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID), stop_grace=0.5)
    await core.start({"queue": [track(0)]})
    server = MprisServer(core, identity="Example Player", bus_address=dbus_session.address)
    await server.start()
    try:
        player = Harness(core, task, server, dbus_session)  # type: ignore[arg-type]
        added = "file:///music/My%20Song.mp3"
        await player.call(f"{TRACKLIST}.AddTrack", added, NO_TRACK, "true")
        await player.playerctl("play")
        await playing_from(core, added)
        assert engine.source == added
        assert await player.playerctl("metadata", "title") == "My Song"
        engine.emit_tags({"title": "Real Title"})
        await task.settle()
        assert await player.playerctl("metadata", "title") == "Real Title"
        opened = "file:///music/Other%20Song.ogg"
        await player.call("org.mpris.MediaPlayer2.Player.OpenUri", opened)
        await playing_from(core, opened)
        assert engine.source == opened
        assert await player.playerctl("metadata", "title") == "Other Song"
        engine.emit_tags({"title": "Other Real Title"})
        await task.settle()
        assert await player.playerctl("metadata", "title") == "Other Real Title"
    finally:
        await server.close()
        await core.shutdown()
        await session.close()
