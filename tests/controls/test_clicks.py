"""The click aggregator: every gesture, the edges of the timing, bursts, bounds."""

from __future__ import annotations

import asyncio
import logging

import pytest

from audio_service._model._models import MediaButton
from audio_service._service._requests import Click, Pause, Play, Request, SeekBackward, SeekForward
from audio_service._surfaces._clicks import ClickAggregator, ClickGesture, default_gesture_requests

WINDOW = 0.08
HOLD = 0.15


class Recorder:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._changed = asyncio.Event()

    def __call__(self, request: Request) -> None:
        self.requests.append(request)
        self._changed.set()

    async def wait_for(self, count: int) -> list[Request]:
        async with asyncio.timeout(5):
            while len(self.requests) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.requests


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def clicks(recorder: Recorder) -> ClickAggregator:
    return ClickAggregator(recorder, window=WINDOW, hold=HOLD)


def tap(clicks: ClickAggregator, times: int = 1) -> None:
    for _ in range(times):
        clicks.press()
        clicks.release()


async def settle(clicks: ClickAggregator) -> None:
    """Give a stray second request the time to show up."""
    await asyncio.sleep(WINDOW * 2)
    assert not clicks.pending


@pytest.mark.parametrize(
    ("presses", "button"),
    [(1, MediaButton.MEDIA), (2, MediaButton.NEXT), (3, MediaButton.PREVIOUS)],
)
async def test_counted_presses_become_one_click(
    clicks: ClickAggregator, recorder: Recorder, presses: int, button: MediaButton
) -> None:
    tap(clicks, presses)
    assert recorder.requests == []  # nothing until the window closes
    assert await recorder.wait_for(1) == [Click(button=button)]
    await settle(clicks)
    assert recorder.requests == [Click(button=button)]


@pytest.mark.parametrize("count", [1, 2, 3])
async def test_mpris_clicks_count_like_presses(
    clicks: ClickAggregator, recorder: Recorder, count: int
) -> None:
    for _ in range(count):
        clicks.click()
    expected = [
        Click(button=[MediaButton.MEDIA, MediaButton.NEXT, MediaButton.PREVIOUS][count - 1])
    ]
    assert await recorder.wait_for(1) == expected


async def test_mixed_sources_share_one_burst(clicks: ClickAggregator, recorder: Recorder) -> None:
    clicks.click()
    tap(clicks)
    assert await recorder.wait_for(1) == [Click(button=MediaButton.NEXT)]


async def test_a_hundred_clicks_dispatch_one_request(
    clicks: ClickAggregator, recorder: Recorder
) -> None:
    tap(clicks, 100)
    for _ in range(100):
        clicks.click()
    await recorder.wait_for(1)
    await settle(clicks)
    assert recorder.requests == [Click(button=MediaButton.PREVIOUS)]


async def test_hold_seeks_forward_until_release(
    clicks: ClickAggregator, recorder: Recorder
) -> None:
    clicks.press()
    assert await recorder.wait_for(1) == [SeekForward(begin=True)]
    assert clicks.pending
    clicks.release()
    assert recorder.requests == [SeekForward(begin=True), SeekForward(begin=False)]
    await asyncio.sleep(WINDOW * 2)  # no click follows the hold
    assert recorder.requests == [SeekForward(begin=True), SeekForward(begin=False)]
    assert not clicks.pending


async def test_click_then_hold_seeks_forward(clicks: ClickAggregator, recorder: Recorder) -> None:
    tap(clicks)
    clicks.press()
    assert await recorder.wait_for(1) == [SeekForward(begin=True)]
    clicks.release()
    assert recorder.requests == [SeekForward(begin=True), SeekForward(begin=False)]


async def test_two_clicks_then_hold_seeks_backward(
    clicks: ClickAggregator, recorder: Recorder
) -> None:
    tap(clicks, 2)
    clicks.press()
    assert await recorder.wait_for(1) == [SeekBackward(begin=True)]
    clicks.release()
    assert recorder.requests == [SeekBackward(begin=True), SeekBackward(begin=False)]


async def test_release_before_hold_is_a_click(recorder: Recorder) -> None:
    # A generous hold: the release certainly comes first.
    clicks = ClickAggregator(recorder, window=WINDOW, hold=30)
    clicks.press()
    await asyncio.sleep(WINDOW * 2)  # longer than the window: the window runs from the release
    assert recorder.requests == []
    clicks.release()
    assert await recorder.wait_for(1) == [Click(button=MediaButton.MEDIA)]
    clicks.close()


async def test_key_repeat_and_stray_release_are_ignored(
    clicks: ClickAggregator, recorder: Recorder
) -> None:
    clicks.release()  # up without down
    clicks.press()
    clicks.press()  # auto-repeat
    clicks.press()
    clicks.release()
    clicks.release()
    assert await recorder.wait_for(1) == [Click(button=MediaButton.MEDIA)]
    await settle(clicks)
    assert recorder.requests == [Click(button=MediaButton.MEDIA)]


async def test_click_while_held_is_ignored(clicks: ClickAggregator, recorder: Recorder) -> None:
    clicks.press()
    clicks.click()
    clicks.release()
    assert await recorder.wait_for(1) == [Click(button=MediaButton.MEDIA)]


async def test_consecutive_bursts_are_separate(clicks: ClickAggregator, recorder: Recorder) -> None:
    tap(clicks, 2)
    await recorder.wait_for(1)
    tap(clicks)  # starts after the first burst closed
    await recorder.wait_for(2)
    tap(clicks, 3)
    await recorder.wait_for(3)
    await settle(clicks)
    assert recorder.requests == [
        Click(button=MediaButton.NEXT),
        Click(button=MediaButton.MEDIA),
        Click(button=MediaButton.PREVIOUS),
    ]


async def test_a_press_inside_the_window_extends_the_burst(recorder: Recorder) -> None:
    # Each pause is a quarter of the window: all three presses are one burst.
    clicks = ClickAggregator(recorder, window=0.4, hold=30)
    for _ in range(3):
        tap(clicks)
        await asyncio.sleep(0.1)
    assert await recorder.wait_for(1) == [Click(button=MediaButton.PREVIOUS)]
    clicks.close()


async def test_window_is_configurable(recorder: Recorder) -> None:
    clicks = ClickAggregator(recorder, window=0.01, hold=30)
    assert clicks.window == 0.01
    tap(clicks)
    assert await recorder.wait_for(1) == [Click(button=MediaButton.MEDIA)]


async def test_close_ends_a_hold_and_drops_a_burst(
    clicks: ClickAggregator, recorder: Recorder
) -> None:
    clicks.press()
    await recorder.wait_for(1)
    clicks.close()
    assert recorder.requests == [SeekForward(begin=True), SeekForward(begin=False)]
    clicks.release()
    clicks.close()
    assert len(recorder.requests) == 2

    other = ClickAggregator(recorder, window=WINDOW, hold=HOLD)
    tap(other, 2)
    other.close()
    tap(other)
    await asyncio.sleep(WINDOW * 2)
    assert len(recorder.requests) == 2
    assert not other.pending


async def test_custom_mapping(recorder: Recorder) -> None:
    def mapping(gesture: ClickGesture) -> list[Request]:
        if gesture is ClickGesture.SINGLE:
            return [Pause(), Play()]
        return list(default_gesture_requests(gesture))

    clicks = ClickAggregator(recorder, window=WINDOW, hold=HOLD, requests=mapping)
    tap(clicks)
    assert await recorder.wait_for(2) == [Pause(), Play()]


async def test_async_dispatch_runs_in_order_and_failures_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Request] = []
    started = asyncio.Event()

    async def dispatch(request: Request) -> None:
        seen.append(request)
        started.set()
        if isinstance(request, SeekForward) and not request.begin:
            raise RuntimeError("task refused")

    clicks = ClickAggregator(dispatch, window=WINDOW, hold=HOLD)
    clicks.press()
    async with asyncio.timeout(5):
        await started.wait()
    with caplog.at_level(logging.WARNING, logger="audio_service.clicks"):
        clicks.release()
        await clicks.wait_dispatched()
    assert seen == [SeekForward(begin=True), SeekForward(begin=False)]
    assert "task refused" in caplog.text


async def test_dispatch_that_raises_does_not_break_the_aggregator(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[Request] = []

    def dispatch(request: Request) -> None:
        calls.append(request)
        raise RuntimeError("boom")

    clicks = ClickAggregator(dispatch, window=WINDOW, hold=30)
    with caplog.at_level(logging.ERROR, logger="audio_service.clicks"):
        tap(clicks)
        await settle(clicks)
        tap(clicks, 2)
        await settle(clicks)
    assert calls == [Click(button=MediaButton.MEDIA), Click(button=MediaButton.NEXT)]
    assert "boom" in caplog.text
    clicks.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"window": 0}, ValueError, "window"),
        ({"window": -1.0}, ValueError, "window"),
        ({"hold": float("nan")}, ValueError, "hold"),
        ({"hold": "1"}, TypeError, "hold"),
        ({"window": True}, TypeError, "window"),
        ({"requests": 3}, TypeError, "requests"),
    ],
)
def test_bad_arguments_name_the_field(
    recorder: Recorder, kwargs: dict[str, object], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        ClickAggregator(recorder, **kwargs)  # type: ignore[arg-type]


def test_dispatch_must_be_callable() -> None:
    with pytest.raises(TypeError, match="dispatch"):
        ClickAggregator(None)  # type: ignore[arg-type]


async def test_the_task_receives_the_gesture_in_on_click() -> None:
    from audio_service._service._core import ServiceCore
    from audio_service._service._task import BackgroundAudioTask

    class Task(BackgroundAudioTask):
        def __init__(self) -> None:
            super().__init__()
            self.buttons: list[MediaButton] = []
            self.seeking: list[bool] = []
            self.heard = asyncio.Event()

        async def on_click(self, button: MediaButton) -> None:
            self.buttons.append(button)
            self.heard.set()

        async def on_seek_forward(self, begin: bool) -> None:
            self.seeking.append(begin)
            self.heard.set()

    task = Task()
    core = ServiceCore(task)
    await core.start()
    clicks = ClickAggregator(core.handle, window=WINDOW, hold=HOLD)
    try:
        tap(clicks, 2)
        async with asyncio.timeout(5):
            await task.heard.wait()
        clicks.press()
        clicks.release()
        clicks.press()
        async with asyncio.timeout(5):
            while not task.seeking:
                task.heard.clear()
                await task.heard.wait()
        clicks.release()
        await clicks.wait_dispatched()
    finally:
        clicks.close()
        await core.shutdown()
    assert task.buttons == [MediaButton.NEXT]
    assert task.seeking == [True, False]
