"""An article reader window on GTK 3: text in, one queue item per sentence, transport.

    apt install gir1.2-gtk-3.0 espeak-ng libmpv2
    pip install 'audio-service-kit[gtk,mpv]'
    python examples/gtk_reader.py

Paste an article, press "Read aloud": espeak-ng reads it in a background
process, sentence by sentence. Previous/Next move by sentence, a click on a
sentence jumps there. Close the window and the reading goes on (the desktop's
media controls and ``playerctl`` still drive it). ``GtkAudioService`` delivers
everything on the GLib main loop; nothing blocks it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402

from audio_service import AudioServiceBackground, MediaItem, MediaQueue, PlaybackState  # noqa: E402
from audio_service.gtk import GtkAudioService  # noqa: E402
from audio_service.players.tts import ReaderTask  # noqa: E402

APP_ID = "org.example.GtkReader"
ARTICLE_TITLE = "Why sine waves?"
ARTICLE = (
    "Every example in this project plays sine waves or speech made on the spot. "
    "Nothing is downloaded, so the examples run on any machine. "
    "A sine wave is the simplest sound there is. "
    "Speech comes from espeak-ng, one sentence per queue item."
)


def entrypoint() -> None:
    """The background task: the ready-made reader (top level: the host imports it)."""
    AudioServiceBackground.run(ReaderTask)


class ReaderWindow(Gtk.Window):
    def __init__(self, service: GtkAudioService) -> None:
        super().__init__(title="Reader")
        self.service = service
        self.set_default_size(560, 520)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8, margin=12)
        self.add(box)

        self.title = Gtk.Label(xalign=0)
        self.sentence = Gtk.Label(xalign=0, wrap=True)
        self.progress = Gtk.ProgressBar()
        self.text = Gtk.TextView(wrap_mode=Gtk.WrapMode.WORD)
        self.text.get_buffer().set_text(ARTICLE)
        scroller = Gtk.ScrolledWindow(min_content_height=90)
        scroller.add(self.text)
        self.sentences = Gtk.ListBox()
        self.sentences.connect("row-activated", self.jump)

        self.buttons: dict[str, Gtk.Button] = {}
        transport = Gtk.Box(spacing=6)
        for name, label, action in [
            ("read", "Read aloud", self.read),
            ("previous", "Previous", service.skip_to_previous),
            ("play", "Play", service.toggle),
            ("next", "Next", service.skip_to_next),
            ("stop", "Stop", service.stop),
        ]:
            button = self.buttons[name] = Gtk.Button(label=label)
            button.connect("clicked", lambda _, act=action: act())
            transport.pack_start(button, True, True, 0)

        for widget, grow in [
            (self.title, False),
            (self.sentence, False),
            (self.progress, False),
            (transport, False),
            (scroller, False),
            (self.sentences, True),
        ]:
            box.pack_start(widget, grow, grow, 0)
        self.show_item(None)

        service.connect("media-item-changed", lambda _, item: self.show_item(item))
        service.connect("playback-state-changed", lambda _, state: self.show_state(state))
        service.connect("queue-changed", lambda _, queue: self.show_queue(queue))
        service.connect("position-changed", lambda *_: self.show_position())
        service.connect("request-failed", lambda _, name, error: self.sentence.set_text(str(error)))

    def read(self) -> None:
        buffer = self.text.get_buffer()
        text = buffer.get_text(buffer.get_start_iter(), buffer.get_end_iter(), False)
        self.service.custom_action("read_article", {"text": text, "title": ARTICLE_TITLE})

    def jump(self, _: Gtk.ListBox, row: Gtk.ListBoxRow) -> None:
        self.service.skip_to_queue_item(self.service.queue[row.get_index()].id)

    def show_item(self, item: MediaItem | None) -> None:
        self.title.set_markup(f"<big><b>{item.title if item else 'Nothing to read'}</b></big>")
        self.sentence.set_text((item.display_title or "") if item else "")

    def show_state(self, state: PlaybackState) -> None:
        self.buttons["play"].set_label("Pause" if state.playing else "Play")
        row = self.sentences.get_row_at_index(state.queue_index or 0)
        if row is not None:
            self.sentences.select_row(row)

    def show_position(self) -> None:
        service = self.service
        if service.duration_ms:
            self.progress.set_fraction(min(1.0, service.position_ms / service.duration_ms))

    def show_queue(self, queue: MediaQueue) -> None:
        for row in self.sentences.get_children():
            self.sentences.remove(row)
        for item in queue:
            label = Gtk.Label(label=(item.extras or {}).get("text", item.title), xalign=0)
            label.set_line_wrap(True)
            self.sentences.add(label)
        self.sentences.show_all()
        self.show_state(self.service.playback_state)  # the new rows: select the current one


def open_reader(
    service: GtkAudioService, on_ready: Callable[[], object] | None = None
) -> ReaderWindow:
    """The window, connected while shown, with the reader service started."""
    window = ReaderWindow(service)
    service.connect_while_shown(window, APP_ID)
    service.start(
        entrypoint,
        app_id=APP_ID,
        identity="Example Reader",
        then=lambda _: on_ready() if on_ready is not None else None,
    )
    return window


def main() -> int:
    service = GtkAudioService()
    window = open_reader(service)
    window.connect("destroy", lambda _: Gtk.main_quit())
    window.show_all()
    Gtk.main()
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
