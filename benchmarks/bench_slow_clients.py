"""Clients that stop reading: what they cost the host, and what it gives back when they go.

Run with ``python -m benchmarks.bench_slow_clients`` (or ``python -m benchmarks slow``).

**Stalled**: a host process (``service_task``), then 1000 raw same-user clients that
complete the handshake and never read again, then 100 000 state changes. Host RSS
(``VmRSS`` in ``/proc/<pid>/status``) before the clients and after the changes. Before
the fix every state change was copied into every stalled client's send buffer
(2000 changes took the host from 29 MB to 918 MB); now a client that fell behind holds
only the latest state. Target: growth < 50 MB.

**Rounds**: three rounds of 1000 such clients, each with 2000 state changes, all
clients closed at the end of each round; host RSS after each round (once its socket
count is back), without anyone calling ``gc.collect()``. Target: within 10 MB of the
RSS before the first round.

**Burst**: one client that reads, 1000 custom events of 100 KB sent as fast as the task
can; the client must get all 1000 and not be dropped.
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import struct
import sys
import time
from pathlib import Path

import msgspec

from audio_service._connect._ipc import socket_path
from benchmarks.service_support import private_runtime, running_host, verdict

APP_ID = "org.example.BenchSlow"
CLIENTS = 1000
CHANGES = 100_000
ROUND_CHANGES = 2000
ROUNDS = 3
BURST = (1000, 100_000)
GROWTH_TARGET = 50 * 1024
RETURN_TARGET = 10 * 1024


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def sockets(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def stalled_clients(count: int) -> list[socket.socket]:
    """``count`` connections that say hello and then never read."""
    path = os.fsencode(socket_path(APP_ID))
    hello = msgspec.msgpack.encode(["hello", 1, APP_ID, "stalled", 1 << 20])
    frame = struct.pack(">I", len(hello)) + hello
    opened = []
    for _ in range(count):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        sock.sendall(frame)
        opened.append(sock)
    return opened


async def wait_sockets(pid: int, at_most: int) -> None:
    deadline = time.monotonic() + 30
    while sockets(pid) > at_most:
        if time.monotonic() > deadline:
            raise RuntimeError(f"host {pid} still has {sockets(pid)} sockets")
        await asyncio.sleep(0.05)


def mb(kib: int) -> str:
    return f"{kib / 1024:.1f} MB"


async def _run() -> list[str]:
    lines: list[str] = []
    async with running_host(APP_ID) as host:
        client, pid = host.client, host.pid
        await client.custom_action("states", 2000)  # warm-up: every code path once
        idle_sockets = sockets(pid)
        base = rss_kib(pid)

        clients = await asyncio.to_thread(stalled_clients, CLIENTS)
        await client.custom_action("pid")  # a round trip: the host has seen them all
        with_clients = rss_kib(pid)
        started = time.perf_counter()
        await client.custom_action("states", CHANGES)
        elapsed = time.perf_counter() - started
        after = rss_kib(pid)
        for sock in clients:
            sock.close()
        await wait_sockets(pid, idle_sockets)
        growth = after - base
        lines += [
            f"Stalled: {CLIENTS} clients that never read, {CHANGES:,} state changes "
            f"({elapsed:.1f} s)\n",
            "| host RSS | value |",
            "|---|---:|",
            f"| before the clients | {mb(base)} |",
            f"| {CLIENTS} clients connected | {mb(with_clients)} |",
            f"| after {CHANGES:,} changes | {mb(after)} |",
            f"| growth (target < {mb(GROWTH_TARGET)}) | {mb(growth)} "
            f"{verdict(growth < GROWTH_TARGET)} |",
            "",
        ]

        start = rss_kib(pid)
        rows = []
        for number in range(1, ROUNDS + 1):
            clients = await asyncio.to_thread(stalled_clients, CLIENTS)
            await client.custom_action("states", ROUND_CHANGES)
            peak = rss_kib(pid)
            for sock in clients:
                sock.close()
            await wait_sockets(pid, idle_sockets)
            await client.custom_action("pid")
            rows.append((number, peak, rss_kib(pid)))
        last = rows[-1][2] - start
        lines += [
            f"Rounds: {ROUNDS} x {CLIENTS} stalled clients, {ROUND_CHANGES} changes each, "
            "then all closed; no gc.collect()\n",
            "| round | RSS with the clients | RSS after they left |",
            "|---:|---:|---:|",
            f"| start | | {mb(start)} |",
            *(f"| {n} | {mb(peak)} | {mb(left)} |" for n, peak, left in rows),
            f"| after the last round vs start (target < {mb(RETURN_TARGET)}) | | "
            f"{mb(last)} {verdict(last < RETURN_TARGET)} |",
            "",
        ]

        count, size = BURST
        received: list[object] = []
        done = asyncio.get_running_loop().create_future()

        def on_event(event: object) -> None:
            received.append(event)
            if len(received) == count and not done.done():
                done.set_result(None)

        subscription = client.custom_event_stream.listen(on_event)
        started = time.perf_counter()
        await client.custom_action("events", [count, size])
        async with asyncio.timeout(60):
            await done
        elapsed = time.perf_counter() - started
        subscription.cancel()
        ok = len(received) == count and client.running
        lines += [
            f"Burst: {count} custom events of {size // 1000} KB to one reading client\n",
            "| received | time | still connected |",
            "|---:|---:|---|",
            f"| {len(received)} / {count} | {elapsed:.2f} s | {client.running} {verdict(ok)} |",
        ]
    return lines


async def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * CLIENTS
    if soft < wanted <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    with private_runtime("bench-slow-"):
        print("\n".join(await _run()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
