"""``audio_service.qt``: signals on the GUI thread, slots that never block, qasync, show/hide."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import adapter_task
import pytest
import qasync
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget

from audio_service import AudioServiceClient as AsyncClient
from audio_service import TaskError
from audio_service.qt import QtAudioService
from audio_service.sync import SyncAudioServiceClient
from gui_support import qt_application, wait_for
from gui_support import qt_turn as turn

# Qt runs in a pytest process of its own (see the Makefile's unit target).
pytestmark = pytest.mark.qt

APP_ID = "org.example.QtAdapterTest"
SIGNALS = (
    "playback_state_changed",
    "media_item_changed",
    "queue_changed",
    "custom_event",
    "running_changed",
    "connection_changed",
    "position_changed",
)


@pytest.fixture(scope="module")
def app() -> QApplication:
    return qt_application()


class Recorder:
    """What each signal of a QtAudioService carried, and on which threads."""

    def __init__(self, service: QtAudioService) -> None:
        self.seen: dict[str, list[Any]] = defaultdict(list)
        self.threads: set[QThread] = set()
        self.failures: list[tuple[str, BaseException]] = []
        for name in SIGNALS:
            getattr(service, name).connect(lambda value, name=name: self.record(name, value))
        service.request_failed.connect(lambda name, error: self.failures.append((name, error)))

    def record(self, name: str, value: Any) -> None:
        self.seen[name].append(value)
        self.threads.add(QThread.currentThread())

    def last(self, name: str) -> Any:
        values = self.seen[name]
        return values[-1] if values else None


def test_signals_come_on_the_gui_thread_and_requests_do_not_block(
    app: QApplication, runtime: Path
) -> None:
    service = QtAudioService(timeout=10)
    record = Recorder(service)
    started: list[bool] = []
    service.start(
        adapter_task.entrypoint, in_process=True, app_id=APP_ID, mpris=False, then=started.append
    )
    wait_for(lambda: started == [True], "start", turn)
    wait_for(lambda: record.last("connection_changed") is True, "connection_changed", turn)
    wait_for(lambda: record.last("running_changed") is True, "running_changed", turn)
    wait_for(lambda: len(record.last("queue_changed") or ()) == 3, "queue_changed", turn)
    wait_for(lambda: record.last("media_item_changed") is not None, "media_item_changed", turn)
    assert record.last("media_item_changed").id == "episode-0"

    service.play()
    wait_for(lambda: record.last("playback_state_changed").playing, "the playing state", turn)
    ticks = len(record.seen["position_changed"])
    wait_for(lambda: len(record.seen["position_changed"]) > ticks + 2, "position ticks", turn)
    service.seek_to_ms(60_000)
    wait_for(lambda: record.last("position_changed") >= timedelta(seconds=60), "the seek", turn)

    results: list[Any] = []
    service.custom_action("events", 5, on_result=results.append)
    wait_for(lambda: results == [5], "the action's result", turn)
    wait_for(lambda: len(record.seen["custom_event"]) == 5, "the custom events", turn)
    assert record.seen["custom_event"] == [0, 1, 2, 3, 4]

    service.custom_action("boom")
    wait_for(lambda: record.failures, "request_failed", turn)
    name, error = record.failures[0]
    assert name == "boom"
    assert isinstance(error, TaskError)

    assert record.threads == {app.thread()}, "every signal came on the GUI thread"
    service.close()  # an in-process service lives on the client's thread: it stops too
    assert service.sync_client is not None
    assert not service.sync_client.connected
    assert [t for t in threading.enumerate() if t.name.startswith("audio_service")] == []


def test_connected_while_the_widget_is_shown_and_the_service_plays_on(
    app: QApplication, runtime: Path
) -> None:
    with SyncAudioServiceClient(timeout=20) as owner:
        assert owner.start(adapter_task.entrypoint, app_id=APP_ID, mpris=False)
        owner.play()
        service = QtAudioService(timeout=10)
        record = Recorder(service)
        widget = QWidget()
        service.connect_while_shown(widget, APP_ID)
        assert record.last("connection_changed") is None

        widget.show()
        wait_for(lambda: record.last("connection_changed") is True, "connected on show", turn)
        wait_for(lambda: record.last("media_item_changed") is not None, "the item", turn)
        wait_for(lambda: record.last("playback_state_changed").playing, "its state", turn)

        widget.hide()
        wait_for(lambda: record.last("connection_changed") is False, "disconnected on hide", turn)
        assert owner.custom_action("echo") == {"name": "echo", "arguments": None}
        assert owner.playback_state.playing, "the service played on"

        widget.show()
        wait_for(lambda: record.last("connection_changed") is True, "connected again", turn)
        widget.close()
        wait_for(lambda: record.last("connection_changed") is False, "disconnected on close", turn)
        service.close()
        owner.stop()


def test_on_a_qasync_loop_it_needs_no_thread(app: QApplication, runtime: Path) -> None:
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def scenario() -> None:
        client = AsyncClient()
        service = QtAudioService(asyncio_client=client)
        record = Recorder(service)
        playing = asyncio.Event()
        service.playback_state_changed.connect(lambda state: state.playing and playing.set())
        started = asyncio.Event()
        service.start(
            adapter_task.entrypoint, in_process=True, mpris=False, then=lambda _: started.set()
        )
        async with asyncio.timeout(10):
            await started.wait()
            service.play()
            await playing.wait()
        # The app's own client on the app's own loop: the task runs on the GUI thread.
        assert service.sync_client is None
        assert await client.custom_action("where") == {"pid": os.getpid(), "thread": "MainThread"}
        assert [t.name for t in threading.enumerate() if t.name.startswith("audio_service")] == []
        assert record.threads == {app.thread()}
        service.close()
        await client.stop()
        await client.disconnect()
        # What the stop started (surfaces closing) ends before this loop does.
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if others:
            await asyncio.wait(others, timeout=5)

    try:
        loop.run_until_complete(scenario())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
