"""A podcast player window on Qt: cover, title and artist, a seek slider, transport, queue, speed.

    pip install 'audio-service-kit[qt,mpv]'
    python examples/qt_podcast.py [AUDIO_FILE ...]

Without files it plays three short episodes made on the spot. The player runs
in its own process: close the window and it plays on (the desktop's media
controls and ``playerctl`` still drive it); run the script again to come back
to it; Stop ends it. No asyncio in sight: ``QtAudioService`` runs the client on
a thread of its own and emits its signals on the GUI thread.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from example_media import make_episodes
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from audio_service import AudioServiceBackground, MediaItem, MediaQueue, PlaybackState
from audio_service.players.mpv import MpvPlayerTask
from audio_service.qt import QtAudioService

APP_ID = "org.example.QtPodcast"
SPEEDS = [0.75, 1.0, 1.25, 1.5, 2.0]


def entrypoint() -> None:
    """The background task: the ready-made mpv player (top level: the host imports it)."""
    AudioServiceBackground.run(MpvPlayerTask)


def clock(position: timedelta) -> str:
    seconds = int(position.total_seconds())
    return f"{seconds // 60}:{seconds % 60:02d}"


class PodcastWindow(QWidget):
    def __init__(self, service: QtAudioService) -> None:
        super().__init__()
        self.service = service
        self.setWindowTitle("Podcasts")
        self.cover = QLabel()
        self.cover.setFixedSize(160, 160)
        self.cover.setScaledContents(True)
        self.title = QLabel("Nothing playing")
        self.title.setStyleSheet("font-size: 18px; font-weight: bold")
        self.artist = QLabel("")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.elapsed = QLabel("0:00 / 0:00")
        self.speed = QComboBox()
        self.speed.addItems([f"{speed}x" for speed in SPEEDS])
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.queue = QListWidget()
        self.status = QLabel("")

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name, label, slot in [
            ("previous", "Previous", service.skip_to_previous),
            ("rewind", "-10 s", service.rewind),
            ("play", "Play", service.toggle),
            ("forward", "+10 s", service.fast_forward),
            ("next", "Next", service.skip_to_next),
            ("stop", "Stop", service.stop),
        ]:
            button = self.buttons[name] = QPushButton(label)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addWidget(self.speed)

        now = QGridLayout()
        now.addWidget(self.cover, 0, 0, 3, 1)
        now.addWidget(self.title, 0, 1)
        now.addWidget(self.artist, 1, 1)
        now.addWidget(self.elapsed, 2, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(now)
        layout.addWidget(self.slider)
        layout.addLayout(buttons)
        layout.addWidget(self.queue)
        layout.addWidget(self.status)

        # What the service shows -> the widgets.
        service.media_item_changed.connect(self.show_item)
        service.playback_state_changed.connect(self.show_state)
        service.position_changed.connect(self.show_position)
        service.queue_changed.connect(self.show_queue)
        service.request_failed.connect(lambda name, error: self.status.setText(f"{name}: {error}"))
        # The widgets -> requests.
        self.slider.sliderReleased.connect(lambda: service.seek_to_ms(self.slider.value()))
        self.speed.activated.connect(lambda index: service.set_speed(SPEEDS[index]))
        self.queue.itemActivated.connect(
            lambda item: service.skip_to_queue_item(item.data(Qt.ItemDataRole.UserRole))
        )

    def show_item(self, item: MediaItem | None) -> None:
        self.title.setText(item.title if item else "Nothing playing")
        self.artist.setText(" · ".join(filter(None, [item.artist, item.album])) if item else "")
        art = QUrl(item.art_uri).toLocalFile() if item and item.art_uri else ""
        self.cover.setPixmap(QPixmap(art) if art else QPixmap())
        duration = item.duration if item and item.duration else timedelta(0)
        self.slider.setRange(0, int(duration.total_seconds() * 1000))

    def show_state(self, state: PlaybackState) -> None:
        self.buttons["play"].setText("Pause" if state.playing else "Play")
        if state.speed in SPEEDS:
            self.speed.setCurrentIndex(SPEEDS.index(state.speed))
        for row in range(self.queue.count()):
            self.queue.item(row).setSelected(row == state.queue_index)

    def show_position(self, position: timedelta) -> None:
        if not self.slider.isSliderDown():  # the user's drag wins until released
            self.slider.setValue(int(position.total_seconds() * 1000))
        total = timedelta(milliseconds=self.slider.maximum())
        self.elapsed.setText(f"{clock(position)} / {clock(total)}")

    def show_queue(self, queue: MediaQueue) -> None:
        self.queue.clear()
        for item in queue:
            row = QListWidgetItem(f"{item.title} — {item.artist or ''}")
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            self.queue.addItem(row)


def open_player(
    service: QtAudioService, episodes: list[MediaItem], on_ready: Callable[[], object] | None = None
) -> PodcastWindow:
    """The window, connected while shown, and the service started with ``episodes`` queued."""
    window = PodcastWindow(service)
    service.connect_while_shown(window, APP_ID)

    def queue_episodes(started: bool) -> None:
        # A service that already ran keeps its queue: this is a second window on it.
        if started:
            service.update_queue(episodes, then=on_ready)
        elif on_ready is not None:
            on_ready()

    service.start(entrypoint, app_id=APP_ID, identity="Example Podcasts", then=queue_episodes)
    return window


def main(argv: list[str]) -> int:
    app = QApplication(argv)
    files = [Path(name).resolve() for name in argv[1:]]
    episodes = [MediaItem(id=str(path), title=path.stem) for path in files] or make_episodes(
        Path(tempfile.gettempdir()) / "audio-service-examples"
    )
    service = QtAudioService()
    window = open_player(service, episodes)
    window.resize(520, 480)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
