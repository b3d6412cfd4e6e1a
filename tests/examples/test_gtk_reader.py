"""``examples/gtk_reader.py`` under Xvfb: the buttons drive a real reader in its own process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from examples_support import dark_share, playerctl

from audio_service.sync import SyncAudioServiceClient
from audio_session.testing import AudioRig
from gui_support import glib_heartbeat, wait_for, x_display
from gui_support import glib_turn as turn

# GTK runs in a pytest process of its own (see the Makefile's unit target).
pytestmark = pytest.mark.gtk


@pytest.fixture(scope="module")
def gtk() -> Any:
    """The example, imported under a private X server (GTK opens the display on import)."""
    x_display()
    import gtk_reader

    return gtk_reader


@pytest.fixture
def window(gtk: Any, audio_rig: AudioRig) -> Iterator[Any]:
    from audio_service.gtk import GtkAudioService

    service = GtkAudioService(timeout=20)
    ready: list[bool] = []
    window = gtk.open_reader(service, on_ready=lambda: ready.append(True))
    with glib_heartbeat():
        window.show_all()
        wait_for(lambda: ready, "the reader to start", turn, timeout=30)
        yield window
        if service.asyncio_client.running:
            window.buttons["stop"].clicked()
            wait_for(lambda: not service.asyncio_client.running, "the reader to stop", turn)
        window.destroy()
        service.close()
    assert not service.sync_client.connected


@pytest.mark.audio_server("pulseaudio")
def test_read_aloud_then_move_by_sentence(window: Any, gtk: Any, screenshots: Path) -> None:
    service = window.service
    window.buttons["read"].clicked()
    wait_for(lambda: len(window.sentences.get_children()) == 4, "one row per sentence", turn)
    wait_for(lambda: service.playing, "the reading to start", turn)
    assert window.buttons["play"].get_label() == "Pause"
    assert gtk.ARTICLE_TITLE in window.title.get_label()
    assert playerctl("status") == "Playing"
    assert playerctl("metadata", "xesam:album") == gtk.ARTICLE_TITLE

    window.buttons["next"].clicked()
    wait_for(lambda: service.playback_state.queue_index == 1, "the second sentence", turn)
    second = service.queue[1]
    wait_for(lambda: window.sentence.get_text() == second.display_title, "its text", turn)
    # The row follows the playback state, the label the media item: two signals, either first.
    wait_for(lambda: window.sentences.get_selected_row().get_index() == 1, "its row selected", turn)
    wait_for(lambda: window.progress.get_fraction() > 0, "the progress bar to move", turn)

    window.buttons["play"].clicked()  # the same button pauses
    wait_for(lambda: not service.playing, "the pause", turn)
    assert window.buttons["play"].get_label() == "Play"
    assert playerctl("status") == "Paused"

    # The service's own view, from another client.
    with SyncAudioServiceClient(timeout=10) as other:
        other.connect(gtk.APP_ID)
        assert [item.id for item in other.queue] == [item.id for item in service.queue]
        assert other.playback_state.queue_index == 1
        assert not other.playback_state.playing

    # A screenshot of the window: the article's title is drawn.
    from gi.repository import Gdk

    for _ in range(5):  # let the last changes be drawn
        turn()
    width, height = window.get_allocated_width(), window.get_allocated_height()
    shot = Gdk.pixbuf_get_from_window(window.get_window(), 0, 0, width, height)
    shot.savev(str(screenshots / "gtk_reader.png"), "png", [], [])
    pixels, stride, channels = shot.get_pixels(), shot.get_rowstride(), shot.get_n_channels()

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        at = y * stride + x * channels
        return pixels[at], pixels[at + 1], pixels[at + 2]

    title = window.title.get_allocation()
    assert dark_share(pixel, (title.x, title.y, min(title.width, 200), title.height)) > 0.03
    sentence = window.sentence.get_allocation()
    assert dark_share(pixel, (sentence.x, sentence.y, sentence.width, sentence.height)) > 0.01
