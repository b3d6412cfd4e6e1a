"""The default behaviour of BackgroundAudioTask callbacks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from audio_service import (
    AudioProcessingState,
    BackgroundAudioTask,
    MediaButton,
    MediaItem,
    ServiceConfig,
)
from audio_service._service._core import ServiceCore, ServicePhase
from audio_service._service._requests import (
    AddQueueItems,
    Click,
    Close,
    CustomAction,
    FastForward,
    LoadChildren,
    Rewind,
    SkipToNext,
    SkipToPrevious,
    TaskRemoved,
)
from service_support import FakeClock, item

pytestmark = pytest.mark.usefixtures("no_leftover_service")


class QueueTask(BackgroundAudioTask):
    """Implements only the primitives; the defaults under test call them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []

    async def on_play(self) -> None:
        self.calls.append(("play", None))

    async def on_pause(self) -> None:
        self.calls.append(("pause", None))

    async def on_skip_to_queue_item(self, media_id: str) -> None:
        self.calls.append(("skip_to_queue_item", media_id))

    async def on_seek_to(self, position: timedelta) -> None:
        self.calls.append(("seek_to", position))

    async def on_add_queue_item(self, media_item: MediaItem) -> None:
        self.calls.append(("add_queue_item", media_item.id))


@pytest.fixture
async def running(clock: FakeClock) -> Any:
    task = QueueTask()
    core = ServiceCore(
        task,
        ServiceConfig(
            fast_forward_interval=timedelta(seconds=30), rewind_interval=timedelta(seconds=5)
        ),
        clock=clock,
    )
    await core.start()
    yield core, task
    await core.shutdown()


async def test_click_media_toggles_play_and_pause(running: Any) -> None:
    core, task = running
    await core.handle(Click())
    core.set_state(playing=True)
    await core.handle(Click(button=MediaButton.MEDIA))
    assert task.calls == [("play", None), ("pause", None)]


async def test_click_next_and_previous_skip_through_the_queue(running: Any) -> None:
    core, task = running
    core.set_queue([item("a"), item("b"), item("c")])
    core.set_media_item(item("b"))
    await core.handle(Click(button=MediaButton.NEXT))
    await core.handle(Click(button=MediaButton.PREVIOUS))
    assert task.calls == [("skip_to_queue_item", "c"), ("skip_to_queue_item", "a")]


@pytest.mark.parametrize(
    ("current", "request_type", "expected"),
    [
        ("a", SkipToNext, ["b"]),
        ("b", SkipToNext, ["c"]),
        ("c", SkipToNext, []),
        ("a", SkipToPrevious, []),
        ("c", SkipToPrevious, ["b"]),
        ("zz", SkipToNext, []),
        (None, SkipToNext, []),
        (None, SkipToPrevious, []),
    ],
)
async def test_skip_goes_by_id_through_the_queue_within_range(
    running: Any, current: str | None, request_type: Any, expected: list[str]
) -> None:
    core, task = running
    core.set_queue([item("a"), item("b"), item("c")])
    core.set_media_item(None if current is None else item(current))
    await core.handle(request_type())
    assert task.calls == [("skip_to_queue_item", media_id) for media_id in expected]


async def test_skip_prefers_the_queue_index_for_duplicate_ids(running: Any) -> None:
    core, task = running
    core.set_queue([item("a"), item("x"), item("a"), item("y")])
    core.set_media_item(item("a"))
    core.set_state(queue_index=2)
    await core.handle(SkipToNext())
    core.set_state(queue_index=None)
    await core.handle(SkipToNext())
    assert task.calls == [("skip_to_queue_item", "y"), ("skip_to_queue_item", "x")]


async def test_skip_on_an_empty_queue_does_nothing(running: Any) -> None:
    core, task = running
    core.set_media_item(item("a"))
    await core.handle(SkipToNext())
    assert task.calls == []


async def test_fast_forward_and_rewind_seek_by_the_intervals_within_bounds(
    running: Any, clock: FakeClock
) -> None:
    core, task = running
    assert task.fast_forward_interval == timedelta(seconds=30)
    assert task.rewind_interval == timedelta(seconds=5)
    core.set_media_item(item("a", duration=timedelta(seconds=100)))
    core.set_state(
        playing=True, processing_state=AudioProcessingState.READY, position=timedelta(seconds=50)
    )
    clock.advance(10)
    await core.handle(FastForward())
    await core.handle(Rewind())
    core.set_state(position=timedelta(seconds=90))
    await core.handle(FastForward())
    core.set_state(position=timedelta(seconds=2))
    await core.handle(Rewind())
    assert task.calls == [
        ("seek_to", timedelta(seconds=90)),
        ("seek_to", timedelta(seconds=55)),
        ("seek_to", timedelta(seconds=100)),
        ("seek_to", timedelta(0)),
    ]


async def test_fast_forward_without_a_known_duration_is_not_clamped(running: Any) -> None:
    core, task = running
    core.set_state(position=timedelta(seconds=50))
    await core.handle(FastForward())
    assert task.calls == [("seek_to", timedelta(seconds=80))]


async def test_add_queue_items_defaults_to_one_add_per_item(running: Any) -> None:
    core, task = running
    await core.handle(AddQueueItems(media_items=(item("a"), item("b"))))
    assert task.calls == [("add_queue_item", "a"), ("add_queue_item", "b")]


async def test_browse_custom_and_task_removed_defaults(running: Any) -> None:
    core, task = running
    assert await core.handle(LoadChildren()) == []
    assert await core.handle(CustomAction(name="anything", arguments=1)) is None
    await core.handle(TaskRemoved())
    assert core.running
    assert task.calls == []


async def test_close_defaults_to_stop_which_shuts_down(running: Any) -> None:
    core, _task = running
    await core.handle(Close())
    assert core.phase is ServicePhase.STOPPED


def test_an_unbound_task_has_default_intervals() -> None:
    task = BackgroundAudioTask()
    assert task.fast_forward_interval == timedelta(seconds=10)
    assert task.rewind_interval == timedelta(seconds=10)


async def test_a_task_cannot_serve_two_services() -> None:
    task = QueueTask()
    ServiceCore(task)
    with pytest.raises(RuntimeError, match="another service"):
        ServiceCore(task)
