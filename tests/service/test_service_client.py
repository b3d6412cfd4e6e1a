"""The AudioService client in in-process mode, end to end."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest

from audio_service import (
    AudioProcessingState,
    AudioService,
    AudioServiceBackground,
    AudioServiceClient,
    BackgroundAudioTask,
    MediaItem,
    MediaQueue,
    NotConnectedError,
    PlaybackState,
    ServiceConfig,
    ServiceNotRunningError,
    TaskError,
)
from audio_service._api import _client as client_module
from audio_service._connect._connection import ServiceConnection
from audio_service._connect._inprocess import InProcessLauncher
from audio_service._connect._remote import HostLauncher
from service_support import (
    REQUEST_TABLE,
    FakeClock,
    RecordingTask,
    item,
    last_task,
    recording_entrypoint,
)

pytestmark = pytest.mark.usefixtures("no_leftover_service")

READY = AudioProcessingState.READY


class PlayerTask(BackgroundAudioTask):
    """A small player: a queue of three items, play/pause/seek/speed publish state."""

    release_seek: asyncio.Event | None = None

    async def on_start(self, params: dict[str, Any] | None) -> None:
        queue = [item(name, duration=timedelta(minutes=3)) for name in "abc"]
        await AudioServiceBackground.set_queue(queue)
        await AudioServiceBackground.set_media_item(queue[0])
        await AudioServiceBackground.set_state(processing_state=READY, queue_index=0)

    async def on_play(self) -> None:
        await AudioServiceBackground.set_state(playing=True)

    async def on_pause(self) -> None:
        await AudioServiceBackground.set_state(playing=False)

    async def on_seek_to(self, position: timedelta) -> None:
        if PlayerTask.release_seek is not None:
            await PlayerTask.release_seek.wait()
        await AudioServiceBackground.set_state(position=position)

    async def on_set_speed(self, speed: float) -> None:
        await AudioServiceBackground.set_state(speed=speed)

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        queue = AudioServiceBackground.queue
        index = queue.index_of(media_id)
        assert index is not None
        await AudioServiceBackground.set_media_item(queue[index])
        await AudioServiceBackground.set_state(position=timedelta(0), queue_index=index)

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        await AudioServiceBackground.splice_queue(
            len(AudioServiceBackground.queue), 0, [media_item]
        )


def player_entrypoint() -> None:
    AudioServiceBackground.run(PlayerTask)


async def async_player_entrypoint() -> None:
    await asyncio.sleep(0)
    AudioServiceBackground.run(PlayerTask)


def forgetful_entrypoint() -> None:
    """Never calls run()."""


lambda_entrypoint = lambda: None  # noqa: E731


@pytest.fixture
async def client(clock: FakeClock) -> AsyncIterator[AudioServiceClient]:
    client = AudioServiceClient(clock=clock)
    client.in_process_launcher = InProcessLauncher(clock=clock, stop_grace=0.05)
    yield client
    if client.connected:
        await client.stop()
        await client.disconnect()


# ------------------------------------------------------------------ lifecycle


async def test_start_returns_after_on_start_and_reports_running(client: AudioServiceClient) -> None:
    assert not client.running
    assert await client.start(recording_entrypoint, {"url": "x", "pair": (1, 2)}, in_process=True)
    task = last_task()
    assert task.started
    assert task.calls[0] == ("on_start", ({"url": "x", "pair": [1, 2]},))
    assert client.running
    assert client.connected
    assert client.running_stream.value is True
    assert client.config == ServiceConfig()


async def test_start_when_already_running_returns_false(client: AudioServiceClient) -> None:
    assert await client.start(recording_entrypoint)
    assert not await client.start(recording_entrypoint)
    assert len(RecordingTask.instances) == 1


async def test_an_async_entrypoint_works(client: AudioServiceClient) -> None:
    assert await client.start(async_player_entrypoint)
    assert client.current_media_item == item("a")


@pytest.mark.parametrize(
    ("entrypoint", "error"),
    [(lambda_entrypoint, ValueError), (RecordingTask, TypeError), (print, TypeError)],
)
async def test_a_host_mode_entrypoint_must_be_a_top_level_function(
    client: AudioServiceClient, entrypoint: Callable[[], object], error: type[Exception]
) -> None:
    # The host process imports it by name; checked before anything starts.
    client.host_launcher = HostLauncher()
    with pytest.raises(error, match="top-level function"):
        await client.start(entrypoint, in_process=False)
    assert not client.running


async def test_a_nested_entrypoint_works_in_process_only(client: AudioServiceClient) -> None:
    def nested() -> None:
        AudioServiceBackground.run(RecordingTask)

    client.host_launcher = HostLauncher()
    with pytest.raises(ValueError, match="top-level"):
        await client.start(nested, in_process=False)
    assert await client.start(nested, in_process=True), "in-process, any callable does"
    assert (
        await client.start(lambda: AudioServiceBackground.run(RecordingTask), in_process=True)
        is False
    )
    with pytest.raises(TypeError, match="callable"):
        await client.start("entrypoint", in_process=True)  # type: ignore[arg-type]


async def test_an_entrypoint_must_call_run(client: AudioServiceClient) -> None:
    with pytest.raises(RuntimeError, match=r"AudioServiceBackground\.run"):
        await client.start(forgetful_entrypoint)
    assert not client.running


def test_run_outside_an_entrypoint_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="entrypoint"):
        AudioServiceBackground.run(RecordingTask)


async def test_params_and_options_are_validated(client: AudioServiceClient) -> None:
    with pytest.raises(TypeError, match="params"):
        await client.start(recording_entrypoint, {"x": object()})
    with pytest.raises(TypeError, match="params"):
        await client.start(recording_entrypoint, {1: "x"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="rewind_interval"):
        await client.start(recording_entrypoint, rewind_interval=timedelta(0))
    assert not client.running


async def test_intervals_reach_the_task(client: AudioServiceClient) -> None:
    await client.start(
        recording_entrypoint,
        fast_forward_interval=timedelta(seconds=15),
        rewind_interval=timedelta(seconds=7),
    )
    assert last_task().fast_forward_interval == timedelta(seconds=15)
    assert last_task().rewind_interval == timedelta(seconds=7)


async def test_stop_resets_everything_and_a_restart_works(client: AudioServiceClient) -> None:
    """#420: a service can be started again after it stopped."""
    await client.start(player_entrypoint)
    await client.play()
    await client.stop()
    assert not client.running
    assert client.connected
    assert client.current_media_item is None
    assert len(client.queue) == 0
    assert client.playback_state.processing_state is AudioProcessingState.IDLE
    with pytest.raises(ServiceNotRunningError, match="play"):
        await client.play()
    await client.stop()  # nothing runs: a no-op
    assert await client.start(player_entrypoint)
    assert client.running
    assert client.current_media_item == item("a")


async def test_a_failing_on_start_raises_and_leaves_nothing_running(
    client: AudioServiceClient,
) -> None:
    with pytest.raises(TaskError, match="boom"):
        await client.start(failing_entrypoint)
    assert not client.running
    assert await client.start(player_entrypoint)


class _FailingTask(BackgroundAudioTask):
    async def on_start(self, params: dict[str, Any] | None) -> None:
        raise RuntimeError("boom")


def failing_entrypoint() -> None:
    AudioServiceBackground.run(_FailingTask)


async def test_requests_need_a_connection(clock: FakeClock) -> None:
    client = AudioServiceClient(clock=clock)
    with pytest.raises(NotConnectedError, match="play"):
        await client.play()
    with pytest.raises(NotConnectedError):
        await client.stop()
    await client.connect()
    assert client.connected
    assert not client.running
    with pytest.raises(ServiceNotRunningError):
        await client.pause()
    await client.disconnect()
    assert not client.connected


async def test_host_mode_needs_a_host_launcher(client: AudioServiceClient) -> None:
    with pytest.raises(RuntimeError, match="host mode"):
        await client.start(recording_entrypoint, in_process=False)


class _RecordingLauncher:
    """Stands in for the host launcher: delegates to an in-process one, records calls."""

    def __init__(self) -> None:
        self.inner = InProcessLauncher()
        self.launched: list[ServiceConfig] = []

    async def launch(
        self,
        *,
        entrypoint: Callable[[], object],
        params: dict[str, Any] | None,
        config: ServiceConfig,
    ) -> ServiceConnection | None:
        self.launched.append(config)
        return await self.inner.launch(entrypoint=entrypoint, params=params, config=config)

    async def connect(self, app_id: str | None) -> ServiceConnection | None:
        return await self.inner.connect(app_id)


async def test_the_host_launcher_is_the_default_once_installed(client: AudioServiceClient) -> None:
    launcher = _RecordingLauncher()
    client.host_launcher = launcher
    assert await client.start(recording_entrypoint, app_id="org.example.Test")
    assert [config.app_id for config in launcher.launched] == ["org.example.Test"]
    assert client.config is not None
    assert client.config.app_id == "org.example.Test"


# ------------------------------------------------------------------- requests


@pytest.mark.parametrize(("method", "args", "callback", "expected"), REQUEST_TABLE)
async def test_every_client_request_reaches_its_callback(
    client: AudioServiceClient,
    method: str,
    args: tuple[Any, ...],
    callback: str,
    expected: tuple[Any, ...],
) -> None:
    await client.start(recording_entrypoint)
    await getattr(client, method)(*args)
    assert last_task().calls[-1] == (callback, expected)


async def test_custom_actions_return_values_and_errors(client: AudioServiceClient) -> None:
    await client.start(recording_entrypoint)
    assert await client.custom_action("echo", (1, 2)) == {"name": "echo", "arguments": [1, 2]}
    assert await client.custom_action("bare") == {"name": "bare", "arguments": None}
    with pytest.raises(TaskError, match="LookupError") as caught:
        await client.custom_action("fail", "x")
    assert caught.value.request == "custom_action"
    with pytest.raises(TaskError, match="msgpack"):
        await client.custom_action("opaque")
    with pytest.raises(TypeError, match="custom action arguments"):
        await client.custom_action("echo", object())
    assert client.running


async def test_custom_events_reach_the_stream(client: AudioServiceClient) -> None:
    await client.start(recording_entrypoint)
    events = client.custom_event_stream.subscribe()
    await client.custom_action("emit", {"level": 3})
    await client.custom_action("emit", (1, 2))
    assert await events.__anext__() == {"level": 3}
    assert await events.__anext__() == [1, 2]
    with pytest.raises(TaskError, match="a custom event must be msgpack-encodable"):
        await client.custom_action("emit_opaque")
    events.cancel()


async def test_the_background_api_needs_a_running_task() -> None:
    with pytest.raises(ServiceNotRunningError, match="send_custom_event"):
        await AudioServiceBackground.send_custom_event({"x": 1})
    with pytest.raises(ServiceNotRunningError, match="set_state"):
        await AudioServiceBackground.set_state(playing=True)


async def test_load_children_and_browsing(client: AudioServiceClient) -> None:
    await client.start(recording_entrypoint)
    assert await client.load_children("albums") == [item("albums/child")]
    assert client.browse_media_children == ()
    await client.set_browse_media_parent()
    assert client.browse_media_children == (item("root/child"),)
    loads = [call for call in last_task().calls if call[0] == "on_load_children"]
    await client.custom_action("children_changed", "root")
    await client.custom_action("children_changed", "elsewhere")
    for _ in range(5):
        await asyncio.sleep(0)
    after = [call for call in last_task().calls if call[0] == "on_load_children"]
    assert len(after) == len(loads) + 1
    await client.set_browse_media_parent(None)
    assert client.browse_media_children == ()


# --------------------------------------------------------- state and streams


async def test_state_media_item_and_queue_follow_the_task(
    client: AudioServiceClient, clock: FakeClock
) -> None:
    states = client.playback_state_stream.subscribe(maxsize=100)
    items = client.current_media_item_stream.subscribe(maxsize=100)
    queues = client.queue_stream.subscribe(maxsize=100)
    await client.start(player_entrypoint)
    assert list(client.queue) == [item("a"), item("b"), item("c")]
    assert client.current_media_item == item("a")
    await client.play()
    assert client.playback_state.playing
    await client.skip_to_next()
    assert client.current_media_item == item("b")
    assert client.playback_state.queue_index == 1
    await client.add_queue_item(item("d"))
    assert [entry.id for entry in client.queue] == ["a", "b", "c", "d"]
    assert isinstance(client.queue, MediaQueue)
    seen_states = drain(states)
    assert seen_states[0].processing_state is AudioProcessingState.IDLE
    assert seen_states[-1].playing
    assert drain(items) == [None, item("a"), item("b")]
    assert [len(queue) for queue in drain(queues)] == [0, 3, 4]


def drain(subscription: Any) -> list[Any]:
    values = list(subscription._buffer)
    subscription.cancel()
    return values


async def test_a_second_client_mirrors_the_running_service(
    client: AudioServiceClient, clock: FakeClock
) -> None:
    await client.start(player_entrypoint)
    await client.play()
    other = AudioServiceClient(clock=clock)
    await other.connect()
    assert other.running
    assert other.playback_state == client.playback_state
    assert list(other.queue) == list(client.queue)
    await other.skip_to_next()
    assert client.current_media_item == item("b")
    assert other.current_media_item == item("b")
    await other.disconnect()
    with pytest.raises(NotConnectedError):
        await other.play()
    assert client.running
    await other.connect()
    assert other.current_media_item == item("b")
    await client.stop()
    assert not other.running
    await other.disconnect()


async def test_start_while_another_client_runs_the_service_connects_and_returns_false(
    client: AudioServiceClient, clock: FakeClock
) -> None:
    await client.start(player_entrypoint)
    other = AudioServiceClient(clock=clock)
    assert not await other.start(player_entrypoint)
    assert other.running
    assert other.current_media_item == item("a")
    await other.disconnect()


# -------------------------------------------------------------------- position


async def next_value(subscription: Any) -> Any:
    return await asyncio.wait_for(subscription.__anext__(), 5)


@pytest.fixture
def fast_positions(client: AudioServiceClient) -> Any:
    return client.create_position_stream(period=timedelta(milliseconds=5))


async def test_the_position_extrapolates_without_drift_across_speed_changes(
    client: AudioServiceClient, clock: FakeClock, fast_positions: Any
) -> None:
    await client.start(player_entrypoint)
    await client.play()
    positions = fast_positions.subscribe()
    assert await next_value(positions) == timedelta(0)
    clock.advance(10)
    assert await next_value(positions) == timedelta(seconds=10)
    await client.set_speed(2.0)
    clock.advance(5)
    assert await next_value(positions) == timedelta(seconds=20)
    await client.set_speed(0.5)
    clock.advance(4)
    assert await next_value(positions) == timedelta(seconds=22)
    assert client.position == timedelta(seconds=22)
    clock.advance(1000)
    assert await next_value(positions) == timedelta(minutes=3)  # clamped to the duration
    positions.cancel()


async def test_a_late_listener_gets_the_current_position_first(
    client: AudioServiceClient, clock: FakeClock, fast_positions: Any
) -> None:
    await client.start(player_entrypoint)
    first = fast_positions.subscribe()
    assert await next_value(first) == timedelta(0)
    first.cancel()
    await client.seek_to(timedelta(seconds=42))
    second = fast_positions.subscribe()
    assert await next_value(second) == timedelta(seconds=42)
    second.cancel()


async def test_the_position_shows_the_seek_target_while_a_seek_is_in_flight(
    client: AudioServiceClient, clock: FakeClock, fast_positions: Any
) -> None:
    await client.start(player_entrypoint)
    await client.play()
    clock.advance(30)
    positions = fast_positions.subscribe()
    assert await next_value(positions) == timedelta(seconds=30)
    PlayerTask.release_seek = asyncio.Event()
    try:
        seek = asyncio.create_task(client.seek_to(timedelta(seconds=100)))
        assert await next_value(positions) == timedelta(seconds=100)
        clock.advance(5)  # the target holds while the task is still seeking
        await asyncio.sleep(0.02)
        assert client.position == timedelta(seconds=100)
        PlayerTask.release_seek.set()
        await seek
    finally:
        PlayerTask.release_seek = None
    clock.advance(1)
    assert await next_value(positions) == timedelta(seconds=101)
    positions.cancel()


async def test_no_timer_runs_while_paused_or_unobserved(
    client: AudioServiceClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeouts: list[float | None] = []
    real_timeout = asyncio.timeout

    def counting_timeout(delay: float | None) -> Any:
        timeouts.append(delay)
        return real_timeout(delay)

    monkeypatch.setattr(client_module.asyncio, "timeout", counting_timeout)
    await client.start(player_entrypoint)
    positions = client.position_stream.subscribe()
    assert await next_value(positions) == timedelta(0)
    await asyncio.sleep(0.05)
    assert timeouts == []  # paused: the ticker sleeps until something changes
    await client.play()
    clock.advance(1)
    assert await next_value(positions) == timedelta(seconds=1)
    assert timeouts
    assert all(delay is not None and 0.016 <= delay <= 0.2 for delay in timeouts)
    positions.cancel()
    for _ in range(10):
        await asyncio.sleep(0)
    assert client._mirror.position_controllers == set()  # the ticker ended with its last listener
    ticks = len(timeouts)
    await asyncio.sleep(0.05)
    assert len(timeouts) == ticks


async def test_position_stream_arguments_are_validated(client: AudioServiceClient) -> None:
    with pytest.raises(ValueError, match="period"):
        client.create_position_stream(period=timedelta(0))
    with pytest.raises(ValueError, match="min_period"):
        client.create_position_stream(
            min_period=timedelta(seconds=2), max_period=timedelta(seconds=1)
        )
    with pytest.raises(ValueError, match="steps"):
        client.create_position_stream(steps=0)
    assert client.position_stream is client.position_stream


async def test_the_singletons_exist() -> None:
    assert isinstance(AudioService, AudioServiceClient)
    assert AudioService.MEDIA_ROOT_ID == "root"
    assert not AudioServiceBackground.running
    state = AudioServiceBackground.state
    assert state == PlaybackState(update_time=state.update_time)
    assert AudioServiceBackground.media_item is None
    assert len(AudioServiceBackground.queue) == 0
    with pytest.raises(NotConnectedError):
        await AudioService.play()


def test_an_entrypoint_typed_into_python_m_asyncio_gets_an_error_that_helps() -> None:
    # The quick start typed into the asyncio REPL: host mode cannot import it; say what to do.
    typed = (
        "from audio_service import AudioService\n"
        "def entrypoint():\n    pass\n\n"
        "try:\n    await AudioService.start(entrypoint, in_process=False)\n"
        "except ValueError as error:\n    print('refused:', error)\n\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "asyncio"], input=typed, capture_output=True, text=True, timeout=60
    )
    assert (
        "refused: an entrypoint defined in an interactive session" in result.stdout + result.stderr
    )
    assert "in_process=True" in result.stdout + result.stderr
