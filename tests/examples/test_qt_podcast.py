"""``examples/qt_podcast.py``: the window's buttons drive a real player in its own process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import example_media
import pytest
import qt_podcast
from examples_support import colour_share, dark_share, playerctl
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from audio_service.qt import QtAudioService
from audio_service.sync import SyncAudioServiceClient
from audio_session.testing import AudioRig
from gui_support import qt_application, wait_for
from gui_support import qt_turn as turn

# Qt runs in a pytest process of its own (see the Makefile's unit target).
pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def app() -> QApplication:
    return qt_application()


@pytest.fixture
def window(
    app: QApplication, audio_rig: AudioRig, tmp_path: Path
) -> Iterator[qt_podcast.PodcastWindow]:
    episodes = example_media.make_episodes(tmp_path / "media", seconds=20)
    service = QtAudioService(timeout=20)
    ready: list[bool] = []
    window = qt_podcast.open_player(service, episodes, on_ready=lambda: ready.append(True))
    window.resize(520, 480)
    window.show()
    wait_for(lambda: ready, "the service to start with the episodes queued", turn, timeout=30)
    yield window
    if service.asyncio_client.running:
        window.buttons["stop"].click()
        wait_for(lambda: not service.asyncio_client.running, "the player to stop", turn)
    window.close()
    service.close()
    assert service.sync_client is not None
    assert not service.sync_client.connected


def click(window: qt_podcast.PodcastWindow, name: str) -> None:
    QTest.mouseClick(window.buttons[name], Qt.MouseButton.LeftButton)


@pytest.mark.audio_server("pulseaudio")
def test_the_buttons_drive_the_player_and_the_window_follows(
    window: qt_podcast.PodcastWindow, screenshots: Path
) -> None:
    service = window.service
    episodes = list(service.queue)
    wait_for(lambda: window.title.text() == "Welcome to the show", "the first title", turn)
    wait_for(lambda: window.queue.count() == 3, "the queue list", turn)
    assert window.artist.text() == f"{example_media.HOST} · {example_media.PODCAST}"

    click(window, "play")
    wait_for(lambda: window.buttons["play"].text() == "Pause", "the Pause label", turn)
    assert playerctl("status") == "Playing"
    wait_for(lambda: window.slider.value() > 300, "the slider to follow the position", turn)

    click(window, "next")
    wait_for(lambda: window.title.text() == episodes[1].title, "the second title", turn)
    assert playerctl("metadata", "xesam:title") == episodes[1].title
    window.speed.setCurrentIndex(qt_podcast.SPEEDS.index(1.5))
    window.speed.activated.emit(qt_podcast.SPEEDS.index(1.5))
    wait_for(lambda: service.playback_state.speed == 1.5, "the new speed", turn)
    wait_for(lambda: window.slider.value() > 300, "the position in the second episode", turn)

    # The service's own view, from another client.
    with SyncAudioServiceClient(timeout=10) as other:
        other.connect(qt_podcast.APP_ID)
        assert other.playback_state.playing
        assert other.playback_state.speed == 1.5
        assert other.current_media_item is not None
        assert other.current_media_item.id == episodes[1].id
        assert other.position > timedelta(0)

    # The screenshot shows the second episode's cover and its title.
    image = window.grab().toImage()
    image.save(str(screenshots / "qt_podcast.png"))

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        colour = image.pixelColor(x, y)
        return colour.red(), colour.green(), colour.blue()

    scale = image.width() / window.width()
    cover = window.cover.geometry()
    cover_box = (
        round(cover.x() * scale),
        round(cover.y() * scale),
        round(cover.width() * scale),
        round(cover.height() * scale),
    )
    blue = example_media.EPISODES[1][2]
    assert colour_share(pixel, cover_box, blue) > 0.6, "the cover is on screen"
    title = window.title.geometry()
    text = window.title.fontMetrics().horizontalAdvance(window.title.text())
    title_box = (
        round(title.x() * scale),
        round(title.y() * scale),
        round(min(text, title.width()) * scale),
        round(title.height() * scale),
    )
    assert dark_share(pixel, title_box) > 0.03, "the title's text is drawn"

    click(window, "play")  # the same button pauses
    wait_for(lambda: window.buttons["play"].text() == "Play", "the Play label", turn)
    assert playerctl("status") == "Paused"
    # A click on the queue jumps there.
    third = window.queue.item(2)
    window.queue.itemActivated.emit(third)
    wait_for(lambda: window.title.text() == episodes[2].title, "the third title", turn)
