"""The Linux session backend: PulseAudio, or PipeWire through pipewire-pulse.

One pulse-protocol connection (pulsectl-asyncio) watches sinks, sources, cards,
the server's defaults and every playback stream. After each burst of server
events the backend re-reads what changed and derives, in this order:

1. **devices** (see ``_devices``): diffed against the previous state, and the
   first time against the snapshot taken when the backend opened;
2. **interruptions**, while active: another application's stream that starts
   playing interrupts us as the policy says (see ``_policy``), and so does the
   server muting one of our streams while another stream plays (PulseAudio's
   ``module-role-cork``); overlapping causes merge into one begin/end pair;
3. **becoming noisy**, while active: the output (the sinks our streams play on,
   else the default sink) goes from private (headphones) to public (speakers).

Streams already playing when the session activates do not interrupt it: the
newcomer wins, as with Android's audio focus.

Without a server everything keeps working: no devices, no events, one log line,
and a reconnection with backoff; when the server is back, the state is read
again and device differences are reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from audio_session._android import AndroidAudioFocusGainType, AndroidAudioUsage
from audio_session._backend import (
    ActivationRequest,
    BackendUnavailableError,
    SessionBackend,
    SessionBackendListener,
    SessionCapabilities,
)
from audio_session._checks import is_number
from audio_session._configuration import AudioSessionConfiguration
from audio_session._events import (
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioInterruptionEvent,
    AudioInterruptionType,
)
from audio_session._roles import apply_linux_environment
from audio_session._tasks import BackgroundTasks

from ._connection import CONNECTION_ERRORS, Backoff, PulseLink, batches
from ._devices import (
    Endpoint,
    active_device_id,
    endpoint_from_sink,
    endpoint_from_source,
    is_private_output,
    snapshot_devices,
)
from ._focus import DBusFocusArbiter, FocusGate, GrantingArbiter
from ._ours import OwnStreams
from ._players import ForeignPlayers
from ._policy import InterruptionPolicy, InterruptionTracker

__all__ = ["LinuxBackend"]

_log = logging.getLogger("audio_session.linux")

_ENV_NAMES = ("PULSE_PROP", "PIPEWIRE_PROPS")
_DEVICE_FACILITIES = frozenset({"sink", "source", "card", "server"})
_STREAM_FACILITIES = frozenset({"sink_input", "sink"})


@dataclass(slots=True)
class _Stream:
    """A playback stream (sink input) as far as the policy cares."""

    index: int
    sink: int
    corked: bool
    mute: bool
    ours: bool
    role: str | None
    #: Ours, and muted by the server because another stream plays (role-cork).
    server_corked: bool = False

    @property
    def playing(self) -> bool:
        return not self.corked and not self.mute


class LinuxBackend(SessionBackend):
    """Audio session backend for PulseAudio and PipeWire (via pipewire-pulse).

    ``policy`` says which other streams interrupt this app (default:
    :class:`InterruptionPolicy()`). ``arbiter`` decides activations (default:
    :class:`DBusFocusArbiter`, focus shared with the other apps on the session bus;
    :class:`GrantingArbiter` grants everything). ``server`` is a pulse server address
    (default: ``$PULSE_SERVER``, else the user's server). ``backoff`` paces
    reconnection attempts. ``yield_to_other_players=True`` makes another process's
    MPRIS player that starts playing, while this app holds permanent media focus, a
    permanent loss (off by default; players of this process tree never count).
    """

    name = "linux"

    def __init__(
        self,
        *,
        policy: InterruptionPolicy | None = None,
        arbiter: FocusGate | None = None,
        server: str | None = None,
        client_name: str = "audio_session",
        backoff: Backoff | None = None,
        connect_timeout: float = 2.0,
        yield_to_other_players: bool = False,
    ) -> None:
        if policy is not None and not isinstance(policy, InterruptionPolicy):
            raise TypeError(f"policy must be an InterruptionPolicy, not {policy!r}")
        if backoff is not None and not isinstance(backoff, Backoff):
            raise TypeError(f"backoff must be a Backoff, not {backoff!r}")
        if server is not None and not isinstance(server, str):
            raise TypeError(f"server must be a str, not {server!r}")
        if not is_number(connect_timeout):
            raise TypeError(f"connect_timeout must be a number, not {connect_timeout!r}")
        if connect_timeout <= 0:
            raise ValueError(f"connect_timeout must be positive, not {connect_timeout!r}")
        self.policy = policy if policy is not None else InterruptionPolicy()
        self._arbiter: FocusGate = arbiter if arbiter is not None else DBusFocusArbiter()
        self._arbiter.watch(self._on_focus_change)
        self._link = PulseLink(
            client_name=client_name, server=server, backoff=backoff, connect_timeout=connect_timeout
        )
        #: Tells our streams (and our children's) from other applications'.
        self.own_streams = OwnStreams()
        #: Opt-in: another process's MPRIS player starting to play while we hold
        #: permanent media focus is a permanent loss for us (Android's GAIN by another app).
        self.yield_to_other_players = bool(yield_to_other_players)
        self._players: ForeignPlayers | None = None
        self._player_took_over: str | None = None
        self._listener: SessionBackendListener | None = None
        self._task: asyncio.Task[None] | None = None
        self._settled: asyncio.Event | None = None
        #: Set while no refresh is in flight.
        self._idle = asyncio.Event()
        self._idle.set()
        self._reading = asyncio.Lock()
        self._opened = False
        self._closed = False
        self._focus_tasks = BackgroundTasks(_log, "evaluating a focus change")
        self._saved_env: dict[str, str | None] | None = None
        # What the server looks like, as of the last refresh.
        self._sinks: dict[int, Endpoint] = {}
        self._sources: dict[int, Endpoint] = {}
        self._default_sink: str | None = None
        self._default_source: str | None = None
        self._devices: frozenset[AudioDevice] = frozenset()
        self._streams: dict[int, _Stream] = {}
        # Session state.
        self._request: ActivationRequest | None = None
        self._tracker = InterruptionTracker()
        self._grandfathered: set[int] = set()
        self._output_was_private: bool | None = None

    # SessionBackend ------------------------------------------------------------

    @property
    def capabilities(self) -> SessionCapabilities:
        found = (
            SessionCapabilities.CONFIGURATION
            | SessionCapabilities.INTERRUPTIONS
            | SessionCapabilities.BECOMING_NOISY
            | SessionCapabilities.DEVICES
            | SessionCapabilities.DEVICE_CHANGES
        )
        if not isinstance(self._arbiter, GrantingArbiter):
            found |= SessionCapabilities.ACTIVATION
        return found

    @property
    def connected(self) -> bool:
        """Whether the backend is talking to a sound server right now."""
        return self._link.pulse is not None

    async def open(self, listener: SessionBackendListener) -> None:
        if self._task is not None or self._closed:
            raise RuntimeError("a LinuxBackend can be opened only once")
        self._listener = listener
        self._settled = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._link.run(self._serve, self._on_unavailable), name="audio_session linux backend"
        )
        # The first attempt either takes the snapshot or fails; both settle it.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), self._link.connect_timeout + 1.0)
        self._opened = True
        if not self.connected:
            raise BackendUnavailableError(
                "no PulseAudio or PipeWire server reachable; retrying in the background"
            )

    async def close(self) -> None:
        self._closed = True
        self._listener = None
        # Let a refresh in flight finish: cancelling a pulse operation midway makes
        # pulsectl-asyncio answer a cancelled future (and log an error).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), self._link.connect_timeout)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._restore_environment()
        await self._arbiter.close()
        if self._players is not None:
            await self._players.close()
            self._players = None

    async def apply_configuration(self, configuration: AudioSessionConfiguration) -> None:
        self._apply_environment(configuration)

    async def activate(self, request: ActivationRequest) -> bool:
        if not await self._arbiter.request_focus(request):
            self._drop_activation()
            return False
        if self.yield_to_other_players and self._players is None:
            self._players = ForeignPlayers(self.own_streams, self._on_foreign_player)
            await self._players.start()
        self._apply_environment(request.effective_configuration)
        if self._request is None:
            pulse = self._link.pulse
            if pulse is not None:
                # The server as it is right now, not as of the last event handled:
                # a stream that started a moment ago must not count as new, and an
                # output that changed a moment ago is the one that can become noisy
                # (the events may come later in one burst with the next change).
                with contextlib.suppress(*CONNECTION_ERRORS):
                    await self._read(pulse, devices=True, streams=True)
            self._tracker.reset()
            self._grandfathered = {i for i, s in self._streams.items() if self._foreign_playing(s)}
        self._request = request
        await self._evaluate()
        return True

    async def deactivate(self, request: ActivationRequest) -> bool:
        held = self._request
        self._drop_activation()
        if held is not None:
            await self._arbiter.abandon_focus(held)
        return True

    async def get_devices(
        self, *, include_inputs: bool = True, include_outputs: bool = True
    ) -> frozenset[AudioDevice]:
        pulse = self._link.pulse
        if pulse is None:
            raise BackendUnavailableError("no PulseAudio or PipeWire server reachable")
        try:
            sinks, sources = await asyncio.gather(pulse.sink_list(), pulse.source_list())
        except CONNECTION_ERRORS as error:
            raise BackendUnavailableError(f"the sound server went away: {error}") from error
        endpoints: list[Endpoint] = []
        if include_outputs:
            endpoints += [endpoint_from_sink(info) for info in sinks]
        if include_inputs:
            endpoints += [endpoint_from_source(info) for info in sources]
        return snapshot_devices(endpoints)

    # Linux extras --------------------------------------------------------------

    async def get_default_device_ids(self) -> tuple[str | None, str | None]:
        """The ids of the default output and input devices (None when unknown)."""
        pulse = self._link.pulse
        if pulse is None:
            raise BackendUnavailableError("no PulseAudio or PipeWire server reachable")
        try:
            server, sinks, sources = await asyncio.gather(
                pulse.server_info(), pulse.sink_list(), pulse.source_list()
            )
        except CONNECTION_ERRORS as error:
            raise BackendUnavailableError(f"the sound server went away: {error}") from error
        output = _default_id(map(endpoint_from_sink, sinks), server.default_sink_name)
        source = _default_id(map(endpoint_from_source, sources), server.default_source_name)
        return output, source

    # Environment (stream roles) --------------------------------------------------

    def _apply_environment(self, configuration: AudioSessionConfiguration) -> None:
        if self._saved_env is None:
            self._saved_env = {name: os.environ.get(name) for name in _ENV_NAMES}
        # Start from what the user had, so a new role replaces ours but never theirs.
        env = {name: value for name, value in self._saved_env.items() if value is not None}
        apply_linux_environment(configuration, env)
        pulse = env.get("PULSE_PROP", "").strip()
        env["PULSE_PROP"] = f"{pulse} {self.own_streams.pulse_property}".strip()
        pipewire = env.get("PIPEWIRE_PROPS", "").strip()
        if pipewire.startswith("{") and pipewire.endswith("}"):
            pipewire = pipewire[1:-1].strip()
        entry = self.own_streams.pipewire_property
        env["PIPEWIRE_PROPS"] = f"{{ {pipewire} {entry} }}" if pipewire else f"{{ {entry} }}"
        for name in _ENV_NAMES:
            os.environ[name] = env[name]

    def _restore_environment(self) -> None:
        saved, self._saved_env = self._saved_env, None
        if saved is None:
            return
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    # Server state ------------------------------------------------------------------

    async def _serve(self, pulse: Any) -> None:
        first = True
        async with contextlib.aclosing(batches(pulse)) as changes:
            async for changed in changes:
                if self._closed:
                    # close() cancels us; returning would look like a lost server.
                    await asyncio.get_running_loop().create_future()
                if first:
                    changed = set(_DEVICE_FACILITIES | _STREAM_FACILITIES)
                self._idle.clear()
                try:
                    await self._refresh(pulse, changed)
                finally:
                    self._idle.set()
                if first:
                    first = False
                    if self._settled is not None:
                        self._settled.set()

    def _on_unavailable(self) -> None:
        if self._settled is not None:
            self._settled.set()
        # The server's objects are gone with it; the device snapshot stays, so that
        # the reconnection reports what differs. Interrupting streams are gone too.
        self._sinks.clear()
        self._sources.clear()
        self._default_sink = self._default_source = None
        self._streams.clear()
        self._grandfathered.clear()
        if self._request is not None:
            self._report_interruptions(self._tracker.update({}))

    async def _refresh(self, pulse: Any, changed: set[str]) -> None:
        devices = bool(changed & _DEVICE_FACILITIES)
        streams = bool(changed & _STREAM_FACILITIES)
        if devices or streams:
            await self._read(pulse, devices=devices, streams=streams)
            await self._evaluate()

    async def _read(self, pulse: Any, *, devices: bool, streams: bool) -> None:
        # One read at a time: the server answers a connection's requests in order,
        # so the read that starts later sees the newer state and is applied later.
        async with self._reading:
            queries = []
            if devices:
                queries += [pulse.server_info(), pulse.sink_list(), pulse.source_list()]
            if streams:
                queries.append(pulse.sink_input_list())
            results = list(await asyncio.gather(*queries))
            if devices:
                server, sinks, sources = results[:3]
                self._update_devices(server, sinks, sources)
            if streams:
                self._update_streams(results[-1])

    def _update_devices(self, server: Any, sinks: list[Any], sources: list[Any]) -> None:
        self._sinks = {e.index: e for e in map(endpoint_from_sink, sinks)}
        self._sources = {e.index: e for e in map(endpoint_from_source, sources)}
        self._default_sink = server.default_sink_name or None
        self._default_source = server.default_source_name or None
        devices = snapshot_devices([*self._sinks.values(), *self._sources.values()])
        added, removed = devices - self._devices, self._devices - devices
        self._devices = devices
        if self._opened and (added or removed):
            event = AudioDevicesChangedEvent(devices_added=added, devices_removed=removed)
            self._emit(lambda listener: listener.devices_changed(event))

    def _update_streams(self, inputs: list[Any]) -> None:
        streams: dict[int, _Stream] = {}
        for info in inputs:
            index = int(info.index)
            previous = self._streams.get(index)
            properties: dict[str, str] = dict(info.proplist)
            # Indices are never reused within a server's life, so who owns a stream
            # is decided once.
            ours = previous.ours if previous else self.own_streams.is_ours(properties)
            streams[index] = _Stream(
                index=index,
                sink=int(info.sink),
                corked=bool(info.corked),
                mute=bool(info.mute),
                ours=ours,
                role=properties.get("media.role"),
                server_corked=previous.server_corked if previous else False,
            )
        other_playing = any(not s.ours and s.playing for s in streams.values())
        for index, stream in streams.items():
            if not stream.ours:
                continue
            if not stream.mute:
                stream.server_corked = False
            elif not stream.server_corked:
                previous = self._streams.get(index)
                # Muted just now (or born muted) while another stream plays: the
                # server's doing (role-cork), not ours or the user's.
                stream.server_corked = other_playing and (previous is None or not previous.mute)
        self._streams = streams

    # Policy ------------------------------------------------------------------------

    def _foreign_playing(self, stream: _Stream) -> bool:
        return not stream.ours and stream.playing

    async def _evaluate(self) -> None:
        request = self._request
        if request is not None:
            lost = self._report_interruptions(self._tracker.update(self._interrupters(request)))
            if lost:
                _log.info("another application took the audio over for good")
                self._drop_activation()
                self._emit(lambda listener: listener.activation_lost())
                await self._arbiter.abandon_focus(request)
        private = self._output_is_private()
        if private is None:
            return
        if self._output_was_private and not private and self._request is not None:
            self._emit(lambda listener: listener.becoming_noisy())
        self._output_was_private = private

    def _interrupters(self, request: ActivationRequest) -> dict[Hashable, AudioInterruptionType]:
        playing = {i for i, s in self._streams.items() if self._foreign_playing(s)}
        # A stream already playing at activation interrupts only once it has stopped
        # and started again.
        self._grandfathered &= playing
        found: dict[Hashable, AudioInterruptionType] = {}
        for index in playing - self._grandfathered:
            kind = self.policy.interruption_type(
                self._streams[index].role, pause_when_ducked=request.pause_when_ducked
            )
            if kind is not None:
                found[("stream", index)] = kind
        if self.policy.follow_server_cork:
            for index, stream in self._streams.items():
                if stream.server_corked:
                    found[("corked", index)] = AudioInterruptionType.PAUSE
        focus_loss = self._arbiter.loss()
        if focus_loss is not None:
            found[("focus",)] = focus_loss
        if self._player_took_over is not None:
            found[("player", self._player_took_over)] = AudioInterruptionType.UNKNOWN
        return found

    def _on_foreign_player(self, bus_name: str) -> None:
        request = self._request
        if request is None or not _holds_media_for_good(request):
            return
        _log.info("the media player %s started playing: yielding audio focus", bus_name)
        self._player_took_over = bus_name
        self._on_focus_change()

    def _on_focus_change(self) -> None:
        # Focus changes arrive on the loop from the focus client's stream.
        if self._request is not None and not self._closed:
            self._focus_tasks.spawn(self._evaluate())

    def _report_interruptions(self, events: list[AudioInterruptionEvent]) -> bool:
        """Reports ``events``; true when the last one is a permanent loss."""
        for event in events:
            self._emit(_interruption(event))
        return (
            bool(events) and events[-1].begin and events[-1].type is AudioInterruptionType.UNKNOWN
        )

    def _drop_activation(self) -> None:
        self._request = None
        self._player_took_over = None
        self._tracker.reset()
        self._grandfathered.clear()

    def _output_is_private(self) -> bool | None:
        ours = [
            self._sinks[s.sink] for s in self._streams.values() if s.ours and s.sink in self._sinks
        ]
        if ours:
            # Any public sink means the app is already audible: nothing left to leak.
            return all(is_private_output(sink) for sink in ours)
        for sink in self._sinks.values():
            if sink.name == self._default_sink:
                return is_private_output(sink)
        return None

    def _emit(self, deliver: Callable[[SessionBackendListener], object]) -> None:
        listener = self._listener
        if listener is None:
            return
        try:
            deliver(listener)
        except Exception:
            _log.exception("the audio session listener raised")


def _holds_media_for_good(request: ActivationRequest) -> bool:
    attributes = request.android_audio_attributes
    usage = attributes.usage if attributes is not None else AndroidAudioUsage.MEDIA
    return request.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN and usage in (
        AndroidAudioUsage.MEDIA,
        AndroidAudioUsage.UNKNOWN,
        AndroidAudioUsage.GAME,
    )


def _interruption(
    event: AudioInterruptionEvent,
) -> Callable[[SessionBackendListener], object]:
    return lambda listener: listener.interruption(event)


def _default_id(endpoints: Iterable[Endpoint], name: str | None) -> str | None:
    for endpoint in endpoints:
        if endpoint.name == name:
            return active_device_id(endpoint)
    return None
