"""``examples/gtk_reader.py`` under Xvfb: the buttons drive a real reader in its own process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from examples_support import dark_share, playerctl, wait_for

from audio_service.sync import AudioServiceClient
from audio_session.testing import AudioRig


@pytest.fixture(scope="module")
def gtk() -> Iterator[Any]:
    """A private X server (Xvfb) for this module, and the example imported under it."""
    xvfb = shutil.which("Xvfb")
    assert xvfb is not None, "Xvfb is missing: scripts/ensure-system-deps.sh installs it"
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = pipe.readline().strip()
    assert display, "Xvfb did not start"
    saved = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = f":{display}"
    try:
        import gtk_reader  # GTK opens the display when it is first imported

        yield gtk_reader
    finally:
        server.terminate()
        server.wait(timeout=10)
        if saved is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = saved


@pytest.fixture
def window(gtk: Any, audio_rig: AudioRig) -> Iterator[Any]:
    from gi.repository import GLib

    from audio_service.gtk import GtkAudioService

    # A heartbeat, so that a turn of the main loop never blocks for long.
    heartbeat = GLib.timeout_add(50, lambda: GLib.SOURCE_CONTINUE)
    service = GtkAudioService(timeout=20)
    ready: list[bool] = []
    window = gtk.open_reader(service, on_ready=lambda: ready.append(True))
    window.show_all()
    wait_for(lambda: ready, "the reader to start", turn, timeout=30)
    yield window
    if service.asyncio_client.running:
        window.buttons["stop"].clicked()
        wait_for(lambda: not service.asyncio_client.running, "the reader to stop", turn)
    window.destroy()
    service.close()
    GLib.source_remove(heartbeat)
    assert not service.sync_client.connected


def turn() -> None:
    from gi.repository import GLib

    GLib.MainContext.default().iteration(True)


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
    assert window.sentences.get_selected_row().get_index() == 1
    wait_for(lambda: window.progress.get_fraction() > 0, "the progress bar to move", turn)

    window.buttons["play"].clicked()  # the same button pauses
    wait_for(lambda: not service.playing, "the pause", turn)
    assert window.buttons["play"].get_label() == "Play"
    assert playerctl("status") == "Paused"

    # The service's own view, from another client.
    with AudioServiceClient(timeout=10) as other:
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
