"""Real audio servers for tests: PulseAudio, or PipeWire + WirePlumber + pipewire-pulse.

Both flavours speak the pulse protocol, so every helper here drives them the
same way with ``pactl``/``pacat``; only start-up differs. Each server gets its own
directory, so the two flavours can run side by side in one test session.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from audio_session.testing._dbus import PrivateSessionBus
from audio_session.testing._process import (
    CommandResult,
    ManagedProcess,
    RigError,
    require_program,
    run_command,
    run_command_sync,
)

__all__ = [
    "FLAVOURS",
    "SPEAKER",
    "AudioServer",
    "AudioServerFlavour",
    "ForeignStream",
    "PipeWireServer",
    "PulseAudioServer",
    "Sink",
    "SinkInput",
    "start_audio_server",
]

AudioServerFlavour = Literal["pulseaudio", "pipewire"]
FLAVOURS: tuple[AudioServerFlavour, ...] = ("pulseaudio", "pipewire")

#: The always-present null sink that plays the part of the built-in speaker.
SPEAKER = "speaker"
#: What the pulse protocol reports for "no sink" (``PA_INVALID_INDEX``).
PA_INVALID_INDEX = 0xFFFFFFFF


@dataclass(frozen=True)
class Sink:
    """A sink the rig created; ``module`` is the index to unload it with."""

    name: str
    module: int
    properties: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class SinkInput:
    """A playback stream as the server sees it."""

    index: int
    sink: int
    corked: bool
    mute: bool
    properties: dict[str, str]

    @property
    def role(self) -> str | None:
        return self.properties.get("media.role")

    @property
    def linked(self) -> bool:
        """Whether the stream plays on a sink yet (PipeWire lists it a moment before)."""
        return self.sink != PA_INVALID_INDEX


class ForeignStream:
    """Another application's playback stream (a ``pacat`` of silence) with a media role."""

    def __init__(self, server: AudioServer, process: ManagedProcess, tag: str, role: str | None):
        self.server = server
        self.process = process
        self.tag = tag
        self.role = role

    async def sink_input(self) -> SinkInput | None:
        """This stream as the server lists it, or None while it is not connected."""
        for stream in await self.server.sink_inputs():
            if stream.properties.get("application.name") == self.tag:
                return stream
        return None

    async def wait_connected(self, timeout: float = 5.0) -> SinkInput:
        """The stream once the server lists it and has linked it to a sink."""
        deadline = time.monotonic() + timeout
        while True:
            found = await self.sink_input()
            if found is not None and found.linked:
                return found
            if not self.process.running:
                raise RigError(f"pacat for {self.tag} exited:\n{self.process.log_tail()}")
            if time.monotonic() > deadline:
                raise RigError(f"stream {self.tag} did not appear within {timeout} s")
            await asyncio.sleep(0.01)

    @property
    def log(self) -> str:
        """What ``pacat`` printed, e.g. its cork requests (``Got event 'request-cork'``)."""
        return self.process.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.stop()
        self.server._streams.discard(self)

    async def __aenter__(self) -> ForeignStream:
        await self.wait_connected()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()


class AudioServer(ABC):
    """A private audio server reachable through ``env`` (``PULSE_SERVER`` and friends).

    Helpers are ``async`` so they can be used inside tests whose code under test
    runs in the same event loop. ``reset()`` undoes what helpers did, so one
    server can serve many tests.
    """

    flavour: AudioServerFlavour
    #: Whether the server corks ``music``/``video`` streams while a ``phone`` stream plays.
    supports_role_cork: bool

    def __init__(self, root: Path | None = None) -> None:
        self._own_root = root is None
        self.root = (
            Path(tempfile.mkdtemp(prefix=f"audio-rig-{self.flavour}-")) if root is None else root
        )
        self.runtime_dir = self.root / "run"
        self.home = self.root / "home"
        self.socket_path = self.runtime_dir / "pulse" / "native"
        self.pulse_server = f"unix:{self.socket_path}"
        self._sinks: dict[str, Sink] = {}
        self._streams: set[ForeignStream] = set()
        self._stream_counter = 0
        self.started = False

    @property
    def env(self) -> dict[str, str]:
        """Environment for a pulse client of this server (``pactl``, libpulse, pulsectl)."""
        return {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "PULSE_SERVER": self.pulse_server,
            "PIPEWIRE_RUNTIME_DIR": str(self.runtime_dir),
            "LANG": "C.UTF-8",
        }

    @property
    @abstractmethod
    def processes(self) -> list[ManagedProcess]:
        """The server processes, for leak checks."""

    @abstractmethod
    def _launch(self) -> None:
        """Start the server processes and wait until ``pactl`` can talk to them."""

    @abstractmethod
    def _halt(self) -> None:
        """Stop the server processes."""

    def start(self) -> AudioServer:
        if self.started:
            return self
        for directory in (self.runtime_dir, self.home):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
        self._launch()
        self.started = True
        return self

    def stop(self) -> None:
        for stream in tuple(self._streams):
            stream.stop()
        if self.started:
            self._halt()
            self.started = False
        self._sinks.clear()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start the server on the same socket; helper-made sinks are gone after."""
        for stream in tuple(self._streams):
            stream.stop()
        self._halt()
        self._sinks.clear()
        self._launch()

    def kill(self) -> None:
        """SIGKILL the server processes (a crash); ``start_again()`` brings it back."""
        for process in self.processes:
            process.kill()

    def start_again(self) -> None:
        """Bring the server back after :meth:`kill` (or a crash), on the same socket."""
        self._halt()
        self._sinks.clear()
        self._launch()

    def __enter__(self) -> AudioServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- talking to the server -------------------------------------------------------------

    async def pactl(self, *args: str, check: bool = True) -> CommandResult:
        return await run_command(("pactl", *args), self.env, check=check)

    async def pactl_json(self, *args: str) -> Any:
        result = await self.pactl("--format=json", *args)
        return json.loads(result.stdout) if result.stdout.strip() else None

    def _pactl_sync(self, *args: str, check: bool = True) -> CommandResult:
        return run_command_sync(("pactl", *args), self.env, check=check)

    def _ready(self) -> bool:
        if not _listening(self.socket_path):
            return False
        return self._pactl_sync("info", check=False).returncode == 0

    async def server_info(self) -> dict[str, Any]:
        info: dict[str, Any] = await self.pactl_json("info")
        return info

    async def sinks(self) -> list[dict[str, Any]]:
        """Every sink, as ``pactl --format=json list sinks`` describes it."""
        sinks: list[dict[str, Any]] = await self.pactl_json("list", "sinks")
        return sinks

    async def sink_names(self) -> list[str]:
        return [sink["name"] for sink in await self.sinks()]

    async def sink_inputs(self) -> list[SinkInput]:
        found = await self.pactl_json("list", "sink-inputs") or []
        return [
            SinkInput(
                int(item["index"]),
                int(item["sink"]),
                _truthy(item["corked"]),
                _truthy(item["mute"]),
                dict(item.get("properties", {})),
            )
            for item in found
        ]

    async def default_sink(self) -> str:
        result = await self.pactl("get-default-sink")
        return result.stdout.strip()

    async def set_default_sink(self, sink: str | Sink) -> None:
        name = sink.name if isinstance(sink, Sink) else sink
        await self.pactl("set-default-sink", name)
        await self._wait(lambda: self.default_sink(), name, f"{name} to become the default sink")

    async def add_sink(
        self,
        name: str,
        *,
        description: str | None = None,
        form_factor: str | None = None,
        bus: str | None = None,
        properties: dict[str, str] | None = None,
        make_default: bool = False,
    ) -> Sink:
        """Add a null sink that looks like a device: ``form_factor="headphone"``, ``bus="usb"``...

        Returns once the server lists it. ``device.form_factor`` and ``device.bus``
        are what audio_session's device mapping reads, as on real hardware.
        """
        props = dict(properties or {})
        props["device.description"] = description or name
        if form_factor is not None:
            props["device.form_factor"] = form_factor
        if bus is not None:
            props["device.bus"] = bus
        encoded = " ".join(f"{key}={_pa_quote(value)}" for key, value in props.items())
        result = await self.pactl(
            "load-module", "module-null-sink", f"sink_name={name}", f"sink_properties='{encoded}'"
        )
        sink = Sink(name, int(result.stdout.strip()), props)
        self._sinks[name] = sink
        await self._wait(self.sink_names, name, f"sink {name} to appear", contains=True)
        if make_default:
            await self.set_default_sink(name)
        return sink

    async def remove_sink(self, sink: str | Sink) -> None:
        """Remove a sink made by :meth:`add_sink` (a device unplugged); waits until it is gone."""
        name = sink.name if isinstance(sink, Sink) else sink
        made = self._sinks.pop(name, None)
        if made is None:
            raise RigError(f"sink {name} was not made by this rig")
        await self.pactl("unload-module", str(made.module))
        await self._wait(self.sink_names, name, f"sink {name} to vanish", contains=False)

    async def play(
        self,
        role: str | None,
        *,
        sink: str | Sink | None = None,
        properties: dict[str, str] | None = None,
        wait: bool = True,
    ) -> ForeignStream:
        """Start another application's stream of silence with ``media.role=role``.

        The stream keeps playing until ``stop()``; ``reset()`` stops leftovers.
        """
        self._stream_counter += 1
        tag = f"rig-foreign-{self._stream_counter}"
        args = ["pacat", "--playback", f"--client-name={tag}", f"--stream-name={tag}"]
        props = {"application.name": tag, **(properties or {})}
        if role is not None:
            props["media.role"] = role
        args += [f"--property={key}={value}" for key, value in props.items()]
        if sink is not None:
            args.append(f"--device={sink.name if isinstance(sink, Sink) else sink}")
        args += ["--raw", "--verbose", "/dev/zero"]
        process = ManagedProcess(tag, args, self.env, self.root / "logs" / f"{tag}.log")
        stream = ForeignStream(self, process, tag, role)
        self._streams.add(stream)
        if wait:
            await stream.wait_connected()
        return stream

    async def reset(self) -> None:
        """Undo what helpers did: stop foreign streams, remove added sinks, default = speaker."""
        for stream in tuple(self._streams):
            stream.stop()
        for name in tuple(self._sinks):
            if name != SPEAKER:
                await self.remove_sink(name)
        # Always, even when it already is: PulseAudio remembers the default by name,
        # so a later sink reusing an old default's name would otherwise take over.
        await self.set_default_sink(SPEAKER)

    async def _wait(
        self, probe: Any, expected: str, what: str, *, contains: bool | None = None
    ) -> None:
        deadline = time.monotonic() + 10.0
        while True:
            value = await probe()
            ok = (expected in value) == contains if contains is not None else value == expected
            if ok:
                return
            if time.monotonic() > deadline:
                raise RigError(f"timed out waiting for {what} on {self.flavour} (have {value!r})")
            await asyncio.sleep(0.01)


class PulseAudioServer(AudioServer):
    """PulseAudio in user mode, headless and root-safe, with role-cork loaded.

    Sinks: ``speaker`` (a null sink, the default). Modules: native protocol,
    ``module-role-cork`` (phone corks music/video), ``module-always-sink``.
    """

    flavour: AudioServerFlavour = "pulseaudio"
    supports_role_cork = True

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(root)
        self.process: ManagedProcess | None = None

    @property
    def processes(self) -> list[ManagedProcess]:
        return [self.process] if self.process is not None else []

    def _launch(self) -> None:
        require_program("pulseaudio")
        script = self.root / "rig.pa"
        script.write_text(
            "load-module module-native-protocol-unix\n"
            f"load-module module-null-sink sink_name={SPEAKER} "
            "sink_properties='device.description=Speaker device.form_factor=internal'\n"
            "load-module module-role-cork\n"
            "load-module module-always-sink\n"
            f"set-default-sink {SPEAKER}\n"
        )
        state = self.root / "state"
        state.mkdir(exist_ok=True)
        env = {**self.env, "PULSE_STATE_PATH": str(state)}
        del env["PULSE_SERVER"]
        self.process = ManagedProcess(
            "pulseaudio",
            [
                "pulseaudio",
                "--daemonize=no",
                "--fail",
                "-n",
                "-F",
                str(script),
                "--exit-idle-time=-1",
                "--log-target=stderr",
                "--log-level=info",
                "--disallow-exit",
            ],
            env,
            self.root / "logs" / "pulseaudio.log",
        )
        self.process.wait_until(self._ready, "accepting clients")

    def _halt(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


class PipeWireServer(AudioServer):
    """PipeWire with WirePlumber (session manager) and pipewire-pulse (pulse protocol).

    WirePlumber insists on a session bus, so the server brings its own private
    one. A null sink ``speaker`` stands in for the built-in output and is the
    default. PipeWire has no role-cork: it sends applications no interruption.
    """

    flavour: AudioServerFlavour = "pipewire"
    supports_role_cork = False

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(root)
        self.bus = PrivateSessionBus(self.root / "bus")
        self.pipewire: ManagedProcess | None = None
        self.wireplumber: ManagedProcess | None = None
        self.pipewire_pulse: ManagedProcess | None = None

    @property
    def processes(self) -> list[ManagedProcess]:
        found = [self.pipewire, self.wireplumber, self.pipewire_pulse]
        return [p for p in found if p is not None] + self.bus.processes

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "DBUS_SESSION_BUS_ADDRESS": self.bus.address}

    def _launch(self) -> None:
        for program in ("pipewire", "wireplumber", "pipewire-pulse"):
            require_program(program)
        self.bus.start()
        env = {k: v for k, v in self.env.items() if k != "PULSE_SERVER"}
        logs = self.root / "logs"
        self.pipewire = ManagedProcess("pipewire", ["pipewire"], env, logs / "pipewire.log")
        core = self.runtime_dir / "pipewire-0"
        # Not core.exists: a killed pipewire leaves its socket file behind, and
        # WirePlumber started before the new one listens exits ("Failed to connect").
        self.pipewire.wait_until(lambda: _listening(core), "listening")
        self.wireplumber = ManagedProcess(
            "wireplumber", ["wireplumber"], env, logs / "wireplumber.log"
        )
        self.pipewire_pulse = ManagedProcess(
            "pipewire-pulse", ["pipewire-pulse"], env, logs / "pipewire-pulse.log"
        )
        self.pipewire_pulse.wait_until(self._ready, "accepting pulse clients")
        # A session priority, as real sinks have: while WirePlumber's default names a
        # sink that is gone (or none), pipewire-pulse reports the sink of highest
        # priority as the default. Without any it reports "@DEFAULT_SINK@", a name no
        # sink has, for as long as that lasts: seconds on a loaded machine, or until
        # some other device changes, so a default output removed in a test stayed unknown.
        self._pactl_sync(
            "load-module",
            "module-null-sink",
            f"sink_name={SPEAKER}",
            "sink_properties='device.description=Speaker device.form_factor=internal "
            "priority.session=1000'",
        )
        # WirePlumber picks the default sink on its own schedule; make sure it is ours.
        self.wireplumber.wait_until(self._speaker_is_default, "making the speaker the default")

    def _speaker_is_default(self) -> bool:
        result = self._pactl_sync("get-default-sink", check=False)
        if result.stdout.strip() == SPEAKER:
            return True
        self._pactl_sync("set-default-sink", SPEAKER, check=False)
        return False

    def _halt(self) -> None:
        for attribute in ("pipewire_pulse", "wireplumber", "pipewire"):
            process: ManagedProcess | None = getattr(self, attribute)
            if process is not None:
                process.stop()
                setattr(self, attribute, None)
        self.bus.stop()


def start_audio_server(flavour: AudioServerFlavour, root: Path | None = None) -> AudioServer:
    """Start a private audio server of the given flavour; stop it with ``stop()``."""
    if flavour == "pulseaudio":
        return PulseAudioServer(root).start()
    if flavour == "pipewire":
        return PipeWireServer(root).start()
    raise ValueError(f"unknown audio server flavour {flavour!r}; choose from {FLAVOURS}")


def _listening(path: Path) -> bool:
    """Whether a server accepts connections on the Unix socket ``path``."""
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _pa_quote(value: str) -> str:
    # PulseAudio's module-argument parser takes double quotes inside the single-quoted list.
    return f'"{value}"' if any(c in value for c in " '\"=") else value


def _truthy(value: object) -> bool:
    return value is True or value in ("yes", "true", 1)
