"""``audio_service.sync``: the blocking client, its threads, callbacks, timeouts and exit."""

from __future__ import annotations

import inspect
import math
import os
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import adapter_task
import pytest

from audio_service import AudioServiceClient as AsyncClient
from audio_service import AudioServiceError, NotConnectedError, TaskError
from audio_service.sync import SyncAudioServiceClient

HERE = Path(__file__).parent
APP_ID = "org.example.SyncTest"


def client_threads() -> list[str]:
    return [
        thread.name
        for thread in threading.enumerate()
        if thread.name.startswith(("audio_service client", "audio_service callbacks"))
    ]


@pytest.fixture
def service(runtime: Path) -> Iterator[SyncAudioServiceClient]:
    """A sync client with the adapter task running in-process on its loop thread."""
    client = SyncAudioServiceClient(timeout=10)
    assert client.start(adapter_task.entrypoint, in_process=True, app_id=APP_ID, mpris=False)
    yield client
    client.close()
    assert client_threads() == [], "close() left a thread behind"


def wait_for(stream: Any, predicate: Callable[[Any], bool], **listen: Any) -> Any:
    """Block until ``stream`` delivers a value satisfying ``predicate`` (10 s at most)."""
    values: queue.SimpleQueue[Any] = queue.SimpleQueue()
    listener = stream.listen(values.put, **listen)
    try:
        while True:
            value = values.get(timeout=10)
            if predicate(value):
                return value
    finally:
        listener.cancel()


def test_requests_block_until_answered_and_return_values(service: SyncAudioServiceClient) -> None:
    assert service.connected
    assert service.running
    assert [item.id for item in service.queue] == ["episode-0", "episode-1", "episode-2"]
    service.play()
    # The state the callback published arrived with its reply: no waiting needed.
    assert service.playback_state.playing
    service.seek_to(timedelta(minutes=5))
    assert service.position >= timedelta(minutes=5)
    service.skip_to_next()
    assert service.current_media_item is not None
    assert service.current_media_item.id == "episode-1"
    assert service.custom_action("echo", [1, "two"]) == {"name": "echo", "arguments": [1, "two"]}
    with pytest.raises(TaskError, match="the task refused"):
        service.custom_action("boom")
    assert service.custom_action("where")["thread"] == "audio_service client loop"


def test_stream_callbacks_run_on_the_clients_thread_in_order(
    service: SyncAudioServiceClient,
) -> None:
    events: queue.SimpleQueue[tuple[int, str]] = queue.SimpleQueue()
    listener = service.custom_event_stream.listen(
        lambda value: events.put((value, threading.current_thread().name))
    )
    assert service.custom_action("events", 50) == 50
    received = [events.get(timeout=10) for _ in range(50)]
    assert [value for value, _ in received] == list(range(50))
    assert {thread for _, thread in received} == {"audio_service callbacks"}
    listener.cancel()
    service.custom_action("events", 3)
    service.custom_action("echo")  # one more round trip: the 3 events were handled by now
    assert events.empty(), "a cancelled listener was called"

    state = wait_for(service.playback_state_stream, lambda s: True)
    assert not state.playing, "a replaying stream starts with the latest value"
    service.play()
    assert wait_for(service.playback_state_stream, lambda s: s.playing).playing


def test_callbacks_go_to_the_dispatcher_the_caller_chooses(service: SyncAudioServiceClient) -> None:
    posted: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
    seen: list[str | None] = []
    listener = service.current_media_item_stream.listen(
        lambda item: seen.append(item.id if item else None), dispatcher=posted.put
    )
    service.skip_to_next()
    # Nothing runs until this thread (the "GUI") runs what was posted to it.
    assert seen == []
    posted.get(timeout=10)()
    while not posted.empty():
        posted.get()()
    assert seen[-1] == "episode-1"
    listener.cancel()


def test_calls_from_many_threads_at_once(service: SyncAudioServiceClient) -> None:
    results: dict[int, list[Any]] = {}

    def work(number: int) -> None:
        results[number] = [service.custom_action("echo", [number, i]) for i in range(40)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for number in range(6):
        assert results[number] == [{"name": "echo", "arguments": [number, i]} for i in range(40)]


def test_a_blocking_call_inside_a_callback_works(service: SyncAudioServiceClient) -> None:
    answers: queue.SimpleQueue[Any] = queue.SimpleQueue()
    listener = service.custom_event_stream.listen(
        lambda value: answers.put(service.custom_action("echo", value))
    )
    service.custom_action("events", 1)
    assert answers.get(timeout=10) == {"name": "echo", "arguments": 0}
    listener.cancel()


def test_timeout_cancels_the_call_and_the_client_carries_on(
    service: SyncAudioServiceClient,
) -> None:
    with pytest.raises(TimeoutError):
        service.custom_action("sleep", 30, timeout=0.05)
    assert service.custom_action("sleep", 0.01) == "slept"
    with pytest.raises(ValueError, match="timeout"):
        service.play(timeout=0)


def test_close_ends_a_call_still_waiting(runtime: Path) -> None:
    client = SyncAudioServiceClient(timeout=math.inf)
    client.start(adapter_task.entrypoint, app_id=APP_ID, mpris=False)  # host mode: it plays on
    outcome: queue.SimpleQueue[BaseException | object] = queue.SimpleQueue()

    def wait_long() -> None:
        try:
            outcome.put(client.custom_action("sleep", 3600))
        except BaseException as error:
            outcome.put(error)

    caller = threading.Thread(target=wait_long)
    caller.start()
    client.custom_action("echo")  # the long call is on the loop by the time this returns
    client.close()
    caller.join(timeout=10)
    error = outcome.get(timeout=1)
    assert isinstance(error, AudioServiceError), error
    assert client_threads() == []
    with SyncAudioServiceClient(timeout=10) as other:
        other.connect(APP_ID)
        other.stop()


def test_close_in_process_stops_the_service_and_the_client_can_start_again(
    runtime: Path,
) -> None:
    client = SyncAudioServiceClient(timeout=10)
    client.start(adapter_task.entrypoint, in_process=True, app_id=APP_ID, mpris=False)
    states: list[bool] = []
    client.running_stream.listen(states.append)
    client.close()
    assert not client.connected
    assert client_threads() == []
    with pytest.raises(NotConnectedError):
        client.play()
    # Used again, it starts fresh threads.
    assert client.start(adapter_task.entrypoint, in_process=True, app_id=APP_ID, mpris=False)
    client.play()
    assert client.playback_state.playing
    client.close()
    assert client_threads() == []


def test_host_mode_the_service_outlives_the_client(runtime: Path) -> None:
    first = SyncAudioServiceClient(timeout=20)
    assert first.start(adapter_task.entrypoint, app_id=APP_ID, mpris=False)
    host = first.custom_action("where")
    assert host["pid"] != os.getpid()
    first.play()
    first.close()

    with SyncAudioServiceClient(timeout=20) as second:
        second.connect(APP_ID)
        assert second.running
        assert second.playback_state.playing, "the service played on without a client"
        assert second.custom_action("where")["pid"] == host["pid"]
        second.stop()
    assert client_threads() == []


def test_a_script_exits_cleanly_without_close(runtime: Path) -> None:
    """No asyncio in sight, no close(): the exit still ends the threads without a warning."""
    script = textwrap.dedent(
        f"""
        import atexit, sys, threading
        # Registered before the client's hook, so it runs after it (atexit is LIFO).
        atexit.register(lambda: print("left", [t.name for t in threading.enumerate()]))
        sys.path.insert(0, {str(HERE)!r})
        import adapter_task
        from audio_service.sync import AudioService

        AudioService.start(adapter_task.entrypoint, in_process=True, mpris=False)
        AudioService.custom_event_stream.listen(print)
        AudioService.play()
        print("playing", AudioService.playback_state.playing)
        print(AudioService.custom_action("events", 2))
        """
    )
    done = subprocess.run(
        # Every warning an error (ResourceWarning too), but not -X dev: its asyncio
        # debug mode logs slow callbacks, which a loaded machine makes.
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "playing True" in done.stdout
    assert "left ['MainThread']" in done.stdout
    assert done.stderr == "", "no warning, no pending task, no traceback"


def test_the_method_names_are_those_of_the_asyncio_client() -> None:
    def public_coroutines(cls: type) -> dict[str, inspect.Signature]:
        # Through the bases too: the client's plain request methods live on one.
        return {
            name: inspect.signature(member)
            for klass in reversed(cls.__mro__)
            for name, member in vars(klass).items()
            if not name.startswith("_") and inspect.iscoroutinefunction(member)
        }

    expected = public_coroutines(AsyncClient)
    expected["close_notification"] = expected.pop("close")
    for name, signature in expected.items():
        blocking = getattr(SyncAudioServiceClient, name)
        assert not inspect.iscoroutinefunction(blocking), name
        parameters = list(inspect.signature(blocking).parameters)
        if name == "start":
            # Its many keyword options are passed on as they are (**options).
            assert parameters[:3] == list(signature.parameters)[:3]
            assert parameters[-1] == "options"
            continue
        assert parameters == [*signature.parameters, "timeout"], name
