"""Xfce's PulseAudio plugin (xfce4-pulseaudio-plugin 0.4.5), a real one, driving the demo.

Media keys grabbed by the plugin reach every player it knows. Its menu lists a
player only when ``applications/<bus-name suffix>.desktop`` is installed when the
player first appears: a file installed later is not seen until the panel restarts,
so the test that installs one uses a bus name the panel has not met. The menu is a
GTK popup with no API: the tests find it by its window (a row per player makes it
taller) and click its buttons with xdotool.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from shell_desktops import XfcePanel
from shell_tasks import start_demo

from audio_service._api._client import AudioServiceClient
from audio_service.demo._catalogue import Catalogue
from audio_service.demo._task import APP_ID, IDENTITY
from audio_session.testing import AudioRig

#: The demo under names of its own: with a desktop file from the start, and without one.
LISTED_APP_ID = "audio_service_demo_xfce"
HIDDEN_APP_ID = "audio_service_demo_hidden"

#: How much taller a player's row makes the menu (43 px with Debian 12's default theme).
PLAYER_ROW = 30
#: The play and next buttons of the first player row, from the menu's top-right corner.
PLAY_BUTTON = (-60, 67)
NEXT_BUTTON = (-25, 67)


async def known(panel: XfcePanel, app_id: str = APP_ID) -> None:
    for _ in range(200):
        if app_id in await panel.known_players():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"the plugin did not pick up {app_id}")


async def test_media_keys_reach_the_demo_through_the_xfce_plugin(
    xfce_panel: XfcePanel, gnome_demo: AudioServiceClient
) -> None:
    await known(xfce_panel)
    first = gnome_demo.current_media_item
    assert first is not None

    await xfce_panel.key("XF86AudioPlay")
    await gnome_demo.playback_state_stream.first(lambda state: state.playing)
    await xfce_panel.key("XF86AudioNext")
    await gnome_demo.current_media_item_stream.first(
        lambda item: item is not None and item.id != first.id
    )
    await xfce_panel.key("XF86AudioPlay")
    await gnome_demo.playback_state_stream.first(lambda state: not state.playing)


async def test_without_a_desktop_file_the_menu_hides_the_demo(
    xfce_panel: XfcePanel, gnome_rig: AudioRig, demo_catalogue: Catalogue
) -> None:
    before = await xfce_panel.open_menu()
    await xfce_panel.close_menu()
    client = await start_demo(demo_catalogue, HIDDEN_APP_ID)
    try:
        await known(xfce_panel, HIDDEN_APP_ID)
        after = await xfce_panel.open_menu()
        await xfce_panel.close_menu()
    finally:
        await client.stop()
        await client.disconnect()
    assert after["HEIGHT"] == before["HEIGHT"], "the menu grew a row for the demo"


async def test_with_its_desktop_file_the_menu_shows_the_demo_and_drives_it(
    xfce_panel: XfcePanel, gnome_rig: AudioRig, demo_catalogue: Catalogue, tmp_path: Path
) -> None:
    desktop_file = xfce_panel.data_home / "applications" / f"{LISTED_APP_ID}.desktop"
    desktop_file.write_text(f"[Desktop Entry]\nType=Application\nName={IDENTITY}\nExec=true\n")
    before = await xfce_panel.open_menu()
    await xfce_panel.close_menu()
    client = await start_demo(demo_catalogue, LISTED_APP_ID)
    try:
        await known(xfce_panel, LISTED_APP_ID)
        first = client.current_media_item
        assert first is not None
        menu = await xfce_panel.open_menu()
        await xfce_panel.screenshot(tmp_path / "xfce-menu.png")
        # The only row: players without a desktop file get none.
        assert menu["HEIGHT"] >= before["HEIGHT"] + PLAYER_ROW, menu
        right = menu["X"] + menu["WIDTH"]
        await xfce_panel.click(right + PLAY_BUTTON[0], menu["Y"] + PLAY_BUTTON[1])
        await client.playback_state_stream.first(lambda state: state.playing)
        await xfce_panel.click(right + NEXT_BUTTON[0], menu["Y"] + NEXT_BUTTON[1])
        await client.current_media_item_stream.first(
            lambda item: item is not None and item.id != first.id
        )
        await xfce_panel.close_menu()
    finally:
        await client.stop()
        await client.disconnect()
        desktop_file.unlink()
