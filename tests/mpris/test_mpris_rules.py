"""The spec's rules: change signals, Seeked, and bad input that must change nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from mpris_support import PLAYER, PROPERTIES, Harness, settle, track_id

from audio_service import AudioServiceRepeatMode
from audio_session.testing import DBusMonitor, MonitoredMessage

PLAYER_SIGNALS = f"type='signal',interface='{PLAYER}'"


def is_seeked(message: MonitoredMessage) -> bool:
    return message.member == "Seeked"


def seeked_positions(monitor: DBusMonitor) -> list[int]:
    return [int(m.body[0].split()[1]) for m in monitor.find(is_seeked)]


async def test_changes_are_signalled_but_never_the_position(player: Harness) -> None:
    async with player.bus.monitor(PROPERTIES, PLAYER_SIGNALS) as monitor:
        await player.playerctl("play")
        changed = await monitor.wait_for(lambda m: 'string "PlaybackStatus"' in m.text)
        assert changed.member == "PropertiesChanged"
        assert 'string "Playing"' in changed.text
        await player.playerctl("position", "42")
        await player.playerctl("next")
        await monitor.wait_for(lambda m: 'string "Metadata"' in m.text)
        await settle(player, monitor)
    for message in monitor.find(lambda m: m.member == "PropertiesChanged"):
        assert 'string "Position"' not in message.text
        assert 'string "CanControl"' not in message.text


async def test_seeks_and_track_changes_emit_seeked(player: Harness) -> None:
    async with player.bus.monitor(PROPERTIES, PLAYER_SIGNALS) as monitor:
        await player.playerctl("position", "30")
        await monitor.wait_for(is_seeked)
        assert seeked_positions(monitor) == [30_000_000]
        # A seek within a second of the position is no jump, but still a seek.
        await player.playerctl("position", "30.5")
        await monitor.wait_for(lambda m: is_seeked(m) and "30500000" in m.text)
        await player.playerctl("next")
        await monitor.wait_for(lambda m: is_seeked(m) and m.body[0] == "int64 0")
        await settle(player, monitor)
    assert seeked_positions(monitor) == [30_000_000, 30_500_000, 0]


async def test_a_jump_by_the_task_emits_seeked_and_steady_updates_do_not(
    player: Harness,
) -> None:
    async with player.bus.monitor(PROPERTIES, PLAYER_SIGNALS) as monitor:
        # Re-stated state without a jump (the timeline continues): no Seeked.
        player.core.set_state(repeat_mode=AudioServiceRepeatMode.ALL)
        player.core.set_state(position=player.core.position() + timedelta(milliseconds=200))
        await settle(player, monitor)
        assert monitor.find(is_seeked) == []
        player.core.set_state(position=timedelta(seconds=95))
        message = await monitor.wait_for(is_seeked)
        assert message.body == ["int64 95000000"]


async def test_set_position_ignores_stale_ids_and_bad_positions(player: Harness) -> None:
    method = f"{PLAYER}.SetPosition"
    async with player.bus.monitor(PROPERTIES, PLAYER_SIGNALS) as monitor:
        await player.call(method, track_id("song-3"), "10000000")  # not the current track
        await player.call(method, "/org/mpris/MediaPlayer2/TrackList/NoTrack", "10000000")
        await player.call(method, "--", track_id("song-0"), "-5")
        await player.call(method, track_id("song-0"), "180000001")  # past the end
        await settle(player, monitor)
        assert player.task.called("seek_to") == []
        assert monitor.find(is_seeked) == []
        await player.call(method, track_id("song-0"), "180000000")
        await monitor.wait_for(is_seeked)
    assert player.task.called("seek_to") == [timedelta(minutes=3)]


async def test_seek_clamps_at_zero_and_past_the_end_is_next(player: Harness) -> None:
    await player.call(f"{PLAYER}.Seek", "--", "-5000000")
    assert player.task.called("seek_to") == [timedelta(0)]
    await player.call(f"{PLAYER}.Seek", "500000000")
    assert player.task.called("seek_to") == [timedelta(0)]
    assert player.task.called("skip_to_queue_item") == ["song-1"]


async def test_bad_rate_and_loop_status_are_errors_that_change_nothing(player: Harness) -> None:
    for value in ("<nan>", "<inf>", "<-1.0>", "<8.0>", "<0.1>"):
        result = await player.set(PLAYER, "Rate", value, check=False)
        assert result.returncode != 0, value
        assert "InvalidArgs" in result.stderr, (value, result.stderr)
    result = await player.set(PLAYER, "LoopStatus", "<'Forever'>", check=False)
    assert "InvalidArgs" in result.stderr
    result = await player.set(PLAYER, "Rate", "<'fast'>", check=False)
    assert result.returncode != 0
    assert player.task.called("set_speed") == []
    assert player.task.called("set_repeat_mode") == []
    assert await player.playerctl("status") == "Paused"


async def test_rate_zero_pauses(player: Harness) -> None:
    await player.playerctl("play")
    await player.set(PLAYER, "Rate", "<0.0>")
    assert player.task.called("pause") == [None]
    assert player.task.called("set_speed") == []
    assert await player.playerctl("status") == "Paused"


async def test_volume_clamps_negative_values_and_reports_failures(player: Harness) -> None:
    await player.set(PLAYER, "Volume", "<-0.5>")
    assert player.task.called("set_volume") == [0.0]
    assert await player.get(PLAYER, "Volume") == "0.0"
    result = await player.set(PLAYER, "Volume", "<2.0>", check=False)  # the task raises
    assert "TaskFailed" in result.stderr
    assert "the amplifier refuses" in result.stderr
    assert await player.get(PLAYER, "Volume") == "0.0"


async def test_a_raising_callback_is_a_dbus_error_and_the_service_lives_on(
    player: Harness,
) -> None:
    result = await player.call(f"{PLAYER}.OpenUri", "file:///boom.ogg", check=False)
    assert result.returncode != 0
    assert "org.audioservicekit.Error.TaskFailed" in result.stderr
    assert "cannot decode that" in result.stderr
    assert player.core.running
    await player.playerctl("play")
    assert await player.playerctl("status") == "Playing"


async def test_a_callback_that_outlasts_the_reply_does_not_hold_the_client(
    player: Harness,
) -> None:
    release = asyncio.Event()

    async def play_until_released() -> None:
        player.core.set_state(playing=True)
        await release.wait()

    player.task.on_play = play_until_released  # type: ignore[method-assign]
    # Answered after reply_after (0.5 s) although the callback still runs.
    await asyncio.wait_for(player.playerctl("play"), 5)
    assert await player.playerctl("status") == "Playing"
    release.set()


async def test_open_uri_needs_an_absolute_uri(player: Harness) -> None:
    result = await player.call(f"{PLAYER}.OpenUri", "song.ogg", check=False)
    assert "InvalidArgs" in result.stderr
    assert player.task.called("play_from_uri") == []
