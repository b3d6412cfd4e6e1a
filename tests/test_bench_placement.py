"""The benchmarks' placement helper: it pins what it says, puts everything back, and reads CPU
time that moves with work (the round-trip benchmarks' per-side figures rest on it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from benchmarks.placement import PLACEMENTS, available, cpu_ns, placed


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    # Two threads, since affinity is per thread and a host has several.
    script = (
        "import threading, time; "
        "threading.Thread(target=time.sleep, args=(60,)).start(); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 10
    while len(os.listdir(f"/proc/{process.pid}/task")) < 2:
        assert time.monotonic() < deadline, "the child did not start its thread"
        time.sleep(0.01)
    yield process
    process.kill()
    process.wait()


def _affinities(pid: int) -> list[set[int]]:
    return [os.sched_getaffinity(int(tid)) for tid in os.listdir(f"/proc/{pid}/task")]


def test_each_placement_pins_every_thread_and_restores_them(
    child: subprocess.Popen[bytes],
) -> None:
    everyone = os.sched_getaffinity(0)
    first = min(everyone)
    for placement in PLACEMENTS:
        if not available(placement):
            assert placement == "two CPUs"
            assert len(everyone) == 1
            continue
        with placed(placement, os.getpid(), [child.pid]):
            mine, theirs = _affinities(os.getpid()), _affinities(child.pid)
            if placement == "as scheduled":
                assert all(cpus == everyone for cpus in mine + theirs)
            else:
                assert all(cpus == {first} for cpus in mine)
                server = {first} if placement == "one CPU" else {sorted(everyone)[1]}
                assert all(cpus == server for cpus in theirs)
        assert all(cpus == everyone for cpus in _affinities(os.getpid()) + _affinities(child.pid))


def test_cpu_time_follows_work_here_and_not_in_a_sleeping_child(
    child: subprocess.Popen[bytes],
) -> None:
    mine, theirs = cpu_ns(os.getpid()), cpu_ns(child.pid)
    end = time.perf_counter() + 0.05
    while time.perf_counter() < end:
        pass
    assert cpu_ns(os.getpid()) - mine >= 40_000_000  # 50 ms of busy loop, read at once
    assert cpu_ns(child.pid) - theirs < 5_000_000
