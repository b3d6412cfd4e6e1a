"""The root and Player interfaces, driven by playerctl and gdbus on a private bus."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mpris_support import (
    APP_ID,
    BUS_NAME,
    PATH,
    PLAYER,
    PLAYLISTS,
    ROOT,
    Harness,
    PlayerTask,
    track_id,
)

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    BackgroundAudioTask,
    MediaControl,
    MediaItem,
    ServiceConfig,
    install_desktop_entry,
)
from audio_service._service._core import ServiceCore
from audio_service._surfaces._linux._mpris import RAISE_EVENT, MprisServer
from audio_session.testing import PrivateSessionBus


async def test_owns_the_app_name_with_the_root_properties(player: Harness) -> None:
    assert player.server.bus_name == BUS_NAME
    assert BUS_NAME in await player.bus.list_names()
    assert await player.get(ROOT, "Identity") == "'Example Player'"
    assert await player.get(ROOT, "DesktopEntry") == "'org.example.Player'"
    assert await player.get(ROOT, "CanQuit") == "true"
    assert await player.get(ROOT, "CanRaise") == "true"
    assert await player.get(ROOT, "HasTrackList") == "true"
    assert await player.get(ROOT, "SupportedUriSchemes") == "['file', 'http', 'https']"
    assert await player.get(ROOT, "SupportedMimeTypes") == "@as []"


async def test_a_second_player_of_the_same_app_takes_an_instance_name(player: Harness) -> None:
    async with MprisServer(player.core, identity="Again", bus_address=player.bus.address) as second:
        assert second.bus_name is not None
        assert second.bus_name.startswith(f"{BUS_NAME}.instance")
        # Without a desktop entry the optional property is absent, not empty.
        result = await player.bus.gdbus_call(
            second.bus_name,
            PATH,
            "org.freedesktop.DBus.Properties.Get",
            ROOT,
            "DesktopEntry",
            check=False,
        )
        assert result.returncode != 0
    assert BUS_NAME in await player.bus.list_names()


async def test_status_and_typed_metadata(player: Harness) -> None:
    assert await player.playerctl("status") == "Paused"
    assert await player.playerctl("metadata", "title") == "Song 0"
    assert await player.playerctl("metadata", "artist") == "Artist 0"
    metadata = await player.get(PLAYER, "Metadata")
    assert f"'mpris:trackid': <objectpath '{track_id('song-0')}'>" in metadata
    assert "'mpris:length': <int64 180000000>" in metadata
    assert "'xesam:artist': <['Artist 0']>" in metadata
    assert "'xesam:genre': <['Jazz']>" in metadata
    assert "'xesam:album': <'Album'>" in metadata
    assert "artUrl" not in metadata  # no art: absent, never "null"


async def test_play_pause_next_previous(player: Harness) -> None:
    await player.playerctl("play-pause")
    assert await player.playerctl("status") == "Playing"
    await player.playerctl("play-pause")
    assert await player.playerctl("status") == "Paused"
    await player.playerctl("next")
    assert await player.playerctl("metadata", "title") == "Song 1"
    await player.playerctl("next")
    await player.playerctl("previous")
    assert await player.playerctl("metadata", "title") == "Song 1"
    await player.playerctl("play")
    await player.playerctl("play")  # already playing: no second request
    # One play from the first play-pause (a media-button click), one from "play".
    assert player.task.called("play") == [None, None]
    await player.playerctl("pause")
    assert player.core.state.playing is False


async def test_position_absolute_and_relative(player: Harness) -> None:
    await player.playerctl("position", "30")
    assert player.core.position() == timedelta(seconds=30)
    assert await player.playerctl("position") == "30.000000"
    await player.playerctl("position", "10+")
    assert player.core.position() == timedelta(seconds=40)
    await player.playerctl("position", "100-")
    assert player.core.position() == timedelta(0)  # clamped at the start
    assert await player.get(PLAYER, "Position") == "int64 0"


async def test_position_is_extrapolated_while_playing(dbus_session: PrivateSessionBus) -> None:
    now = [1000.0]  # the core's clock, moved by the test instead of waiting for real time
    task = PlayerTask()
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID), clock=lambda: now[0])
    await core.start()
    server = MprisServer(core, identity="Example Player", bus_address=dbus_session.address)
    try:
        await server.start()
        player = Harness(core, task, server, dbus_session)
        await player.playerctl("play")
        assert await player.get(PLAYER, "Position") == "int64 0"
        now[0] += 0.3
        assert await player.get(PLAYER, "Position") == "int64 300000"
        await player.playerctl("pause")
        now[0] += 5
        assert await player.get(PLAYER, "Position") == "int64 300000"
    finally:
        await server.close()
        await core.shutdown()


async def test_loop_shuffle_rate_and_volume(player: Harness) -> None:
    await player.playerctl("loop", "Track")
    assert player.core.state.repeat_mode is AudioServiceRepeatMode.ONE
    assert await player.playerctl("loop") == "Track"
    await player.playerctl("loop", "Playlist")
    assert player.core.state.repeat_mode is AudioServiceRepeatMode.ALL
    await player.playerctl("shuffle", "On")
    assert player.core.state.shuffle_mode is AudioServiceShuffleMode.ALL
    assert await player.playerctl("shuffle") == "On"
    await player.playerctl("volume", "0.5")
    assert player.task.called("set_volume") == [0.5]
    assert await player.playerctl("volume") == "0.500000"
    await player.set(PLAYER, "Rate", "<1.5>")
    assert player.core.state.speed == 1.5
    assert await player.get(PLAYER, "Rate") == "1.5"
    assert await player.get(PLAYER, "MinimumRate") == "0.25"
    assert await player.get(PLAYER, "MaximumRate") == "4.0"


async def test_capabilities_follow_the_published_controls(player: Harness) -> None:
    for name in ("CanGoNext", "CanGoPrevious", "CanPlay", "CanPause", "CanSeek", "CanControl"):
        assert await player.get(PLAYER, name) == "true", name
    player.core.set_state(controls=[], system_actions=[])
    for name in ("CanGoNext", "CanGoPrevious", "CanPlay", "CanPause", "CanSeek"):
        assert await player.get(PLAYER, name) == "false", name
    assert await player.get(PLAYER, "CanControl") == "true"
    # Without SET_SPEED the rate is fixed, as the spec asks of players without rate control.
    assert await player.get(PLAYER, "MinimumRate") == "1.0"
    assert await player.get(PLAYER, "MaximumRate") == "1.0"
    # Methods whose capability is off do nothing (playerctl would not even call them).
    await player.call(f"{PLAYER}.Next")
    await player.call(f"{PLAYER}.Play")
    assert player.task.called("skip_to_queue_item") == []
    assert player.task.called("play") == []
    result = await player.call(f"{PLAYER}.PlayPause", check=False)
    assert result.returncode != 0


async def test_open_uri(player: Harness) -> None:
    await player.playerctl("open", "file:///music/song.ogg")
    assert player.task.called("play_from_uri") == ["file:///music/song.ogg"]
    result = await player.call(f"{PLAYER}.OpenUri", "ftp://example.com/a.ogg", check=False)
    assert result.returncode != 0
    assert "NotSupported" in result.stderr
    assert player.task.called("play_from_uri") == ["file:///music/song.ogg"]


async def test_quit_stops_the_service_and_the_player_leaves(player: Harness) -> None:
    await player.call(f"{ROOT}.Quit")
    await asyncio.wait_for(player.core.wait_stopped(), 5)
    closing = player.server._close_task
    assert closing is not None  # the server closes itself once the service stopped
    await asyncio.wait_for(closing, 5)
    names = await player.bus.list_names()
    assert BUS_NAME not in names


async def test_raise_sends_a_custom_event(player: Harness) -> None:
    events: asyncio.Queue[object] = asyncio.Queue()
    player.core.custom_event_stream.listen(events.put_nowait)
    await player.call(f"{ROOT}.Raise")
    assert await asyncio.wait_for(events.get(), 5) == RAISE_EVENT


async def test_introspection_carries_the_change_annotations(player: Harness) -> None:
    xml = await player.bus.gdbus_introspect(BUS_NAME, PATH)
    annotation = '@org.freedesktop.DBus.Property.EmitsChangedSignal("{}")'
    player_section = xml.split(f"interface {PLAYER} {{")[1].split("interface ")[0]
    assert f"{annotation.format('false')}\n      readonly x Position" in player_section
    assert f"{annotation.format('false')}\n      readonly b CanControl" in player_section
    assert "Seek(in  x Offset)" in player_section
    assert "SetPosition(in  o TrackId,\n                  in  x Position)" in player_section
    assert "Seeked(x Position);" in player_section
    tracklist = xml.split("interface org.mpris.MediaPlayer2.TrackList {")[1]
    assert f"{annotation.format('invalidates')}\n      readonly ao Tracks" in tracklist


async def test_a_server_started_before_the_service_catches_up(
    dbus_session: PrivateSessionBus,
) -> None:
    core = ServiceCore(PlayerTask(), ServiceConfig(app_id=APP_ID))
    async with MprisServer(core, identity="Early", bus_address=dbus_session.address):
        assert await dbus_session.playerctl("status", player=APP_ID) == "Stopped"
        await core.start()
        try:
            assert await dbus_session.playerctl("metadata", "title", player=APP_ID) == "Song 0"
            count = await dbus_session.gdbus_call(
                BUS_NAME, PATH, "org.freedesktop.DBus.Properties.Get", PLAYLISTS, "PlaylistCount"
            )
            assert "uint32 2" in count.stdout
        finally:
            await core.shutdown()


class NoControlsTask(BackgroundAudioTask):
    """A natural first attempt: callbacks overridden, no controls ever published."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def on_start(self, params: dict[str, Any] | None) -> None:
        await AudioServiceBackground.set_media_item(MediaItem(id="one", title="One"))
        await AudioServiceBackground.set_state(processing_state=AudioProcessingState.READY)

    async def on_play(self) -> None:
        self.calls.append("play")
        await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self) -> None:
        self.calls.append("pause")
        await AudioServiceBackground.set_state(playing=False)

    async def on_skip_to_next(self) -> None:
        self.calls.append("next")


async def test_without_controls_the_capabilities_follow_the_callbacks(
    dbus_session: PrivateSessionBus, caplog: pytest.LogCaptureFixture
) -> None:
    task = NoControlsTask()
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID))
    await core.start()
    server = MprisServer(core, identity="Example Player", bus_address=dbus_session.address)
    try:
        with caplog.at_level(logging.INFO, logger="audio_service.surfaces"):
            await server.start()
            player = Harness(core, task, server, dbus_session)  # type: ignore[arg-type]
            # GNOME Shell shows a player only while CanPlay is true; playerctl refuses
            # commands a player does not advertise.
            assert await player.get(PLAYER, "CanPlay") == "true"
            assert await player.get(PLAYER, "CanGoNext") == "true"
            assert await player.get(PLAYER, "CanGoPrevious") == "false"
            assert await player.get(PLAYER, "CanSeek") == "false"
            await player.playerctl("play")
            await player.playerctl("next")
            assert task.calls == ["play", "next"]
        told = [r.getMessage() for r in caplog.records if "publishes no controls" in r.getMessage()]
        assert len(told) == 1
        assert "(pause, play, skip_to_next)" in told[0]
        # Published controls refine them: from then on they alone decide.
        core.set_state(controls=[MediaControl.pause])
        assert await player.get(PLAYER, "CanGoNext") == "false"
    finally:
        await server.close()
        await core.shutdown()


async def test_raise_with_no_ui_starts_the_ui_from_the_desktop_entry(
    dbus_session: PrivateSessionBus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "system"))
    task = PlayerTask()
    core = ServiceCore(task, ServiceConfig(app_id=APP_ID))
    await core.start()
    events: list[object] = []
    core.custom_event_stream.listen(events.append)
    ui = False
    server = MprisServer(
        core,
        identity="Example Player",
        desktop_entry=APP_ID,
        bus_address=dbus_session.address,
        ui_present=lambda: ui,
    )
    await server.start()
    try:
        player = Harness(core, task, server, dbus_session)
        # Nothing could handle it: no UI, no entry to start one. GNOME then does not call it.
        assert await player.get(ROOT, "CanRaise") == "false"
        marker = tmp_path / "ui-started"
        install_desktop_entry(
            APP_ID, name="Example Player", exec=["sh", "-c", f"echo raised > '{marker}'"]
        )
        assert await player.get(ROOT, "CanRaise") == "true"
        await player.call(f"{ROOT}.Raise")
        for _ in range(500):  # the UI is a process of its own; its file is the only sign
            if _written(marker):
                break
            await asyncio.sleep(0.01)
        assert _written(marker)
        assert events == []
        # With a UI connected, Raise reaches it instead.
        ui = True
        _remove(marker)
        await player.call(f"{ROOT}.Raise")
        assert events == [RAISE_EVENT]
        assert not _written(marker)
    finally:
        await server.close()
        await core.shutdown()


def _written(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _remove(path: Path) -> None:
    path.unlink()
