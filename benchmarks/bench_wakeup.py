"""What waking the other process costs on this machine, by how long the server works first.

Run with ``python -m benchmarks wakeup``.

Not a benchmark of the project: a reading of the machine that the round-trip
ratios depend on. Two processes ping-pong a small message over a blocking Unix
socket pair (no asyncio, no Python beyond the loop); before each answer the
child busy-waits for a given time, standing for the work a server does. The
round trip minus that work is the cost of the two wake-ups and the two copies.
A server that answers at once often catches its peer before the peer's CPU has
gone idle; one that works longer meets an idle CPU, and on a VM without guest
halt polling every such wake-up is an exit to the hypervisor. The baseline is
the same ping-pong with no work, in the same run.
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import time
from pathlib import Path

WORK_US = (0, 5, 10, 20, 35, 50)
WARM_UP = 300
ROUNDS = 3000
MESSAGE = b"\x00" * 31


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _serve(sock: socket.socket, work: float) -> None:
    while data := sock.recv(4096):
        if work:
            _busy(work)
        sock.sendall(data)


def _round_trips(work_us: int) -> list[float]:
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        parent.close()
        try:
            _serve(child, work_us / 1e6)
        finally:
            os._exit(0)
    child.close()
    try:
        times: list[float] = []
        for index in range(WARM_UP + ROUNDS):
            start = time.perf_counter()
            parent.sendall(MESSAGE)
            parent.recv(4096)
            if index >= WARM_UP:
                times.append(time.perf_counter() - start)
        return times
    finally:
        parent.close()
        os.waitpid(pid, 0)


def _machine() -> str:
    notes = []
    try:
        driver = Path("/sys/devices/system/cpu/cpuidle/current_driver").read_text().strip()
        notes.append(f"cpuidle driver {driver}")
    except OSError:
        notes.append("no cpuidle driver")
    try:
        poll = Path("/sys/module/haltpoll/parameters/guest_halt_poll_ns").read_text().strip()
        notes.append(f"guest_halt_poll_ns {poll}")
    except OSError:
        pass
    return ", ".join(notes)


async def main() -> None:
    print(
        f"Blocking socket-pair ping-pong, {ROUNDS} round trips after {WARM_UP} warm-up per row; "
        f"{_machine()}; Python {sys.version.split()[0]}\n"
    )
    print("| server work | round trip p50 | beyond the work | / no-work round trip |")
    print("|---:|---:|---:|---:|")
    baseline = 0.0
    for work_us in WORK_US:
        p50 = statistics.median(_round_trips(work_us)) * 1e6
        if work_us == 0:
            baseline = p50
        print(f"| {work_us} µs | {p50:.1f} µs | {p50 - work_us:.1f} µs | {p50 / baseline:.2f}x |")
