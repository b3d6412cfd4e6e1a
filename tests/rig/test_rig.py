"""The rig is real: real servers, real clients, and it cleans up after itself."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

import pytest
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusStr
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property
from dbus_fast.service import signal as dbus_signal

from audio_session.testing import (
    SPEAKER,
    AudioRig,
    AudioServer,
    ForeignStream,
    PrivateSessionBus,
    RigError,
    SinkInput,
    session_members,
)


async def test_null_speaker_is_listed_by_pactl(audio_server: AudioServer) -> None:
    result = await audio_server.pactl("list", "short", "sinks")
    names = [line.split("\t")[1] for line in result.stdout.splitlines()]
    assert SPEAKER in names
    assert await audio_server.default_sink() == SPEAKER


async def test_headphones_can_be_added_made_default_and_removed(audio_server: AudioServer) -> None:
    sink = await audio_server.add_sink(
        "rig_headphones", description="Rig Headphones", form_factor="headphone", bus="usb"
    )
    listed = {s["name"]: s for s in await audio_server.sinks()}
    assert listed["rig_headphones"]["properties"]["device.form_factor"] == "headphone"
    assert listed["rig_headphones"]["properties"]["device.bus"] == "usb"
    assert listed["rig_headphones"]["properties"]["device.description"] == "Rig Headphones"

    await audio_server.set_default_sink(sink)
    assert (await audio_server.pactl("get-default-sink")).stdout.strip() == "rig_headphones"

    await audio_server.remove_sink(sink)
    assert "rig_headphones" not in await audio_server.sink_names()
    # The server falls back to another sink once the default one vanishes.
    assert await audio_server.default_sink() != "rig_headphones"


@pytest.mark.audio_server("pipewire")
async def test_pipewire_reports_the_speaker_while_wireplumber_names_no_default(
    audio_server: AudioServer,
) -> None:
    # As with real sinks: a client never sees "@DEFAULT_SINK@", a default output no
    # sink has, while WirePlumber is yet to choose one.
    def metadata(*args: str) -> None:
        subprocess.run(
            ["pw-metadata", *args], env=audio_server.env, check=True, capture_output=True
        )

    metadata("-d", "0", "default.audio.sink")
    try:
        seen = set()
        for _ in range(25):  # pipewire-pulse learns of the change a moment later
            seen.add(await audio_server.default_sink())
            await asyncio.sleep(0.02)
        assert seen == {SPEAKER}
    finally:
        metadata("0", "default.audio.sink", '{ "name": "speaker" }', "Spa:String:JSON")


async def test_foreign_stream_carries_its_role_and_plays_on_the_chosen_sink(
    audio_server: AudioServer,
) -> None:
    other = await audio_server.add_sink("rig_usb", form_factor="headset", bus="usb")
    stream = await audio_server.play("event", sink=other)
    found = await stream.wait_connected()
    assert found.role == "event"
    sinks = {s["index"]: s["name"] for s in await audio_server.sinks()}
    assert sinks[found.sink] == "rig_usb"
    stream.stop()
    assert await stream.sink_input() is None


@pytest.mark.audio_server("pulseaudio")
async def test_pulseaudio_phone_stream_corks_a_music_stream(audio_server: AudioServer) -> None:
    music = await audio_server.play("music")
    before = await music.wait_connected()
    assert not before.corked

    async with await audio_server.play("phone") as _call:
        corked = await _wait_for_stream(music, corked=True)
        assert corked.mute, "role-cork mutes the stream it corks"
        assert "request-cork" in music.log

    uncorked = await _wait_for_stream(music, corked=False)
    assert not uncorked.mute
    assert "request-uncork" in music.log


@pytest.mark.audio_server("pipewire")
async def test_pipewire_sends_no_cork_which_is_the_gap_we_fill(audio_server: AudioServer) -> None:
    info = await audio_server.server_info()
    assert "PipeWire" in info["server_name"]
    music = await audio_server.play("music")
    async with await audio_server.play("phone"):
        listed = await music.wait_connected()
        assert not listed.corked
        assert not listed.mute
    assert "request-cork" not in music.log


class _Root(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.mpris.MediaPlayer2")

    @dbus_property(access=PropertyAccess.READ)
    def Identity(self) -> DBusStr:
        return "Rig Test"

    @dbus_signal()
    def Ping(self) -> DBusStr:
        return "pong"


async def test_dbus_fast_service_is_seen_by_playerctl_gdbus_and_dbus_monitor(
    dbus_session: PrivateSessionBus,
) -> None:
    bus = await MessageBus(bus_address=dbus_session.address).connect()
    try:
        root = _Root()
        bus.export("/org/mpris/MediaPlayer2", root)
        await bus.request_name("org.mpris.MediaPlayer2.rigtest")

        assert "rigtest" in (await dbus_session.playerctl("-l")).splitlines()
        xml = await dbus_session.gdbus_introspect(
            "org.mpris.MediaPlayer2.rigtest", "/org/mpris/MediaPlayer2"
        )
        assert "interface org.mpris.MediaPlayer2" in xml
        assert "Identity = 'Rig Test'" in xml

        async with dbus_session.monitor("type='signal',member='Ping'") as monitor:
            root.Ping()
            message = await monitor.wait_for(lambda m: m.member == "Ping")
            assert message.interface == "org.mpris.MediaPlayer2"
            assert 'string "pong"' in message.text
    finally:
        bus.disconnect()
        await bus.wait_for_disconnect()


async def test_monitor_times_out_with_a_clear_error(dbus_session: PrivateSessionBus) -> None:
    async with dbus_session.monitor("type='signal',member='Never'") as monitor:
        with pytest.raises(RigError, match="no matching D-Bus message"):
            await monitor.wait_for(lambda m: True, timeout=0.2)


@pytest.mark.parametrize("flavour", ["pulseaudio", "pipewire"])
def test_teardown_stops_everything_it_started_and_nothing_else(flavour: str) -> None:
    bystander = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        rig = AudioRig.start(flavour)  # type: ignore[arg-type]
        leaders = [process.pid for process in rig.processes]
        assert len(leaders) == (2 if flavour == "pulseaudio" else 5)
        started = {pid for leader in leaders for pid in session_members(leader)}
        assert set(leaders) <= started
        root = rig.root

        rig.stop()

        assert not [pid for leader in leaders for pid in session_members(leader)]
        assert not _alive(started)
        assert not root.exists()
        assert bystander.poll() is None, "the rig must not stop what it did not start"
    finally:
        bystander.send_signal(signal.SIGTERM)
        bystander.wait()


def test_server_restart_keeps_the_socket_and_the_speaker(pulseaudio_server: AudioServer) -> None:
    old = [process.pid for process in pulseaudio_server.processes]
    pulseaudio_server.restart()
    assert [process.pid for process in pulseaudio_server.processes] != old
    assert not _alive(set(old))
    assert pulseaudio_server._pactl_sync("get-default-sink").stdout.strip() == SPEAKER


async def test_a_killed_server_comes_back_with_start_again(audio_server: AudioServer) -> None:
    old = [process.pid for process in audio_server.processes]
    audio_server.kill()
    assert not _alive(set(old))
    audio_server.start_again()
    assert all(process.running for process in audio_server.processes)
    assert await audio_server.default_sink() == SPEAKER
    sink = await audio_server.add_sink("rig_after_crash", form_factor="headphone")
    await audio_server.remove_sink(sink)


def test_rig_activation_points_the_environment_at_the_rig_and_restores_it(
    pulseaudio_server: AudioServer,
) -> None:
    before = dict(os.environ)
    with AudioRig(server=pulseaudio_server).open() as rig:
        with rig.activate():
            assert os.environ["PULSE_SERVER"] == pulseaudio_server.pulse_server
            assert os.environ["DBUS_SESSION_BUS_ADDRESS"] == rig.bus.address
            assert os.environ["XDG_RUNTIME_DIR"] == str(rig.runtime_dir)
            assert (rig.runtime_dir.stat().st_mode & 0o777) == 0o700
        assert dict(os.environ) == before
    assert pulseaudio_server.processes[0].running, "a shared server outlives the rig"


async def _wait_for_stream(stream: ForeignStream, *, corked: bool) -> SinkInput:
    for _ in range(300):
        found = await stream.sink_input()
        if found is not None and found.corked == corked:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"stream never became corked={corked}")


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.add(pid)
    return alive


async def test_stopping_the_rig_stops_a_service_host_the_test_forgot() -> None:
    import forgotten_host

    from audio_service import AudioServiceClient
    from audio_service._connect._remote import HostLauncher

    rig = AudioRig.start(None)
    try:
        with rig.activate():
            client = AudioServiceClient()
            client.host_launcher = HostLauncher(start_timeout=20)
            assert await client.start(forgotten_host.entrypoint, app_id="o.forgotten", mpris=False)
            pid = await client.custom_action("pid")
            await client.disconnect()  # and no stop(): the host lives on, detached
            assert pid != os.getpid()
            os.kill(pid, 0)
    finally:
        rig.stop()
    assert _gone(pid), "the host outlived the rig"


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"  # a zombie is gone
    except OSError:
        return True
