"""Request round trip of the IPC transport against a bare asyncio Unix-socket echo.

Run with ``python -m benchmarks.bench_ipc`` (or ``python -m benchmarks ipc``).
Client and server share one event loop in this process, for both subjects, so
the ratio shows what the transport adds: framing, msgpack envelopes, request
ids, one task per request and the reply future. The two are measured in
interleaved rounds so that noise from other processes hits both alike.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from audio_service._connect._ipc import PeerInfo, Server, connect
from benchmarks.echo import EchoClient, EchoServer

WARM_UP = 500
ROUNDS = 10
PER_ROUND = 300  # ROUNDS * PER_ROUND trials of each subject
# A typical small request, as the service's msgspec-encoded requests will be.
PAYLOAD = msgspec.msgpack.encode({"position_us": 123_456_789})


async def _echo_handler(method: str, payload: bytes, peer: PeerInfo) -> bytes:
    return payload


def _percentile(samples: list[int], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] / 1000


async def main() -> None:
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="bench-ipc-") as directory:
        os.chmod(directory, 0o700)
        echo_path = Path(directory, "echo.sock")
        echo_server = await loop.create_unix_server(EchoServer, os.fspath(echo_path))
        _, echo = await loop.create_unix_connection(EchoClient, os.fspath(echo_path))
        ipc_server = Server("bench.ipc", _echo_handler, path=Path(directory, "ipc.sock"))
        await ipc_server.start()
        client = await connect(ipc_server.path, "bench")
        # The bare echo moves as many bytes as the transport's request frame does.
        message = b"\x00" * (len(PAYLOAD) + 20)
        try:
            for _ in range(WARM_UP):
                await echo.round_trip(message)
                await client.call("echo", PAYLOAD)
            bare: list[int] = []
            ipc: list[int] = []
            clock = time.perf_counter_ns
            for _ in range(ROUNDS):
                for _ in range(PER_ROUND):
                    start = clock()
                    await echo.round_trip(message)
                    bare.append(clock() - start)
                for _ in range(PER_ROUND):
                    start = clock()
                    await client.call("echo", PAYLOAD)
                    ipc.append(clock() - start)
        finally:
            await client.close()
            await ipc_server.close()
            echo.transport.close()
            echo_server.close()
            await echo_server.wait_closed()
    rows = [("bare asyncio Unix-socket echo", bare), ("IPC call round trip", ipc)]
    print(
        f"{len(bare)} round trips each after {WARM_UP} warm-up, Python {sys.version.split()[0]}\n"
    )
    print("| subject | p50 (µs) | p99 (µs) | mean (µs) |")
    print("|---|---:|---:|---:|")
    for name, samples in rows:
        p50, p99 = _percentile(samples, 0.50), _percentile(samples, 0.99)
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {statistics.fmean(samples) / 1000:.1f} |")
    p50_ratio = _percentile(ipc, 0.50) / _percentile(bare, 0.50)
    p99_ratio = _percentile(ipc, 0.99) / _percentile(bare, 0.99)
    print(f"| ratio IPC / bare | {p50_ratio:.2f}x | {p99_ratio:.2f}x | |")


if __name__ == "__main__":
    asyncio.run(main())
