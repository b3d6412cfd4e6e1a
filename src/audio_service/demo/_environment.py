"""Where the demo plays: the desktop's own bus and audio server, or private ones.

On a desktop (a usable session bus and a reachable pulse-protocol server) the
demo uses them, and the player shows up in the panel and in ``playerctl``.
Otherwise it starts what is missing with the test rig
(:mod:`audio_session.testing`): a private ``dbus-daemon`` and/or PipeWire
(default when installed) or PulseAudio.

The rule for the embedded servers: **they live as long as the demo's service.**
A small detached *keeper* process (``python -m audio_service.demo._environment``)
owns them. It writes their addresses to ``state.json`` (and ``env.sh`` for other
terminals) in :func:`state_dir` — ``$XDG_RUNTIME_DIR/audio-service-kit-demo`` —
so that a second ``audio-service demo`` reconnects to the same servers and the
same service. When the service stops (``x`` in the UI, ``playerctl stop``, a
crash), the keeper stops the servers and removes the files. A lock file keeps a
demo that is starting the service again and a keeper about to stop from
crossing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import logging
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from audio_session.testing import AudioServerFlavour

__all__ = [
    "APPLIED_VARIABLES",
    "DemoEnvironment",
    "EmbeddedState",
    "default_flavour",
    "prepare_environment",
    "probe_audio_server",
    "probe_session_bus",
    "read_state",
    "service_lock",
    "state_dir",
]

_log = logging.getLogger(__name__)

STATE_VERSION = 1
STATE_FILE = "state.json"
FAILED_FILE = "failed.txt"
ENV_SCRIPT = "env.sh"
LOCK_FILE = "lock"
KEEPER_LOG = "keeper.log"
KEEPER_MODULE = "audio_service.demo._environment"
#: How long the keeper waits for a service to appear before it gives up.
HOST_WAIT = 120.0
#: The variables an embedded environment may set in the demo's process (and so its host).
APPLIED_VARIABLES = ("DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER", "PIPEWIRE_RUNTIME_DIR")
#: The longest socket path the rig makes below its root (``/s/run/pulse/native``), and
#: the most a Unix socket address holds.
_LONGEST_SOCKET_SUFFIX = 20
_MAX_SOCKET_PATH = 107
#: The programs the keeper may have started; stale ones are only signalled if they match.
_SERVER_PROGRAMS = ("dbus-daemon", "pulseaudio", "pipewire", "wireplumber", "pipewire-pulse")


def default_flavour() -> AudioServerFlavour:
    """``pipewire`` when PipeWire, WirePlumber and pipewire-pulse are installed, else PulseAudio."""
    if all(shutil.which(p) for p in ("pipewire", "wireplumber", "pipewire-pulse")):
        return "pipewire"
    return "pulseaudio"


def state_dir() -> Path:
    """``$XDG_RUNTIME_DIR/audio-service-kit-demo`` (or ``/tmp/audio-service-kit-demo-<uid>``).

    Created 0700; refused when another user owns it or others can enter it.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        path = Path(runtime) / "audio-service-kit-demo"
    else:
        path = Path("/tmp") / f"audio-service-kit-demo-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise RuntimeError(f"{path} is not a directory of yours; remove it and try again")
    if info.st_mode & 0o077:
        raise RuntimeError(f"{path} is accessible to other users (mode {info.st_mode & 0o777:o})")
    return path


@contextlib.contextmanager
def service_lock(directory: Path) -> Iterator[None]:
    """Held while a demo connects to or starts the service, and while a keeper decides to stop."""
    with open(directory / LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ------------------------------------------------------------------------ probes


def _bus_configured() -> bool:
    # dbus-fast also finds a bus through $XDG_RUNTIME_DIR/bus when the variable is unset.
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    return bool(runtime) and os.path.exists(os.path.join(runtime, "bus"))


async def probe_session_bus(timeout: float = 2.0) -> str | None:
    """None when the session bus answers; otherwise why it cannot be used."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not _bus_configured():
        return "DBUS_SESSION_BUS_ADDRESS is not set"
    from dbus_fast import BusType
    from dbus_fast.aio import MessageBus

    bus = MessageBus(bus_type=BusType.SESSION)
    try:
        async with asyncio.timeout(timeout):
            await bus.connect()
    except Exception as error:
        return f"the session bus {address or '(default)'} does not answer: {error or 'timeout'}"
    bus.disconnect()
    return None


async def probe_audio_server(timeout: float = 2.0) -> str | None:
    """None when a PulseAudio or pipewire-pulse server answers; otherwise why not."""
    from pulsectl_asyncio import PulseAsync

    pulse = PulseAsync("audio-service-demo-probe")
    try:
        async with asyncio.timeout(timeout):
            await pulse.connect()
            await pulse.server_info()
    except Exception as error:
        where = os.environ.get("PULSE_SERVER") or "the default pulse socket"
        return f"no audio server answers at {where} ({type(error).__name__}: {error})"
    finally:
        with contextlib.suppress(Exception):
            pulse.close()
    return None


# ------------------------------------------------------------------------- state


@dataclass(frozen=True)
class EmbeddedState:
    """What a keeper wrote: its pid, the servers it runs and how to reach them."""

    directory: Path
    keeper_pid: int
    flavour: AudioServerFlavour | None
    env: dict[str, str]
    started: tuple[str, ...]
    pids: tuple[int, ...]
    root: Path


def _alive(pid: int, needle: str) -> bool:
    """Whether ``pid`` runs (not a zombie) and its command line mentions ``needle``."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return status[status.rindex(")") + 2] != "Z" and needle.encode() in cmdline


def _load(directory: Path) -> EmbeddedState | None:
    try:
        data = json.loads((directory / STATE_FILE).read_text())
        if data.get("version") != STATE_VERSION:
            return None
        return EmbeddedState(
            directory=directory,
            keeper_pid=int(data["keeper_pid"]),
            flavour=data["flavour"],
            env={str(k): str(v) for k, v in data["env"].items()},
            started=tuple(data["started"]),
            pids=tuple(int(p) for p in data["pids"]),
            root=Path(data["root"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def read_state(directory: Path) -> EmbeddedState | None:
    """The embedded servers of a live keeper, or None; a dead keeper's leftovers are cleared."""
    state = _load(directory)
    if state is None:
        return None
    if _alive(state.keeper_pid, KEEPER_MODULE):
        return state
    _clear_stale(state)
    return None


def _clear_stale(state: EmbeddedState) -> None:
    # The keeper died without cleaning up (SIGKILL, a crash): stop its servers,
    # but only processes that really are ours, recognised by the private root in
    # their environment.
    marker = str(state.root).encode()
    for pid in state.pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if marker in environ and any(_alive(pid, name) for name in _SERVER_PROGRAMS):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
    for name in (STATE_FILE, ENV_SCRIPT):
        with contextlib.suppress(FileNotFoundError):
            (state.directory / name).unlink()
    shutil.rmtree(state.root, ignore_errors=True)


# ------------------------------------------------------------------ environment


@dataclass
class DemoEnvironment:
    """The environment the demo runs in, and what to tell the user about it."""

    mode: Literal["desktop", "embedded"]
    #: Lines for the screen: what was found, what was started, how to reach it.
    lines: list[str] = field(default_factory=list)
    #: Variables set in this process (inherited by the service's host).
    env: dict[str, str] = field(default_factory=dict)
    state: EmbeddedState | None = None
    #: True when the embedded servers were already running (a second demo).
    reused: bool = False


def _apply(env: Mapping[str, str]) -> None:
    for key in APPLIED_VARIABLES:
        if key in env:
            os.environ[key] = env[key]


def _describe(state: EmbeddedState, *, reused: bool, reasons: Sequence[str] = ()) -> list[str]:
    what = " and ".join(state.started)
    how = "using the private" if reused else "started a private"
    since = " (started by an earlier demo)" if reused else ""
    lines = [f"Embedded mode: {how} {what}{since}; they stop when the demo service stops."]
    lines += [f"Why: {reason}." for reason in reasons]
    if "DBUS_SESSION_BUS_ADDRESS" in state.env:
        lines.append(f"Private session bus: {state.env['DBUS_SESSION_BUS_ADDRESS']}")
    if "PULSE_SERVER" in state.env:
        lines.append(f"Private {state.flavour} server: {state.env['PULSE_SERVER']}")
    lines.append(
        f"From another terminal: . {state.directory / ENV_SCRIPT}  then playerctl, pactl..."
    )
    return lines


async def prepare_environment(
    *,
    flavour: AudioServerFlavour | None = None,
    embedded: bool = False,
    app_id: str,
) -> DemoEnvironment:
    """Find the desktop's bus and audio server, or reuse or start private ones.

    Call it with :func:`service_lock` held on :func:`state_dir`, so that no
    keeper stops the servers between this and the service's start. ``embedded``
    starts private ones even on a desktop.
    """
    directory = state_dir()
    state = read_state(directory)
    if state is not None:
        _apply(state.env)
        return DemoEnvironment(
            "embedded", _describe(state, reused=True), dict(state.env), state, reused=True
        )
    bus_problem: str | None = "private servers were asked for (--embedded)"
    audio_problem: str | None = bus_problem
    if not embedded:
        bus_problem, audio_problem = await asyncio.gather(probe_session_bus(), probe_audio_server())
        if bus_problem is None and audio_problem is None:
            return DemoEnvironment(
                "desktop",
                [
                    "Using this desktop's session bus and audio server: the player shows up "
                    "in the panel, on the lock screen and in playerctl."
                ],
            )
    chosen = flavour or default_flavour()
    state = await asyncio.to_thread(
        start_keeper,
        directory,
        app_id=app_id,
        flavour=chosen if audio_problem is not None else None,
        bus=bus_problem is not None,
    )
    _apply(state.env)
    reasons = [problem for problem in dict.fromkeys((bus_problem, audio_problem)) if problem]
    return DemoEnvironment(
        "embedded", _describe(state, reused=False, reasons=reasons), dict(state.env), state
    )


def start_keeper(
    directory: Path,
    *,
    app_id: str,
    flavour: AudioServerFlavour | None,
    bus: bool,
    timeout: float = 60.0,
) -> EmbeddedState:
    """Start a keeper with a private bus (``bus``) and/or server (``flavour``); its state."""
    if flavour is None and not bus:
        raise ValueError("nothing to start: give a flavour, bus=True, or both")
    for name in (STATE_FILE, FAILED_FILE):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()
    args = [sys.executable, "-m", KEEPER_MODULE, str(directory), "--app-id", app_id]
    args += ["--starter", str(os.getpid())]
    if flavour is not None:
        args += ["--audio-server", flavour]
    if bus:
        args.append("--bus")
    with open(directory / KEEPER_LOG, "wb") as log:
        # The first process forks the keeper and exits at once (see _detach).
        subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            check=True,
            timeout=30,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _load(directory)
        if state is not None:
            return state
        failed = directory / FAILED_FILE
        if failed.exists():
            raise RuntimeError(f"could not start the private servers: {failed.read_text()}")
        time.sleep(0.02)
    raise RuntimeError(
        f"the private servers did not start within {timeout} s; see {directory / KEEPER_LOG}"
    )


# ------------------------------------------------------------------------ keeper


def _write_state(directory: Path, data: dict[str, Any], env: Mapping[str, str]) -> None:
    script = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())
    (directory / ENV_SCRIPT).write_text(
        "# The demo's private audio stack; source this file: . "
        + str(directory / ENV_SCRIPT)
        + "\n"
        + script
    )
    partial = directory / f".{STATE_FILE}.partial"
    partial.write_text(json.dumps(data, indent=1))
    partial.replace(directory / STATE_FILE)


async def _watch_service(directory: Path, app_id: str, starter: int, stop: asyncio.Event) -> None:
    """Return once the service has come and gone (or never came); ``stop`` ends it early."""
    from audio_service._api._client import AudioServiceClient
    from audio_service._connect import _ipc
    from audio_service._connect._remote import HostLauncher

    async def running() -> bool:
        return app_id in await asyncio.to_thread(_ipc.list_services)

    deadline = time.monotonic() + HOST_WAIT
    seen = False
    while not stop.is_set():
        if await running():
            seen = True
            client = AudioServiceClient()
            client.host_launcher = HostLauncher()
            with contextlib.suppress(Exception):
                await client.connect(app_id, in_process=False)
                if client.running:
                    _log.info("watching the service %s", app_id)
                    gone = asyncio.ensure_future(client.running_stream.first(lambda r: not r))
                    halt = asyncio.ensure_future(stop.wait())
                    await asyncio.wait((gone, halt), return_when=asyncio.FIRST_COMPLETED)
                    gone.cancel()
                    halt.cancel()
            with contextlib.suppress(Exception):
                await client.disconnect()
            if stop.is_set():
                return
            # Looked at again: gone (its process may still be exiting), or back.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.05):
                    await stop.wait()
            continue
        # Once the service has come and gone, it is not waited for again: a host that
        # exited after this keeper last looked must not keep the servers for HOST_WAIT.
        if seen or time.monotonic() > deadline or not _alive(starter, ""):
            # A demo may be starting the service again right now: decide under its lock.
            with service_lock(directory):
                if not await running():
                    if seen:
                        _log.info("the service %s is gone: stopping the private servers", app_id)
                    else:
                        _log.info("no service appeared: stopping the private servers")
                    (directory / STATE_FILE).unlink(missing_ok=True)
                    return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.25):
                await stop.wait()


def _keep(args: argparse.Namespace) -> int:
    from audio_session.testing import AudioServer, PrivateSessionBus, start_audio_server

    directory = Path(args.directory)
    # A root of its own: a keeper still stopping its servers never meets a new one's.
    root = directory / f"rig-{os.getpid()}"
    if len(os.fsencode(root)) + _LONGEST_SOCKET_SUFFIX > _MAX_SOCKET_PATH:
        # Unix socket addresses are short: a deep runtime directory cannot hold them.
        root = Path(tempfile.mkdtemp(prefix="audio-service-demo-"))
    else:
        root.mkdir(mode=0o700)
    bus: PrivateSessionBus | None = None
    server: AudioServer | None = None
    try:
        try:
            started: list[str] = []
            env: dict[str, str] = {}
            if args.bus:
                bus = PrivateSessionBus(root / "b").start()
                env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
                started.append("session bus")
            if args.audio_server is not None:
                server = start_audio_server(args.audio_server, root / "s")
                env["PULSE_SERVER"] = server.pulse_server
                env["PIPEWIRE_RUNTIME_DIR"] = str(server.runtime_dir)
                started.append(f"{args.audio_server} server")
        except Exception as error:
            (directory / FAILED_FILE).write_text(str(error))
            raise
        pids = [p.pid for p in (bus.processes if bus else [])]
        pids += [p.pid for p in (server.processes if server else [])]
        state = {
            "version": STATE_VERSION,
            "keeper_pid": os.getpid(),
            "flavour": args.audio_server,
            "env": env,
            "started": started,
            "pids": pids,
            "root": str(root),
            "app_id": args.app_id,
        }
        _write_state(directory, state, env)
        _log.info("private %s ready: %s", " and ".join(started), env)
        asyncio.run(_keep_until_done(directory, args.app_id, args.starter))
        return 0
    finally:
        _remove_own_files(directory, root)
        if server is not None:
            server.stop()
        if bus is not None:
            bus.stop()
        shutil.rmtree(root, ignore_errors=True)
        _log.info("private servers stopped")


def _remove_own_files(directory: Path, root: Path) -> None:
    # Another keeper may have started since this one gave up its state: leave its files.
    state = _load(directory)
    if state is not None and state.keeper_pid == os.getpid():
        (directory / STATE_FILE).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        script = directory / ENV_SCRIPT
        if str(root) in script.read_text():
            script.unlink()


async def _keep_until_done(directory: Path, app_id: str, starter: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    await _watch_service(directory, app_id, starter, stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {KEEPER_MODULE}")
    parser.add_argument("directory")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--starter", type=int, required=True)
    parser.add_argument("--audio-server", choices=("pulseaudio", "pipewire"))
    parser.add_argument("--bus", action="store_true")
    args = parser.parse_args(argv)
    # Detach: the starter waits for this first process only, and the keeper is
    # re-parented, so it neither dies with the demo nor lingers as its zombie.
    if os.fork() > 0:
        os._exit(0)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s demo-keeper[%(process)d] %(levelname)s: %(message)s",
    )
    return _keep(args)


if __name__ == "__main__":
    sys.exit(main())
