"""``AudioSession``: the app's one audio session (Flutter ``AudioSession``)."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import threading
from collections.abc import Callable
from typing import Any, ClassVar, cast

from ._android import AndroidAudioAttributes, AndroidAudioFocusGainType
from ._backend import (
    ActivationRequest,
    BackendUnavailableError,
    NullBackend,
    SessionBackend,
    SessionCapabilities,
    create_backend,
)
from ._configuration import AudioSessionConfiguration
from ._darwin import AVAudioSessionSetActiveOptions
from ._events import AudioDevice, AudioDevicesChangedEvent, AudioInterruptionEvent
from ._stream import Stream, StreamController

__all__ = ["AudioSession"]

_log = logging.getLogger(__name__)

_MUSIC = AudioSessionConfiguration.music()


def _device_details(devices: frozenset[AudioDevice]) -> frozenset[tuple[object, ...]]:
    # Devices compare by id only; a renamed device is still a change worth publishing.
    return frozenset((d.id, d.name, d.is_input, d.is_output, d.type) for d in devices)


class _SessionState(enum.Enum):
    """Where an :class:`AudioSession` is in its life."""

    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


class _BackendEvents:
    """The listener handed to the backend; hops onto the session's loop if needed."""

    def __init__(self, session: AudioSession) -> None:
        self._session = session

    def interruption(self, event: AudioInterruptionEvent) -> None:
        self._session._dispatch(self._session._on_interruption, event)

    def becoming_noisy(self) -> None:
        self._session._dispatch(self._session._on_becoming_noisy, None)

    def devices_changed(self, event: AudioDevicesChangedEvent) -> None:
        self._session._dispatch(self._session._devices.on_changed, event)

    def activation_lost(self) -> None:
        self._session._dispatch(self._session._on_activation_lost, None)


class _SessionDevices:
    """The session's devices: their change events, and the current set, fetched when
    the first listener attaches and again after each change (one fetch at a time).

    Apart from :class:`AudioSession` because it is a job of its own, with its own
    task; it follows the session's state and fetches through its lock.
    """

    def __init__(self, session: AudioSession) -> None:
        self._session = session
        self._refresh_task: asyncio.Task[None] | None = None
        self._refresh_again = False
        self.changed_controller: StreamController[AudioDevicesChangedEvent] = StreamController(
            "AudioSession.devices_changed_event_stream"
        )
        self.controller: StreamController[frozenset[AudioDevice]] = StreamController(
            "AudioSession.devices_stream", replay=True, on_listen=self._on_listen
        )

    def _open(self) -> bool:
        return self._session._state is _SessionState.OPEN

    def cancel_refresh(self) -> None:
        if self._refresh_task is not None:
            self._refresh_task.cancel()

    def close_streams(self) -> None:
        self.changed_controller.close()
        self.controller.close()

    def on_changed(self, event: object) -> None:
        if not isinstance(event, AudioDevicesChangedEvent):
            _log.error(
                "backend %r reported a bad device change: %r", self._session.backend.name, event
            )
            return
        if not self._open():
            return
        self.changed_controller.add(event)
        devices = self.controller.stream
        if devices.has_value:
            # Keeps the replayed value right for listeners that attach later.
            updated = (devices.value - event.devices_removed) | event.devices_added
            self._publish(frozenset(updated))
        if self.controller.has_listener:
            self._schedule_refresh()

    def _publish(self, devices: frozenset[AudioDevice]) -> None:
        stream = self.controller.stream
        if stream.has_value and _device_details(stream.value) == _device_details(devices):
            return
        self.controller.add(devices)

    def _on_listen(self) -> None:
        if not self._open():
            return
        loop = self._session._loop
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._schedule_refresh)
            return
        self._schedule_refresh()

    def _schedule_refresh(self) -> None:
        loop = self._session._loop
        if not self._open() or loop is None:
            return
        task = self._refresh_task
        if task is not None and not task.done():
            self._refresh_again = True
            return
        self._refresh_task = loop.create_task(self._refresh(), name="AudioSession devices refresh")

    async def _refresh(self) -> None:
        while True:
            self._refresh_again = False
            try:
                devices = await self._session.get_devices()
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._open():
                    _log.exception("refreshing the audio devices failed")
                devices = None
            if not self._open():
                return
            if devices is not None:
                self._publish(devices)
            if not self._refresh_again:
                return


class AudioSession:
    """The app's audio session: its configuration, activation and the events about it.

    Get the process-wide one with ``session = await AudioSession.instance()``.
    Tests build their own with ``await AudioSession.create(MemoryBackend())``.

    Streams (see :class:`Stream`): ``configuration_stream`` and ``devices_stream``
    replay their latest value to each new listener; the event streams deliver only
    what happens after a listener attaches. Interruptions and becoming-noisy are
    delivered only while the session is active.

    "No sound server" never raises: it is logged, ``configure`` still stores the
    configuration and ``set_active`` answers true (nothing to arbitrate with).
    An :class:`AudioSessionError` (the platform refused, with a reason) does raise.
    """

    _instance: ClassVar[AudioSession | None] = None
    _instance_task: ClassVar[asyncio.Task[AudioSession] | None] = None

    def __init__(self, backend: SessionBackend) -> None:
        """Wrap ``backend`` without opening it; use :meth:`create` or :meth:`instance`."""
        if not isinstance(backend, SessionBackend):
            raise TypeError(f"backend must be a SessionBackend, not {backend!r}")
        self._backend = backend
        self._configuration: AudioSessionConfiguration | None = None
        self._active_request: ActivationRequest | None = None
        self._state = _SessionState.NEW
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._events = _BackendEvents(self)
        self._warned: set[str] = set()
        # Events reported while activate() runs belong to the activation being granted.
        self._held_events: list[tuple[Callable[[Any], None], Any]] | None = None
        self._configuration_controller: StreamController[AudioSessionConfiguration] = (
            StreamController("AudioSession.configuration_stream", replay=True)
        )
        self._interruption_controller: StreamController[AudioInterruptionEvent] = StreamController(
            "AudioSession.interruption_event_stream"
        )
        self._noisy_controller: StreamController[None] = StreamController(
            "AudioSession.becoming_noisy_event_stream"
        )
        self._devices = _SessionDevices(self)

    def __repr__(self) -> str:
        return (
            f"<AudioSession backend={self._backend.name!r} {self._state.value}"
            f"{' active' if self.is_active else ''}>"
        )

    # Creation ----------------------------------------------------------------

    @classmethod
    async def instance(cls) -> AudioSession:
        """The process-wide session, created and opened on first use.

        The backend comes from ``AUDIO_SESSION_BACKEND`` or the platform (see
        :func:`create_backend`); if it fails to open, the session falls back to a
        backend that does nothing, and says so in the log. Concurrent first calls
        get the same session.
        """
        loop = asyncio.get_running_loop()
        current = cls._instance
        if current is not None:
            if current._loop is loop:
                return current
            if current._loop is not None and not current._loop.is_closed():
                raise RuntimeError("the AudioSession instance belongs to another event loop")
            # Its loop is gone, and everything it held with it.
            cls._instance = None
        task = cls._instance_task
        if task is None or task.get_loop() is not loop:
            task = loop.create_task(cls._create_instance(), name="AudioSession.instance")
            cls._instance_task = task
        return await asyncio.shield(task)

    @classmethod
    async def close_instance(cls) -> None:
        """Close the process-wide session, if one was created; a later :meth:`instance` makes anew.

        A process that ends its event loop calls this first: the backend's
        operations under way finish, where cancelling them would leave the audio
        server's late answers to futures that are already cancelled.
        """
        task = cls._instance_task
        if task is not None and not task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
        session = cls._instance
        if session is not None:
            await session.close()

    @classmethod
    async def _create_instance(cls) -> AudioSession:
        try:
            backend = create_backend()
            try:
                session = await cls.create(backend)
            except Exception:
                _log.exception(
                    "audio session backend %r failed to open; using 'null': "
                    "no interruptions, devices or focus",
                    backend.name,
                )
                session = await cls.create(NullBackend())
            cls._instance = session
            return session
        finally:
            cls._instance_task = None

    @classmethod
    async def create(cls, backend: SessionBackend | None = None) -> AudioSession:
        """A new, opened session of its own (not the instance) on ``backend``.

        Without a backend, one is chosen as for :meth:`instance`. Errors from
        opening the backend propagate, except "no sound server", which is logged.
        """
        session = cls(create_backend() if backend is None else backend)
        await session._open()
        return session

    @classmethod
    async def set_instance(cls, session: AudioSession | None) -> None:
        """Make ``session`` what :meth:`instance` returns, closing the previous one.

        For tests: install a session built on a :class:`MemoryBackend` so code that
        calls ``AudioSession.instance()`` uses it. ``None`` closes and forgets it.
        """
        if session is not None:
            if not isinstance(session, AudioSession):
                raise TypeError(f"session must be an AudioSession or None, not {session!r}")
            if session._state is not _SessionState.OPEN:
                raise ValueError(f"only an open session can be the instance, not {session!r}")
        loop = asyncio.get_running_loop()
        pending = cls._instance_task
        if pending is not None and not pending.done() and pending.get_loop() is loop:
            # A creation failure was already logged or raised to its caller.
            with contextlib.suppress(Exception):
                await asyncio.shield(pending)
        previous = cls._instance
        cls._instance = session
        # A session of another loop cannot be closed from here; its loop owns it.
        if previous is not None and previous is not session and previous._loop is loop:
            await previous.close()

    @classmethod
    async def reset_instance(cls) -> None:
        """Close and forget the process-wide session; the next :meth:`instance` builds a new one."""
        await cls.set_instance(None)

    async def _open(self) -> None:
        if self._state is not _SessionState.NEW:
            raise RuntimeError(f"this AudioSession is already {self._state.value}")
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._state = _SessionState.OPEN
        try:
            await self._backend.open(self._events)
        except BackendUnavailableError as error:
            self._unavailable("open", error)
        except BaseException:
            self._state = _SessionState.CLOSED
            self._close_streams()
            raise
        await self._load_configuration()

    async def _load_configuration(self) -> None:
        # Seeds the stream as well: the original stored such a configuration but never
        # published it, so listeners of a late engine heard nothing until the next change.
        try:
            # Typed loosely on purpose: a third-party backend may return anything.
            configuration = cast(object, await self._backend.current_configuration())
        except BackendUnavailableError as error:
            self._unavailable("open", error)
            return
        except Exception:
            _log.exception("reading the current audio session configuration failed")
            return
        if configuration is None:
            return
        if not isinstance(configuration, AudioSessionConfiguration):
            _log.error("backend %r gave a bad configuration: %r", self._backend.name, configuration)
            return
        self._configuration = configuration
        self._configuration_controller.add(configuration)

    async def close(self) -> None:
        """Deactivate if active, close the backend and end every stream. Idempotent."""
        if self._state is _SessionState.CLOSED:
            return
        opened = self._state is _SessionState.OPEN
        self._state = _SessionState.CLOSED
        if type(self)._instance is self:
            type(self)._instance = None
        self._devices.cancel_refresh()
        if opened:
            async with self._lock:
                request = self._active_request
                self._active_request = None
                if request is not None:
                    try:
                        await self._backend.deactivate(request)
                    except Exception as error:
                        _log.warning("deactivating on close failed: %s", error)
                try:
                    await self._backend.close()
                except Exception as error:
                    _log.warning("closing the audio session backend failed: %s", error)
        self._close_streams()

    def _close_streams(self) -> None:
        for controller in (
            self._configuration_controller,
            self._interruption_controller,
            self._noisy_controller,
        ):
            controller.close()
        self._devices.close_streams()

    def _check_open(self) -> None:
        if self._state is _SessionState.NEW:
            raise RuntimeError("this AudioSession was not opened; use AudioSession.create()")
        if self._state is _SessionState.CLOSED:
            raise RuntimeError("this AudioSession is closed")

    def _unavailable(self, operation: str, error: BaseException) -> None:
        if not self._warned:
            _log.warning(
                "no sound server for the audio session (%s: %s); carrying on without one",
                operation,
                error,
            )
        elif operation not in self._warned:
            _log.info("no sound server for audio session %s: %s", operation, error)
        self._warned.add(operation)

    # State -------------------------------------------------------------------

    @property
    def backend(self) -> SessionBackend:
        """The backend this session runs on (a :class:`MemoryBackend` in tests)."""
        return self._backend

    @property
    def capabilities(self) -> SessionCapabilities:
        """What the backend really does; events it cannot produce never arrive."""
        return self._backend.capabilities

    @property
    def configuration(self) -> AudioSessionConfiguration | None:
        """The configuration set by :meth:`configure`, or None."""
        return self._configuration

    @property
    def is_configured(self) -> bool:
        """True once a configuration has been set."""
        return self._configuration is not None

    @property
    def android_audio_attributes(self) -> AndroidAudioAttributes | None:
        """The configured Android audio attributes, or None."""
        return None if self._configuration is None else self._configuration.android_audio_attributes

    @property
    def android_audio_focus_gain_type(self) -> AndroidAudioFocusGainType | None:
        """The configured focus gain type, or None before :meth:`configure`."""
        if self._configuration is None:
            return None
        return self._configuration.android_audio_focus_gain_type

    @property
    def is_active(self) -> bool:
        """True between a granted ``set_active(True)`` and deactivation or a permanent loss."""
        return self._active_request is not None

    @property
    def active_request(self) -> ActivationRequest | None:
        """The granted activation with its effective values, or None when inactive."""
        return self._active_request

    # Streams -----------------------------------------------------------------

    @property
    def configuration_stream(self) -> Stream[AudioSessionConfiguration]:
        """Each configuration set; a new listener first gets the current one.

        Player libraries can follow the attributes with
        ``session.configuration_stream.map(lambda c: c.android_audio_attributes).distinct()``.
        """
        return self._configuration_controller.stream

    @property
    def interruption_event_stream(self) -> Stream[AudioInterruptionEvent]:
        """Interruptions by other apps or the system, while the session is active."""
        return self._interruption_controller.stream

    @property
    def becoming_noisy_event_stream(self) -> Stream[None]:
        """The output went away (e.g. headphones unplugged), while the session is active."""
        return self._noisy_controller.stream

    @property
    def devices_changed_event_stream(self) -> Stream[AudioDevicesChangedEvent]:
        """Devices added and removed."""
        return self._devices.changed_controller.stream

    @property
    def devices_stream(self) -> Stream[frozenset[AudioDevice]]:
        """The current devices: fetched when the first listener attaches, then after
        each change. A new listener first gets the latest known set."""
        return self._devices.controller.stream

    # Operations --------------------------------------------------------------

    async def configure(self, configuration: AudioSessionConfiguration) -> None:
        """Set the app's audio configuration and publish it on ``configuration_stream``.

        Raises :class:`AudioSessionError` (configuration unchanged) if the platform
        refuses it. Does not re-activate an active session: the new values apply
        from the next ``set_active(True)``.
        """
        if not isinstance(configuration, AudioSessionConfiguration):
            raise TypeError(
                f"configuration must be AudioSessionConfiguration, not {configuration!r}"
            )
        self._check_open()
        async with self._lock:
            self._check_open()
            await self._configure_locked(configuration)

    async def _configure_locked(self, configuration: AudioSessionConfiguration) -> None:
        try:
            await self._backend.apply_configuration(configuration)
        except BackendUnavailableError as error:
            self._unavailable("configure", error)
        self._configuration = configuration
        self._configuration_controller.add(configuration)

    async def set_active(
        self,
        active: bool,
        *,
        av_audio_session_set_active_options: AVAudioSessionSetActiveOptions | None = None,
        android_audio_focus_gain_type: AndroidAudioFocusGainType | None = None,
        android_audio_attributes: AndroidAudioAttributes | None = None,
        android_will_pause_when_ducked: bool | None = None,
        fallback_configuration: AudioSessionConfiguration = _MUSIC,
    ) -> bool:
        """Activate (ask to play) or deactivate the session; true when it worked.

        False from ``set_active(True)`` means the system denied it (e.g. a call is
        going on): do not play. Each keyword overrides the configured value for this
        call only. An unconfigured session is first configured with
        ``fallback_configuration`` (music by default).

        Activating while active with the same effective values answers true at
        once; with different values it asks again (the original silently kept the
        old request). Deactivating an inactive session answers true.
        """
        if not isinstance(active, bool):
            raise TypeError(f"active must be a bool, not {active!r}")
        if not isinstance(fallback_configuration, AudioSessionConfiguration):
            raise TypeError(
                "fallback_configuration must be AudioSessionConfiguration, "
                f"not {fallback_configuration!r}"
            )
        self._check_open()
        async with self._lock:
            self._check_open()
            # Resolved first so that bad overrides raise before anything changes.
            request = ActivationRequest.resolve(
                self._configuration or fallback_configuration,
                av_audio_session_set_active_options=av_audio_session_set_active_options,
                android_audio_focus_gain_type=android_audio_focus_gain_type,
                android_audio_attributes=android_audio_attributes,
                android_will_pause_when_ducked=android_will_pause_when_ducked,
            )
            if self._configuration is None:
                await self._configure_locked(fallback_configuration)
            if active:
                return await self._activate_locked(request)
            return await self._deactivate_locked(request)

    async def _activate_locked(self, request: ActivationRequest) -> bool:
        if self._active_request == request:
            return True
        self._held_events = []
        try:
            granted = await self._backend.activate(request)
        except BackendUnavailableError as error:
            self._unavailable("set_active", error)
            granted = True
        except BaseException:
            # Per the backend contract a failed request holds nothing.
            self._active_request = None
            raise
        finally:
            held, self._held_events = self._held_events, None
        self._active_request = request if granted else None
        if granted:
            for handler, argument in held:
                handler(argument)
        return bool(granted)

    async def _deactivate_locked(self, request: ActivationRequest) -> bool:
        if self._active_request is None:
            return True
        try:
            done = await self._backend.deactivate(request)
        except BackendUnavailableError as error:
            self._unavailable("set_active", error)
            done = True
        self._active_request = None
        return bool(done)

    async def get_devices(
        self, *, include_inputs: bool = True, include_outputs: bool = True
    ) -> frozenset[AudioDevice]:
        """The current input and/or output devices (empty without a sound server)."""
        for name, flag in (
            ("include_inputs", include_inputs),
            ("include_outputs", include_outputs),
        ):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, not {flag!r}")
        self._check_open()
        if not (include_inputs or include_outputs):
            return frozenset()
        async with self._lock:
            self._check_open()
            try:
                devices = await self._backend.get_devices(
                    include_inputs=include_inputs, include_outputs=include_outputs
                )
            except BackendUnavailableError as error:
                self._unavailable("get_devices", error)
                return frozenset()
        return frozenset(devices)

    # Backend events ----------------------------------------------------------

    def _dispatch(self, handler: Callable[[Any], None], argument: Any) -> None:
        loop = self._loop
        if self._state is not _SessionState.OPEN or loop is None:
            return
        if threading.get_ident() == self._thread:
            handler(argument)
            return
        # A closed loop raises; everything that would have listened is gone with it.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(handler, argument)

    def _on_interruption(self, event: object) -> None:
        if not isinstance(event, AudioInterruptionEvent):
            _log.error("backend %r reported a bad interruption: %r", self._backend.name, event)
            return
        if self._state is not _SessionState.OPEN:
            return
        if self.is_active:
            self._interruption_controller.add(event)
        elif self._held_events is not None:
            self._held_events.append((self._on_interruption, event))

    def _on_becoming_noisy(self, _: None) -> None:
        if self._state is not _SessionState.OPEN:
            return
        if self.is_active:
            self._noisy_controller.add(None)
        elif self._held_events is not None:
            self._held_events.append((self._on_becoming_noisy, None))

    def _on_activation_lost(self, _: None) -> None:
        if self._held_events is not None:
            self._held_events.append((self._on_activation_lost, None))
            return
        self._active_request = None
