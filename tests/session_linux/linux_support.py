"""Helpers for the Linux backend tests: a recording listener, a harness around a backend."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from audio_session import (
    ActivationRequest,
    AudioDevicesChangedEvent,
    AudioInterruptionEvent,
    AudioInterruptionType,
    AudioSessionConfiguration,
)
from audio_session._linux import Backoff, LinuxBackend
from audio_session.testing import AudioRig, AudioServer, ForeignStream, SinkInput

PAUSE = AudioInterruptionType.PAUSE
DUCK = AudioInterruptionType.DUCK
UNKNOWN = AudioInterruptionType.UNKNOWN

#: libpulse's "no such object" index.
INVALID_INDEX = 2**32 - 1

#: Fast reconnection for tests, so a restarted server is found again quickly.
FAST_BACKOFF = Backoff(initial=0.02, maximum=0.2)


def begin(kind: AudioInterruptionType) -> tuple[str, object]:
    return ("interruption", AudioInterruptionEvent(True, kind))


def end(kind: AudioInterruptionType) -> tuple[str, object]:
    return ("interruption", AudioInterruptionEvent(False, kind))


class Recorder:
    """A backend listener that keeps every report, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def interruption(self, event: AudioInterruptionEvent) -> None:
        self.events.append(("interruption", event))

    def becoming_noisy(self) -> None:
        self.events.append(("noisy", None))

    def devices_changed(self, event: AudioDevicesChangedEvent) -> None:
        self.events.append(("devices", event))

    def activation_lost(self) -> None:
        self.events.append(("lost", None))

    def of(self, kind: str) -> list[object]:
        return [payload for name, payload in self.events if name == kind]

    def interruptions(self) -> list[tuple[str, object]]:
        return [e for e in self.events if e[0] in ("interruption", "lost")]

    async def wait_for(
        self, predicate: Callable[[list[tuple[str, object]]], bool], timeout: float = 5.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.events):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events so far: {self.events}")
            await asyncio.sleep(0.005)

    async def wait_count(self, kind: str, count: int, timeout: float = 5.0) -> None:
        await self.wait_for(lambda _: len(self.of(kind)) >= count, timeout)

    async def wait_event(self, expected: tuple[str, object], timeout: float = 5.0) -> None:
        await self.wait_for(lambda events: expected in events, timeout)


@dataclass
class Harness:
    """A LinuxBackend opened on the rig's server, with what it reported."""

    backend: LinuxBackend
    recorder: Recorder
    server: AudioServer
    rig: AudioRig
    children: list[asyncio.subprocess.Process] = field(default_factory=list)
    _barriers: int = 0

    @property
    def events(self) -> list[tuple[str, object]]:
        return self.recorder.events

    async def activate(
        self,
        configuration: AudioSessionConfiguration | None = None,
        *,
        pause_when_ducked: bool | None = None,
    ) -> ActivationRequest:
        request = ActivationRequest.resolve(
            configuration or AudioSessionConfiguration.music(),
            android_will_pause_when_ducked=pause_when_ducked,
        )
        await self.backend.apply_configuration(request.configuration)
        assert await self.backend.activate(request)
        return request

    async def barrier(self, name: str = "barrier") -> None:
        """Waits until the backend has handled everything the server did before now.

        Adds and removes a sink and waits for both device events: the backend
        handles server events in order, so whatever an earlier stimulus caused is
        in ``events`` by then.
        """
        self._barriers += 1
        sink = await self.server.add_sink(f"{name}{self._barriers}")
        device_id = f"sink:{sink.name}"

        def mentions(event: tuple[str, object], field: str) -> bool:
            payload = event[1]
            return isinstance(payload, AudioDevicesChangedEvent) and any(
                d.id == device_id for d in getattr(payload, field)
            )

        await self.recorder.wait_for(lambda evs: any(mentions(e, "devices_added") for e in evs))
        await self.server.remove_sink(sink)
        await self.recorder.wait_for(lambda evs: any(mentions(e, "devices_removed") for e in evs))
        # The barrier's own device events are not the test's business.
        self.events[:] = [
            e
            for e in self.events
            if not (mentions(e, "devices_added") or mentions(e, "devices_removed"))
        ]

    async def playing(self, stream: ForeignStream) -> SinkInput:
        """Waits until ``stream`` really plays (PipeWire lists new streams corked at first)."""
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            found = await stream.sink_input()
            if found is not None and not found.corked and found.sink != INVALID_INDEX:
                return found
            await asyncio.sleep(0.005)
        raise AssertionError(f"{stream.tag} never started playing")

    async def own_stream(
        self,
        role: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        new_session: bool = False,
        device: str | None = None,
    ) -> SinkInput:
        """A real ``pacat`` child of this process, playing silence; returns its stream.

        Without ``env`` it gets the server's environment only (no ``PULSE_PROP``),
        so only its ancestry can make it ours.
        """
        args = ["pacat", "--playback", "--raw", "--client-name=own-child"]
        if role is not None:
            args.append(f"--property=media.role={role}")
        if device is not None:
            args.append(f"--device={device}")
        args.append("/dev/zero")
        child = await asyncio.create_subprocess_exec(
            *args,
            env=dict(env if env is not None else self.server.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=new_session,
        )
        self.children.append(child)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            for stream in await self.server.sink_inputs():
                # PipeWire lists a new stream before it is linked to a sink.
                if (
                    stream.properties.get("application.process.id") == str(child.pid)
                    and stream.sink != INVALID_INDEX
                ):
                    return stream
            assert child.returncode is None, "pacat exited"
            await asyncio.sleep(0.01)
        raise AssertionError("own pacat did not connect")

    async def stop_children(self) -> None:
        for child in self.children:
            with contextlib.suppress(ProcessLookupError):
                child.terminate()
            await child.wait()
        self.children.clear()
