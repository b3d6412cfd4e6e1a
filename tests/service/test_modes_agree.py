"""In-process mode and host mode agree: the same scenario gives the same observable results.

Each scenario runs twice, through a fresh ``AudioServiceClient`` per mode: once
against a task in this event loop, once against the same task in a host
process. Both results must be equal to each other and to what the scenario
expects, so a difference between the modes and a shared mistake both fail.
One service per mode serves the whole module; ``reset`` (a custom action of
the task) brings it back to the same queue, item and state before each scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import agree_task
import msgspec
import pytest
import pytest_asyncio
from agree_task import BASE_QUEUE, CHILDREN, describe

from audio_service import (
    AudioProcessingState,
    AudioServiceError,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaAction,
    MediaButton,
    MediaControl,
    MediaItem,
    PlaybackState,
    Rating,
    RatingStyle,
    TaskError,
)
from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_session._stream import Stream

pytestmark = pytest.mark.asyncio(loop_scope="module")

APP_ID = "org.example.ModesAgree"
#: How long a mode may take to show what a request changed.
SETTLE = 5.0

T = TypeVar("T")
Scenario = Callable[[AudioServiceClient], Awaitable[Any]]

NEW_1 = MediaItem(
    id="new-1",
    title="New 1",
    album="Fresh",
    duration=timedelta(seconds=61, milliseconds=500),
    art_headers={"Authorization": "token"},
    extras={"year": 1999, "tags": ["a", "b"]},
)
NEW_2 = MediaItem(id="new-2", title="New 2", playable=False, rating=Rating.new_heart_rating(True))


class Modes:
    """One client per mode, each attached to a running service of its own."""

    def __init__(self) -> None:
        host = AudioServiceClient()
        host.host_launcher = HostLauncher(start_timeout=20)
        self.clients = {"in_process": AudioServiceClient(), "host": host}
        self.host_pid = 0

    async def ensure_running(self) -> None:
        in_process = self.clients["in_process"]
        if not in_process.running:
            assert await in_process.start(agree_task.entrypoint, in_process=True)
        host = self.clients["host"]
        if not host.running:
            if self.host_pid:
                await _wait_gone(self.host_pid)
            assert await host.start(agree_task.entrypoint, in_process=False, app_id=APP_ID)
            self.host_pid = await host.custom_action("pid")
            assert isinstance(self.host_pid, int)
            assert self.host_pid != os.getpid()

    async def run(self, scenario: Scenario) -> dict[str, Any]:
        """The result of ``scenario`` in each mode, each starting from the reset service."""
        await self.ensure_running()
        results = {}
        for mode, client in self.clients.items():
            await client.custom_action("reset")
            await _settle(client.queue_stream, lambda queue: list(queue) == list(BASE_QUEUE))
            results[mode] = await scenario(client)
        return results

    async def close(self) -> None:
        for client in self.clients.values():
            with contextlib.suppress(AudioServiceError):
                await client.stop()
            await client.disconnect()
        if self.host_pid:
            await _wait_gone(self.host_pid)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def modes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Modes]:
    base = tmp_path_factory.mktemp("modes-agree")
    run = base / "run"
    run.mkdir(mode=0o700)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_RUNTIME_DIR", str(run))
        patch.setenv("XDG_STATE_HOME", str(base / "state"))
        modes = Modes()
        try:
            await modes.ensure_running()
            yield modes
        finally:
            await modes.close()


def assert_agree(results: dict[str, Any], expected: Any) -> None:
    assert results["host"] == results["in_process"], "host mode and in-process mode differ"
    assert results["in_process"] == expected


async def _settle(stream: Stream[T], predicate: Callable[[T], bool]) -> T:
    """The first value that passes, or else the latest one once SETTLE seconds passed."""
    try:
        async with asyncio.timeout(SETTLE):
            return await stream.first(predicate)
    except TimeoutError:
        return stream.value


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


async def _wait_gone(pid: int) -> None:
    for _ in range(500):
        if not _alive(pid):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"host {pid} did not exit")


def _call(callback: str, *arguments: Any) -> list[Any]:
    return [callback, *(describe(argument) for argument in arguments)]


# ------------------------------------------------------------------ requests


def _request(name: str, send: Scenario, callback: str, *arguments: Any, result: Any = None) -> Any:
    return pytest.param(send, [_call(callback, *arguments)], describe(result), id=name)


REQUESTS = [
    _request("play", lambda c: c.play(), "on_play"),
    _request("pause", lambda c: c.pause(), "on_pause"),
    _request("prepare", lambda c: c.prepare(), "on_prepare"),
    _request(
        "prepare_from_media_id",
        lambda c: c.prepare_from_media_id("base-1"),
        "on_prepare_from_media_id",
        "base-1",
    ),
    _request(
        "play_from_media_id",
        lambda c: c.play_from_media_id("base-2"),
        "on_play_from_media_id",
        "base-2",
    ),
    _request("play_media_item", lambda c: c.play_media_item(NEW_1), "on_play_media_item", NEW_1),
    _request(
        "play_from_uri",
        lambda c: c.play_from_uri("file:///music/a.ogg", {"start": 5, "tags": ["x"]}),
        "on_play_from_uri",
        "file:///music/a.ogg",
        {"start": 5, "tags": ["x"]},
    ),
    pytest.param(
        lambda c: c.play_from_uri("file:///music/b.ogg", {"range": (1, 2)}),
        [_call("on_play_from_uri", "file:///music/b.ogg", {"range": [1, 2]})],
        describe(None),
        id="play_from_uri-tuple-in-extras",
    ),
    _request(
        "play_from_search",
        lambda c: c.play_from_search("jazz ü", None),
        "on_play_from_search",
        "jazz ü",
        None,
    ),
    _request(
        "seek_to",
        lambda c: c.seek_to(timedelta(minutes=1, seconds=2, microseconds=5000)),
        "on_seek_to",
        timedelta(minutes=1, seconds=2, microseconds=5000),
    ),
    _request("skip_to_next", lambda c: c.skip_to_next(), "on_skip_to_next"),
    _request("skip_to_previous", lambda c: c.skip_to_previous(), "on_skip_to_previous"),
    _request(
        "skip_to_queue_item",
        lambda c: c.skip_to_queue_item("base-2"),
        "on_skip_to_queue_item",
        "base-2",
    ),
    _request("fast_forward", lambda c: c.fast_forward(), "on_fast_forward"),
    _request("rewind", lambda c: c.rewind(), "on_rewind"),
    _request("seek_forward", lambda c: c.seek_forward(True), "on_seek_forward", True),
    _request("seek_backward", lambda c: c.seek_backward(False), "on_seek_backward", False),
    _request("add_queue_item", lambda c: c.add_queue_item(NEW_1), "on_add_queue_item", NEW_1),
    _request(
        "add_queue_item_at",
        lambda c: c.add_queue_item_at(NEW_2, 1),
        "on_add_queue_item_at",
        NEW_2,
        1,
    ),
    _request(
        "add_queue_items",
        lambda c: c.add_queue_items(iter([NEW_1, NEW_2])),
        "on_add_queue_items",
        [NEW_1, NEW_2],
    ),
    _request(
        "remove_queue_item",
        lambda c: c.remove_queue_item(BASE_QUEUE[1]),
        "on_remove_queue_item",
        BASE_QUEUE[1],
    ),
    _request(
        "update_queue",
        lambda c: c.update_queue((NEW_2, BASE_QUEUE[0])),
        "on_update_queue",
        [NEW_2, BASE_QUEUE[0]],
    ),
    _request(
        "update_media_item",
        lambda c: c.update_media_item(BASE_QUEUE[2].copy_with(title="Renamed")),
        "on_update_media_item",
        BASE_QUEUE[2].copy_with(title="Renamed"),
    ),
    _request("click", lambda c: c.click(), "on_click", MediaButton.MEDIA),
    _request("click_next", lambda c: c.click(MediaButton.NEXT), "on_click", MediaButton.NEXT),
    _request(
        "set_repeat_mode",
        lambda c: c.set_repeat_mode(AudioServiceRepeatMode.ALL),
        "on_set_repeat_mode",
        AudioServiceRepeatMode.ALL,
    ),
    _request(
        "set_shuffle_mode",
        lambda c: c.set_shuffle_mode(AudioServiceShuffleMode.GROUP),
        "on_set_shuffle_mode",
        AudioServiceShuffleMode.GROUP,
    ),
    _request(
        "set_rating",
        lambda c: c.set_rating(Rating.new_star_rating(RatingStyle.RANGE_5_STARS, 4), {"by": 1}),
        "on_set_rating",
        Rating.new_star_rating(RatingStyle.RANGE_5_STARS, 4),
        {"by": 1},
    ),
    _request("set_speed", lambda c: c.set_speed(1.5), "on_set_speed", 1.5),
    # An int volume reaches the task as a float in both modes.
    _request("set_volume", lambda c: c.set_volume(1), "on_set_volume", 1.0),
    _request(
        "custom_action",
        lambda c: c.custom_action("hello", {"x": [1, 2]}),
        "on_custom_action",
        "hello",
        {"x": [1, 2]},
        result={"name": "hello", "arguments": {"x": [1, 2]}},
    ),
    _request(
        "load_children",
        lambda c: c.load_children(),
        "on_load_children",
        "root",
        result=CHILDREN["root"],
    ),
    _request(
        "load_children_empty",
        lambda c: c.load_children("albums"),
        "on_load_children",
        "albums",
        result=[],
    ),
    _request("task_removed", lambda c: c.task_removed(), "on_task_removed"),
    _request("close", lambda c: c.close(), "on_close"),
]


@pytest.mark.parametrize(("send", "calls", "result"), REQUESTS)
async def test_each_request_reaches_its_callback_with_its_arguments(
    modes: Modes, send: Scenario, calls: list[Any], result: Any
) -> None:
    async def scenario(client: AudioServiceClient) -> Any:
        returned = await send(client)
        return describe(returned), await client.custom_action("calls")

    assert_agree(await modes.run(scenario), (result, calls))


# ------------------------------------------------------------- custom actions


@pytest.mark.parametrize(
    ("arguments", "arrives_as"),
    [
        pytest.param(None, None, id="none"),
        pytest.param(True, True, id="bool"),
        pytest.param(-(2**40), -(2**40), id="big-int"),
        pytest.param(0.1, 0.1, id="float"),
        pytest.param("text ü ♫", "text ü ♫", id="str"),
        pytest.param(b"\x00\xff\x10", b"\x00\xff\x10", id="bytes"),
        pytest.param([1, "a", None, [2.5]], [1, "a", None, [2.5]], id="list"),
        pytest.param((1, (2, 3)), [1, [2, 3]], id="tuples-become-lists"),
        pytest.param({"a": {"b": [True]}, "n": 0}, {"a": {"b": [True]}, "n": 0}, id="dict"),
    ],
)
async def test_custom_action_results_agree(modes: Modes, arguments: Any, arrives_as: Any) -> None:
    async def scenario(client: AudioServiceClient) -> Any:
        return describe(await client.custom_action("echo", arguments))

    assert_agree(await modes.run(scenario), describe({"name": "echo", "arguments": arrives_as}))


@pytest.mark.parametrize(
    ("events", "arrive_as"),
    [
        pytest.param([{"kind": "progress", "value": 0.5}], None, id="one"),
        pytest.param(["first", 2, None, b"\x01", [3.5]], None, id="several-in-order"),
        pytest.param([{"pair": (1, 2)}], [{"pair": [1, 2]}], id="tuples-become-lists"),
    ],
)
async def test_custom_events_agree(modes: Modes, events: list[Any], arrive_as: Any) -> None:
    async def scenario(client: AudioServiceClient) -> Any:
        received: list[Any] = []
        with client.custom_event_stream.subscribe() as subscription:
            count = await client.custom_action("emit", events)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SETTLE):
                    while len(received) < len(events):
                        received.append(await anext(subscription))
        return count, describe(received)

    assert_agree(await modes.run(scenario), (len(events), describe(arrive_as or events)))


# ------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("send", "request_name", "error_type", "message", "callback"),
    [
        pytest.param(
            lambda c: c.custom_action("raise", ["ValueError", "bad value"]),
            "custom_action",
            "ValueError",
            "bad value",
            "on_custom_action",
            id="builtin",
        ),
        pytest.param(
            lambda c: c.custom_action("raise", ["KeyError", "missing"]),
            "custom_action",
            "KeyError",
            "'missing'",
            "on_custom_action",
            id="key-error",
        ),
        pytest.param(
            lambda c: c.custom_action("raise", ["TaskFailure", "the app's own"]),
            "custom_action",
            "agree_task.TaskFailure",
            "the app's own",
            "on_custom_action",
            id="app-defined",
        ),
        pytest.param(
            lambda c: c.play_from_search("fail", {"n": 1}),
            "play_from_search",
            "LookupError",
            "nothing matches 'fail'",
            "on_play_from_search",
            id="standard-request",
        ),
    ],
)
async def test_a_raising_callback_gives_the_same_task_error(
    modes: Modes,
    send: Scenario,
    request_name: str,
    error_type: str,
    message: str,
    callback: str,
) -> None:
    async def scenario(client: AudioServiceClient) -> Any:
        with pytest.raises(TaskError) as raised:
            await send(client)
        error = raised.value
        survived = await client.custom_action("echo", 1)
        return (
            type(error).__name__,
            error.request,
            error.error_type,
            str(error),
            f"in {callback}" in error.remote_traceback,
            survived,
        )

    # A built-in exception type stays catchable as itself (TaskValueError is a ValueError).
    kind = "TaskError" if "." in error_type else f"Task{error_type}"
    assert_agree(
        await modes.run(scenario),
        (
            kind,
            request_name,
            error_type,
            f"{request_name}: the task raised {error_type}: {message}",
            True,
            {"name": "echo", "arguments": 1},
        ),
    )


# ---------------------------------------------------------------------- queue


def _plain(items: Any) -> list[Any]:
    return [msgspec.to_builtins(item) for item in items]


RENAMED = BASE_QUEUE[0].copy_with(title="Renamed", artist="Someone else")


@pytest.mark.parametrize(
    ("edits", "queue", "media_item"),
    [
        pytest.param(
            [lambda c: c.add_queue_item(NEW_1)], [*BASE_QUEUE, NEW_1], BASE_QUEUE[0], id="append"
        ),
        pytest.param(
            [lambda c: c.add_queue_item_at(NEW_1, 0), lambda c: c.add_queue_item_at(NEW_2, 2)],
            [NEW_1, BASE_QUEUE[0], NEW_2, *BASE_QUEUE[1:]],
            BASE_QUEUE[0],
            id="insert",
        ),
        pytest.param(
            [lambda c: c.add_queue_items([NEW_1, NEW_2])],
            [*BASE_QUEUE, NEW_1, NEW_2],
            BASE_QUEUE[0],
            id="append-several",
        ),
        pytest.param(
            [lambda c: c.remove_queue_item(BASE_QUEUE[1])],
            [BASE_QUEUE[0], BASE_QUEUE[2]],
            BASE_QUEUE[0],
            id="remove",
        ),
        pytest.param(
            [lambda c: c.update_queue([NEW_2, BASE_QUEUE[2], NEW_1])],
            [NEW_2, BASE_QUEUE[2], NEW_1],
            BASE_QUEUE[0],
            id="replace",
        ),
        pytest.param([lambda c: c.update_queue([])], [], BASE_QUEUE[0], id="clear"),
        pytest.param(
            [lambda c: c.update_media_item(RENAMED)],
            [RENAMED, *BASE_QUEUE[1:]],
            RENAMED,
            id="update-current-item",
        ),
        pytest.param(
            [
                lambda c: c.add_queue_item(NEW_1),
                lambda c: c.remove_queue_item(BASE_QUEUE[0]),
                lambda c: c.add_queue_item_at(NEW_2, 1),
                lambda c: c.update_media_item(NEW_1.copy_with(extras=None)),
            ],
            [BASE_QUEUE[1], NEW_2, BASE_QUEUE[2], NEW_1.copy_with(extras=None)],
            BASE_QUEUE[0],
            id="several-edits",
        ),
    ],
)
async def test_queue_edits_agree(
    modes: Modes, edits: list[Scenario], queue: list[MediaItem], media_item: MediaItem
) -> None:
    expected = _plain(queue)

    async def scenario(client: AudioServiceClient) -> Any:
        for edit in edits:
            await edit(client)
        mirrored = await _settle(client.queue_stream, lambda q: _plain(q) == expected)
        return (
            _plain(mirrored),
            await client.custom_action("queue"),
            msgspec.to_builtins(client.current_media_item),
        )

    assert_agree(
        await modes.run(scenario),
        (expected, [[item.id, item.title] for item in queue], msgspec.to_builtins(media_item)),
    )


# ---------------------------------------------------------------------- state


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"playing": True},
            {"playing": True, "processing_state": AudioProcessingState.READY},
            id="play",
        ),
        pytest.param(
            {
                "processing_state": int(AudioProcessingState.BUFFERING),
                "position": 65_500,
                "buffered_position": 90_000,
                "speed": 1.25,
                "controls": ["pause", "stop"],
                "system_actions": [int(MediaAction.SEEK_FORWARD), int(MediaAction.SEEK)],
                "android_compact_action_indices": [1, 0],
                "repeat_mode": int(AudioServiceRepeatMode.ONE),
                "shuffle_mode": int(AudioServiceShuffleMode.ALL),
                "captioning_enabled": True,
                "queue_index": 2,
            },
            {
                "processing_state": AudioProcessingState.BUFFERING,
                "update_position": timedelta(seconds=65.5),
                "buffered_position": timedelta(seconds=90),
                "speed": 1.25,
                "controls": (MediaControl.pause, MediaControl.stop),
                "system_actions": frozenset({MediaAction.SEEK_FORWARD, MediaAction.SEEK}),
                "android_compact_action_indices": (1, 0),
                "repeat_mode": AudioServiceRepeatMode.ONE,
                "shuffle_mode": AudioServiceShuffleMode.ALL,
                "captioning_enabled": True,
                "queue_index": 2,
            },
            id="every-field",
        ),
        pytest.param(
            {
                "processing_state": int(AudioProcessingState.ERROR),
                "error_code": 404,
                "error_message": "gone ü",
            },
            {
                "processing_state": AudioProcessingState.ERROR,
                "error_code": 404,
                "error_message": "gone ü",
                "playing": False,
            },
            id="error",
        ),
    ],
)
async def test_state_after_set_state_agrees(
    modes: Modes, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    def matches(state: PlaybackState) -> bool:
        return all(getattr(state, name) == value for name, value in expected.items())

    async def scenario(client: AudioServiceClient) -> Any:
        await client.custom_action("set_state", changes)
        state = await _settle(client.playback_state_stream, matches)
        plain = msgspec.to_builtins(state)
        del plain["update_time"]  # when it happened differs; what happened must not
        return matches(state), plain

    results = await modes.run(scenario)
    assert results["host"] == results["in_process"], "host mode and in-process mode differ"
    assert results["in_process"][0], f"the state is {results['in_process'][1]}"


@pytest.mark.parametrize(
    "media_item",
    [
        pytest.param(NEW_1, id="item"),
        pytest.param(None, id="none"),
    ],
)
async def test_current_media_item_agrees(modes: Modes, media_item: MediaItem | None) -> None:
    expected = msgspec.to_builtins(media_item)

    async def scenario(client: AudioServiceClient) -> Any:
        await client.custom_action("set_media_item", expected)
        item = await _settle(
            client.current_media_item_stream, lambda i: msgspec.to_builtins(i) == expected
        )
        return msgspec.to_builtins(item)

    assert_agree(await modes.run(scenario), expected)


# ----------------------------------------------------------------------- stop


async def test_stop_ends_the_service_alike(modes: Modes) -> None:
    async def scenario(client: AudioServiceClient) -> Any:
        with client.custom_event_stream.subscribe() as events:
            await client.stop()
            async with asyncio.timeout(SETTLE):
                last_event = await anext(events)
        running = await _settle(client.running_stream, lambda running: not running)
        try:
            await client.play()
        except AudioServiceError as error:
            after = type(error).__name__
        else:
            after = "no error"
        state = client.playback_state
        return (
            client.running,
            running,
            last_event,
            (state.processing_state, state.playing),
            list(client.queue),
            client.current_media_item,
            after,
        )

    assert_agree(
        await modes.run(scenario),
        (
            False,
            False,
            {"stopping": True},
            (AudioProcessingState.IDLE, False),
            [],
            None,
            "ServiceNotRunningError",
        ),
    )
    await _wait_gone(modes.host_pid)
