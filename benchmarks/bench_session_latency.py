"""Stimulus -> event latency of the Linux session backend, on PulseAudio and PipeWire.

Each trial starts another application's ``phone`` stream (a real ``pacat``) and
measures, from just before the process is spawned:

- **baseline**: until a bare pulsectl-asyncio subscription in the same process
  and event loop hears ``sink_input new`` (the raw server notification; nothing
  can react earlier);
- **interruption**: until the backend delivers ``begin(pause)`` to its listener.

Then the stream is killed and the same is measured for ``sink_input remove``
versus ``end(pause)``. ``overhead`` is interruption minus baseline, per trial.

Run: ``python -m benchmarks.bench_session_latency [trials]`` (default 60).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pulsectl_asyncio import PulseAsync

from audio_session import (
    ActivationRequest,
    AudioDevicesChangedEvent,
    AudioInterruptionEvent,
    AudioSessionConfiguration,
)
from audio_session._linux import LinuxBackend
from audio_session.testing import FLAVOURS, AudioServerFlavour, start_audio_server

TARGET_P50_MS = 30.0
DEFAULT_TRIALS = 60


@dataclass
class _Clock:
    """Timestamps of the latest occurrence of each kind of happening."""

    seen: dict[str, float] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def mark(self, what: str) -> None:
        self.seen.setdefault(what, time.perf_counter())
        self.changed.set()

    async def wait(self, what: str, timeout: float = 5.0) -> float:
        deadline = time.perf_counter() + timeout
        while what not in self.seen:
            self.changed.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"no {what!r} within {timeout} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)
        return self.seen[what]


class _Listener:
    def __init__(self, clock: _Clock) -> None:
        self.clock = clock

    def interruption(self, event: AudioInterruptionEvent) -> None:
        self.clock.mark("begin" if event.begin else "end")

    def becoming_noisy(self) -> None:
        pass

    def devices_changed(self, event: AudioDevicesChangedEvent) -> None:
        pass

    def activation_lost(self) -> None:
        pass


async def _raw_subscription(pulse: Any, clock: _Clock) -> None:
    async for event in pulse.subscribe_events("sink_input"):
        if event.t == "new":
            clock.mark("raw new")
        elif event.t == "remove":
            clock.mark("raw remove")


@dataclass
class _Samples:
    begin: list[float] = field(default_factory=list)
    raw_new: list[float] = field(default_factory=list)
    end: list[float] = field(default_factory=list)
    raw_remove: list[float] = field(default_factory=list)


async def _measure(flavour: AudioServerFlavour, trials: int) -> _Samples:
    server = start_audio_server(flavour)
    saved = dict(os.environ)
    os.environ.update(server.env)
    os.environ.pop("PULSE_PROP", None)
    samples = _Samples()
    try:
        clock = _Clock()
        backend = LinuxBackend()
        await backend.open(_Listener(clock))
        raw = PulseAsync("latency baseline")
        await raw.connect()
        watcher = asyncio.get_running_loop().create_task(_raw_subscription(raw, clock))
        try:
            request = ActivationRequest.resolve(AudioSessionConfiguration.music())
            await backend.apply_configuration(request.configuration)
            await backend.activate(request)
            env = dict(server.env)
            for trial in range(trials + 3):
                clock.seen.clear()
                start = time.perf_counter()
                player = await asyncio.create_subprocess_exec(
                    "pacat",
                    "--playback",
                    "--raw",
                    "--property=media.role=phone",
                    "/dev/zero",
                    env=env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                    start_new_session=True,
                )
                began = await clock.wait("begin")
                raw_new = await clock.wait("raw new")
                stop = time.perf_counter()
                player.kill()
                ended = await clock.wait("end")
                raw_removed = await clock.wait("raw remove")
                await player.wait()
                if trial < 3:
                    continue  # warm-up: page cache, first connections
                samples.begin.append(began - start)
                samples.raw_new.append(raw_new - start)
                samples.end.append(ended - stop)
                samples.raw_remove.append(raw_removed - stop)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            raw.close()
            await backend.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        server.stop()
    return samples


def _ms(values: list[float], quantile: int) -> float:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return 1000 * (statistics.median(values) if quantile == 50 else cuts[quantile - 1])


def _rows(flavour: str, samples: _Samples) -> Iterator[str]:
    pairs = (
        ("stream starts -> begin(pause)", samples.begin, samples.raw_new),
        ("stream ends -> end(pause)", samples.end, samples.raw_remove),
    )
    for label, measured, baseline in pairs:
        overhead = [m - b for m, b in zip(measured, baseline, strict=True)]
        p50, p99 = _ms(measured, 50), _ms(measured, 99)
        b50, b99 = _ms(baseline, 50), _ms(baseline, 99)
        ratio = p50 / b50 if b50 else float("inf")
        yield (
            f"| {flavour} | {label} | {len(measured)} | {p50:.1f} | {p99:.1f} | {b50:.1f} | "
            f"{b99:.1f} | {_ms(overhead, 50):.2f} | {_ms(overhead, 99):.2f} | {ratio:.2f} |"
        )


async def main(trials: int = DEFAULT_TRIALS) -> None:
    """Measure both servers and print a markdown table (milliseconds)."""
    print(
        "| server | stimulus -> event | n | p50 | p99 | baseline p50 | baseline p99 "
        "| overhead p50 | overhead p99 | p50 / baseline |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    verdicts = []
    for flavour in FLAVOURS:
        samples = await _measure(flavour, trials)
        for row in _rows(flavour, samples):
            print(row, flush=True)
        p50 = _ms(samples.begin, 50)
        verdicts.append(f"{flavour} {p50:.1f} ms ({'met' if p50 < TARGET_P50_MS else 'MISSED'})")
    print(f"\nTarget: interruption p50 < {TARGET_P50_MS:.0f} ms. " + "; ".join(verdicts))
    print(
        "Baseline: a raw pulse subscription in the same event loop hearing the stream "
        "appear/disappear. Times include spawning pacat and its connection. On PipeWire a "
        "new stream is listed corked until it is linked; the interruption starts when it "
        "really plays, a few ms after it appears."
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TRIALS))
