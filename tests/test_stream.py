"""The shared stream type: replay, isolation of listeners, bounded buffers, errors, closing."""

from __future__ import annotations

import asyncio
import logging

import pytest

from audio_session import Stream, StreamController, Subscription


async def settle() -> None:
    """Let listener tasks run until they have nothing left to do."""
    for _ in range(5):
        await asyncio.sleep(0)


def drain(subscription: Subscription[int]) -> list[int]:
    """What is buffered in a subscription right now, without waiting."""
    values = list(subscription._buffer)
    subscription._buffer.clear()
    return values


# Replay --------------------------------------------------------------------


async def test_replaying_stream_gives_the_latest_value_to_each_new_listener() -> None:
    controller: StreamController[int] = StreamController("numbers", replay=True)
    controller.add(1)
    controller.add(2)
    first = controller.stream.subscribe()
    assert await anext(first) == 2
    controller.add(3)
    second = controller.stream.subscribe()
    assert await anext(second) == 3
    assert await anext(first) == 3


async def test_event_stream_gives_only_later_values() -> None:
    controller: StreamController[int] = StreamController("events")
    controller.add(1)
    subscription = controller.stream.subscribe()
    controller.add(2)
    assert await anext(subscription) == 2
    assert drain(subscription) == []


async def test_initial_value_is_replayed_and_readable() -> None:
    controller: StreamController[str] = StreamController("s", replay=True, initial="start")
    assert controller.latest == "start"
    assert controller.stream.value == "start"
    assert await controller.stream.first() == "start"


def test_initial_value_needs_a_replaying_stream() -> None:
    with pytest.raises(ValueError, match="replaying"):
        StreamController("s", initial=1)


def test_value_before_any_value_raises_lookup_error() -> None:
    controller: StreamController[int] = StreamController("empty", replay=True)
    assert not controller.stream.has_value
    with pytest.raises(LookupError, match="empty"):
        _ = controller.stream.value
    with pytest.raises(LookupError):
        _ = controller.latest


def test_value_goes_through_map_and_where() -> None:
    controller: StreamController[int] = StreamController("n", replay=True, initial=3)
    assert controller.stream.map(lambda v: v * 10).value == 30
    evens = controller.stream.where(lambda v: v % 2 == 0)
    assert not evens.has_value
    with pytest.raises(LookupError):
        _ = evens.value
    controller.add(4)
    assert evens.value == 4


async def test_a_slow_replaying_listener_gets_only_the_newest_value() -> None:
    controller: StreamController[int] = StreamController("state", replay=True)
    subscription = controller.stream.subscribe()
    for value in range(10):
        controller.add(value)
    assert drain(subscription) == [9]
    assert subscription.dropped == 9


# Isolation and bounded buffers ----------------------------------------------


async def test_a_slow_listener_does_not_block_the_producer_or_other_listeners() -> None:
    controller: StreamController[int] = StreamController("events")
    gate = asyncio.Event()
    slow_seen: list[int] = []
    fast_seen: list[int] = []

    async def slow(value: int) -> None:
        await gate.wait()
        slow_seen.append(value)

    controller.stream.listen(slow)
    controller.stream.listen(fast_seen.append)
    for value in range(5):
        controller.add(value)  # never waits
    await settle()
    assert fast_seen == [0, 1, 2, 3, 4]
    assert slow_seen == []
    gate.set()
    await settle()
    assert slow_seen == [0, 1, 2, 3, 4]


async def test_event_buffer_is_bounded_and_drops_the_oldest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller: StreamController[int] = StreamController("bounded", maxsize=3)
    subscription = controller.stream.subscribe()
    with caplog.at_level(logging.WARNING, logger="audio_session._stream"):
        for value in range(5):
            controller.add(value)
    assert drain(subscription) == [2, 3, 4]
    assert subscription.dropped == 2
    assert "bounded" in caplog.text
    assert "dropped" in caplog.text


async def test_per_subscription_maxsize_overrides_the_controller() -> None:
    controller: StreamController[int] = StreamController("events", maxsize=100)
    small = controller.stream.subscribe(maxsize=1)
    big = controller.stream.subscribe()
    for value in range(3):
        controller.add(value)
    assert drain(small) == [2]
    assert drain(big) == [0, 1, 2]


def test_buffer_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StreamController("s", maxsize=0)
    controller: StreamController[int] = StreamController("s")
    with pytest.raises(ValueError, match="at least 1"):
        controller.stream.subscribe(maxsize=0)


async def test_default_event_buffer_does_not_grow_without_bound() -> None:
    controller: StreamController[int] = StreamController("events")
    subscription = controller.stream.subscribe()
    for value in range(5000):
        controller.add(value)
    buffered = drain(subscription)
    assert 0 < len(buffered) < 5000
    assert buffered[-1] == 4999
    assert subscription.dropped == 5000 - len(buffered)


# Errors --------------------------------------------------------------------


async def test_a_raising_callback_does_not_break_the_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller: StreamController[int] = StreamController("events")
    seen: list[int] = []

    def callback(value: int) -> None:
        if value == 1:
            raise RuntimeError("boom")
        seen.append(value)

    other: list[int] = []
    controller.stream.listen(callback)
    controller.stream.listen(other.append)
    with caplog.at_level(logging.ERROR, logger="audio_session._stream"):
        for value in range(3):
            controller.add(value)
        await settle()
    assert seen == [0, 2]
    assert other == [0, 1, 2]
    assert "boom" in caplog.text


async def test_on_error_receives_the_exception_and_may_itself_fail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller: StreamController[int] = StreamController("events")
    errors: list[BaseException] = []

    def on_error(error: BaseException) -> None:
        errors.append(error)
        raise ValueError("handler broke too")

    seen: list[int] = []

    def callback(value: int) -> None:
        seen.append(value)
        raise KeyError(value)

    controller.stream.listen(callback, on_error=on_error)
    with caplog.at_level(logging.ERROR, logger="audio_session._stream"):
        controller.add(1)
        controller.add(2)
        await settle()
    assert seen == [1, 2]
    assert [type(e) for e in errors] == [KeyError, KeyError]
    assert "error handler" in caplog.text
    assert "events" in caplog.text


async def test_an_async_callback_that_raises_is_contained() -> None:
    controller: StreamController[int] = StreamController("events")
    seen: list[int] = []

    async def callback(value: int) -> None:
        await asyncio.sleep(0)
        if value == 0:
            raise RuntimeError("async boom")
        seen.append(value)

    errors: list[BaseException] = []
    controller.stream.listen(callback, on_error=errors.append)
    controller.add(0)
    controller.add(1)
    await settle()
    assert seen == [1]
    assert len(errors) == 1


async def test_a_raising_filter_affects_only_its_own_listener(
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller: StreamController[int] = StreamController("events")

    def picky(value: int) -> bool:
        if value == 1:
            raise ZeroDivisionError
        return True

    broken = controller.stream.where(picky).subscribe()
    fine = controller.stream.subscribe()
    with caplog.at_level(logging.ERROR, logger="audio_session._stream"):
        for value in range(3):
            controller.add(value)
    assert drain(broken) == [0, 2]
    assert drain(fine) == [0, 1, 2]
    assert "filter" in caplog.text


def test_listen_without_a_running_loop_leaves_nothing_attached() -> None:
    controller: StreamController[int] = StreamController("events")
    with pytest.raises(RuntimeError):
        controller.stream.listen(print)
    assert not controller.has_listener


# Async callbacks and order ---------------------------------------------------


async def test_async_callbacks_are_awaited_one_value_at_a_time_in_order() -> None:
    controller: StreamController[int] = StreamController("events")
    running = 0
    peak = 0
    seen: list[int] = []

    async def callback(value: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        seen.append(value)
        running -= 1

    controller.stream.listen(callback)
    for value in range(4):
        controller.add(value)
    await settle()
    await settle()
    assert seen == [0, 1, 2, 3]
    assert peak == 1


# Cancel and close ------------------------------------------------------------


async def test_cancel_stops_delivery_and_is_idempotent() -> None:
    controller: StreamController[int] = StreamController("events")
    seen: list[int] = []
    subscription = controller.stream.listen(seen.append)
    controller.add(1)
    await settle()
    subscription.cancel()
    subscription.cancel()
    assert subscription.cancelled
    assert not controller.has_listener
    controller.add(2)
    await settle()
    assert seen == [1]


async def test_cancel_from_inside_the_callback() -> None:
    controller: StreamController[int] = StreamController("events")
    seen: list[int] = []
    subscription: Subscription[int] | None = None

    def callback(value: int) -> None:
        seen.append(value)
        assert subscription is not None
        subscription.cancel()

    subscription = controller.stream.listen(callback)
    controller.add(1)
    controller.add(2)
    await settle()
    assert seen == [1]
    assert subscription._task is not None
    assert subscription._task.done()


async def test_cancel_wakes_a_waiting_iterator() -> None:
    controller: StreamController[int] = StreamController("events")
    subscription = controller.stream.subscribe()
    waiter = asyncio.ensure_future(anext(subscription))
    await settle()
    assert not waiter.done()
    subscription.cancel()
    with pytest.raises(StopAsyncIteration):
        await waiter


async def test_subscription_as_context_manager_cancels_on_exit() -> None:
    controller: StreamController[int] = StreamController("events")
    with controller.stream.subscribe() as subscription:
        assert controller.has_listener
    assert subscription.cancelled
    assert not controller.has_listener


async def test_close_lets_listeners_finish_the_buffered_values() -> None:
    controller: StreamController[int] = StreamController("events")
    subscription = controller.stream.subscribe()
    controller.add(1)
    controller.add(2)
    controller.close()
    controller.close()  # idempotent
    assert [value async for value in subscription] == [1, 2]
    assert subscription.cancelled
    with pytest.raises(RuntimeError, match="closed"):
        controller.add(3)


async def test_close_ends_listen_tasks() -> None:
    controller: StreamController[int] = StreamController("events")
    seen: list[int] = []
    subscription = controller.stream.listen(seen.append)
    controller.add(1)
    controller.close()
    await settle()
    assert seen == [1]
    assert subscription._task is not None
    assert subscription._task.done()
    assert not controller.has_listener


async def test_subscribing_to_a_closed_replaying_stream_yields_the_last_value_then_ends() -> None:
    controller: StreamController[int] = StreamController("state", replay=True, initial=7)
    controller.close()
    assert [value async for value in controller.stream] == [7]
    assert not controller.has_listener


async def test_first_on_a_closed_stream_without_a_match_raises_eof() -> None:
    controller: StreamController[int] = StreamController("events")
    controller.close()
    with pytest.raises(EOFError, match="events"):
        await controller.stream.first()


async def test_first_with_predicate_waits_for_a_match_and_detaches() -> None:
    controller: StreamController[int] = StreamController("events")
    result = asyncio.ensure_future(controller.stream.first(lambda v: v > 2))
    await settle()
    for value in range(5):
        controller.add(value)
    assert await result == 3
    assert not controller.has_listener


# Operators -------------------------------------------------------------------


async def test_map_where_distinct_compose() -> None:
    controller: StreamController[int] = StreamController("events")
    stream: Stream[str] = (
        controller.stream.where(lambda v: v >= 0).map(lambda v: v // 10).distinct().map(str)
    )
    subscription = stream.subscribe()
    for value in (1, 5, -3, 12, 19, 3, 3, 25):
        controller.add(value)
    assert [await anext(subscription) for _ in range(4)] == ["0", "1", "0", "2"]


async def test_distinct_keeps_history_per_subscription() -> None:
    controller: StreamController[int] = StreamController("state", replay=True, initial=1)
    distinct = controller.stream.distinct()
    first = distinct.subscribe()
    controller.add(1)
    controller.add(2)
    second = distinct.subscribe()  # replay of 2 is new for this listener
    controller.add(2)
    assert drain(first) == [2]  # 1 was replaced by 2 in the one-slot buffer
    assert drain(second) == [2]


async def test_distinct_on_a_replaying_stream_skips_repeated_values() -> None:
    controller: StreamController[int] = StreamController("state", replay=True, maxsize=10)
    subscription = controller.stream.distinct().subscribe(maxsize=10)
    for value in (1, 1, 2, 2, 1):
        controller.add(value)
    assert drain(subscription) == [1, 2, 1]


async def test_async_for_over_the_stream() -> None:
    controller: StreamController[int] = StreamController("events")
    received: list[int] = []

    async def consume() -> None:
        async for value in controller.stream:
            received.append(value)

    task = asyncio.ensure_future(consume())
    await settle()
    controller.add(1)
    controller.add(2)
    controller.close()
    await task
    assert received == [1, 2]


# on_listen -------------------------------------------------------------------


async def test_on_listen_fires_when_the_first_listener_attaches() -> None:
    calls: list[int] = []
    controller: StreamController[int] = StreamController(
        "events", on_listen=lambda: calls.append(1)
    )
    first = controller.stream.subscribe()
    second = controller.stream.subscribe()
    assert calls == [1]
    first.cancel()
    second.cancel()
    controller.stream.subscribe()
    assert calls == [1, 1]


def test_a_raising_on_listen_hook_is_logged_and_the_subscription_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def hook() -> None:
        raise RuntimeError("hook broke")

    controller: StreamController[int] = StreamController("events", on_listen=hook)
    with caplog.at_level(logging.ERROR, logger="audio_session._stream"):
        subscription = controller.stream.subscribe()
    assert "hook broke" in caplog.text
    controller.add(1)
    assert drain(subscription) == [1]
