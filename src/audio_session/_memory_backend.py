"""An in-memory backend for testing apps against a scripted sound system."""

from __future__ import annotations

from collections.abc import Iterable

from ._backend import (
    ActivationRequest,
    BackendUnavailableError,
    SessionBackend,
    SessionBackendListener,
    SessionCapabilities,
)
from ._configuration import AudioSessionConfiguration
from ._events import (
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioInterruptionEvent,
    AudioInterruptionType,
)

__all__ = ["MemoryBackend"]


class MemoryBackend(SessionBackend):
    """A backend that keeps everything in memory, for tests.

    Build a session on it (or install one as the process-wide instance), then
    script the world and inspect what the app did::

        backend = MemoryBackend(devices=[AudioDevice("speaker", is_output=True)])
        await AudioSession.set_instance(await AudioSession.create(backend))
        await player.play()                  # the app code under test
        assert backend.is_active
        backend.interrupt(AudioInterruptionType.PAUSE)   # a phone call starts
        await asyncio.sleep(0)
        assert player.paused
        backend.end_interruption(AudioInterruptionType.PAUSE)

    ``AUDIO_SESSION_BACKEND=memory`` makes ``AudioSession.instance()`` use one;
    reach it through ``session.backend``.

    Scripted events reach the session at once; its stream listeners receive them
    the next time the event loop runs.
    """

    name = "memory"

    def __init__(
        self,
        *,
        devices: Iterable[AudioDevice] = (),
        grant_activation: bool = True,
        capabilities: SessionCapabilities = SessionCapabilities.ALL,
    ) -> None:
        #: The devices :meth:`get_devices` lists; change them with :meth:`add_devices`
        #: and :meth:`remove_devices` so the session hears about it.
        self.devices: frozenset[AudioDevice] = AudioDevicesChangedEvent(devices).devices_added
        #: Whether :meth:`activate` grants; set to False to simulate a denial.
        self.grant_activation = grant_activation
        #: When true every call raises :class:`BackendUnavailableError` ("no sound server").
        self.unavailable = False
        #: The last configuration applied (set it to simulate one already in effect
        #: when a session opens), and all configurations applied, in order.
        self.configuration: AudioSessionConfiguration | None = None
        self.applied_configurations: list[AudioSessionConfiguration] = []
        #: Every activation and deactivation request, in order (denied ones included).
        self.activation_requests: list[ActivationRequest] = []
        self.deactivation_requests: list[ActivationRequest] = []
        #: The activation currently held, or None.
        self.active_request: ActivationRequest | None = None
        self.is_open = False
        self.is_closed = False
        self._capabilities = capabilities
        self._listener: SessionBackendListener | None = None
        self._failures: list[BaseException] = []

    @property
    def capabilities(self) -> SessionCapabilities:
        return self._capabilities

    @property
    def is_active(self) -> bool:
        """True while an activation is held."""
        return self.active_request is not None

    # Scripting ---------------------------------------------------------------

    def fail_next(self, error: BaseException) -> None:
        """Make the next backend call raise ``error`` (queued: one error per call)."""
        self._failures.append(error)

    def interrupt(self, type: AudioInterruptionType = AudioInterruptionType.PAUSE) -> None:
        """Another app starts interrupting (``begin=True``)."""
        self.send_interruption(AudioInterruptionEvent(True, type))

    def end_interruption(self, type: AudioInterruptionType = AudioInterruptionType.PAUSE) -> None:
        """The interruption ends (``begin=False``)."""
        self.send_interruption(AudioInterruptionEvent(False, type))

    def send_interruption(self, event: AudioInterruptionEvent) -> None:
        """Report ``event`` as it is."""
        self._require_listener().interruption(event)

    def become_noisy(self) -> None:
        """The output went away (headphones unplugged)."""
        self._require_listener().becoming_noisy()

    def lose_activation(self) -> None:
        """Lose the activation for good, like a permanent focus loss: reports an
        ``UNKNOWN`` interruption beginning, then that the activation is gone."""
        listener = self._require_listener()
        self.active_request = None
        listener.interruption(AudioInterruptionEvent(True, AudioInterruptionType.UNKNOWN))
        listener.activation_lost()

    def add_devices(self, *devices: AudioDevice) -> AudioDevicesChangedEvent:
        """Plug ``devices`` in; reports those not already present. Returns the event."""
        event = AudioDevicesChangedEvent(
            devices_added=(d for d in devices if d not in self.devices)
        )
        self.devices = self.devices | event.devices_added
        if event.devices_added:
            self._require_listener().devices_changed(event)
        return event

    def remove_devices(self, *devices: AudioDevice | str) -> AudioDevicesChangedEvent:
        """Unplug devices (given as devices or ids); reports those that were present."""
        ids = {d.id if isinstance(d, AudioDevice) else d for d in devices}
        event = AudioDevicesChangedEvent(devices_removed=(d for d in self.devices if d.id in ids))
        self.devices = self.devices - event.devices_removed
        if event.devices_removed:
            self._require_listener().devices_changed(event)
        return event

    def _require_listener(self) -> SessionBackendListener:
        if self._listener is None or self.is_closed:
            raise RuntimeError("the MemoryBackend is not open: create a session with it first")
        return self._listener

    def _call(self) -> None:
        if self._failures:
            raise self._failures.pop(0)
        if self.unavailable:
            raise BackendUnavailableError("MemoryBackend.unavailable is set")

    # SessionBackend ----------------------------------------------------------

    async def open(self, listener: SessionBackendListener) -> None:
        # Keep the listener even when "unavailable", like a backend that will reconnect.
        self._listener = listener
        self._call()
        self.is_open = True

    async def close(self) -> None:
        self.is_closed = True
        self.is_open = False
        self.active_request = None
        self._listener = None
        self._call()

    async def apply_configuration(self, configuration: AudioSessionConfiguration) -> None:
        self._call()
        self.configuration = configuration
        self.applied_configurations.append(configuration)

    async def activate(self, request: ActivationRequest) -> bool:
        self.activation_requests.append(request)
        self._call()
        self.active_request = request if self.grant_activation else None
        return self.grant_activation

    async def deactivate(self, request: ActivationRequest) -> bool:
        self.deactivation_requests.append(request)
        self._call()
        self.active_request = None
        return True

    async def current_configuration(self) -> AudioSessionConfiguration | None:
        """The last configuration applied, so a second session on this backend starts
        with it (like a second engine of a Flutter app)."""
        self._call()
        return self.configuration

    async def get_devices(
        self, *, include_inputs: bool = True, include_outputs: bool = True
    ) -> frozenset[AudioDevice]:
        self._call()
        return frozenset(
            d
            for d in self.devices
            if (include_inputs and d.is_input) or (include_outputs and d.is_output)
        )
