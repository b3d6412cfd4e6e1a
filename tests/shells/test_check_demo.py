"""``audio-service check`` on our own player: services in host processes.

Run as a user would, from another process, while the demo is paused and while it plays;
and as a library while a service loads its first track.
"""

from __future__ import annotations

import asyncio
import json
import sys

import shell_tasks

from audio_service._api._client import AudioServiceClient
from audio_service._conformance import CheckOptions, Verdict, check_player
from audio_service._connect._remote import HostLauncher
from audio_service._surfaces._linux._mpris._ids import bus_name_for
from audio_service.demo._task import APP_ID
from audio_session.testing import AudioRig
from audio_session.testing._process import run_command

PLAYER = bus_name_for(APP_ID)
DESKTOP_CHECKS = ("desktop-entry", "xfce-desktop-file")
NO_CONTROLS = "org.example.NoControls"
LATE_TRACK = "org.example.LateTrack"


async def check(rig: AudioRig) -> tuple[int, dict[str, str], str]:
    """Exit status, verdict per check, and the table, of ``audio-service check PLAYER``."""
    command = (sys.executable, "-m", "audio_service.cli", "check", "--watch", "0.5", PLAYER)
    result = await run_command((*command, "--json"), rig.env, check=False, timeout=30)
    [report] = json.loads(result.stdout)["players"]
    verdicts = {finding["check"]: finding["verdict"] for finding in report["findings"]}
    details = "\n".join(f"{f['verdict']} {f['check']}: {f['detail']}" for f in report["findings"])
    return result.returncode, verdicts, details


async def test_the_demo_passes_the_checks_paused_and_playing(
    gnome_rig: AudioRig, gnome_demo: AudioServiceClient
) -> None:
    status, verdicts, details = await check(gnome_rig)
    assert status == 0, details
    assert len(verdicts) == 15
    assert {c: v for c, v in verdicts.items() if v != "pass"}.keys() <= set(DESKTOP_CHECKS)

    await gnome_demo.play()
    await gnome_demo.playback_state_stream.first(lambda state: state.playing)
    status, verdicts, details = await check(gnome_rig)
    assert status == 0, details
    assert {c: v for c, v in verdicts.items() if v != "pass"}.keys() <= set(DESKTOP_CHECKS)
    assert "back at" in details, "Seeked was checked while playing"


async def test_the_demo_has_an_installed_desktop_entry(
    gnome_rig: AudioRig, gnome_demo: AudioServiceClient
) -> None:
    _, verdicts, details = await check(gnome_rig)
    assert [verdicts[c] for c in DESKTOP_CHECKS] == ["pass", "pass"], details


async def test_a_task_without_controls_passes_can_play(gnome_rig: AudioRig) -> None:
    client = AudioServiceClient()
    client.host_launcher = HostLauncher()
    assert await client.start(shell_tasks.no_controls_entrypoint, app_id=NO_CONTROLS)
    try:
        command = (sys.executable, "-m", "audio_service.cli", "check", "--json", "--watch", "0.2")
        result = await run_command(
            (*command, bus_name_for(NO_CONTROLS)), gnome_rig.env, check=False, timeout=30
        )
    finally:
        await client.stop()
        await client.disconnect()
    [report] = json.loads(result.stdout)["players"]
    verdicts = {finding["check"]: finding for finding in report["findings"]}
    assert verdicts["can-play"]["verdict"] == "pass", verdicts["can-play"]["detail"]


async def test_our_player_signals_can_play_when_its_first_track_loads(gnome_rig: AudioRig) -> None:
    client = AudioServiceClient()
    client.host_launcher = HostLauncher()
    assert await client.start(shell_tasks.late_track_entrypoint, app_id=LATE_TRACK)
    try:
        async with gnome_rig.bus.monitor("type='method_call',member='GetAll'") as monitor:
            checking = asyncio.create_task(
                check_player(
                    bus_name_for(LATE_TRACK),
                    bus_address=gnome_rig.bus.address,
                    options=CheckOptions(watch=1.0),
                )
            )
            # The track loads once the checker holds the player's first state: nothing.
            await monitor.wait_for(lambda m: "org.mpris.MediaPlayer2.Player" in m.text)
            await client.custom_action("load")
            report = await checking
    finally:
        await client.stop()
        await client.disconnect()
    signalled = next(f for f in report.findings if f.check == "can-play-signalled")
    assert signalled.verdict is Verdict.PASS
    assert signalled.detail.startswith("signalled"), signalled.detail
    assert report.verdict_of("can-play") is Verdict.PASS
    assert not report.failed
