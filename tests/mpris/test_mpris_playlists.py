"""Playlists: the browse root's children, activated with play_from_media_id."""

from __future__ import annotations

from mpris_support import (
    PLAYLISTS,
    PROPERTIES,
    Harness,
    playlist_id,
    settle,
)

from audio_service import MediaItem

PLAYLIST_SIGNALS = f"type='signal',interface='{PLAYLISTS}'"
MIX = f"(objectpath '{playlist_id('mix')}', 'Zebra mix', 'file:///art/mix.png')"
FAVOURITES = f"(objectpath '{playlist_id('favourites')}', 'Favourites', '')"


async def get_playlists(player: Harness, *args: str, check: bool = True) -> str:
    result = await player.call(f"{PLAYLISTS}.GetPlaylists", *args, check=check)
    return result.stdout.strip() if check else result.stderr


async def test_the_browse_root_is_the_playlists(player: Harness) -> None:
    listed = await get_playlists(player, "0", "10", "User", "false")
    # gdbus names the type of the first element only.
    second = FAVOURITES.replace("objectpath ", "")
    assert listed == f"([{MIX}, {second}],)"
    assert player.task.called("load_children")[-1] == "root"
    assert await player.get(PLAYLISTS, "PlaylistCount") == "uint32 2"
    assert await player.get(PLAYLISTS, "Orderings") == "['User', 'Alphabetical']"
    assert await player.get(PLAYLISTS, "ActivePlaylist") == "(false, (objectpath '/', '', ''))"


async def test_orderings_paging_and_bad_orders(player: Harness) -> None:
    alphabetical = await get_playlists(player, "0", "10", "Alphabetical", "false")
    assert alphabetical.index("Favourites") < alphabetical.index("Zebra mix")
    reverse = await get_playlists(player, "0", "10", "User", "true")
    assert reverse.index("Favourites") < reverse.index("Zebra mix")
    page = await get_playlists(player, "1", "1", "User", "false")
    assert "Favourites" in page
    assert "Zebra" not in page
    error = await get_playlists(player, "0", "10", "Played", "false", check=False)
    assert "InvalidArgs" in error


async def test_activate_playlist(player: Harness) -> None:
    await get_playlists(player, "0", "10", "User", "false")
    async with player.bus.monitor(PROPERTIES) as monitor:
        await player.call(f"{PLAYLISTS}.ActivatePlaylist", playlist_id("mix"))
        changed = await monitor.wait_for(lambda m: 'string "ActivePlaylist"' in m.text)
    assert "Zebra mix" in changed.text
    assert player.task.called("play_from_media_id") == ["mix"]
    active = await player.get(PLAYLISTS, "ActivePlaylist")
    assert active == f"(true, {MIX})"
    result = await player.call(f"{PLAYLISTS}.ActivatePlaylist", playlist_id("nope"), check=False)
    assert "InvalidArgs" in result.stderr
    assert player.task.called("play_from_media_id") == ["mix"]


async def test_changed_children_update_count_and_names(player: Harness) -> None:
    await get_playlists(player, "0", "10", "User", "false")
    async with player.bus.monitor(PROPERTIES, PLAYLIST_SIGNALS) as monitor:
        player.task.playlists = [
            MediaItem(id="mix", title="Zebra mix 2", playable=False),
            *player.task.playlists[1:],
            MediaItem(id="new", title="New", playable=False),
        ]
        player.core.notify_children_changed("root")
        renamed = await monitor.wait_for(lambda m: m.member == "PlaylistChanged")
        count = await monitor.wait_for(lambda m: 'string "PlaylistCount"' in m.text)
        await settle(player, monitor)
    assert "Zebra mix 2" in renamed.text
    assert "uint32 3" in count.text
    assert await player.get(PLAYLISTS, "PlaylistCount") == "uint32 3"
