"""The client's lifecycle as an app sees it: restart, whose service, what disconnect leaves.

Host mode and in-process mode must agree; each test runs in both where both apply.
"""

from __future__ import annotations

import asyncio
import os

import host_task
import pytest

from audio_service import AudioServiceClient, AudioServiceError, PlaybackState
from audio_service._connect._remote import HostLauncher

# Exit delays of the task's on_stop: most stops are quick, some take up to a second.
EXIT_DELAYS = [0.0, 0.0, 0.001, 0.0, 0.01, 0.0, 0.05, 0.0, 0.1, 0.0] * 2
EXIT_DELAYS[7] = 0.5
EXIT_DELAYS[15] = 1.0


@pytest.mark.parametrize("in_process", [False, True], ids=["host", "in-process"])
async def test_start_stop_start_play_twenty_times(
    client: AudioServiceClient, in_process: bool
) -> None:
    # The old connection's late "connection lost" used to land on the new one, so the
    # second start() returned True with the client disconnected.
    for round_, delay in enumerate(EXIT_DELAYS):
        params = {"exit_delay": delay}
        assert await client.start(host_task.entrypoint, params, in_process=in_process)
        assert client.connected
        await client.play()
        assert client.playback_state.playing
        await client.stop()
        assert not client.running
        if round_ % 7 == 3:
            await client.disconnect()


async def test_start_without_an_app_id_starts_the_callers_own_service(
    client: AudioServiceClient,
) -> None:
    other = AudioServiceClient()
    other.host_launcher = HostLauncher()
    assert await other.start(host_task.entrypoint, app_id="o.Else")
    try:
        other_pid = await other.custom_action("pid")
        # The only running service is another app's: start() must not drive it.
        assert await client.start(host_task.entrypoint)
        assert client.config is not None
        assert client.config.app_id == "host_task.entrypoint"
        assert await client.custom_action("pid") != other_pid
        # Started again, the same app's service is found: False, and connected to it.
        again = AudioServiceClient()
        again.host_launcher = HostLauncher()
        assert not await again.start(host_task.entrypoint)
        assert await again.custom_action("pid") == await client.custom_action("pid")
        await again.disconnect()
    finally:
        await other.stop()
        await other.disconnect()


async def test_start_for_another_app_switches_the_client(client: AudioServiceClient) -> None:
    assert await client.start(host_task.entrypoint, app_id="o.A")
    pid_a = await client.custom_action("pid")
    assert await client.start(host_task.entrypoint, app_id="o.B"), "B was not running"
    assert client.config is not None
    assert client.config.app_id == "o.B"
    pid_b = await client.custom_action("pid")
    assert pid_b != pid_a
    await client.stop()
    # A still runs: asked for again, the client switches back and start() says so.
    assert not await client.start(host_task.entrypoint, app_id="o.A")
    assert await client.custom_action("pid") == pid_a
    await client.connect("o.A")
    assert await client.custom_action("pid") == pid_a


async def test_one_in_process_service_per_process_is_said_clearly(
    client: AudioServiceClient,
) -> None:
    assert await client.start(host_task.entrypoint, in_process=True, app_id="o.A")
    with pytest.raises(AudioServiceError, match=r"o\.A"):
        await client.start(host_task.entrypoint, in_process=True, app_id="o.B")
    assert client.running


@pytest.mark.parametrize("in_process", [False, True], ids=["host", "in-process"])
async def test_disconnect_keeps_the_last_values_and_ends_the_listeners(
    client: AudioServiceClient, in_process: bool
) -> None:
    assert await client.start(host_task.entrypoint, in_process=in_process)
    await client.play()
    seen: list[PlaybackState] = []
    client.playback_state_stream.listen(seen.append)
    client.position_stream.listen(lambda _: None)
    iterated: list[bool] = []

    subscription = client.running_stream.subscribe()

    async def iterate() -> None:
        async for running in subscription:
            iterated.append(running)

    loop_task = asyncio.create_task(iterate())
    connected = client.connected_stream.first(lambda value: not value)
    watcher = asyncio.create_task(connected)
    listeners = [t for t in asyncio.all_tasks() if t.get_name().startswith("listener of")]
    assert listeners

    await client.disconnect()

    # Nothing invented: the service plays on, and the client says it is no longer following.
    assert client.playback_state.playing
    assert client.current_media_item is not None
    assert [item.id for item in client.queue] == ["track-0", "track-1", "track-2"]
    assert not client.connected
    assert await asyncio.wait_for(watcher, 5) is False
    # Every subscription ended on its own: no task left pending at exit.
    await asyncio.wait_for(asyncio.gather(*listeners, loop_task), 5)
    assert all(not task.cancelled() for task in listeners)
    assert all(state.playing for state in seen[1:]), "no idle state after disconnect"
    assert iterated == [True]

    # Connected again, the streams are live again.
    await client.connect("host_task.entrypoint", in_process=in_process)
    assert client.connected
    assert client.running
    await client.pause()
    assert not client.playback_state.playing


async def test_a_host_that_dies_still_reads_as_stopped(client: AudioServiceClient) -> None:
    assert await client.start(host_task.entrypoint)
    await client.play()
    pid = await client.custom_action("pid")
    os.kill(pid, 9)
    await asyncio.wait_for(client.running_stream.first(lambda running: not running), 5)
    assert not client.connected
    assert not client.playback_state.playing
