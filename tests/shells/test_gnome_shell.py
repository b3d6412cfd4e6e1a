"""GNOME Shell 43's media card and gsd-media-keys, real ones, driving the demo's service.

The card is read and its buttons clicked through ``org.gnome.Shell.Eval`` (the
shell runs in unsafe mode); media keys are pressed on the X server with xdotool,
so they travel as on a desktop: X → mutter → GNOME Shell's key grab →
gsd-media-keys → MPRIS call to the service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import shell_tasks
from shell_desktops import GnomeDesktop

from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_service._model._models import MediaItem
from audio_service._surfaces._linux._mpris._ids import bus_name_for
from audio_service.demo._task import APP_ID
from audio_session.testing import AudioRig, wait_until

PLAYER = bus_name_for(APP_ID)
T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T]], ok: Callable[[T], bool], what: str) -> T:
    """The first value of ``probe()`` that is ``ok``, polled (the shell sends no events)."""

    async def check() -> tuple[T] | None:
        value = await probe()
        return (value,) if ok(value) else None

    (value,) = await wait_until(check, what, 5, interval=0.025)
    return value


def card_of(cards: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((card for card in cards if card["bus_name"] == PLAYER), None)


async def card(desktop: GnomeDesktop, ok: Callable[[dict[str, Any]], bool], what: str) -> Any:
    async def probe() -> dict[str, Any] | None:
        return card_of(await desktop.cards())

    return await until(probe, lambda c: c is not None and ok(c), what)


def current(client: AudioServiceClient) -> MediaItem:
    item = client.current_media_item
    assert item is not None
    return item


async def item_after(client: AudioServiceClient, previous: MediaItem) -> MediaItem:
    item = await client.current_media_item_stream.first(
        lambda item: item is not None and item.id != previous.id
    )
    assert item is not None
    return item


async def test_the_media_card_shows_the_demo_and_its_buttons_drive_it(
    gnome_desktop: GnomeDesktop, gnome_demo: AudioServiceClient, tmp_path: Path
) -> None:
    first = current(gnome_demo)
    shown = await card(gnome_desktop, lambda c: c["title"] == first.title, "the demo's card")
    assert shown["body"] == first.artist
    assert shown["cover"] == first.art_uri
    assert str(first.art_uri).startswith("file://")
    assert shown["play_icon"] == "media-playback-start-symbolic"
    assert not shown["previous_reactive"], "the first track has no previous one"
    assert shown["next_reactive"]

    await gnome_desktop.press(PLAYER, "_playPauseButton")
    await gnome_demo.playback_state_stream.first(lambda state: state.playing)
    await card(gnome_desktop, lambda c: c["play_icon"] == "media-playback-pause-symbolic", "pause")

    await gnome_desktop.press(PLAYER, "_nextButton")
    second = await item_after(gnome_demo, first)
    shown = await card(gnome_desktop, lambda c: c["title"] == second.title, "the next title")
    assert shown["previous_reactive"]

    # A person's view of it: the calendar menu open on the card.
    await gnome_desktop.eval("Main.panel.statusArea.dateMenu.menu.open(), null")
    screenshot = tmp_path / "gnome-media-card.png"
    await gnome_desktop.screenshot(screenshot)
    await gnome_desktop.eval("Main.panel.statusArea.dateMenu.menu.close(), null")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {screenshot}")

    await gnome_desktop.press(PLAYER, "_prevButton")
    back = await item_after(gnome_demo, second)
    assert back.id == first.id
    await card(gnome_desktop, lambda c: c["title"] == first.title, "the first title again")

    await gnome_desktop.press(PLAYER, "_playPauseButton")
    await gnome_demo.playback_state_stream.first(lambda state: not state.playing)
    await card(gnome_desktop, lambda c: c["play_icon"] == "media-playback-start-symbolic", "play")

    await gnome_demo.stop()
    await until(gnome_desktop.cards, lambda cards: card_of(cards) is None, "the card gone")


async def test_media_keys_reach_the_demo_through_gsd_media_keys(
    gnome_desktop: GnomeDesktop, gnome_demo: AudioServiceClient
) -> None:
    first = current(gnome_demo)
    await gnome_desktop.key("XF86AudioPlay")
    await gnome_demo.playback_state_stream.first(lambda state: state.playing)

    await gnome_desktop.key("XF86AudioNext")
    second = await item_after(gnome_demo, first)

    await gnome_desktop.key("XF86AudioPrev")
    assert (await item_after(gnome_demo, second)).id == first.id

    await gnome_desktop.key("XF86AudioPlay")
    await gnome_demo.playback_state_stream.first(lambda state: not state.playing)


async def test_the_stop_key_stops_playback_and_the_player_stays(
    gnome_desktop: GnomeDesktop, gnome_demo: AudioServiceClient
) -> None:
    await gnome_desktop.key("XF86AudioPlay")
    await gnome_demo.playback_state_stream.first(lambda state: state.playing)
    await gnome_desktop.key("XF86AudioStop")
    await gnome_demo.playback_state_stream.first(lambda state: not state.playing)
    # gsd's Stop reaches the service as MPRIS Stop; the spec keeps the player.
    assert gnome_demo.running
    await card(gnome_desktop, lambda c: True, "the card still there after Stop")
    await gnome_desktop.key("XF86AudioPlay")
    await gnome_demo.playback_state_stream.first(lambda state: state.playing)


async def test_a_task_without_controls_appears_in_gnome_shell(
    gnome_desktop: GnomeDesktop, gnome_rig: AudioRig
) -> None:
    name = bus_name_for("org.example.NoControls")
    client = AudioServiceClient()
    client.host_launcher = HostLauncher()
    assert await client.start(shell_tasks.no_controls_entrypoint, app_id="org.example.NoControls")
    try:
        # Once the shell has read CanPlay it has decided whether to show a card.
        can_play = await until(
            lambda: gnome_desktop.seen_can_play(name), lambda v: v is not None, "CanPlay read"
        )
        cards = await gnome_desktop.cards()
    finally:
        await client.stop()
        await client.disconnect()
    assert can_play, "GNOME Shell read CanPlay=false: no card"
    assert any(card["bus_name"] == name for card in cards)
