"""``audio_service.gtk``: GObject signals and properties on the GLib main loop, show/hide."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import adapter_task
import pytest

from audio_service import TaskError
from audio_service.sync import SyncAudioServiceClient
from gui_support import glib_heartbeat, wait_for, x_display
from gui_support import glib_turn as turn

APP_ID = "org.example.GtkAdapterTest"
SIGNALS = (
    "playback-state-changed",
    "media-item-changed",
    "queue-changed",
    "custom-event",
    "running-changed",
    "connection-changed",
    "position-changed",
)

# GTK runs in a pytest process of its own (see the Makefile's unit target).
pytestmark = pytest.mark.gtk


@pytest.fixture(scope="module")
def gtk() -> Any:
    x_display()  # before GTK is first imported: it opens the display then
    import gi

    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk

    return Gtk


class Recorder:
    def __init__(self, service: Any) -> None:
        self.seen: dict[str, list[Any]] = defaultdict(list)
        self.threads: set[str] = set()
        self.failures: list[tuple[str, BaseException]] = []
        for name in SIGNALS:
            service.connect(name, lambda _, value, name=name: self.record(name, value))
        service.connect(
            "request-failed", lambda _, name, error: self.failures.append((name, error))
        )

    def failed(self, name: str, error: BaseException) -> None:
        self.failures.append((name, error))

    def record(self, name: str, value: Any) -> None:
        self.seen[name].append(value)
        self.threads.add(threading.current_thread().name)

    def last(self, name: str) -> Any:
        values = self.seen[name]
        return values[-1] if values else None


def test_signals_and_properties_on_the_main_loop(gtk: Any, runtime: Path) -> None:
    from audio_service.gtk import GtkAudioService

    with glib_heartbeat():
        owner = SyncAudioServiceClient(timeout=20)
        assert owner.start(adapter_task.entrypoint, app_id=APP_ID, mpris=False)
        service = GtkAudioService(timeout=10)
        record = Recorder(service)
        title = gtk.Label()
        service.bind_property("title", title, "label")
        window = gtk.Window()
        window.add(title)
        service.connect_while_shown(window, APP_ID)

        window.show_all()
        wait_for(lambda: service.connected, "connected on map", turn)
        wait_for(lambda: title.get_label() == "Episode 0", "the bound title", turn)
        assert service.artist == "The Testers"
        assert service.duration_ms == 30 * 60 * 1000
        # The queue is its own signal: it may come a main-loop turn after the title.
        wait_for(lambda: len(record.last("queue-changed") or ()) == 3, "the queue", turn)

        service.play()
        wait_for(lambda: service.playing, "the playing property", turn)
        ticks = len(record.seen["position-changed"])
        wait_for(lambda: len(record.seen["position-changed"]) > ticks + 2, "position ticks", turn)
        service.seek_to(timedelta(minutes=2))
        wait_for(lambda: service.position_ms >= 120_000, "the position property", turn)
        service.skip_to_next()
        wait_for(lambda: title.get_label() == "Episode 1", "the next title", turn)

        results: list[Any] = []
        service.custom_action("events", 3, on_result=results.append)
        wait_for(lambda: results == [3] and len(record.seen["custom-event"]) == 3, "events", turn)
        assert record.seen["custom-event"] == [0, 1, 2]
        service.custom_action("boom")
        wait_for(lambda: record.failures, "request-failed", turn)
        assert isinstance(record.failures[0][1], TaskError)
        assert record.threads == {"MainThread"}, "every signal came on the main loop"

        window.hide()
        wait_for(lambda: not service.connected, "disconnected on unmap", turn)
        assert record.last("connection-changed") is False
        assert owner.playback_state.playing, "the service played on"
        window.show_all()
        wait_for(lambda: service.connected, "connected again", turn)
        window.destroy()
        wait_for(lambda: not service.connected, "disconnected on destroy", turn)
        service.close()
        owner.stop()
        owner.close()
    assert [t for t in threading.enumerate() if t.name.startswith("audio_service")] == []
