"""A host process publishes its service on MPRIS, where real desktop clients drive it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import host_task
import pytest

from audio_service import install_desktop_entry
from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_session.testing import AudioRig, wait_until

APP_ID = "org.example.SurfaceTest"
PLAYER = "org.example.SurfaceTest"

pytestmark = pytest.mark.audio_server("pulseaudio")


@pytest.fixture
async def client(audio_rig: AudioRig) -> AsyncIterator[AudioServiceClient]:
    client = AudioServiceClient()
    client.host_launcher = HostLauncher()
    yield client
    if client.running:
        await client.stop()
    await client.disconnect()


async def _until(expected: str, rig: AudioRig, *args: str) -> str:
    """What ``playerctl args`` prints, once it prints ``expected`` (another process's view)."""

    async def matches() -> bool:
        return await rig.playerctl(*args, player=PLAYER, check=False) == expected

    await wait_until(matches, f"playerctl {' '.join(args)} to say {expected!r}", timeout=5)
    return expected


async def test_the_host_is_an_mpris_player_that_playerctl_drives(
    client: AudioServiceClient, audio_rig: AudioRig
) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID, identity="Surface Test")
    assert PLAYER in (await audio_rig.playerctl("-l")).splitlines()
    assert await audio_rig.playerctl("metadata", "xesam:title", player=PLAYER) == "Track 0"

    await audio_rig.playerctl("play", player=PLAYER)
    await client.playback_state_stream.first(lambda state: state.playing)
    await _until("Playing", audio_rig, "status")

    await audio_rig.playerctl("pause", player=PLAYER)
    await client.playback_state_stream.first(lambda state: not state.playing)
    await _until("Paused", audio_rig, "status")

    await client.stop()
    for _ in range(100):
        if PLAYER not in (await audio_rig.playerctl("-l", check=False)).splitlines():
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the MPRIS name outlived the service")


async def test_a_double_press_of_the_headset_button_skips_to_the_next_track(
    client: AudioServiceClient, audio_rig: AudioRig
) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID, headset_clicks=True)
    await audio_rig.playerctl("play-pause", player=PLAYER)
    await audio_rig.playerctl("play-pause", player=PLAYER)
    item = await client.current_media_item_stream.first(
        lambda item: item is not None and item.id == "track-1"
    )
    assert item is not None
    assert not client.playback_state.playing, "two presses are a skip, not play then pause"


async def test_mpris_can_be_turned_off(client: AudioServiceClient, audio_rig: AudioRig) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID, mpris=False)
    assert PLAYER not in (await audio_rig.playerctl("-l", check=False)).splitlines()


async def test_the_stop_key_stops_playback_and_the_player_stays_on_the_bus(
    client: AudioServiceClient, audio_rig: AudioRig
) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    await audio_rig.playerctl("play", player=PLAYER)
    await _until("Playing", audio_rig, "status")
    await audio_rig.playerctl("stop", player=PLAYER)  # what Xfce's plugin and gsd send
    await _until("Stopped", audio_rig, "status")
    assert client.running
    assert PLAYER in (await audio_rig.playerctl("-l")).splitlines()
    await audio_rig.playerctl("play", player=PLAYER)
    await _until("Playing", audio_rig, "status")
    # Quit is what ends it.
    await audio_rig.bus.gdbus_call(
        f"org.mpris.MediaPlayer2.{APP_ID}", "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Quit"
    )
    await client.running_stream.first(lambda running: not running)


async def test_the_host_names_its_desktop_entry_and_raises_only_what_can_be_raised(
    client: AudioServiceClient,
    audio_rig: AudioRig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "system"))
    install_desktop_entry(APP_ID, name="Surface Test", exec=["true"])
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    # No desktop_entry given: the app id's installed entry is the player's DesktopEntry.
    assert await _root_property(audio_rig, "DesktopEntry") == f"(<'{APP_ID}'>,)"
    assert await _root_property(audio_rig, "CanRaise") == "(<true>,)"  # the UI is connected
    await client.disconnect()
    assert await _root_property(audio_rig, "CanRaise") == "(<true>,)"  # the entry can start one
    await client.connect(app_id=APP_ID)


async def test_can_raise_follows_the_ui_when_there_is_no_entry(
    client: AudioServiceClient,
    audio_rig: AudioRig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "system"))
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    assert await _root_property(audio_rig, "CanRaise") == "(<true>,)"
    async with audio_rig.bus.monitor("type='signal',member='PropertiesChanged'") as monitor:
        await client.disconnect()  # the UI closed: nothing would handle a Raise
        await monitor.wait_for(lambda m: 'string "CanRaise"' in m.text)
    assert await _root_property(audio_rig, "CanRaise") == "(<false>,)"
    await client.connect(app_id=APP_ID)
    assert await _root_property(audio_rig, "CanRaise") == "(<true>,)"


async def _root_property(rig: AudioRig, name: str) -> str:
    result = await rig.bus.gdbus_call(
        f"org.mpris.MediaPlayer2.{APP_ID}",
        "/org/mpris/MediaPlayer2",
        "org.freedesktop.DBus.Properties.Get",
        "org.mpris.MediaPlayer2",
        name,
    )
    return str(result.stdout.strip())
