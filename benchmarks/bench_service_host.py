"""The host process: how long it takes to start, and what it costs while it waits.

Run with ``python -m benchmarks.bench_service_host`` (or ``python -m benchmarks service``);
add ``--long`` (or set ``BENCH_LONG=1``) to watch the idle host for 60 s instead of 10 s.

**Start**: ``AudioService.start(...)`` in host mode, timed until it returns, that
is after the task's ``on_start`` ran in the new process. The baseline, in
interleaved rounds, is spawning ``python -c "import asyncio, msgspec"`` with
asyncio and waiting for it to exit: the floor of any asyncio process that
speaks msgpack (a host cannot do less). ``python -c pass`` is shown beside it.
The project's modules are compiled to bytecode first, as installing a wheel
does: with ``PYTHONDONTWRITEBYTECODE`` set (as in some sandboxes) an editable
checkout would otherwise compile every module on every start.

**Idle**: a host whose task is paused with no player loaded, one client
connected, watched for a window: CPU time from ``/proc/<pid>/stat``
(utime + stime, in clock ticks) and ``/proc/<pid>/task/*/schedstat`` (ns), RSS
from ``/proc/<pid>/status``, and the context switches of all its threads. A
process that no timer wakes does not switch at all while it waits.
"""

from __future__ import annotations

import asyncio
import compileall
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import audio_service
import audio_session
import benchmarks
from benchmarks import service_task
from benchmarks.service_support import (
    host_client,
    ms,
    private_runtime,
    running_host,
    stop_host,
    verdict,
)

APP_ID = "org.example.BenchHost"
START_ROUNDS = 15
#: The floor the host start is measured against, and a bare interpreter for scale.
FLOOR = "import asyncio, msgspec"
BARE = "pass"
IDLE_SECONDS = 10.0
LONG_IDLE_SECONDS = 60.0
#: Time for the host to finish what its start set off (e.g. saving the session).
SETTLE_SECONDS = 1.5
#: Wake-ups tolerated in the window: a stray signal is not a polling timer.
STRAY_WAKEUPS = 2


async def _spawn(code: str) -> int:
    start = time.perf_counter_ns()
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
    await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"python -c {code!r} exited with {process.returncode}")
    return time.perf_counter_ns() - start


def _compile_bytecode() -> None:
    # compileall writes the .pyc files even under PYTHONDONTWRITEBYTECODE (an installer does).
    for package in (audio_service, audio_session, benchmarks):
        assert package.__file__ is not None
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


async def _host_start() -> int:
    client = host_client()
    start = time.perf_counter_ns()
    started = await client.start(service_task.entrypoint, in_process=False, app_id=APP_ID)
    elapsed = time.perf_counter_ns() - start
    pid = await client.custom_action("pid") if started else 0
    await stop_host(client, pid)
    if not started:
        raise RuntimeError(f"a host for {APP_ID!r} was already running")
    return elapsed


async def _start() -> list[str]:
    _compile_bytecode()
    await _spawn(BARE)
    await _spawn(FLOOR)
    await _host_start()
    bare: list[int] = []
    floor: list[int] = []
    host: list[int] = []
    for _ in range(START_ROUNDS):
        bare.append(await _spawn(BARE))
        floor.append(await _spawn(FLOOR))
        host.append(await _host_start())
    ratio = statistics.median(host) / statistics.median(floor)

    def row(subject: str, times: list[int]) -> str:
        return (
            f"| {subject} | {ms(statistics.median(times))} | {ms(min(times))} | {ms(max(times))} |"
        )

    return [
        f"Start: {START_ROUNDS} of each after one warm-up, interleaved\n",
        "| subject | median | min | max |",
        "|---|---:|---:|---:|",
        row(f'spawn `python -c "{FLOOR}"`, wait for exit (baseline)', floor),
        row(f"spawn `python -c {BARE}`, wait for exit (for scale)", bare),
        row("`start()` in host mode, returns after on_start", host),
        "",
        "| target | measured | result |",
        "|---|---:|---|",
        f"| host start <= 1.3x the baseline (medians) | {ratio:.2f}x | {verdict(ratio <= 1.3)} |",
    ]


@dataclass
class _Sample:
    ticks: int
    run_ns: int | None
    rss_kb: int
    peak_kb: int
    voluntary: int
    involuntary: int
    threads: int


def _status(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def _sample(pid: int) -> _Sample:
    proc = Path(f"/proc/{pid}")
    stat = (proc / "stat").read_text()
    # Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    after = stat[stat.rindex(")") + 2 :].split()
    ticks = int(after[11]) + int(after[12])
    status = _status(proc / "status")
    voluntary = involuntary = 0
    run_ns: int | None = 0
    threads = 0
    for task in (proc / "task").iterdir():
        try:
            task_status = _status(task / "status")
            schedstat = (task / "schedstat").read_text().split() if run_ns is not None else []
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        except OSError:
            schedstat = []
        threads += 1
        voluntary += int(task_status["voluntary_ctxt_switches"])
        involuntary += int(task_status["nonvoluntary_ctxt_switches"])
        if run_ns is not None:
            run_ns = run_ns + int(schedstat[0]) if schedstat else None
    return _Sample(
        ticks=ticks,
        run_ns=run_ns,
        rss_kb=int(status["VmRSS"].split()[0]),
        peak_kb=int(status["VmHWM"].split()[0]),
        voluntary=voluntary,
        involuntary=involuntary,
        threads=threads,
    )


async def _idle(window: float) -> list[str]:
    async with running_host(APP_ID) as host:
        await asyncio.sleep(SETTLE_SECONDS)
        before = _sample(host.pid)
        start = time.monotonic()
        await asyncio.sleep(window)
        after = _sample(host.pid)
        elapsed = time.monotonic() - start
        if host.client.playback_state.playing or not host.client.running:
            raise RuntimeError("the host was meant to stay paused and running")
    tick = os.sysconf("SC_CLK_TCK")
    cpu_ticks_s = (after.ticks - before.ticks) / tick
    cpu_ns = (
        after.run_ns - before.run_ns
        if after.run_ns is not None and before.run_ns is not None
        else None
    )
    cpu_percent = 100 * (cpu_ns / 1e9 if cpu_ns is not None else cpu_ticks_s) / elapsed
    wakeups = (after.voluntary - before.voluntary) + (after.involuntary - before.involuntary)
    rss_mb = after.rss_kb / 1024
    precise = f"{cpu_ns / 1e6:.3f} ms on CPU (schedstat)" if cpu_ns is not None else "n/a"
    return [
        f"Idle: a paused host (no player), one client connected, watched for {elapsed:.1f} s "
        f"after {SETTLE_SECONDS} s to settle\n",
        "| measure | value |",
        "|---|---:|",
        f"| CPU time, utime + stime (/proc/pid/stat) | {cpu_ticks_s * 1e3:.0f} ms |",
        f"| CPU time, all threads | {precise} |",
        f"| CPU use | {cpu_percent:.4f} % |",
        f"| RSS (VmRSS) / peak (VmHWM) | {rss_mb:.1f} MB / {after.peak_kb / 1024:.1f} MB |",
        f"| threads | {after.threads} |",
        f"| context switches in the window, voluntary + involuntary | "
        f"{after.voluntary - before.voluntary} + {after.involuntary - before.involuntary} |",
        "",
        "| target | measured | result |",
        "|---|---:|---|",
        f"| no polling timers (<= {STRAY_WAKEUPS} wake-ups in {elapsed:.0f} s) "
        f"| {wakeups} | {verdict(wakeups <= STRAY_WAKEUPS)} |",
        f"| CPU < 0.1 % | {cpu_percent:.4f} % | {verdict(cpu_percent < 0.1)} |",
        f"| RSS < 40 MB | {rss_mb:.1f} MB | {verdict(rss_mb < 40)} |",
    ]


async def main() -> None:
    long = "--long" in sys.argv[1:] or os.environ.get("BENCH_LONG", "") not in ("", "0")
    with private_runtime("bench-service-host-"):
        lines = await _start()
        lines += [""] + await _idle(LONG_IDLE_SECONDS if long else IDLE_SECONDS)
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
