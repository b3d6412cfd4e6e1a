"""The demo's terminal UI (Textual): a remote control for the demo service.

It only talks to the service through an :class:`~audio_service.AudioServiceClient`
(requests out, state and events in), so closing it leaves the audio playing and
any number of copies can run at once. The session events in its log come from
the service (see :mod:`audio_service.demo._task`), not from a session of the UI's
own: only the process that plays has the streams the audio server corks or
moves, and an activation that the events belong to.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Header, OptionList, ProgressBar, RichLog, Static
from textual.widgets.option_list import Option

from audio_service._api._client import AudioServiceClient
from audio_service._errors import AudioServiceError
from audio_service._model._models import (
    AudioProcessingState,
    AudioServiceRepeatMode,
    AudioServiceShuffleMode,
    MediaItem,
    PlaybackState,
)
from audio_service._model._queue import MediaQueue
from audio_service.demo._art_render import load_art, render_half_blocks
from audio_service.demo._text import describe_event, format_time
from audio_session._stream import Subscription
from audio_session._tasks import BackgroundTasks

__all__ = ["DemoApp", "format_time"]

_log = logging.getLogger("audio_service.demo")

ART_COLUMNS = 24
ART_ROWS = 12
SEEK_STEP = timedelta(seconds=10)
SPEED_STEP = 0.25
MIN_SPEED = 0.5
MAX_SPEED = 2.0
POSITION_STEPS = 500
POSITION_MIN = timedelta(milliseconds=100)
POSITION_MAX = timedelta(milliseconds=500)

_REPEAT_NEXT = {
    AudioServiceRepeatMode.NONE: AudioServiceRepeatMode.ALL,
    AudioServiceRepeatMode.ALL: AudioServiceRepeatMode.ONE,
    AudioServiceRepeatMode.ONE: AudioServiceRepeatMode.NONE,
    AudioServiceRepeatMode.GROUP: AudioServiceRepeatMode.NONE,
}


class DemoApp(App[None]):
    """Now playing, progress, transport, queue and a live log, for one service client."""

    TITLE = "audio-service demo"
    CSS = """
    #environment { color: $warning; padding: 0 1; height: auto; }
    #environment.desktop { color: $success; }
    #top { height: auto; padding: 0 1; }
    #art { width: 26; height: 12; }
    #details { padding: 0 1; height: auto; }
    #title { text-style: bold; }
    #progress-row { height: 1; padding: 0 1; }
    #progress { width: 1fr; }
    #time { width: auto; min-width: 16; padding: 0 0 0 1; }
    #transport { height: 3; padding: 0 1; }
    #transport Button { min-width: 6; margin: 0 1 0 0; }
    #bottom { height: 1fr; }
    #queue { width: 2fr; height: 1fr; border: round $primary; }
    #log { width: 3fr; border: round $secondary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_play", "play/pause", priority=True),
        Binding("n", "next", "next", priority=True),
        Binding("p", "previous", "prev", priority=True),
        Binding("left", "seek(-1)", "-10 s", priority=True),
        Binding("right", "seek(1)", "+10 s", priority=True),
        Binding("s", "shuffle", "shuffle", priority=True),
        Binding("r", "repeat", "repeat", priority=True),
        Binding("plus,equals_sign", "speed(1)", "faster", priority=True),
        Binding("minus,underscore", "speed(-1)", "slower", priority=True),
        Binding("m", "switch('music')", "music", priority=True),
        Binding("t", "switch('reader')", "reader", priority=True),
        Binding("q", "quit_ui", "quit (keeps playing)", priority=True),
        Binding("x", "stop_service", "stop service", priority=True),
    ]

    def __init__(
        self,
        client: AudioServiceClient,
        *,
        environment: Sequence[str] = (),
        desktop: bool = False,
        greeting: str | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.environment_lines = tuple(environment)
        self.desktop = desktop
        self.greeting = greeting
        #: What the user chose to leave with: ``"quit"`` (audio plays on) or ``"stop"``.
        self.outcome: str | None = None
        self.handler_name: str | None = None
        self._subscriptions: list[Subscription[Any]] = []
        self._pending = BackgroundTasks(_log, "a request of the demo UI")
        self._last_state: PlaybackState | None = None
        self._last_item: MediaItem | None = None
        self._queue = MediaQueue()
        self._art_key: str | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "\n".join(self.environment_lines),
            id="environment",
            classes="desktop" if self.desktop else "",
            markup=False,
        )
        with Horizontal(id="top"):
            yield Static(id="art")
            with Vertical(id="details"):
                yield Static("nothing playing", id="title", markup=False)
                yield Static("", id="artist", markup=False)
                yield Static("", id="album", markup=False)
                yield Static("", id="status", markup=False)
                yield Static("", id="modes", markup=False)
        with Horizontal(id="progress-row"):
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="progress")
            yield Static(format_time(None), id="time", markup=False)
        with Horizontal(id="transport"):
            yield Button("\u23ee", id="previous", tooltip="previous (p)")
            yield Button("-10s", id="rewind", tooltip="seek back (\u2190)")
            yield Button("\u25b6", id="toggle_play", variant="primary", tooltip="play/pause")
            yield Button("+10s", id="forward", tooltip="seek forward (\u2192)")
            yield Button("\u23ed", id="next", tooltip="next (n)")
            yield Button("shuffle", id="shuffle", tooltip="shuffle (s)")
            yield Button("repeat", id="repeat", tooltip="repeat (r)")
            yield Button("-", id="slower", tooltip="slower (-)")
            yield Button("+", id="faster", tooltip="faster (+)")
            yield Button("music", id="music", tooltip="switch to music (m)")
            yield Button("reader", id="reader", tooltip="switch to the reader (t)")
            yield Button("stop", id="stop", variant="error", tooltip="stop the service (x)")
        with Horizontal(id="bottom"):
            yield OptionList(id="queue")
            yield RichLog(id="log", wrap=True, markup=False, max_lines=500)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#queue", OptionList).border_title = "Queue (enter: jump)"
        self.query_one("#log", RichLog).border_title = "Log"
        if self.greeting:
            self.log_line(self.greeting)
        client = self.client
        self._subscriptions = [
            client.playback_state_stream.listen(self._on_state),
            client.current_media_item_stream.listen(self._on_media_item),
            client.queue_stream.listen(self._on_queue),
            client.custom_event_stream.listen(self._on_custom_event),
            client.running_stream.listen(self._on_running),
            # The smooth position stream, at a pace a terminal needs: ten frames a
            # second at most keeps the UI (and the machine) idle between them.
            client.create_position_stream(
                steps=POSITION_STEPS, min_period=POSITION_MIN, max_period=POSITION_MAX
            ).listen(self._on_position),
        ]
        self._spawn(self._ask_handler())

    async def on_unmount(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()

    # ------------------------------------------------------------------ helpers

    def log_line(self, message: str, *, style: str = "") -> None:
        """Add ``message`` to the live log with the time of day."""
        line = Text(time.strftime("%H:%M:%S "), style="dim")
        line.append(message, style=style)
        self.query_one("#log", RichLog).write(line)

    @property
    def log_lines(self) -> list[str]:
        """The log's lines as plain text (for tests and for copying)."""
        return [strip.text for strip in self.query_one("#log", RichLog).lines]

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        self._pending.spawn(coroutine)

    async def settle(self) -> None:
        """Wait until every request the UI has sent so far has been answered."""
        await self._pending.wait()

    def _request(self, what: str, call: Callable[[], Awaitable[Any]]) -> None:
        async def run() -> None:
            try:
                await call()
            except AudioServiceError as error:
                self.log_line(f"{what} failed: {error}", style="bold red")
            except ValueError as error:
                self.log_line(f"{what} refused: {error}", style="bold red")

        self._spawn(run())

    async def _ask_handler(self) -> None:
        with contextlib.suppress(AudioServiceError):
            info = await self.client.custom_action("demo_info")
            if isinstance(info, dict) and isinstance(info.get("handler"), str):
                self._set_handler(info["handler"])

    def _set_handler(self, name: str) -> None:
        self.handler_name = name
        self._show_status()

    # ---------------------------------------------------------------- listeners

    def _on_state(self, state: PlaybackState) -> None:
        previous, self._last_state = self._last_state, state
        if previous is not None and self.client.running:
            for change in _state_changes(previous, state):
                self.log_line(change, style="cyan")
        self._show_status()
        self._show_modes()
        play = self.query_one("#toggle_play", Button)
        play.label = "\u23f8" if state.playing else "\u25b6"
        self._mark_current()

    def _on_media_item(self, item: MediaItem | None) -> None:
        previous, self._last_item = self._last_item, item
        if item is not None and (previous is None or previous.id != item.id):
            self.log_line(f"now: {item.display_title or item.title}", style="green")
        # A reader's sentence shows as its text, with the article and "sentence n of m" below.
        title = (item.display_title or item.title) if item else "nothing playing"
        self.query_one("#title", Static).update(title)
        self.query_one("#artist", Static).update((item.artist or "") if item else "")
        album = " \u00b7 ".join(
            part for part in ((item.album, item.display_subtitle) if item else ()) if part
        )
        self.query_one("#album", Static).update(Text(album, style="italic"))
        self._show_art(item)
        self._mark_current()

    def _on_queue(self, queue: MediaQueue) -> None:
        self._queue = queue
        options = self.query_one("#queue", OptionList)
        highlighted = options.highlighted
        options.set_options(
            Option(self._queue_prompt(item, index), id=f"{index}:{item.id}")
            for index, item in enumerate(queue)
        )
        if highlighted is not None and highlighted < len(queue):
            options.highlighted = highlighted
        self._mark_current()

    def _on_custom_event(self, event: Any) -> None:
        if isinstance(event, dict) and event.get("event") == "handler":
            name = event.get("name")
            if isinstance(name, str):
                self._set_handler(name)
        text = describe_event(event)
        if text is not None:
            self.log_line(text, style="yellow")

    def _on_running(self, running: bool) -> None:
        if running:
            self.log_line("connected to the service", style="green")
        elif self.outcome is None:
            self.log_line(
                "the service is not running (stopped elsewhere?): press q to leave",
                style="bold red",
            )
        self._show_status()

    def _on_position(self, position: timedelta) -> None:
        item = self._last_item
        duration = item.duration if item is not None else None
        bar = self.query_one("#progress", ProgressBar)
        if duration is not None and duration > timedelta(0):
            bar.update(total=duration.total_seconds(), progress=position.total_seconds())
        else:
            bar.update(total=None)
        self.query_one("#time", Static).update(f"{format_time(position)} / {format_time(duration)}")

    # ----------------------------------------------------------------- display

    def _show_status(self) -> None:
        state = self._last_state
        if not self.client.running:
            text = "service not running"
        elif state is None:
            text = ""
        else:
            doing = "playing" if state.playing else "paused"
            text = f"{doing} \u00b7 {state.processing_state.name.lower()}"
            if state.error_message:
                text += f" \u00b7 {state.error_message}"
        if self.handler_name:
            text = f"[{self.handler_name}] {text}"
        self.query_one("#status", Static).update(text)

    def _show_modes(self) -> None:
        state = self._last_state
        if state is None:
            return
        shuffle = "on" if state.shuffle_mode is not AudioServiceShuffleMode.NONE else "off"
        repeat = state.repeat_mode.name.lower()
        self.query_one("#modes", Static).update(
            f"shuffle {shuffle} \u00b7 repeat {repeat} \u00b7 speed {state.speed:.2f}x"
        )

    def _show_art(self, item: MediaItem | None) -> None:
        art = self.query_one("#art", Static)
        key = item.art_uri if item is not None else None
        if key == self._art_key:
            return
        self._art_key = key
        image = load_art(key)
        if image is None:
            art.update("")
        elif not self._has_colour():
            art.update(Text("[cover art:\n colour terminal\n needed]", style="dim"))
        else:
            art.update(render_half_blocks(image, ART_COLUMNS, ART_ROWS))

    def _has_colour(self) -> bool:
        if os.environ.get("NO_COLOR"):
            return False
        return self.console.color_system is not None

    def _queue_prompt(self, item: MediaItem, index: int) -> Text:
        current = self._current_index()
        marker = "\u25b6 " if index == current else "  "
        text = Text(marker, style="bold green")
        text.append(item.display_title or item.title)
        if item.duration is not None:
            text.append(f"  {format_time(item.duration)}", style="dim")
        return text

    def _current_index(self) -> int | None:
        state = self._last_state
        item = self._last_item
        if item is None:
            return None
        hint = state.queue_index if state is not None else None
        return self._queue.index_of(item.id, hint=hint)

    def _mark_current(self) -> None:
        options = self.query_one("#queue", OptionList)
        for index, item in enumerate(self._queue):
            if index < options.option_count:
                options.replace_option_prompt_at_index(index, self._queue_prompt(item, index))

    # ----------------------------------------------------------------- actions

    def action_toggle_play(self) -> None:
        if self.client.playback_state.playing:
            self._request("pause", self.client.pause)
        else:
            self._request("play", self.client.play)

    def action_next(self) -> None:
        self._request("next", self.client.skip_to_next)

    def action_previous(self) -> None:
        self._request("previous", self.client.skip_to_previous)

    def action_seek(self, direction: int) -> None:
        item = self._last_item
        target = self.client.position + SEEK_STEP * direction
        target = max(target, timedelta(0))
        if item is not None and item.duration is not None:
            target = min(target, item.duration)
        self._request("seek", lambda: self.client.seek_to(target))

    def action_shuffle(self) -> None:
        current = self.client.playback_state.shuffle_mode
        mode = (
            AudioServiceShuffleMode.ALL
            if current is AudioServiceShuffleMode.NONE
            else AudioServiceShuffleMode.NONE
        )
        self._request("shuffle", lambda: self.client.set_shuffle_mode(mode))

    def action_repeat(self) -> None:
        mode = _REPEAT_NEXT[self.client.playback_state.repeat_mode]
        self._request("repeat", lambda: self.client.set_repeat_mode(mode))

    def action_speed(self, direction: int) -> None:
        speed = round(self.client.playback_state.speed + SPEED_STEP * direction, 2)
        speed = min(MAX_SPEED, max(MIN_SPEED, speed))
        self._request("speed", lambda: self.client.set_speed(speed))

    def action_switch(self, name: str) -> None:
        async def switch() -> None:
            result = await self.client.custom_action("switch_handler", name)
            if isinstance(result, str):
                self._set_handler(result)

        self._request(f"switch to {name}", switch)

    async def action_quit_ui(self) -> None:
        self.outcome = "quit"
        await self.settle()
        self.exit()

    async def action_stop_service(self) -> None:
        self.outcome = "stop"
        self.log_line("stopping the service...", style="bold")
        await self.settle()
        try:
            await self.client.stop()
        except AudioServiceError as error:
            self.log_line(f"stop failed: {error}", style="bold red")
            self.outcome = None
            return
        self.exit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions: dict[str, Callable[[], object]] = {
            "previous": self.action_previous,
            "rewind": lambda: self.action_seek(-1),
            "toggle_play": self.action_toggle_play,
            "forward": lambda: self.action_seek(1),
            "next": self.action_next,
            "shuffle": self.action_shuffle,
            "repeat": self.action_repeat,
            "slower": lambda: self.action_speed(-1),
            "faster": lambda: self.action_speed(1),
            "music": lambda: self.action_switch("music"),
            "reader": lambda: self.action_switch("reader"),
            "stop": lambda: self.run_worker(self.action_stop_service()),
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            action()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        index = event.option_index
        if not 0 <= index < len(self._queue):
            return
        media_id = self._queue[index].id

        async def jump() -> None:
            await self.client.skip_to_queue_item(media_id)
            if not self.client.playback_state.playing:
                await self.client.play()

        self._request("jump", jump)


def _state_changes(before: PlaybackState, after: PlaybackState) -> list[str]:
    changes = []
    if before.playing != after.playing:
        changes.append("playing" if after.playing else "paused")
    if before.processing_state != after.processing_state:
        text = f"state: {after.processing_state.name.lower()}"
        if after.processing_state is AudioProcessingState.ERROR and after.error_message:
            text += f" ({after.error_message})"
        changes.append(text)
    if before.speed != after.speed:
        changes.append(f"speed {after.speed:.2f}x")
    if before.repeat_mode != after.repeat_mode:
        changes.append(f"repeat {after.repeat_mode.name.lower()}")
    if before.shuffle_mode != after.shuffle_mode:
        changes.append(f"shuffle {after.shuffle_mode.name.lower()}")
    return changes
