"""The blocking client against the asyncio one: what the thread hop costs per request.

Run with ``python -m benchmarks.bench_sync_client`` (or ``python -m benchmarks sync``).

Each subject is one ``play()``/``pause()`` request, alternating, timed until it
returned (the task's new state arrives with the reply, so the client shows it
then). Host mode: a host process runs the bench task; the asyncio client in
this loop and an ``audio_service.sync`` client (its own loop on its own thread)
talk to the same host, in interleaved rounds so that load from other processes
hits both alike. In-process mode: the same with the task in the sync client's
loop thread, against an asyncio client on an in-process service of its own —
this shows the bare cost of the hop, which host mode hides in the socket's.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from collections.abc import Awaitable, Callable

from audio_service._api._client import AudioServiceClient
from audio_service.sync import SyncAudioServiceClient as SyncClient
from benchmarks import service_task
from benchmarks.service_support import (
    STEP_TIMEOUT,
    percentile,
    private_runtime,
    running_host,
    us,
    verdict,
)

APP_ID = "org.example.BenchSync"
WARM_UP = 300
ROUNDS = 20
PER_ROUND = 100  # ROUNDS * PER_ROUND round trips of each subject
TARGET = 1.5


def _async_toggle(client: AudioServiceClient) -> Callable[[], Awaitable[None]]:
    async def toggle() -> None:
        await (client.pause() if client.playback_state.playing else client.play())

    return toggle


def _sync_toggle(client: SyncClient) -> Callable[[], None]:
    def toggle() -> None:
        if client.playback_state.playing:
            client.pause()
        else:
            client.play()

    return toggle


def _sleeps() -> int:
    """This process's voluntary context switches so far: each is a thread going to sleep."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw


#: Voluntary context switches per round trip, by subject (machine-independent, unlike times).
SLEEPS: dict[str, float] = {}


async def _measure(
    async_call: Callable[[], Awaitable[None]], sync_call: Callable[[], None]
) -> tuple[list[int], list[int]]:
    clock = time.perf_counter_ns
    for _ in range(WARM_UP):
        await async_call()
        sync_call()
    async_times: list[int] = []
    sync_times: list[int] = []
    async_sleeps = sync_sleeps = 0
    for _ in range(ROUNDS):
        before = _sleeps()
        for _ in range(PER_ROUND):
            start = clock()
            await async_call()
            async_times.append(clock() - start)
        middle = _sleeps()
        # A blocking call in this loop's thread: this loop waits, the client's runs.
        for _ in range(PER_ROUND):
            start = clock()
            sync_call()
            sync_times.append(clock() - start)
        async_sleeps += middle - before
        sync_sleeps += _sleeps() - middle
    SLEEPS["host async"] = async_sleeps / len(async_times)
    SLEEPS["host sync"] = sync_sleeps / len(sync_times)
    return async_times, sync_times


async def _host_mode() -> tuple[list[int], list[int]]:
    async with running_host(APP_ID) as host:
        with SyncClient(timeout=STEP_TIMEOUT) as blocking:
            blocking.connect(APP_ID)
            return await _measure(_async_toggle(host.client), _sync_toggle(blocking))


async def _in_process() -> tuple[list[int], list[int]]:
    asynchronous = AudioServiceClient()
    await asynchronous.start(service_task.entrypoint, in_process=True, mpris=False)
    try:
        # Another in-process service cannot run in this process at the same time:
        # measure the asyncio one, then the blocking one, in alternating halves.
        clock = time.perf_counter_ns
        async_call = _async_toggle(asynchronous)
        for _ in range(WARM_UP):
            await async_call()
        async_times: list[int] = []
        for _ in range(ROUNDS * PER_ROUND):
            start = clock()
            await async_call()
            async_times.append(clock() - start)
    finally:
        await asynchronous.stop()
        await asynchronous.disconnect()
    with SyncClient(timeout=STEP_TIMEOUT) as blocking:
        blocking.start(service_task.entrypoint, in_process=True, mpris=False)
        sync_call = _sync_toggle(blocking)
        for _ in range(WARM_UP):
            sync_call()
        sync_times: list[int] = []
        for _ in range(ROUNDS * PER_ROUND):
            start = clock()
            sync_call()
            sync_times.append(clock() - start)
    return async_times, sync_times


def _rows(name: str, async_times: list[int], sync_times: list[int]) -> list[str]:
    a50, s50 = percentile(async_times, 0.5), percentile(sync_times, 0.5)
    a99, s99 = percentile(async_times, 0.99), percentile(sync_times, 0.99)
    return [
        f"| {name} | asyncio client | {us(a50)} | {us(a99)} |",
        f"| {name} | `audio_service.sync` client | {us(s50)} | {us(s99)} |",
        f"| {name} | **ratio (hop: {us(s50 - a50)})** | **{s50 / a50:.2f}x** | "
        f"**{s99 / a99:.2f}x** |",
    ]


async def main() -> None:
    with private_runtime("bench-sync-"):
        host_async, host_sync = await _host_mode()
        local_async, local_sync = await _in_process()
    ratio = percentile(host_sync, 0.5) / percentile(host_async, 0.5)
    print(
        f"play()/pause() round trip, {len(host_sync)} of each after {WARM_UP} warm-up, "
        f"Python {sys.version.split()[0]}\n"
    )
    print("| mode | subject | p50 | p99 |\n|---|---|---:|---:|")
    for line in [
        *_rows("host", host_async, host_sync),
        *_rows("in-process", local_async, local_sync),
    ]:
        print(line)
    print(
        "\nThreads going to sleep (voluntary context switches) per round trip, this process: "
        f"asyncio {SLEEPS['host async']:.2f}, sync {SLEEPS['host sync']:.2f}"
    )
    print(
        f"\nTarget: host-mode sync p50 <= {TARGET}x the asyncio client's: "
        f"{ratio:.2f}x {verdict(ratio <= TARGET)}"
    )


if __name__ == "__main__":
    asyncio.run(main())
