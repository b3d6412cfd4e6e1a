"""Where the two ends of a round trip run, and the CPU time each end spends.

On a VM whose idle vCPUs halt (this project's machines: guest halt polling off),
waking a process on the *other* CPU costs an exit to the hypervisor and an
interrupt, tens of µs in a slow phase; waking one that shares the waker's CPU
costs a context switch. The scheduler decides which per pair of processes: a
bare echo's two ends are small and often end up sharing a CPU, a host that
works longer seldom does. A wall-clock ratio measured as scheduled then
compares two placements as much as two programs, so the round-trip benchmarks
also run with both ends on one CPU and on two, and read each end's CPU time
(``/proc/<pid>/task/*/schedstat``), which does not depend on placement, and the
involuntary context switches (``status``), which tell whether the two ends took
turns on one CPU: there an end is preempted by the end it just woke, on two CPUs never.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["PLACEMENTS", "available", "cpu_ns", "placed", "switches"]

#: Scheduler's choice, both ends on one CPU, the ends on two CPUs.
PLACEMENTS = ("as scheduled", "one CPU", "two CPUs")


def cpu_ns(pid: int) -> int:
    """Nanoseconds process ``pid`` has run on a CPU, all its threads together."""
    if pid == os.getpid():
        # A running thread's schedstat lags until its next tick or switch (an in-process
        # round trip switches never); the clock brings it up to date.
        return time.process_time_ns()
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread that ended
            total += int((task / "schedstat").read_text().split()[0])
    return total


def switches(pid: int) -> tuple[int, int]:
    """The voluntary and the involuntary context switches of all of ``pid``'s threads."""
    voluntary = involuntary = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a thread that ended
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    involuntary += int(line.split()[1])
    return voluntary, involuntary


def _pin(pid: int, cpus: set[int]) -> None:
    # Every thread: affinity is per thread, and a host has a few (the session store's worker).
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            os.sched_setaffinity(int(task.name), cpus)


def available(placement: str) -> bool:
    """False for "two CPUs" on a machine (or cgroup) that gives this process one."""
    return placement != "two CPUs" or len(os.sched_getaffinity(0)) >= 2


@contextlib.contextmanager
def placed(placement: str, client: int, servers: Iterable[int]) -> Iterator[None]:
    """Run ``client`` and ``servers`` (pids) as ``placement`` says until the block ends."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}, not {placement!r}")
    servers = list(servers)
    everyone = os.sched_getaffinity(0)
    if placement == "as scheduled":
        yield
        return
    first, *rest = sorted(everyone)
    server_cpu = first if placement == "one CPU" else rest[0]
    _pin(client, {first})
    for pid in servers:
        _pin(pid, {server_cpu})
    try:
        yield
    finally:
        for pid in (client, *servers):
            with contextlib.suppress(FileNotFoundError, ProcessLookupError, OSError):
                _pin(pid, everyone)
