"""The pure parts: names, track ids and the track-list window arithmetic."""

from __future__ import annotations

import pytest
from dbus_fast.validators import is_bus_name_valid, is_object_path_valid
from hypothesis import given
from hypothesis import strategies as st
from mpris_support import track

from audio_service._surfaces._linux._mpris._ids import (
    NO_TRACK,
    bus_name_for,
    instance_name,
    media_id_of_path,
    playlist_path,
    track_path,
)
from audio_service._surfaces._linux._mpris._tracklist import Window, WindowChange, window_of


@pytest.mark.parametrize(
    ("app_id", "name"),
    [
        ("com.example.Player", "org.mpris.MediaPlayer2.com.example.Player"),
        ("com.example.9lives", "org.mpris.MediaPlayer2.com.example._9lives"),
        (None, "org.mpris.MediaPlayer2.audio_service"),
    ],
)
def test_bus_names(app_id: str | None, name: str) -> None:
    assert bus_name_for(app_id) == name
    assert is_bus_name_valid(instance_name(name, 4242))


def test_a_long_app_id_leaves_room_for_the_instance_suffix() -> None:
    name = bus_name_for("a" * 200 + "." + "b" * 100)
    assert is_bus_name_valid(instance_name(name, 2**22))


@given(st.text())
def test_track_ids_are_valid_paths_that_round_trip(media_id: str) -> None:
    path = track_path(media_id)
    assert is_object_path_valid(path)
    assert not path.startswith("/org/mpris")
    assert media_id_of_path(path) == media_id
    assert media_id_of_path(playlist_path(media_id)) is None  # a playlist is not a track


@pytest.mark.parametrize(
    "path", [NO_TRACK, "/", "/org/audioservicekit/track/zz", "/org/audioservicekit/track/ff"]
)
def test_foreign_or_broken_paths_stand_for_no_media_id(path: str) -> None:
    assert media_id_of_path(path) is None


def test_the_window_centres_on_the_current_item_and_stays_full_at_the_ends() -> None:
    queue = [track(i) for i in range(100)]
    assert window_of(queue, queue[50], 50, 20).ids == [f"song-{i}" for i in range(40, 60)]
    assert window_of(queue, queue[98], None, 20).ids == [f"song-{i}" for i in range(80, 100)]
    assert window_of(queue, queue[1], 7, 20).ids[0] == "song-0"  # a wrong hint is searched past
    assert window_of(queue, None, None, 3).ids == ["song-0", "song-1", "song-2"]
    doubled = [queue[0], queue[1], queue[0]]
    assert window_of(doubled, None, None, 20).ids == ["song-0", "song-1"]


def test_window_changes_are_minimal() -> None:
    old = Window(tuple(track(i) for i in range(10)))
    inserted = Window((*old.items[:3], track(99), *old.items[3:]))
    change = WindowChange.between(old, inserted)
    assert [(a.item.id, a.after) for a in change.added] == [("song-99", "song-2")]
    assert not change.removed
    assert not change.replaced
    change = WindowChange.between(old, Window(tuple(track(i) for i in range(20, 30))))
    assert change.replaced
    assert change.tracks_changed
    renamed = Window((track(0, title="New"), *old.items[1:]))
    change = WindowChange.between(old, renamed)
    assert [c.item.title for c in change.changed] == ["New"]
    assert not change.tracks_changed
