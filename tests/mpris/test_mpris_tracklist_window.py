"""The track list of a long queue is a window of 20 around the current item."""

from __future__ import annotations

import pytest
from mpris_support import (
    PROPERTIES,
    TRACKLIST,
    TRACKLIST_SIGNALS,
    Harness,
    PlayerTask,
    members,
    paths,
    settle,
    track,
    track_id,
)


@pytest.fixture
def task() -> PlayerTask:
    return PlayerTask([track(i) for i in range(100)])


async def test_a_long_queue_shows_a_window_that_slides(player: Harness) -> None:
    assert len(paths(await player.get(TRACKLIST, "Tracks"))) == 20
    await player.call(f"{TRACKLIST}.GoTo", track_id("song-50"))
    window = paths(await player.get(TRACKLIST, "Tracks"))
    assert window == [track_id(f"song-{i}") for i in range(40, 60)]
    async with player.bus.monitor(PROPERTIES, TRACKLIST_SIGNALS) as monitor:
        await player.playerctl("next")
        await monitor.wait_for(lambda m: m.member == "TrackAdded")
        await settle(player, monitor)
    assert members(monitor) == ["TrackRemoved", "TrackAdded"]
    removed, added = (m for m in monitor.messages if m.interface == TRACKLIST)
    assert paths(removed.text) == [track_id("song-40")]
    assert paths(added.text) == [track_id("song-60"), track_id("song-59")]
