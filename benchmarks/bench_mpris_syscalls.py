"""System calls, wake-ups and loop iterations per MPRIS ``PlayPause``, beside a ``Peer.Ping``.

Run with ``python -m benchmarks mpris_syscalls`` (needs ``strace``, ptrace rights
over this process and its children, as root has, and the set-up of ``bench_mpris``).

The ``bench_mpris`` players on a private ``dbus-daemon``: our host process
(``benchmarks.mpris_task``, no UI client connected) and the same player on
``mpris_server``. The D-Bus client in this process makes each call and waits for
its reply (and, for ``PlayPause``, for the ``PropertiesChanged`` carrying the new
``PlaybackStatus``), as ``bench_mpris`` times it. Counted the way
``bench_syscalls`` counts the IPC path: ``strace -c`` on every thread of each
process over ``REQUESTS`` calls after a warm-up, context switches (wake-ups and
preemptions) from ``/proc`` over an untraced loop of the same length. Subjects:

- **baseline**: ``Peer.Ping`` to our host's connection, answered inside dbus-fast
  (one wait, one read, one write: the floor of any call on the bus);
- ``PlayPause`` to our host, whose callback calls ``set_state``;
- ``PlayPause`` to the mpris_server player (GLib's main loop and GDBus's worker
  thread).

For our host also the event loop's iterations per call, read over IPC from a
counter the task installs on request (``loop_turns``): the UI client connects
only to read it, and a window without calls is subtracted.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Awaitable, Callable

from dbus_fast.aio import MessageBus

from audio_service._api._client import AudioServiceClient
from audio_session.testing import PrivateSessionBus
from benchmarks import mpris_task
from benchmarks.bench_mpris import (
    APP_ID,
    MPRIS_SERVER,
    THEIR_NAME,
    Client,
    Subject,
    _start_theirs,
    owner_of,
    session_bus_env,
    setup,
)
from benchmarks.bench_syscalls import (
    REQUESTS,
    WARM_UP,
    SideCounts,
    _measure,
    _row,
    table_head,
)
from benchmarks.echo import end_child
from benchmarks.service_support import host_client, private_runtime, stop_host


async def _loop_turns(client: AudioServiceClient, subject: Callable[[], Awaitable[None]]) -> float:
    """Our host's loop iterations per call of ``subject``, the UI client away meanwhile."""

    async def window(calls: int) -> int:
        before: int = await client.custom_action("loop_turns")
        await client.disconnect()
        for _ in range(calls):
            await subject()
        await client.connect(APP_ID, in_process=False)
        after: int = await client.custom_action("loop_turns")
        return after - before

    await window(0)  # installs the counter
    idle = await window(0)
    busy = await window(REQUESTS)
    return (busy - idle) / REQUESTS


async def _run(address: str) -> list[str]:
    pythonpath, version = await asyncio.to_thread(setup)
    me = os.getpid()
    client: AudioServiceClient = host_client()
    pid = 0
    theirs_process: asyncio.subprocess.Process | None = None
    bus = await MessageBus(bus_address=address).connect()
    try:
        if not await client.start(mpris_task.entrypoint, in_process=False, app_id=APP_ID):
            raise RuntimeError(f"a host for {APP_ID} was already running")
        pid = await client.custom_action("pid")
        theirs_process = await _start_theirs(address, pythonpath)
        client_side = Client(bus)
        ours = Subject(client_side, await owner_of(bus, f"org.mpris.MediaPlayer2.{APP_ID}"), pid)
        theirs = Subject(
            client_side,
            await owner_of(bus, f"org.mpris.MediaPlayer2.{THEIR_NAME}"),
            theirs_process.pid,
        )
        for subject in (ours, theirs):
            await client_side.watch(subject.owner)

        async def ping() -> None:
            await ours.ping()

        async def toggle() -> None:
            await ours.toggle()

        async def their_toggle() -> None:
            await theirs.toggle()

        turns = await _loop_turns(client, toggle)
        ping_turns = await _loop_turns(client, ping)
        await client.disconnect()
        ping_counts = await _measure(ping, [me, pid])
        toggle_counts = await _measure(toggle, [me, pid])
        their_counts = await _measure(their_toggle, [me, theirs_process.pid])
    finally:
        bus.disconnect()
        if theirs_process is not None:
            await end_child(theirs_process)
        if pid and not client.running:
            await client.connect(APP_ID, in_process=False)
        await stop_host(client, pid)

    lines = [
        f"System calls and context switches per call, {REQUESTS} calls after "
        f"{WARM_UP} warm-up, counted with strace -c on every thread; private dbus-daemon, "
        f"host on Python {sys.version.split()[0]}, {MPRIS_SERVER} on Debian's Python {version}\n",
        *table_head(),
        _row("our host, Peer.Ping (**baseline**)", ping_counts[1]),
        _row("our host, PlayPause", toggle_counts[1]),
        _row(f"{MPRIS_SERVER} process, PlayPause", their_counts[1]),
        _row("D-Bus client, PlayPause to our host", toggle_counts[0]),
        "",
        f"our host's event-loop iterations per call: PlayPause {turns:.2f}, "
        f"Peer.Ping {ping_turns:.2f}",
    ]
    host: SideCounts = toggle_counts[1]
    base: SideCounts = ping_counts[1]
    extra = (sum(host.calls.values()) - sum(base.calls.values())) / REQUESTS
    waits = (host.calls["epoll_wait"] - base.calls["epoll_wait"]) / REQUESTS
    switches = (host.switches + host.preempted - base.switches - base.preempted) / REQUESTS
    lines.append(
        f"our host, PlayPause over Ping: {extra:+.2f} system calls, {waits:+.2f} waits and "
        f"{switches:+.2f} context switches per call"
    )
    return lines


async def main() -> None:
    if shutil.which("strace") is None:
        print("strace is not installed (Debian: apt-get install strace)", file=sys.stderr)
        return
    with (
        PrivateSessionBus() as private_bus,
        private_runtime("bench-mpris-syscalls-"),
        session_bus_env(private_bus.address),
    ):
        lines = await _run(private_bus.address)
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
