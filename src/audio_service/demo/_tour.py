"""``audio-service demo --tour``: the demo's features, run and checked without a person.

Always on a private rig (its own session bus, audio server and user
directories), since it adds fake devices and a fake phone call: a desktop's
real session is never touched. Each step prints ``✓`` or ``✗`` with what was
observed — from the service's state, from the engine's own clock, and from the
audio server's view of the demo's stream (playing, corked or gone, its role and
its sink) — and the tour exits non-zero at the first failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO, TypeVar

from audio_service._api._client import AudioServiceClient
from audio_service._connect._remote import HostLauncher
from audio_service._model._models import AudioProcessingState
from audio_service.demo._catalogue import ARTICLE_ID, ensure_catalogue
from audio_service.demo._desktop import ensure_desktop_entry
from audio_service.demo._task import APP_ID, IDENTITY, demo_entrypoint
from audio_service.demo._text import describe_event
from audio_session.testing import AudioRig, AudioServer, AudioServerFlavour, SinkInput

__all__ = ["TourFailed", "run_tour"]

T = TypeVar("T")

#: How long one condition may take to come true before the step fails.
WAIT = 10.0
HEADPHONES = "demo_headphones"


class TourFailed(Exception):
    """A step did not observe what it expected; the message says what it saw instead."""


async def _until(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = WAIT) -> T:
    """The first truthy value of ``probe()``, polled; :class:`TourFailed` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TourFailed(f"{what} did not happen within {timeout:g} s")
        await asyncio.sleep(0.05)


def _describe_stream(stream: SinkInput, sinks: dict[int, str]) -> str:
    state = "corked" if stream.corked else "playing"
    sink = sinks.get(stream.sink, str(stream.sink))
    return f"stream #{stream.index} role={stream.role or '-'} {state} on {sink}"


class _Tour:
    def __init__(self, rig: AudioRig, client: AudioServiceClient, out: TextIO) -> None:
        assert rig.server is not None
        self.rig = rig
        self.server: AudioServer = rig.server
        self.client = client
        self.out = out
        self.pid = 0
        self.events: list[Any] = []
        self.passed = 0

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    async def step(self, name: str, body: Callable[[], Awaitable[str]]) -> None:
        started = time.monotonic()
        try:
            async with asyncio.timeout(4 * WAIT):
                observed = await body()
        except TourFailed as error:
            self.say(f"\u2717 {name}: {error}")
            raise
        except Exception as error:
            self.say(f"\u2717 {name}: {type(error).__name__}: {error}")
            raise TourFailed(f"{name}: {error}") from error
        self.passed += 1
        self.say(f"\u2713 {name} ({time.monotonic() - started:.1f} s): {observed}")

    # ------------------------------------------------------------ observations

    async def sinks(self) -> dict[int, str]:
        return {int(s["index"]): str(s["name"]) for s in await self.server.sinks()}

    async def streams(self) -> list[SinkInput]:
        """The demo host's playback streams, as the audio server lists them."""
        pid = str(self.pid)
        return [
            s
            for s in await self.server.sink_inputs()
            if s.properties.get("application.process.id") == pid and s.linked
        ]

    async def playing_stream(self) -> SinkInput | None:
        for stream in await self.streams():
            if not stream.corked:
                return stream
        return None

    async def silent(self) -> str | None:
        """How the server shows that the demo does not play: corked, or no stream at all."""
        streams = await self.streams()
        if not streams:
            return "no stream of ours on the server"
        if all(s.corked for s in streams):
            sinks = await self.sinks()
            return "; ".join(_describe_stream(s, sinks) for s in streams)
        return None

    async def probe(self) -> dict[str, Any]:
        found = await self.client.custom_action("demo_probe")
        if not isinstance(found, dict):
            raise TourFailed(f"demo_probe answered {found!r}")
        return found

    async def engine_position(self) -> float:
        value = (await self.probe()).get("engine_position")
        if not isinstance(value, int | float):
            raise TourFailed("the engine reports no position")
        return float(value)

    async def advancing(self) -> str:
        """Checks that the engine's own position moves; returns two readings."""
        first = await self.engine_position()
        began = time.monotonic()

        async def moved() -> float | None:
            position = await self.engine_position()
            return position if position >= first + 0.3 else None

        try:
            later = await _until(moved, "the engine's position advancing", 5.0)
        except TourFailed:
            now = await self.engine_position()
            raise TourFailed(
                f"the engine's position stood still ({first:.2f} s, then {now:.2f} s "
                f"{time.monotonic() - began:.1f} s later)"
            ) from None
        return f"engine position {first:.2f} s -> {later:.2f} s in {time.monotonic() - began:.1f} s"

    async def state_is(self, *, playing: bool) -> bool:
        state = self.client.playback_state
        if state.processing_state is AudioProcessingState.ERROR:
            raise TourFailed(f"the player failed: {state.error_message}")
        if state.playing != playing:
            return False
        return not playing or state.processing_state is AudioProcessingState.READY

    async def audible(self) -> str:
        stream = await _until(self.playing_stream, "a playing (uncorked) stream of the demo")
        return _describe_stream(stream, await self.sinks())

    def new_events(self, since: int) -> str:
        lines = [describe_event(e) for e in self.events[since:]]
        return ", ".join(line for line in lines if line) or "no session event"

    # ------------------------------------------------------------------ steps

    async def start(self, catalogue: Path) -> str:
        started = await self.client.start(
            demo_entrypoint,
            {"catalogue": str(catalogue)},
            app_id=APP_ID,
            identity=IDENTITY,
            desktop_entry=ensure_desktop_entry(),
            in_process=False,
        )
        if not started:
            raise TourFailed("a demo service was already running on the private rig")
        self.client.custom_event_stream.listen(self.events.append)
        info = await self.client.custom_action("demo_info")
        self.pid = int(info["pid"])

        async def listed() -> bool:
            players = await self.rig.playerctl("-l", check=False)
            return APP_ID in players.splitlines()

        await _until(listed, f"playerctl -l listing {APP_ID}")
        queue = self.client.queue
        return (
            f"host pid {self.pid}, {len(queue)} items queued, MPRIS player {APP_ID} "
            "on the private bus"
        )

    async def play(self) -> str:
        await self.client.play()
        await _until(lambda: self.state_is(playing=True), "state playing/ready")
        audible = await self.audible()
        stream = await self.playing_stream()
        if stream is None or (stream.role or "").lower() != "music":
            raise TourFailed(f"the stream's role is not music: {audible}")
        item = self.client.current_media_item
        return f"{item.title if item else '?'}; {await self.advancing()}; server: {audible}"

    async def next(self) -> str:
        queue = self.client.queue
        before = self.client.current_media_item
        if before is None:
            raise TourFailed("nothing is current")
        index = queue.index_of(before.id)
        expected = queue[(index or 0) + 1]
        await self.client.skip_to_next()

        async def moved() -> bool:
            item = self.client.current_media_item
            return item is not None and item.id == expected.id

        await _until(moved, f"the current item becoming {expected.title!r}")
        await _until(lambda: self.state_is(playing=True), "state playing/ready")
        position = await self.engine_position()
        if position > 5:
            raise TourFailed(f"the new item started at {position:.1f} s, not at its start")
        return f"{before.title!r} -> {expected.title!r}; {await self.advancing()}"

    async def seek(self) -> str:
        target = timedelta(seconds=12)
        await self.client.seek_to(target)

        async def there() -> float | None:
            position = await self.engine_position()
            return position if position >= 11.5 else None

        position = await _until(there, "the engine reaching 12 s")
        published = self.client.position.total_seconds()
        if published < 11.5:
            raise TourFailed(f"the published position is {published:.1f} s after seeking to 12 s")
        return f"engine at {position:.2f} s, published position {published:.2f} s"

    async def phone_call(self) -> str:
        since = len(self.events)
        call = await self.server.play("phone")
        try:
            await _until(lambda: self.state_is(playing=False), "the player pausing for the call")
            paused = await _until(self.silent, "the server showing our stream corked or gone")
            during = self.new_events(since)
        finally:
            call.stop()
        since = len(self.events)
        await _until(lambda: self.state_is(playing=True), "the player resuming after the call")
        resumed = await self.audible()
        return (
            f"call started -> {during} -> paused (server: {paused}); call ended -> "
            f"{self.new_events(since)} -> resumed (server: {resumed})"
        )

    async def headphones(self) -> str:
        plugged = len(self.events)
        sink = await self.server.add_sink(
            HEADPHONES, description="Demo Headphones", form_factor="headphone", make_default=True
        )
        sinks = await self.sinks()
        target = next(index for index, name in sinks.items() if name == HEADPHONES)

        async def on_headphones() -> SinkInput | None:
            stream = await self.playing_stream()
            return stream if stream is not None and stream.sink == target else None

        how = "followed the new default"
        try:
            stream = await _until(on_headphones, "our stream following the new default", 2.0)
        except TourFailed:
            # A server that keeps streams where they are: move it, as a user would.
            playing = await self.playing_stream()
            if playing is None:
                raise TourFailed("nothing plays before the unplug") from None
            await self.server.pactl("move-sink-input", str(playing.index), HEADPHONES)
            stream = await _until(on_headphones, "our stream moving to the headphones")
            how = "moved there with pactl"
        if not self.client.playback_state.playing:
            raise TourFailed("plugging headphones in paused playback")
        plugged_events = self.new_events(plugged)
        unplugged = len(self.events)
        await self.server.remove_sink(sink)
        await _until(lambda: self.state_is(playing=False), "the player pausing on the unplug")
        paused = await _until(self.silent, "the server showing our stream corked or gone")
        default = await self.server.default_sink()
        return (
            f"plugged in -> {plugged_events}; stream #{stream.index} {how}, still playing; "
            f"unplugged -> {self.new_events(unplugged)} -> paused (server: {paused}; "
            f"default now {default})"
        )

    async def playerctl(self) -> str:
        player = APP_ID
        await self.rig.playerctl("play-pause", player=player)
        await _until(lambda: self.state_is(playing=True), "playerctl play-pause resuming")
        audible = await self.audible()
        before = self.client.current_media_item
        await self.rig.playerctl("next", player=player)

        async def moved() -> bool:
            item = self.client.current_media_item
            return item is not None and before is not None and item.id != before.id

        await _until(moved, "playerctl next changing the item")
        title = await _until(
            lambda: self._playerctl_value("metadata", "xesam:title"), "playerctl metadata"
        )
        status = await self.rig.playerctl("status", player=player)
        return f"play-pause -> playing ({audible}); next -> {title!r}; status {status}"

    async def _playerctl_value(self, *args: str) -> str:
        item = self.client.current_media_item
        value = await self.rig.playerctl(*args, player=APP_ID, check=False)
        return value if item is not None and value == item.title else ""

    async def reader(self) -> str:
        name = await self.client.custom_action("switch_handler", "reader")
        if name != "reader":
            raise TourFailed(f"switch_handler answered {name!r}")
        began = time.monotonic()
        await self.client.play()

        async def first_sentence() -> str | None:
            item = self.client.current_media_item
            if item is not None and item.id.startswith(ARTICLE_ID + "#"):
                return item.id
            return None

        first = await _until(first_sentence, "the reader's first sentence becoming current")
        await _until(lambda: self.state_is(playing=True), "the reader playing")
        audible = await self.audible()
        spoken = self.client.current_media_item
        text = (spoken.extras or {}).get("text", "") if spoken is not None else ""

        async def heard() -> str | None:
            item = self.client.current_media_item
            return item.id if item is not None and item.id != first else None

        following = await _until(heard, "the first sentence being read to its end", 20.0)
        listened = time.monotonic() - began
        length = spoken.duration.total_seconds() if spoken and spoken.duration else 0.0
        if listened < 0.5 * length:
            raise TourFailed(
                f"the reader left {text!r} ({length:.1f} s of speech) after {listened:.1f} s"
            )
        return (
            f"read {text!r} ({length:.1f} s of speech, {listened:.1f} s from play to the next "
            f"sentence; {audible}), then went on to {following}"
        )

    async def stop(self) -> str:
        await self.client.stop()

        async def stopped() -> bool:
            return not self.client.running

        await _until(stopped, "the service stopping")

        async def host_gone() -> bool:
            return not _process_alive(self.pid)

        await _until(host_gone, f"the host process {self.pid} exiting")
        leftovers = await self.streams()
        if leftovers:
            raise TourFailed(f"streams left on the server: {leftovers}")
        return f"service stopped, host {self.pid} exited, no stream left on the server"


def _process_alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status[status.rindex(")") + 2] != "Z"


async def run_tour(
    flavour: AudioServerFlavour,
    *,
    catalogue_dir: Path | None = None,
    out: TextIO | None = None,
) -> bool:
    """Run every step on a private ``flavour`` rig; True when all passed."""
    import sys

    stream = out if out is not None else sys.stdout
    began = time.monotonic()
    print(
        f"audio-service demo tour on a private {flavour} server and session bus "
        "(your desktop is not touched)",
        file=stream,
        flush=True,
    )
    catalogue = await asyncio.to_thread(ensure_catalogue, catalogue_dir)
    if not catalogue.episodes:
        print(f"  note: {'; '.join(catalogue.notes)}", file=stream, flush=True)
    rig = await asyncio.to_thread(AudioRig.start, flavour)
    client = AudioServiceClient()
    client.host_launcher = HostLauncher(start_timeout=30)
    tour = _Tour(rig, client, stream)
    steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("start the service", lambda: tour.start(catalogue.directory)),
        ("play", tour.play),
        ("next", tour.next),
        ("seek to 0:12", tour.seek),
        ("a phone call pauses, its end resumes", tour.phone_call),
        ("unplugging headphones pauses", tour.headphones),
        ("playerctl play-pause and next", tour.playerctl),
        ("switch to the reader and hear a sentence", tour.reader),
        ("stop", tour.stop),
    ]
    ok = True
    try:
        with rig.activate():
            try:
                for name, body in steps:
                    await tour.step(name, body)
            except TourFailed:
                ok = False
            finally:
                await _shut_down(tour)
    finally:
        await asyncio.to_thread(rig.stop)
    elapsed = time.monotonic() - began
    verdict = "passed" if ok else "FAILED"
    print(
        f"tour {verdict}: {tour.passed}/{len(steps)} steps on {flavour} in {elapsed:.1f} s",
        file=stream,
        flush=True,
    )
    return ok


async def _shut_down(tour: _Tour) -> None:
    client = tour.client
    with contextlib.suppress(Exception):
        if client.running:
            async with asyncio.timeout(10):
                await client.stop()
    with contextlib.suppress(Exception):
        await client.disconnect()
    # A host that did not stop in time must not outlive the rig it plays on.
    if tour.pid and _process_alive(tour.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(tour.pid, signal.SIGTERM)
        for _ in range(100):
            if not _process_alive(tour.pid):
                break
            await asyncio.sleep(0.05)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(tour.pid, signal.SIGKILL)
