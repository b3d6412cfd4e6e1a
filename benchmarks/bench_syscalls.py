"""System calls and context switches per request, on each side, beside a bare echo's.

Run with ``python -m benchmarks syscalls`` (needs ``strace``, and ptrace rights over
this process and its children, as root has).

Time per request depends on what a system call and a context switch cost on the
machine (a VM with expensive exits pays several times more for each). Counts do
not: they say how many of those costly steps one request takes, so the cost is
stated in units that carry from one machine to another.

For each subject, ``strace -c`` is attached to every thread of both processes
for a steady loop of ``REQUESTS`` round trips, after a warm-up. The context
switches are read from ``/proc/<pid>/task/*/status`` around an untraced loop of
the same length, since each stop under strace is a switch too: voluntary ones
(the process went to sleep waiting: a wake-up follows) and involuntary ones (it
was preempted, typically by the peer it just woke on the same CPU). Which of the
two a side shows depends on where the scheduler put the pair; their sum is the
cost of a request. Subjects:

- **baseline**: a bare asyncio Unix-socket echo: the client in this process, the
  server in a child process; the message has the size of a ``play()`` frame;
- **service**: ``play()``/``pause()`` from an ``AudioServiceClient`` in this process
  to a host process whose callback calls ``set_state``, until the client has the
  new state (the round trip of ``bench_service_requests``).

The floor for a request and its reply is one wait, one read and one write on
each side.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from audio_service._connect._ipc._framing import encode_frame
from audio_service._connect._ipc._protocol import Request, encoder
from audio_service._connect._wire import METHOD_REQUEST, encode_request
from audio_service._service._requests import Play
from benchmarks.bench_service_requests import _toggle
from benchmarks.echo import ECHO_SERVER_SCRIPT, EchoClient, end_child, start_child_server
from benchmarks.placement import switches
from benchmarks.service_support import STEP_TIMEOUT, private_runtime, running_host

APP_ID = "org.example.BenchSyscalls"
WARM_UP = 300
REQUESTS = 2000
#: System calls shown in their own column; the rest are summed as "other".
SHOWN = ("epoll_wait", "recvfrom", "read", "sendto", "write", "getpid")
_SUMMARY_LINE = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$")


@dataclass
class SideCounts:
    """What one process did over the loop: system calls by name and context switches."""

    calls: Counter[str] = field(default_factory=Counter)
    #: Voluntary: it went to sleep waiting (a wake-up followed).
    switches: int = 0
    #: Involuntary: it was preempted, e.g. by the peer it had just woken on the same CPU.
    preempted: int = 0


def _threads(pid: int) -> list[int]:
    return sorted(int(tid) for tid in os.listdir(f"/proc/{pid}/task"))


def _traced_now(pid: int, tid: int) -> bool:
    status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
    return re.search(r"^TracerPid:\s*0$", status, re.M) is None


def _parse_summary(text: str) -> Counter[str]:
    calls: Counter[str] = Counter()
    for line in text.splitlines():
        match = _SUMMARY_LINE.match(line)
        if match and match.group(2) != "total":
            calls[match.group(2)] += int(match.group(1))
    return calls


@contextlib.asynccontextmanager
async def _traced(pids: list[int], into: list[SideCounts]) -> AsyncIterator[None]:
    """Count the system calls and wake-ups of every thread of ``pids`` inside the block."""
    with tempfile.TemporaryDirectory(prefix="bench-strace-") as directory:
        # Plain Popen: asyncio's child watcher would add a thread to this process that
        # strace was not told about.
        tracers: list[tuple[subprocess.Popen[bytes], Path]] = []
        for pid in pids:
            out = Path(directory, f"{pid}.txt")
            threads = _threads(pid)
            args = ["strace", "-c", "-o", str(out)]
            for tid in threads:
                args += ["-p", str(tid)]
            tracer = subprocess.Popen(args, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
            tracers.append((tracer, out))
            # Nothing signals an attach but /proc's TracerPid: poll it.
            async with asyncio.timeout(STEP_TIMEOUT):
                while not all(_traced_now(pid, tid) for tid in threads):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        yield
        for tracer, _ in tracers:
            tracer.send_signal(signal.SIGINT)
        for tracer, out in tracers:
            await asyncio.to_thread(tracer.wait, STEP_TIMEOUT)
            into.append(SideCounts(_parse_summary(out.read_text())))


async def _measure(subject: Callable[[], Awaitable[None]], pids: list[int]) -> list[SideCounts]:
    for _ in range(WARM_UP):
        await subject()
    # Wake-ups in a pass of their own: every stop under strace is a context switch too.
    before = [switches(pid) for pid in pids]
    for _ in range(REQUESTS):
        await subject()
    after = [switches(pid) for pid in pids]
    counts: list[SideCounts] = []
    async with _traced(pids, counts):
        for _ in range(REQUESTS):
            await subject()
    for side, start, end in zip(counts, before, after, strict=True):
        side.switches = end[0] - start[0]
        side.preempted = end[1] - start[1]
    return counts


def table_head() -> list[str]:
    """The header and the alignment row of a table of :func:`_row` rows."""
    header = " | ".join(SHOWN)
    return [
        f"| side | syscalls | {header} | other | wake-ups | preempted | other calls (>= 0.05) |",
        "|---|---:|" + "---:|" * (len(SHOWN) + 3) + "---|",
    ]


def _row(name: str, side: SideCounts) -> str:
    shown = [side.calls[call] / REQUESTS for call in SHOWN]
    other = sum(n for call, n in side.calls.items() if call not in SHOWN) / REQUESTS
    total = sum(side.calls.values()) / REQUESTS
    others = ", ".join(
        f"{call} {n / REQUESTS:.2f}"
        for call, n in side.calls.most_common()
        if call not in SHOWN and n / REQUESTS >= 0.05
    )
    cells = " | ".join(f"{value:.2f}" for value in shown)
    return (
        f"| {name} | {total:.2f} | {cells} | {other:.2f} | {side.switches / REQUESTS:.2f} "
        f"| {side.preempted / REQUESTS:.2f} "
        f"| {others or '—'} |"
    )


async def _run(directory: Path) -> list[str]:
    loop = asyncio.get_running_loop()
    payload = encode_request(Play())
    message = b"\x00" * len(encode_frame(encoder(), Request(1, METHOD_REQUEST, payload)))
    me = os.getpid()
    echo_child = await start_child_server(ECHO_SERVER_SCRIPT, Path(directory, "echo.sock"))
    try:
        _, echo = await loop.create_unix_connection(
            EchoClient, os.fspath(Path(directory, "echo.sock"))
        )

        async def echo_round_trip() -> None:
            await echo.round_trip(message)

        echo_counts = await _measure(echo_round_trip, [me, echo_child.pid])
        echo.transport.close()
    finally:
        await end_child(echo_child)
    async with running_host(APP_ID) as host:
        client = host.client

        async def service_round_trip() -> None:
            await _toggle(client)

        service_counts = await _measure(service_round_trip, [me, host.pid])

    lines = [
        f"System calls and context switches per request, {REQUESTS} requests after "
        f"{WARM_UP} warm-up, counted with strace -c on every thread; Python "
        f"{sys.version.split()[0]}\n",
        *table_head(),
        _row("echo client (**baseline**)", echo_counts[0]),
        _row("echo server (**baseline**)", echo_counts[1]),
        _row("service client", service_counts[0]),
        _row("service host", service_counts[1]),
    ]
    for side, base, name in (
        (service_counts[0], echo_counts[0], "client"),
        (service_counts[1], echo_counts[1], "host"),
    ):
        extra = (sum(side.calls.values()) - sum(base.calls.values())) / REQUESTS
        waits = (side.calls["epoll_wait"] - base.calls["epoll_wait"]) / REQUESTS
        # Which side of a pair sleeps and which is preempted depends on where the
        # scheduler put them (one CPU or two); the sum is what one request costs.
        switches = (side.switches + side.preempted - base.switches - base.preempted) / REQUESTS
        lines.append(
            f"\n{name}: {extra:+.2f} system calls, {waits:+.2f} waits and {switches:+.2f} "
            "context switches per request over the echo"
        )
    return lines


async def main() -> None:
    if shutil.which("strace") is None:
        print("strace is not installed (Debian: apt-get install strace)", file=sys.stderr)
        return
    with private_runtime("bench-syscalls-") as directory:
        lines = await _run(directory)
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
