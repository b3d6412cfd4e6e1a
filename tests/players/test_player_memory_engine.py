"""MemoryEngine on its own: the clock, the scripted reports, the recorded calls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import pytest

from audio_service.players import EngineError, MemoryEngine, PlayerEngine
from audio_session.testing import wait_until

S = timedelta(seconds=1)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Reports:
    """An EngineListener that writes down what it hears."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, object]] = []

    def on_buffering(self, buffering: bool) -> None:
        self.heard.append(("buffering", buffering))

    def on_duration(self, duration: timedelta | None) -> None:
        self.heard.append(("duration", duration))

    def on_tags(self, tags: Mapping[str, str]) -> None:
        self.heard.append(("tags", dict(tags)))

    def on_ended(self, advanced: bool) -> None:
        self.heard.append(("ended", advanced))

    def on_error(self, message: str) -> None:
        self.heard.append(("error", message))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def opened(clock: FakeClock) -> tuple[MemoryEngine, Reports]:
    engine = MemoryEngine({"a": 60 * S, "b": 30 * S}, default_duration=None, clock=clock)
    reports = Reports()
    await engine.open(reports)
    return engine, reports


def test_it_is_a_player_engine() -> None:
    assert isinstance(MemoryEngine(), PlayerEngine)


def test_bad_durations_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"durations\['a'\]"):
        MemoryEngine({"a": 3})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="default_duration"):
        MemoryEngine(default_duration=-S)


async def test_calls_before_open_are_errors() -> None:
    engine = MemoryEngine()
    with pytest.raises(RuntimeError, match="open"):
        await engine.load("a", position=timedelta(0), play=False)


async def test_the_clock_follows_play_pause_seek_and_speed(
    opened: tuple[MemoryEngine, Reports], clock: FakeClock
) -> None:
    engine, reports = opened
    await engine.load("a", position=10 * S, play=False)
    assert reports.heard == [("duration", 60 * S)]
    assert engine.duration == 60 * S
    clock.now += 5
    assert engine.position() == 10 * S  # paused: the clock does not move it
    await engine.play()
    clock.now += 5
    assert engine.position() == 15 * S
    await engine.set_speed(2.0)
    clock.now += 5
    assert engine.position() == 25 * S
    await engine.pause()
    clock.now += 5
    assert engine.position() == 25 * S
    await engine.seek(100 * S)
    assert engine.position() == 60 * S  # clamped to the source
    assert engine.methods() == ["open", "load", "play", "set_speed", "pause", "seek"]
    assert engine.calls[1] == ("load", ("a", 10 * S, False))


async def test_no_timer_while_paused(opened: tuple[MemoryEngine, Reports]) -> None:
    engine, _ = opened
    await engine.load("a", position=timedelta(0), play=True)
    assert engine._timer is not None
    await engine.pause()
    assert engine._timer is None


async def test_unplayable_sources_fail_to_load(opened: tuple[MemoryEngine, Reports]) -> None:
    engine, _ = opened
    engine.unplayable.add("broken")
    with pytest.raises(EngineError, match="broken"):
        await engine.load("broken", position=timedelta(0), play=True)
    assert engine.source is None


async def test_finish_goes_on_to_the_preloaded_source(
    opened: tuple[MemoryEngine, Reports],
) -> None:
    engine, reports = opened
    await engine.load("a", position=timedelta(0), play=True)
    await engine.preload("b")
    engine.finish()
    # The end comes first, then what is known about the new source.
    assert reports.heard[-2:] == [("ended", True), ("duration", 30 * S)]
    assert engine.source == "b"
    assert engine.playing
    assert engine.preloaded is None
    assert engine.position() < S
    engine.finish()
    assert reports.heard[-1] == ("ended", False)
    assert not engine.playing
    assert engine.position() == 30 * S


async def test_an_unplayable_preload_stops_at_the_end(
    opened: tuple[MemoryEngine, Reports],
) -> None:
    engine, reports = opened
    engine.unplayable.add("b")
    await engine.load("a", position=timedelta(0), play=True)
    await engine.preload("b")
    engine.finish()
    assert reports.heard[-1] == ("ended", False)
    assert engine.source == "a"


async def test_fail_buffering_and_tags(
    opened: tuple[MemoryEngine, Reports], clock: FakeClock
) -> None:
    engine, reports = opened
    await engine.load("a", position=timedelta(0), play=True)
    engine.set_buffering(True)
    clock.now += 10
    assert engine.position() == timedelta(0)  # stalled
    engine.set_buffering(False)
    clock.now += 1
    assert engine.position() == S
    engine.emit_tags({"TITLE": "Song", "Artist": "Band"})
    engine.fail("network lost")
    assert reports.heard[1:] == [
        ("buffering", True),
        ("buffering", False),
        ("tags", {"title": "Song", "artist": "Band"}),
        ("error", "network lost"),
    ]
    assert engine.source is None
    with pytest.raises(RuntimeError, match="nothing is loaded"):
        engine.finish()


async def test_volume_and_speed_are_checked(opened: tuple[MemoryEngine, Reports]) -> None:
    engine, _ = opened
    await engine.set_volume(0.25)
    assert engine.volume == 0.25
    with pytest.raises(EngineError, match="volume"):
        await engine.set_volume(1.5)
    with pytest.raises(EngineError, match="speed"):
        await engine.set_speed(0.0)
    assert engine.speed == 1.0


async def test_a_playing_source_ends_by_itself() -> None:
    engine = MemoryEngine({"short": timedelta(milliseconds=20)})
    reports = Reports()
    await engine.open(reports)
    await engine.load("short", position=timedelta(0), play=True)
    await wait_until(lambda: ("ended", False) in reports.heard, "the end of the source")
    assert engine.position() == timedelta(milliseconds=20)


async def test_a_live_stream_never_ends(opened: tuple[MemoryEngine, Reports]) -> None:
    engine, reports = opened
    await engine.load("radio", position=timedelta(0), play=True)
    assert reports.heard == [("duration", None)]
    assert engine._timer is None


async def test_stop_and_close(opened: tuple[MemoryEngine, Reports]) -> None:
    engine, _ = opened
    await engine.load("a", position=timedelta(0), play=True)
    await engine.stop()
    assert engine.source is None
    assert not engine.playing
    await engine.close()
    assert engine.closed
    with pytest.raises(RuntimeError, match="closed"):
        await engine.play()
