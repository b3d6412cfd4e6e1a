"""MpvEngine with real libmpv on the rig's audio servers, judged by what the server shows.

Every source is a WAV made on the spot (media_support). The proof of pause,
play and stop is the server's own view of the stream (``pactl`` JSON): corked,
running, gone.
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from media_support import MediaServer, tone_wav, write_tone_wav
from stream_support import our_stream, stream_becomes

from audio_service.players import EngineError, PlayerEngine
from audio_service.players.mpv import DEFAULT_AO, MpvEngine
from audio_session._linux._ours import TOKEN_PROPERTY
from audio_session.testing import AudioRig, AudioServer, SinkInput, wait_until

pytest.importorskip("mpv")

CLIENT = "mpv-engine-test"
TOKEN = "feedc0de"
ZERO = timedelta(0)


class Reports:
    """An EngineListener that records every report, and the thread it came on."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.threads: set[int] = set()

    def _add(self, kind: str, value: Any) -> None:
        self.threads.add(threading.get_ident())
        self.events.append((kind, value))

    def on_buffering(self, buffering: bool) -> None:
        self._add("buffering", buffering)

    def on_duration(self, duration: timedelta | None) -> None:
        self._add("duration", duration)

    def on_tags(self, tags: Mapping[str, str]) -> None:
        self._add("tags", dict(tags))

    def on_ended(self, advanced: bool) -> None:
        self._add("ended", advanced)

    def on_error(self, message: str) -> None:
        self._add("error", message)

    def of(self, kind: str) -> list[Any]:
        return [value for name, value in self.events if name == kind]

    async def wait(self, event: tuple[str, Any], timeout: float = 10.0) -> None:
        await wait_until(lambda: event in self.events, f"{event} (have {self.events})", timeout)


def by_client(stream: SinkInput) -> bool:
    return stream.properties.get("application.name") == CLIENT


@pytest.fixture
async def engine(
    audio_rig: AudioRig, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[MpvEngine, Reports, AudioServer]]:
    # What a configured LinuxBackend session puts there: a role (one mpv never uses
    # itself, so seeing it proves where it came from) and the session's token.
    monkeypatch.setenv("PULSE_PROP", f"media.role=game {TOKEN_PROPERTY}={TOKEN}")
    monkeypatch.setenv("PIPEWIRE_PROPS", f"{{ media.role=Game {TOKEN_PROPERTY}={TOKEN} }}")
    assert audio_rig.server is not None
    engine = MpvEngine(client_name=CLIENT)
    reports = Reports()
    await engine.open(reports)
    try:
        yield engine, reports, audio_rig.server
    finally:
        await engine.close()


def wav(tmp_path: Path, name: str, seconds: float, **options: Any) -> str:
    return str(write_tone_wav(tmp_path / f"{name}.wav", seconds, 440.0, **options))


# ------------------------------------------------------------------ the server's view


async def test_plays_pauses_seeks_and_stops_as_the_server_sees_it(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, reports, server = engine
    source = wav(tmp_path, "tone", 4.0, tags={"title": "A tone", "artist": "The Rig"})
    await player.load(source, position=ZERO, play=True)
    # Duration and tags were reported before load() returned, from the loop's thread.
    assert reports.events == [
        ("duration", timedelta(seconds=4)),
        ("tags", {"title": "A tone", "artist": "The Rig"}),
    ]
    assert reports.threads == {threading.get_ident()}

    playing = await stream_becomes(server, False, what="the stream to play", match=by_client)
    assert playing is not None
    assert playing.role == "game", "the stream carries the session's role"
    assert playing.properties[TOKEN_PROPERTY] == TOKEN, "and the session's token"

    await player.pause()
    await stream_becomes(server, True, what="pause to cork the stream", match=by_client)
    await player.play()
    await stream_becomes(server, False, what="play to uncork it", match=by_client)

    await player.seek(timedelta(seconds=2.5))
    assert player.position() == timedelta(seconds=2.5)  # at once, before mpv has seeked
    await wait_until(lambda: player.position() >= timedelta(seconds=2.5), "the seek to be done")
    await player.seek(timedelta(seconds=-3))
    assert player.position() == ZERO, "seeks are clamped to the source"
    await player.seek(timedelta(minutes=5))
    assert player.position() == timedelta(seconds=4)
    await player.seek(timedelta(seconds=1))

    await player.stop()
    await stream_becomes(
        server, None, what="stop to leave no stream on the server", match=by_client
    )
    assert player.position() == ZERO
    assert reports.of("ended") == []
    assert reports.of("error") == []


async def test_loads_paused_at_a_position(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, _, server = engine
    await player.load(wav(tmp_path, "tone", 3.0), position=timedelta(seconds=1.5), play=False)
    assert timedelta(seconds=1.4) <= player.position() <= timedelta(seconds=1.5)
    await asyncio.sleep(0.2)
    stream = await our_stream(server, by_client)
    assert stream is None or stream.corked, "a source loaded paused does not play"
    assert player.position() <= timedelta(seconds=1.5)
    await player.play()
    await stream_becomes(server, False, what="the stream to play", match=by_client)
    await wait_until(lambda: player.position() > timedelta(seconds=1.6), "the position to advance")


@pytest.mark.audio_server("pipewire")
async def test_speed_keeps_the_pitch_and_volume_is_linear(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, _, _ = engine
    mpv = player._mpv
    await player.load(wav(tmp_path, "tone", 2.0), position=ZERO, play=False)
    await player.set_speed(1.5)
    assert mpv.speed == 1.5
    assert mpv["audio-pitch-correction"] is True
    # mpv's volume is cubic: a linear gain of 1/8 is mpv's 50.
    await player.set_volume(0.125)
    assert mpv.volume == pytest.approx(50.0)
    await player.set_volume(1.0)
    assert mpv.volume == pytest.approx(100.0)
    await player.set_volume(0)
    assert mpv.volume == 0
    for bad_speed in (0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="speed"):
            await player.set_speed(bad_speed)
    for bad_volume in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="volume"):
            await player.set_volume(bad_volume)
    with pytest.raises(TypeError, match="volume"):
        await player.set_volume("loud")  # type: ignore[arg-type]
    assert mpv.speed == 1.5
    assert mpv.volume == 0


# ---------------------------------------------------------------- ends and gapless


@pytest.mark.audio_server("pipewire")
async def test_preloaded_source_follows_gaplessly_then_the_end_is_reported(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, reports, server = engine
    await player.load(wav(tmp_path, "a", 1.0, tags={"title": "A"}), position=ZERO, play=True)
    first = await stream_becomes(server, False, what="A to play", match=by_client)
    await player.preload(wav(tmp_path, "b", 0.5, tags={"title": "B"}))
    await reports.wait(("ended", True))
    # B's own duration and tags come after the end of A (they belong to B).
    after = reports.events[reports.events.index(("ended", True)) :]
    assert after[1:3] == [("duration", timedelta(seconds=0.5)), ("tags", {"title": "B"})]
    # B is the source now: a failure from here on names it (the engine's repr shows it too).
    assert str(tmp_path / "b.wav") in repr(player)
    second = await our_stream(server, by_client)
    assert first is not None
    assert second is not None
    assert second.index == first.index, "the same stream goes on: no gap, no new stream"
    await reports.wait(("ended", False))
    assert reports.of("ended") == [True, False]
    # The end is reported once the audio was played out and the output closed.
    assert await our_stream(server, by_client) is None
    assert player.position() == ZERO


@pytest.mark.audio_server("pipewire")
async def test_a_withdrawn_preload_is_not_played(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, reports, _ = engine
    await player.load(wav(tmp_path, "a", 0.4), position=ZERO, play=True)
    await player.preload(wav(tmp_path, "b", 0.4, tags={"title": "B"}))
    await player.preload(None)
    await reports.wait(("ended", False))
    await asyncio.sleep(0.2)
    assert reports.of("ended") == [False]
    assert {"title": "B"} not in reports.of("tags")


@pytest.mark.audio_server("pipewire")
async def test_starting_past_the_end_is_an_end_not_an_error(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, reports, _ = engine
    await player.load(wav(tmp_path, "a", 0.5), position=timedelta(seconds=3), play=True)
    await reports.wait(("ended", False))
    assert reports.of("error") == []


# ------------------------------------------------------------------------ failures


@pytest.mark.audio_server("pipewire")
async def test_sources_that_cannot_play_raise_engine_error_with_mpvs_reason(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, reports, _ = engine
    missing = tmp_path / "missing.wav"
    with pytest.raises(EngineError, match="No such file or directory") as raised:
        await player.load(str(missing), position=ZERO, play=True)
    assert str(missing) in str(raised.value)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF not really a wave file" * 50)
    with pytest.raises(EngineError, match="unrecognized file format"):
        await player.load(str(junk), position=ZERO, play=True)
    with pytest.raises(EngineError, match="directory"):
        await player.load(str(tmp_path), position=ZERO, play=True)
    async with MediaServer() as http:
        with pytest.raises(EngineError, match="404"):
            await player.load(http.url("/nothing-here.wav"), position=ZERO, play=True)
    assert reports.events == []
    # The engine is fine afterwards.
    await player.load(wav(tmp_path, "good", 1.0), position=ZERO, play=False)
    assert reports.of("duration") == [timedelta(seconds=1)]
    with pytest.raises(ValueError, match="source"):
        await player.load("", position=ZERO, play=True)
    with pytest.raises(TypeError, match="position"):
        await player.load("x.wav", position=1.0, play=True)  # type: ignore[arg-type]


# ------------------------------------------------------------------------- streams


@pytest.mark.audio_server("pipewire")
async def test_stream_url_that_stalls_reports_buffering(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, reports, server = engine
    # A live-like stream (no length, no seeking) that stalls after 20 s of 8 kHz 8-bit audio,
    # played at 16x so that the stall comes after ~1.3 s. (FFmpeg reads ~128 KiB to open it.)
    body = tone_wav(30.0, 440.0, rate=8000, bits=8)
    async with MediaServer() as http:
        url = http.add("/live.wav", body, "audio/wav", stall_after=44 + 8000 * 20, ranges=False)
        await player.set_speed(16)
        await player.load(url, position=ZERO, play=True)
        await stream_becomes(server, False, what="the stream URL to play", match=by_client)
        await reports.wait(("buffering", True))
        http.release.set()
        await reports.wait(("buffering", False))
        assert reports.of("buffering") == [True, False]
        assert reports.of("duration")[-1] is not None
        await player.stop()


@pytest.mark.audio_server("pipewire")
async def test_playlist_url_plays_its_first_entry_only(
    engine: tuple[MpvEngine, Reports, AudioServer], tmp_path: Path
) -> None:
    player, reports, _ = engine
    first = tone_wav(0.4, 440.0, tags={"title": "First"})
    second = tone_wav(0.4, 440.0, tags={"title": "Second"})
    async with MediaServer() as http:
        urls = [http.add("/first.wav", first, "audio/wav"), http.add("/2.wav", second, "audio/wav")]
        playlist = http.add("/radio.m3u", "\n".join(["#EXTM3U", *urls]).encode(), "audio/x-mpegurl")
        await player.load(playlist, position=ZERO, play=True)
        assert reports.of("tags") == [{"title": "First"}]
        await reports.wait(("ended", False))
        await asyncio.sleep(0.2)
        # The queue decides what comes next, not the radio's playlist.
        assert reports.of("ended") == [False]
        assert "/2.wav" not in http.requests


# ---------------------------------------------------------------------- lifecycle


@pytest.mark.audio_server("pipewire")
async def test_mpv_owns_nothing_of_the_desktop(
    engine: tuple[MpvEngine, Reports, AudioServer],
) -> None:
    player, _, _ = engine
    assert isinstance(player, PlayerEngine)
    mpv = player._mpv
    for option in (
        "config",
        "load-scripts",
        "terminal",
        "input-default-bindings",
        "input-vo-keyboard",
        "input-media-keys",
        "osc",
        "ytdl",
        "vid",
    ):
        assert mpv[option] is False, option
    assert [output["name"] for output in mpv["ao"]] == DEFAULT_AO.split(",")
    assert mpv["audio-client-name"] == CLIENT
    assert mpv["gapless-audio"] == "weak"
    assert mpv["prefetch-playlist"] is True


@pytest.mark.audio_server("pipewire")
async def test_close_ends_mpv_and_its_thread(audio_rig: AudioRig, tmp_path: Path) -> None:
    assert audio_rig.server is not None
    player = MpvEngine(client_name=CLIENT)
    with pytest.raises(EngineError, match="open"):
        await player.play()
    await player.open(Reports())
    with pytest.raises(EngineError, match="already open"):
        await player.open(Reports())
    await player.load(wav(tmp_path, "a", 3.0), position=ZERO, play=True)
    await stream_becomes(audio_rig.server, False, what="the stream to play", match=by_client)
    await player.close()
    await player.close()
    await stream_becomes(audio_rig.server, None, what="close to end the stream", match=by_client)
    assert not any(t.name == "MPVEventHandlerThread" for t in threading.enumerate())
    with pytest.raises(EngineError, match="closed"):
        await player.load(wav(tmp_path, "b", 1.0), position=ZERO, play=True)
    with pytest.raises(EngineError, match="closed"):
        await player.open(Reports())
    assert player.position() == ZERO


async def test_without_python_mpv_open_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "mpv", None)
    with pytest.raises(EngineError, match=r"audio-service-kit\[mpv\]"):
        await MpvEngine().open(Reports())


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="ao"):
        MpvEngine(ao=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="client_name"):
        MpvEngine(client_name=" ")
    with pytest.raises(ValueError, match="audio_device"):
        MpvEngine(audio_device="")
    with pytest.raises(TypeError, match="options"):
        MpvEngine(options=[("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"options\['cache'\]"):
        MpvEngine(options={"cache": True})  # type: ignore[dict-item]
    engine = MpvEngine(ao="pulse", audio_device="pulse/speaker", options={"cache": "no"})
    assert (engine.ao, engine.audio_device, engine.options) == (
        "pulse",
        "pulse/speaker",
        {"cache": "no"},
    )
    assert MpvEngine().ao == DEFAULT_AO


@pytest.mark.audio_server("pulseaudio")
async def test_a_failure_after_loading_is_reported_as_an_error(
    audio_rig: AudioRig, tmp_path: Path
) -> None:
    # The source opens, then the audio output cannot (no PipeWire daemon on this rig):
    # mpv says so after load() returned.
    player = MpvEngine(ao="pipewire", client_name=CLIENT)
    reports = Reports()
    await player.open(reports)
    try:
        await player.load(wav(tmp_path, "a", 1.0), position=ZERO, play=True)
        await wait_until(lambda: reports.of("error"), "the error report")
        (message,) = reports.of("error")
        assert message.startswith(f"cannot play {tmp_path / 'a.wav'}: ")
        assert "audio output" in message
        assert player.position() == ZERO
        await player.stop()
        assert reports.of("ended") == []
    finally:
        await player.close()
