"""Long queues through a host process: replacing them, inserting into them, bytes on the wire.

Run with ``python -m benchmarks.bench_service_queue`` (or ``python -m benchmarks service``).

For 1k, 10k and 100k items: ``update_queue(items)`` from a client in this
process (the host's callback calls ``set_queue``), timed until the requesting
client's ``queue`` holds the new items, and until a second connected client's
does. Then ``add_queue_item_at(item, middle)``, timed until the client's queue
has the item at that index: back to back, with a task that inserts with
``splice_queue`` (the documented path for long queues) and with one written
the way most apps are (copy the queue into a list, insert, ``set_queue``); and
paced, one insert every 25 ms, as a user adds songs.

The bytes of one insert are measured on the wire: a raw IPC client listens to
the host's events, and the ``QueueChanged`` event it receives for the insert is
counted as a whole frame (its payload is ``_wire.encode_event`` of the event).

A client that loses its connection is reported, reconnected if the host lets
it, and otherwise replaced by the second client so the run can go on.
There is no baseline doing the same work; the original plugin, which sent the
whole queue on every change, took 30 s to add 1000 songs (#677). The paced
inserts alternate with a bare asyncio echo to a child process, paced alike: after
25 ms idle, waking both processes costs a machine in a slow phase several times a
back-to-back round trip, and the ratio says what the insert adds to that.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from audio_service import AudioServiceError, MediaItem, MediaQueue
from audio_service._api._client import AudioServiceClient
from audio_service._connect import _ipc
from audio_service._connect._ipc._framing import encode_frame
from audio_service._connect._ipc._protocol import Event, Request, encoder
from audio_service._connect._wire import (
    METHOD_REQUEST,
    TOPIC_EVENT,
    TOPIC_SYNCED,
    decode_event,
    encode_event,
    encode_request,
)
from audio_service._model._events import QueueChanged
from audio_service._model._queue import QueueReplace, QueueSplice
from audio_service._service._requests import AddQueueItemAt
from benchmarks.echo import ECHO_SERVER_SCRIPT, EchoClient, end_child, start_child_server
from benchmarks.service_support import (
    STEP_TIMEOUT,
    host_client,
    ms,
    music_items,
    percentile,
    private_runtime,
    running_host,
    until,
    verdict,
)

APP_ID = "org.example.BenchQueue"
SIZES = (1_000, 10_000, 100_000)
#: Replacements timed per size (each with new ids, so each is a real change).
SETS = {1_000: 10, 10_000: 6, 100_000: 3}
#: Single inserts timed per size and insert mode, after INSERT_WARM_UP untimed ones.
INSERTS = {"splice": 300, "set_queue": 50}
INSERT_WARM_UP = 20
#: Inserts one at a time with a pause between, as a user adds songs (splice_queue task):
#: both processes go idle in between, so each insert pays for waking them (on a small VM
#: that alone makes a bare socket echo several times slower than back to back).
PACED_INSERTS = 60
PACE = 0.025


class _SetResult:
    """One ``update_queue``: when the requester and another client had the queue."""

    def __init__(self) -> None:
        self.requester: int | None = None
        self.other: int | None = None
        #: Why the requester never got it, when it did not.
        self.failure: str | None = None


async def _set_queue(
    client: AudioServiceClient, other: AudioServiceClient | None, items: list[MediaItem]
) -> _SetResult:
    count, first, last = len(items), items[0].id, items[-1].id

    def has_it(queue: MediaQueue) -> bool:
        return len(queue) == count and queue[0].id == first and queue[-1].id == last

    result = _SetResult()
    watcher = None if other is None else asyncio.ensure_future(until(other.queue_stream, has_it))
    start = time.perf_counter_ns()
    try:
        await client.update_queue(items)
        await until(client.queue_stream, has_it)
        result.requester = time.perf_counter_ns() - start
    except AudioServiceError as error:
        result.failure = f"{type(error).__name__}: {error}"
    if watcher is not None:
        await watcher
        result.other = time.perf_counter_ns() - start
    return result


async def _insert(client: AudioServiceClient, item: MediaItem, index: int) -> int:
    count = len(client.queue) + 1
    start = time.perf_counter_ns()
    await client.add_queue_item_at(item, index)
    await until(
        client.queue_stream,
        lambda queue: len(queue) == count and queue[index].id == item.id,
    )
    return time.perf_counter_ns() - start


async def _wire_client() -> _ipc.Client:
    """A raw IPC client, past its greeting, whose later events a new subscription sees."""
    raw = await _ipc.connect(APP_ID, "bench-wire")
    with raw.events.subscribe(maxsize=1 << 16) as events:
        async with asyncio.timeout(STEP_TIMEOUT):
            async for event in events:
                if event.topic == TOPIC_SYNCED:
                    break
    return raw


async def _insert_on_the_wire(
    client: AudioServiceClient, raw: _ipc.Client, item: MediaItem, index: int
) -> int:
    """Insert ``item`` and return the size of the event frame the host sent for it."""
    with raw.events.subscribe() as events:
        await _insert(client, item, index)
        async with asyncio.timeout(STEP_TIMEOUT):
            event = await anext(events)
    if event.topic != TOPIC_EVENT:
        raise RuntimeError(f"expected an event, got topic {event.topic!r}")
    decoded = decode_event(event.payload)
    if not (
        isinstance(decoded, QueueChanged)
        and len(decoded.ops) == 1
        and isinstance(decoded.ops[0], QueueSplice)
        and decoded.ops[0].items == (item,)
    ):
        raise RuntimeError(f"the insert was sent as {decoded!r}")
    return len(encode_frame(encoder(), Event(event.topic, event.payload)))


async def _reconnect(client: AudioServiceClient) -> str | None:
    """Reconnect a client whose link broke, as an app would; why it failed, if it did."""
    await client.disconnect()
    try:
        await client.connect(APP_ID, in_process=False)
    except AudioServiceError as error:
        await client.disconnect()
        return f"{type(error).__name__}: {error}"
    return None


def _ms_or_dash(samples: list[int]) -> str:
    if not samples:
        return "—"
    return f"{ms(statistics.median(samples))} (max {ms(max(samples))})"


async def main() -> None:
    rows: list[str] = []
    targets: list[str] = []
    notes: list[str] = []
    with private_runtime("bench-service-queue-") as directory:
        echo_child = await start_child_server(ECHO_SERVER_SCRIPT, Path(directory, "echo.sock"))
        try:
            _, echo = await asyncio.get_running_loop().create_unix_connection(
                EchoClient, os.fspath(Path(directory, "echo.sock"))
            )
            # As long as an insert's request frame.
            sample = encode_request(AddQueueItemAt(media_item=music_items("m", 1)[0], index=0))
            message = b"\x00" * len(encode_frame(encoder(), Request(1, METHOD_REQUEST, sample)))
            await _run(rows, targets, notes, echo, message)
            echo.transport.close()
        finally:
            await end_child(echo_child)
    _print(rows, targets, notes)


async def _run(
    rows: list[str], targets: list[str], notes: list[str], echo: EchoClient, message: bytes
) -> None:
    """Every size against one host; appends its table rows, targets and notes."""
    async with running_host(APP_ID) as host:
        requester = host.client
        # Connected while the queue is empty: see the notes on dropped clients.
        watcher = host_client()
        await watcher.connect(APP_ID, in_process=False)
        other: AudioServiceClient | None = watcher
        raw = await _wire_client()
        try:
            for size in SIZES:
                sets: list[_SetResult] = []
                for trial in range(SETS[size]):
                    items = music_items(f"q{size}-{trial}", size)
                    result = await _set_queue(requester, other, items)
                    sets.append(result)
                    if result.failure is None:
                        continue
                    notes.append(f"update_queue of {size:,} items: {result.failure}")
                    why = await _reconnect(requester)
                    if why is not None:
                        notes.append(f"reconnecting to a host with {size:,} items: {why}")
                        if other is None:
                            raise RuntimeError("no client is left connected to the host")
                        requester, other = other, None
                    break  # the failure repeats: no more trials of this size
                if list(requester.queue) != items or not all(
                    a.same_content(b) for a, b in zip(requester.queue, items, strict=True)
                ):
                    raise RuntimeError("the client's queue differs from the one set")
                set_event = len(
                    encode_event(QueueChanged(ops=(QueueReplace(tuple(items)),), length=size))
                )
                inserts: dict[str, list[int]] = {}
                for mode, count in INSERTS.items():
                    await requester.custom_action("insert_mode", mode)
                    new = music_items(f"i{size}-{mode}", INSERT_WARM_UP + count)
                    for item in new[:INSERT_WARM_UP]:
                        await _insert(requester, item, len(requester.queue) // 2)
                    inserts[mode] = [
                        await _insert(requester, item, len(requester.queue) // 2)
                        for item in new[INSERT_WARM_UP:]
                    ]
                await requester.custom_action("insert_mode", "splice")
                paced, echoes = [], []
                for item in music_items(f"p{size}", PACED_INSERTS):
                    # The baseline paced alike, in turn: what waking both sides costs.
                    await asyncio.sleep(PACE)
                    start = time.perf_counter_ns()
                    await echo.round_trip(message)
                    echoes.append(time.perf_counter_ns() - start)
                    await asyncio.sleep(PACE)
                    paced.append(await _insert(requester, item, len(requester.queue) // 2))
                extra = music_items(f"w{size}", 1)[0]
                middle = len(requester.queue) // 2
                frame = await _insert_on_the_wire(requester, raw, extra, middle)
                request = encode_request(AddQueueItemAt(media_item=extra, index=middle))
                request_frame = len(encode_frame(encoder(), Request(1, METHOD_REQUEST, request)))

                done = [r.requester for r in sets if r.requester is not None]
                seen = [r.other for r in sets if r.other is not None]
                dropped = sum(r.failure is not None for r in sets)
                requester_cell = _ms_or_dash(done)
                if dropped:
                    requester_cell += f" **dropped {dropped}/{len(sets)}**"
                rows.append(
                    f"| {size:,} | {requester_cell} | {_ms_or_dash(seen)} "
                    f"| {set_event / 1e6:.2f} MB "
                    f"| {ms(percentile(inserts['splice'], 0.5))} "
                    f"| {ms(percentile(inserts['splice'], 0.99))} "
                    f"| {ms(percentile(inserts['set_queue'], 0.5))} "
                    f"| {ms(percentile(inserts['set_queue'], 0.99))} "
                    f"| {ms(percentile(paced, 0.5))} | {ms(max(paced))} "
                    f"| {ms(percentile(echoes, 0.5))} "
                    f"| {percentile(paced, 0.5) / percentile(echoes, 0.5):.1f}x "
                    f"| {frame} B | {request_frame} B |"
                )
                if size == max(SIZES):
                    if dropped:
                        measured = "requester dropped"
                        if seen:
                            measured += f"; another client had it in {ms(max(seen))}"
                        ok = False
                    else:
                        measured, ok = ms(max(done)), max(done) < 500_000_000
                    targets.append(
                        f"| set {size:,} items < 0.5 s (slowest) | {measured} | {verdict(ok)} |"
                    )
                splice_p99 = percentile(inserts["splice"], 0.99)
                paced_p50 = percentile(paced, 0.5)
                set_p99 = percentile(inserts["set_queue"], 0.99)
                targets += [
                    f"| insert at {size:,}, splice_queue task, p99 < 1 ms "
                    f"| {ms(splice_p99)} | {verdict(splice_p99 < 1_000_000)} |",
                    f"| insert at {size:,}, paced, splice_queue task, p50 < 1 ms "
                    f"| {ms(paced_p50)} | {verdict(paced_p50 < 1_000_000)} |",
                    f"| insert at {size:,}, set_queue task, p99 < 1 ms "
                    f"| {ms(set_p99)} | {verdict(set_p99 < 1_000_000)} |",
                    f"| insert at {size:,}: event frame < 1 KB | {frame} B "
                    f"| {verdict(frame < 1024)} |",
                ]
            # Stop through a client that is still connected (the starter may not be).
            await requester.stop()
        finally:
            await raw.close()
            for client in (requester, other):
                if client is not None:
                    await client.disconnect()


def _print(rows: list[str], targets: list[str], notes: list[str]) -> None:
    print(
        f"update_queue: {SETS} replacements per size (new ids each time), timed until the "
        "requesting client, and another connected client, hold the new queue; inserts in the "
        f"middle: {INSERTS} back to back per size and task style, then {PACED_INSERTS} "
        f"paced {PACE * 1000:.0f} ms apart; Python {sys.version.split()[0]}\n"
    )
    print(
        "| items | update_queue -> requester has it (median) | -> other client has it "
        "| set event | insert p50 (splice_queue) | insert p99 (splice_queue) "
        "| insert p50 (set_queue) | insert p99 (set_queue) | paced insert p50 "
        "| paced insert max | paced echo p50 (baseline) | paced insert / echo "
        "| insert event frame | insert request frame |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\n| target | measured | result |\n|---|---:|---|")
    print("\n".join(targets))
    if notes:
        print("\nConnections lost:")
        print("\n".join(f"- {note}" for note in notes))


if __name__ == "__main__":
    asyncio.run(main())
