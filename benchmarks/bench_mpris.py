"""MPRIS ``PlayPause`` -> ``PropertiesChanged(PlaybackStatus)``, against Ping and ``mpris_server``.

Run with ``python -m benchmarks.bench_mpris`` (or ``python -m benchmarks mpris``).
Everything runs on a private ``dbus-daemon`` started by the benchmark:

* our player: a real host process (``benchmarks.mpris_task``, host mode, MPRIS on
  by default) whose task publishes a track, paused;
* the same player on the existing Python library ``mpris_server``
  (``benchmarks/mpris_server_player.py``), under Debian's ``/usr/bin/python3``
  with its python3-gi and python3-pydbus;
* a D-Bus client in this process (dbus-fast) that calls ``PlayPause`` and times
  until the ``PropertiesChanged`` carrying the new ``PlaybackStatus`` arrives.

The baseline is a bare ``org.freedesktop.DBus.Peer.Ping`` round trip from that
client to the host process's bus connection (answered inside dbus-fast, without
reaching any of our code); Ping to the mpris_server process is shown too. All
four subjects run in interleaved rounds so noise hits them alike. The UI client
that started the host disconnects before measuring (the host plays on without
it), so that its state events do not compete with the D-Bus client for this
process's event loop; ``--with-ui`` keeps it connected.

Setup (first run only, needs the network): python3-gi and python3-pydbus from
apt when missing (as root), and ``mpris_server`` with its pure-Python
dependencies installed by ``pip install --target`` into
``$XDG_CACHE_HOME/audio-service-kit/bench/``. Version 0.4.2 is the newest that
runs on Debian 12's Python 3.11: 0.8.x declares ``>=3.11`` but uses 3.12's
``type`` statement.

Targets (issue 6): p50 <= 3x the Ping round trip, and at least 2x faster than
mpris_server.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

from audio_service._api._client import AudioServiceClient
from audio_session.testing import PrivateSessionBus
from benchmarks import mpris_task
from benchmarks.echo import end_child
from benchmarks.placement import cpu_ns
from benchmarks.service_support import (
    STEP_TIMEOUT,
    host_client,
    percentile,
    private_runtime,
    stop_host,
)

SYSTEM_PYTHON = "/usr/bin/python3"
MPRIS_SERVER = "mpris_server==0.4.2"
#: mpris_server 0.4.2's own pins, without PyGObject and pydbus (Debian's are used).
MPRIS_SERVER_DEPENDENCIES = ("emoji>=1.2,<2", "unidecode>=1.2,<2")
APT_PACKAGES = ("python3-gi", "python3-pydbus")

APP_ID = "org.example.BenchMpris"
THEIR_NAME = "BenchMprisServer"
PATH = "/org/mpris/MediaPlayer2"
PLAYER = "org.mpris.MediaPlayer2.Player"
WARM_UP = 200
ROUNDS = 10
PER_ROUND = 100  # ROUNDS * PER_ROUND trials of each subject

PLAYER_SCRIPT = Path(__file__).with_name("mpris_server_player.py")


# ------------------------------------------------------------------ setup


def cache_directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "audio-service-kit" / "bench" / MPRIS_SERVER.replace("==", "-")


def _system_python_has(*modules: str) -> bool:
    code = "import gi; gi.require_version('GLib', '2.0'); " + "; ".join(
        f"import {module}" for module in modules
    )
    result = subprocess.run([SYSTEM_PYTHON, "-c", code], capture_output=True, check=False)
    return result.returncode == 0


def setup() -> tuple[Path, str]:
    """Make mpris_server runnable under Debian's Python: its PYTHONPATH, that Python's version."""
    if not Path(SYSTEM_PYTHON).exists():
        raise SystemExit(f"{SYSTEM_PYTHON} is needed to run mpris_server with Debian's PyGObject")
    if not _system_python_has("pydbus"):
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            raise SystemExit(f"install {' '.join(APT_PACKAGES)} first (apt-get install)")
        print(f"installing {' '.join(APT_PACKAGES)} with apt-get ...", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            check=True,
        )
    target = cache_directory()
    if not (target / "mpris_server" / "__init__.py").exists():
        print(f"installing {MPRIS_SERVER} into {target} ...", flush=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as staging:
            subprocess.run(
                [
                    SYSTEM_PYTHON,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-deps",
                    "--target",
                    staging,
                    MPRIS_SERVER,
                    *MPRIS_SERVER_DEPENDENCIES,
                ],
                check=True,
            )
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
            os.mkdir(staging)  # for TemporaryDirectory's own clean-up
    version = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return target, version


@contextlib.contextmanager
def session_bus_env(address: str) -> Iterator[None]:
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved


# ------------------------------------------------------------------ the client


class Client:
    """A D-Bus client that timestamps replies and PlaybackStatus changes as they arrive.

    Both subjects are timed the same way: from just before the call is written to
    the socket until its answer (the method return for Ping, the
    PropertiesChanged carrying PlaybackStatus for PlayPause) reaches this
    connection's message handler, with no task hop on either side.
    """

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self.replies: dict[int, asyncio.Future[int]] = {}
        self.statuses: dict[str, asyncio.Future[int]] = {}
        bus.add_message_handler(self._on_message)

    def _on_message(self, message: Message) -> None:
        now = time.perf_counter_ns()
        kind = message.message_type
        if kind is MessageType.METHOD_RETURN or kind is MessageType.ERROR:
            waiter = self.replies.pop(message.reply_serial, None)
            if waiter is not None:
                if kind is MessageType.ERROR:
                    waiter.set_exception(RuntimeError(f"{message.error_name}: {message.body}"))
                else:
                    waiter.set_result(now)
            return
        if message.member != "PropertiesChanged" or message.path != PATH:
            return
        interface, changed, _ = message.body
        if interface == PLAYER and "PlaybackStatus" in changed:
            waiter = self.statuses.pop(message.sender, None)
            if waiter is not None:
                waiter.set_result(now)

    async def watch(self, owner: str) -> None:
        rule = (
            f"type='signal',sender='{owner}',path='{PATH}',"
            "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'"
        )
        await call(
            self.bus,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            "s",
            [rule],
        )

    def send(self, message: Message) -> asyncio.Future[int]:
        """Write ``message`` now; a future for the arrival time of its reply."""
        message.serial = self.bus.next_serial()
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.replies[message.serial] = waiter
        self.bus.send(message)
        return waiter


async def call(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: list[Any] | None = None,
) -> list[Any]:
    reply = await bus.call(
        Message(
            destination=destination,
            path=path,
            interface=interface,
            member=member,
            signature=signature,
            body=body or [],
        )
    )
    assert reply is not None
    if reply.message_type is MessageType.ERROR:
        raise RuntimeError(f"{member}: {reply.error_name} {reply.body}")
    return list(reply.body)


async def owner_of(bus: MessageBus, name: str) -> str:
    async with asyncio.timeout(STEP_TIMEOUT):
        while True:
            try:
                (owner,) = await call(
                    bus,
                    "org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus",
                    "GetNameOwner",
                    "s",
                    [name],
                )
                return str(owner)
            except RuntimeError:
                await asyncio.sleep(0.02)


class Subject:
    """One player as the client sees it: a Ping trial and a PlayPause trial."""

    def __init__(self, client: Client, owner: str, pid: int) -> None:
        self.client = client
        self.owner = owner
        self.pid = pid
        self.pings: list[int] = []
        self.toggles: list[int] = []
        #: CPU ns of (this process, the bus daemon, the player) over the pings and the toggles.
        self.ping_cpu = [0, 0, 0]
        self.toggle_cpu = [0, 0, 0]

    async def timed(
        self, trial: Callable[[], Awaitable[int]], into: list[int], cpu: list[int], bus: int
    ) -> None:
        """``PER_ROUND`` trials, adding each process's CPU time over them to ``cpu``."""
        pids = (os.getpid(), bus, self.pid)
        before = [cpu_ns(pid) for pid in pids]
        for _ in range(PER_ROUND):
            into.append(await trial())
        for index, pid in enumerate(pids):
            cpu[index] += cpu_ns(pid) - before[index]

    async def ping(self) -> int:
        message = Message(
            destination=self.owner, path="/", interface="org.freedesktop.DBus.Peer", member="Ping"
        )
        start = time.perf_counter_ns()
        reply = self.client.send(message)
        async with asyncio.timeout(STEP_TIMEOUT):
            return await reply - start

    async def toggle(self) -> int:
        """PlayPause, timed until the new PlaybackStatus arrives; its reply is awaited too."""
        message = Message(destination=self.owner, path=PATH, interface=PLAYER, member="PlayPause")
        status: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.client.statuses[self.owner] = status
        start = time.perf_counter_ns()
        reply = self.client.send(message)
        async with asyncio.timeout(STEP_TIMEOUT):
            arrived = await status
            await reply
        return arrived - start


# ------------------------------------------------------------------ the run


async def _start_theirs(address: str, pythonpath: Path) -> asyncio.subprocess.Process:
    child = await asyncio.create_subprocess_exec(
        SYSTEM_PYTHON,
        str(PLAYER_SCRIPT),
        THEIR_NAME,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
            "DBUS_SESSION_BUS_ADDRESS": address,
            "PYTHONPATH": str(pythonpath),
        },
    )
    assert child.stdout is not None
    async with asyncio.timeout(STEP_TIMEOUT):
        line = await child.stdout.readline()
    if line.strip() != b"ready":
        raise RuntimeError(f"the mpris_server player did not start: {line!r}")
    return child


def _row(name: str, samples: list[int]) -> str:
    p50, p99 = percentile(samples, 0.50) / 1e3, percentile(samples, 0.99) / 1e3
    return f"| {name} | {p50:.1f} | {p99:.1f} | {statistics.fmean(samples) / 1e3:.1f} |"


async def main(with_ui: bool = False) -> None:
    pythonpath, version = await asyncio.to_thread(setup)
    with (
        PrivateSessionBus() as private_bus,
        private_runtime("bench-mpris-"),
        session_bus_env(private_bus.address),
    ):
        client: AudioServiceClient = host_client()
        pid = 0
        theirs_process: asyncio.subprocess.Process | None = None
        bus = await MessageBus(bus_address=private_bus.address).connect()
        try:
            if not await client.start(mpris_task.entrypoint, in_process=False, app_id=APP_ID):
                raise RuntimeError(f"a host for {APP_ID} was already running")
            pid = await client.custom_action("pid")
            if not with_ui:
                await client.disconnect()
            theirs_process = await _start_theirs(private_bus.address, pythonpath)
            client_side = Client(bus)
            ours = Subject(
                client_side, await owner_of(bus, f"org.mpris.MediaPlayer2.{APP_ID}"), pid
            )
            theirs = Subject(
                client_side,
                await owner_of(bus, f"org.mpris.MediaPlayer2.{THEIR_NAME}"),
                theirs_process.pid,
            )
            assert private_bus.process is not None
            bus_pid = private_bus.process.popen.pid
            for subject in (ours, theirs):
                await client_side.watch(subject.owner)
            for _ in range(WARM_UP):
                for subject in (ours, theirs):
                    await subject.ping()
                    await subject.toggle()
            for _ in range(ROUNDS):
                for subject in (ours, theirs):
                    await subject.timed(subject.ping, subject.pings, subject.ping_cpu, bus_pid)
                    await subject.timed(
                        subject.toggle, subject.toggles, subject.toggle_cpu, bus_pid
                    )
        finally:
            bus.disconnect()
            if theirs_process is not None:
                await end_child(theirs_process)
            if pid and not client.running:
                with contextlib.suppress(Exception):
                    await client.connect(APP_ID, in_process=False)
            await stop_host(client, pid)

    ui = "a UI client connected to the host" if with_ui else "no UI client connected"
    print(
        f"{len(ours.pings)} trials of each subject after {WARM_UP} warm-up, private dbus-daemon, "
        f"client and host on Python {sys.version.split()[0]}, {MPRIS_SERVER} on Debian's "
        f"Python {version}; {ui}\n"
    )
    print("| subject | p50 (µs) | p99 (µs) | mean (µs) |")
    print("|---|---:|---:|---:|")
    print(_row("Peer.Ping round trip to the host process (baseline)", ours.pings))
    print(_row("PlayPause -> PropertiesChanged(PlaybackStatus), audio_service host", ours.toggles))
    print(_row("Peer.Ping round trip to the mpris_server process", theirs.pings))
    print(_row(f"PlayPause -> PropertiesChanged(PlaybackStatus), {MPRIS_SERVER}", theirs.toggles))
    ping_ratio = percentile(ours.toggles, 0.5) / percentile(ours.pings, 0.5)
    ping_ratio_99 = percentile(ours.toggles, 0.99) / percentile(ours.pings, 0.99)
    speedup = percentile(theirs.toggles, 0.5) / percentile(ours.toggles, 0.5)
    speedup_99 = percentile(theirs.toggles, 0.99) / percentile(ours.toggles, 0.99)
    print(f"| ratio ours / Ping | {ping_ratio:.2f}x | {ping_ratio_99:.2f}x | |")
    print(f"| ratio mpris_server / ours | {speedup:.2f}x | {speedup_99:.2f}x | |")
    # Ping crosses the same bus daemon twice each way, like PlayPause: what a player adds
    # to a call is its time beyond its own Ping.
    ours_beyond = percentile(ours.toggles, 0.5) - percentile(ours.pings, 0.5)
    theirs_beyond = percentile(theirs.toggles, 0.5) - percentile(theirs.pings, 0.5)
    beyond = theirs_beyond / ours_beyond if ours_beyond > 0 else math.inf
    print(f"| ratio mpris_server / ours, time beyond each one's Ping | {beyond:.2f}x | | |")
    print(
        "\nCPU time per call (all threads; schedstat), µs\n\n"
        "| call | client (this process) | dbus-daemon | player process |\n|---|---:|---:|---:|"
    )
    for name, subject in (("ours", ours), (MPRIS_SERVER, theirs)):
        for kind, cpu, count in (
            ("Peer.Ping", subject.ping_cpu, len(subject.pings)),
            ("PlayPause", subject.toggle_cpu, len(subject.toggles)),
        ):
            cells = " | ".join(f"{value / count / 1e3:.1f}" for value in cpu)
            print(f"| {kind}, {name} | {cells} |")
    player_cpu = (theirs.toggle_cpu[2] / len(theirs.toggles)) / (
        ours.toggle_cpu[2] / len(ours.toggles)
    )
    print(f"| ratio mpris_server / ours, player process per PlayPause | | | {player_cpu:.2f}x |")
    print(
        f"\ntargets: p50 <= 3x Ping: {'met' if ping_ratio <= 3 else 'MISSED'}; "
        f"at least 2x faster than mpris_server (p50): {'met' if speedup >= 2 else 'MISSED'}"
    )


if __name__ == "__main__":
    asyncio.run(main(with_ui="--with-ui" in sys.argv[1:]))
