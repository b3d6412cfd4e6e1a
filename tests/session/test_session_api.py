"""AudioSession behaviour, driven through MemoryBackend."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest

from audio_session import (
    BACKEND_ENV,
    ActivationRequest,
    AndroidAudioAttributes,
    AndroidAudioFocusGainType,
    AndroidAudioUsage,
    AudioDevice,
    AudioDevicesChangedEvent,
    AudioDeviceType,
    AudioInterruptionEvent,
    AudioInterruptionType,
    AudioSession,
    AudioSessionConfiguration,
    AudioSessionError,
    AVAudioSessionSetActiveOptions,
    MemoryBackend,
    NullBackend,
    SessionBackend,
    SessionCapabilities,
    Subscription,
    _backend,
    register_backend,
)

T = TypeVar("T")

SPEAKER = AudioDevice("speaker", "Speakers", is_output=True, type=AudioDeviceType.BUILT_IN_SPEAKER)
MIC = AudioDevice("mic", "Microphone", is_input=True, type=AudioDeviceType.BUILT_IN_MIC)
HEADSET = AudioDevice(
    "headset", "Headset", is_input=True, is_output=True, type=AudioDeviceType.WIRED_HEADSET
)
PAUSE = AudioInterruptionType.PAUSE
DUCK = AudioInterruptionType.DUCK


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def next_value(subscription: Subscription[T]) -> T:
    return await asyncio.wait_for(anext(subscription), 2)


async def pending(subscription: Subscription[T]) -> list[T]:
    """Everything delivered so far, without waiting for more."""
    await settle()
    values = list(subscription._buffer)
    subscription._buffer.clear()
    return values


@pytest.fixture
def backend() -> MemoryBackend:
    return MemoryBackend(devices=[SPEAKER, MIC])


@pytest.fixture
async def session(backend: MemoryBackend) -> AsyncIterator[AudioSession]:
    session = await AudioSession.create(backend)
    yield session
    await session.close()


@pytest.fixture
async def active(session: AudioSession) -> AudioSession:
    assert await session.set_active(True)
    return session


# Configuration ---------------------------------------------------------------


async def test_a_new_session_is_unconfigured_and_inactive(
    session: AudioSession, backend: MemoryBackend
) -> None:
    assert backend.is_open
    assert session.configuration is None
    assert not session.is_configured
    assert session.android_audio_attributes is None
    assert session.android_audio_focus_gain_type is None
    assert not session.is_active
    assert session.active_request is None
    assert session.capabilities == SessionCapabilities.ALL
    assert session.backend is backend
    assert not session.configuration_stream.has_value


async def test_configure_stores_applies_and_publishes(
    session: AudioSession, backend: MemoryBackend
) -> None:
    subscription = session.configuration_stream.subscribe()
    speech = AudioSessionConfiguration.speech()
    await session.configure(speech)
    assert session.configuration == speech
    assert session.is_configured
    assert session.android_audio_attributes == speech.android_audio_attributes
    assert session.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN
    assert backend.configuration == speech
    assert await next_value(subscription) == speech


async def test_configuration_stream_replays_the_current_configuration_to_every_listener(
    session: AudioSession,
) -> None:
    await session.configure(AudioSessionConfiguration.music())
    await session.configure(AudioSessionConfiguration.speech())
    for _ in range(2):
        late = session.configuration_stream.subscribe()
        assert await next_value(late) == AudioSessionConfiguration.speech()
        assert await pending(late) == []
    assert await session.configuration_stream.first() == AudioSessionConfiguration.speech()


async def test_player_plugin_pattern_follows_distinct_attributes(session: AudioSession) -> None:
    applied: list[AndroidAudioAttributes | None] = []
    await session.configure(AudioSessionConfiguration.music())
    session.configuration_stream.map(lambda c: c.android_audio_attributes).distinct().listen(
        applied.append
    )
    await settle()
    await session.configure(AudioSessionConfiguration.music().copy_with(av_audio_session_mode=None))
    await settle()
    await session.configure(AudioSessionConfiguration.speech())
    await settle()
    assert applied == [
        AudioSessionConfiguration.music().android_audio_attributes,
        AudioSessionConfiguration.speech().android_audio_attributes,
    ]


async def test_configure_rejects_a_non_configuration(session: AudioSession) -> None:
    with pytest.raises(TypeError, match="AudioSessionConfiguration"):
        await session.configure({"avAudioSessionMode": 0})  # type: ignore[arg-type]


async def test_a_refused_configuration_raises_and_changes_nothing(
    session: AudioSession, backend: MemoryBackend
) -> None:
    await session.configure(AudioSessionConfiguration.music())
    subscription = session.configuration_stream.subscribe()
    await next_value(subscription)
    backend.fail_next(AudioSessionError("invalid option combination", code=-50))
    with pytest.raises(AudioSessionError) as raised:
        await session.configure(AudioSessionConfiguration.voice_communication())
    assert raised.value.code == -50
    assert session.configuration == AudioSessionConfiguration.music()
    assert await pending(subscription) == []


async def test_no_sound_server_still_stores_the_configuration(
    session: AudioSession, backend: MemoryBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.unavailable = True
    with caplog.at_level(logging.WARNING, logger="audio_session"):
        await session.configure(AudioSessionConfiguration.speech())
    assert session.configuration == AudioSessionConfiguration.speech()
    assert session.configuration_stream.value == AudioSessionConfiguration.speech()
    assert "no sound server" in caplog.text


async def test_a_configuration_already_in_effect_seeds_the_session_and_its_stream() -> None:
    backend = MemoryBackend()
    backend.configuration = AudioSessionConfiguration.speech()  # e.g. set by another process
    session = await AudioSession.create(backend)
    try:
        assert session.configuration == AudioSessionConfiguration.speech()
        assert session.is_configured
        listener = session.configuration_stream.subscribe()
        assert await next_value(listener) == AudioSessionConfiguration.speech()
        assert backend.applied_configurations == []  # already in effect: not applied again
        await session.set_active(True)
        assert backend.activation_requests[-1].configuration == AudioSessionConfiguration.speech()
    finally:
        await session.close()


async def test_a_bad_or_failing_current_configuration_is_logged_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Odd(MemoryBackend):
        async def current_configuration(self) -> AudioSessionConfiguration | None:
            return {"avAudioSessionMode": 0}  # type: ignore[return-value]

    class Failing(MemoryBackend):
        async def current_configuration(self) -> AudioSessionConfiguration | None:
            raise KeyError("corrupt store")

    with caplog.at_level(logging.ERROR, logger="audio_session"):
        for backend in (Odd(), Failing()):
            session = await AudioSession.create(backend)
            assert not session.is_configured
            assert not session.configuration_stream.has_value
            await session.close()
    assert "bad configuration" in caplog.text
    assert "corrupt store" in caplog.text


# Activation ------------------------------------------------------------------


async def test_set_active_configures_the_fallback_first(
    session: AudioSession, backend: MemoryBackend
) -> None:
    assert await session.set_active(True) is True
    assert session.configuration == AudioSessionConfiguration.music()
    assert backend.applied_configurations == [AudioSessionConfiguration.music()]
    assert session.configuration_stream.value == AudioSessionConfiguration.music()
    assert session.is_active
    assert backend.activation_requests == [
        ActivationRequest.resolve(AudioSessionConfiguration.music())
    ]
    assert session.active_request == backend.active_request


async def test_set_active_uses_a_custom_fallback_only_when_unconfigured(
    session: AudioSession, backend: MemoryBackend
) -> None:
    await session.set_active(True, fallback_configuration=AudioSessionConfiguration.game())
    assert session.configuration == AudioSessionConfiguration.game()
    await session.set_active(False)
    await session.set_active(True, fallback_configuration=AudioSessionConfiguration.alarm())
    assert session.configuration == AudioSessionConfiguration.game()
    assert backend.applied_configurations == [AudioSessionConfiguration.game()]


async def test_overrides_take_precedence_over_the_configuration(
    session: AudioSession, backend: MemoryBackend
) -> None:
    await session.configure(AudioSessionConfiguration.speech())
    attributes = AndroidAudioAttributes(usage=AndroidAudioUsage.GAME)
    assert await session.set_active(
        True,
        av_audio_session_set_active_options=(
            AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
        ),
        android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT,
        android_audio_attributes=attributes,
        android_will_pause_when_ducked=False,
    )
    request = backend.activation_requests[-1]
    assert request.configuration == AudioSessionConfiguration.speech()
    assert request.av_audio_session_set_active_options is (
        AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
    )
    assert request.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN_TRANSIENT
    assert request.android_audio_attributes is attributes
    assert request.android_will_pause_when_ducked is False
    assert not request.pause_when_ducked
    # The configuration itself is untouched by per-call overrides.
    assert session.configuration == AudioSessionConfiguration.speech()


async def test_without_overrides_the_configured_values_are_used(
    session: AudioSession, backend: MemoryBackend
) -> None:
    await session.configure(AudioSessionConfiguration.navigation())
    await session.set_active(True)
    request = backend.activation_requests[-1]
    navigation = AudioSessionConfiguration.navigation()
    assert request.android_audio_focus_gain_type is navigation.android_audio_focus_gain_type
    assert request.android_audio_attributes == navigation.android_audio_attributes
    assert request.pause_when_ducked is True
    assert request.av_audio_session_set_active_options is (
        navigation.av_audio_session_set_active_options
    )


async def test_a_denied_activation_answers_false(
    session: AudioSession, backend: MemoryBackend
) -> None:
    backend.grant_activation = False
    assert await session.set_active(True) is False
    assert not session.is_active
    assert session.active_request is None
    backend.grant_activation = True
    assert await session.set_active(True) is True
    assert session.is_active
    assert len(backend.activation_requests) == 2


async def test_reactivating_with_the_same_values_does_not_ask_again(
    active: AudioSession, backend: MemoryBackend
) -> None:
    assert await active.set_active(True) is True
    assert len(backend.activation_requests) == 1


async def test_reactivating_with_different_values_asks_again(
    active: AudioSession, backend: MemoryBackend
) -> None:
    gain = AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK
    assert await active.set_active(True, android_audio_focus_gain_type=gain)
    assert len(backend.activation_requests) == 2
    assert backend.activation_requests[-1].android_audio_focus_gain_type is gain
    assert active.active_request is backend.activation_requests[-1]


async def test_reactivating_after_a_new_configuration_asks_again(
    active: AudioSession, backend: MemoryBackend
) -> None:
    await active.configure(AudioSessionConfiguration.speech())
    assert active.active_request is not None
    assert active.active_request.configuration == AudioSessionConfiguration.music()
    await active.set_active(True)
    assert len(backend.activation_requests) == 2
    assert backend.activation_requests[-1].configuration == AudioSessionConfiguration.speech()


async def test_a_denied_reactivation_leaves_the_session_inactive(
    active: AudioSession, backend: MemoryBackend
) -> None:
    backend.grant_activation = False
    assert await active.set_active(True, android_will_pause_when_ducked=True) is False
    assert not active.is_active


async def test_deactivation(active: AudioSession, backend: MemoryBackend) -> None:
    notify = AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
    assert await active.set_active(False, av_audio_session_set_active_options=notify) is True
    assert not active.is_active
    assert not backend.is_active
    assert backend.deactivation_requests[-1].av_audio_session_set_active_options is notify


async def test_deactivating_an_inactive_session_is_a_no_op(
    session: AudioSession, backend: MemoryBackend
) -> None:
    assert await session.set_active(False) is True
    assert backend.deactivation_requests == []
    # Like the original, it still configures the fallback.
    assert session.configuration == AudioSessionConfiguration.music()


async def test_an_activation_error_propagates_and_leaves_the_session_inactive(
    session: AudioSession, backend: MemoryBackend
) -> None:
    backend.fail_next(AudioSessionError("'!pri'", code=561017449))
    with pytest.raises(AudioSessionError):
        await session.set_active(True)
    assert not session.is_active


async def test_no_sound_server_grants_activation_and_lists_no_devices(
    session: AudioSession, backend: MemoryBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.unavailable = True
    with caplog.at_level(logging.INFO, logger="audio_session"):
        assert await session.set_active(True) is True
        assert session.is_active
        assert await session.get_devices() == frozenset()
        assert await session.set_active(False) is True
    assert not session.is_active
    assert "no sound server" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"active": 1}, TypeError),
        ({"active": True, "android_audio_focus_gain_type": 7}, ValueError),
        ({"active": True, "android_audio_attributes": "media"}, TypeError),
        ({"active": True, "android_will_pause_when_ducked": "yes"}, TypeError),
        ({"active": True, "fallback_configuration": None}, TypeError),
    ],
)
async def test_bad_set_active_arguments_raise_before_anything_changes(
    session: AudioSession,
    backend: MemoryBackend,
    kwargs: dict[str, object],
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await session.set_active(**kwargs)  # type: ignore[arg-type]
    assert not session.is_configured
    assert backend.activation_requests == []


async def test_concurrent_activations_are_serialised(
    session: AudioSession, backend: MemoryBackend
) -> None:
    results = await asyncio.gather(*(session.set_active(True) for _ in range(5)))
    assert results == [True] * 5
    assert len(backend.activation_requests) == 1
    assert backend.applied_configurations == [AudioSessionConfiguration.music()]


# Interruptions and becoming noisy ------------------------------------------------


async def test_interruptions_are_delivered_only_while_active(
    session: AudioSession, backend: MemoryBackend
) -> None:
    subscription = session.interruption_event_stream.subscribe()
    backend.interrupt(PAUSE)
    assert await pending(subscription) == []
    await session.set_active(True)
    backend.interrupt(DUCK)
    backend.end_interruption(DUCK)
    assert await pending(subscription) == [
        AudioInterruptionEvent(True, DUCK),
        AudioInterruptionEvent(False, DUCK),
    ]
    await session.set_active(False)
    backend.interrupt(PAUSE)
    assert await pending(subscription) == []


async def test_becoming_noisy_is_delivered_only_while_active(
    session: AudioSession, backend: MemoryBackend
) -> None:
    subscription = session.becoming_noisy_event_stream.subscribe()
    backend.become_noisy()
    assert await pending(subscription) == []
    await session.set_active(True)
    backend.become_noisy()
    assert await pending(subscription) == [None]


async def test_event_streams_do_not_replay(active: AudioSession, backend: MemoryBackend) -> None:
    backend.interrupt(PAUSE)
    backend.become_noisy()
    late_interruptions = active.interruption_event_stream.subscribe()
    late_noisy = active.becoming_noisy_event_stream.subscribe()
    assert await pending(late_interruptions) == []
    assert await pending(late_noisy) == []


async def test_a_permanent_loss_reports_unknown_then_deactivates(
    active: AudioSession, backend: MemoryBackend
) -> None:
    subscription = active.interruption_event_stream.subscribe()
    backend.lose_activation()
    assert await pending(subscription) == [
        AudioInterruptionEvent(True, AudioInterruptionType.UNKNOWN)
    ]
    assert not active.is_active
    backend.end_interruption(PAUSE)
    backend.become_noisy()
    assert await pending(subscription) == []
    # The next activation asks again.
    assert await active.set_active(True)
    assert len(backend.activation_requests) == 2


class EagerBackend(MemoryBackend):
    """Reports what it finds while granting, as a real backend may."""

    def __init__(self, *, lose: bool = False) -> None:
        super().__init__()
        self.lose = lose

    async def activate(self, request: ActivationRequest) -> bool:
        granted = await super().activate(request)
        self.interrupt(DUCK)
        self.become_noisy()
        if self.lose:
            self.lose_activation()
        return granted


async def test_events_reported_while_activating_are_delivered_once_granted() -> None:
    backend = EagerBackend()
    session = await AudioSession.create(backend)
    try:
        interruptions = session.interruption_event_stream.subscribe()
        noisy = session.becoming_noisy_event_stream.subscribe()
        assert await session.set_active(True)
        assert await pending(interruptions) == [AudioInterruptionEvent(True, DUCK)]
        assert await pending(noisy) == [None]
        assert session.is_active
    finally:
        await session.close()


async def test_events_reported_while_activating_are_dropped_when_denied() -> None:
    backend = EagerBackend()
    backend.grant_activation = False
    session = await AudioSession.create(backend)
    try:
        interruptions = session.interruption_event_stream.subscribe()
        assert not await session.set_active(True)
        assert await pending(interruptions) == []
        # Nothing held over to a later activation either.
        backend.grant_activation = True
        backend.activate = MemoryBackend.activate.__get__(backend)  # type: ignore[method-assign]
        assert await session.set_active(True)
        assert await pending(interruptions) == []
    finally:
        await session.close()


async def test_a_loss_reported_while_activating_ends_the_activation_after_its_events() -> None:
    session = await AudioSession.create(EagerBackend(lose=True))
    try:
        interruptions = session.interruption_event_stream.subscribe()
        assert await session.set_active(True)
        assert await pending(interruptions) == [
            AudioInterruptionEvent(True, DUCK),
            AudioInterruptionEvent(True, AudioInterruptionType.UNKNOWN),
        ]
        assert not session.is_active
    finally:
        await session.close()


async def test_a_raising_listener_does_not_stop_the_others(
    active: AudioSession, backend: MemoryBackend
) -> None:
    received: list[AudioInterruptionEvent] = []

    def broken(event: AudioInterruptionEvent) -> None:
        raise RuntimeError("app bug")

    active.interruption_event_stream.listen(broken, on_error=lambda _: None)
    active.interruption_event_stream.listen(received.append)
    backend.interrupt(PAUSE)
    backend.end_interruption(PAUSE)
    await settle()
    assert len(received) == 2


async def test_events_from_another_thread_arrive_on_the_loop(
    active: AudioSession, backend: MemoryBackend
) -> None:
    subscription = active.interruption_event_stream.subscribe()
    loop_thread = threading.get_ident()
    seen_on: list[int] = []
    active.interruption_event_stream.listen(lambda _: seen_on.append(threading.get_ident()))
    thread = threading.Thread(target=backend.interrupt, args=(DUCK,))
    thread.start()
    thread.join()
    assert await next_value(subscription) == AudioInterruptionEvent(True, DUCK)
    await settle()
    assert seen_on == [loop_thread]


async def test_malformed_backend_events_are_dropped_and_logged(
    active: AudioSession, caplog: pytest.LogCaptureFixture
) -> None:
    interruptions = active.interruption_event_stream.subscribe()
    changes = active.devices_changed_event_stream.subscribe()
    listener = active._events
    with caplog.at_level(logging.ERROR, logger="audio_session"):
        listener.interruption("pause")  # type: ignore[arg-type]
        listener.devices_changed({"added": []})  # type: ignore[arg-type]
    assert await pending(interruptions) == []
    assert await pending(changes) == []
    assert "bad interruption" in caplog.text
    assert "bad device change" in caplog.text


# Devices -----------------------------------------------------------------------


async def test_get_devices(session: AudioSession) -> None:
    assert await session.get_devices() == {SPEAKER, MIC}
    assert await session.get_devices(include_inputs=False) == {SPEAKER}
    assert await session.get_devices(include_outputs=False) == {MIC}
    assert await session.get_devices(include_inputs=False, include_outputs=False) == frozenset()
    with pytest.raises(TypeError, match="include_inputs"):
        await session.get_devices(include_inputs=None)  # type: ignore[arg-type]


async def test_device_changes_are_reported_whether_active_or_not(
    session: AudioSession, backend: MemoryBackend
) -> None:
    subscription = session.devices_changed_event_stream.subscribe()
    backend.add_devices(HEADSET)
    backend.remove_devices("mic")
    assert await pending(subscription) == [
        AudioDevicesChangedEvent(devices_added={HEADSET}),
        AudioDevicesChangedEvent(devices_removed={MIC}),
    ]


async def test_devices_stream_emits_current_devices_on_listen_then_after_each_change(
    session: AudioSession, backend: MemoryBackend
) -> None:
    # A large buffer, so that every emission is seen (a replaying stream conflates otherwise).
    subscription = session.devices_stream.subscribe(maxsize=10)
    assert await pending(subscription) == [{SPEAKER, MIC}]
    backend.add_devices(HEADSET)
    assert await pending(subscription) == [{SPEAKER, MIC, HEADSET}]
    backend.remove_devices(SPEAKER)
    assert await pending(subscription) == [{MIC, HEADSET}]
    assert await pending(subscription) == []


async def test_devices_stream_replays_the_latest_set_to_a_late_listener(
    session: AudioSession, backend: MemoryBackend
) -> None:
    first = session.devices_stream.subscribe()
    await next_value(first)
    backend.add_devices(HEADSET)
    late = session.devices_stream.subscribe(maxsize=10)
    assert await pending(late) == [{SPEAKER, MIC, HEADSET}]


async def test_devices_stream_stays_right_while_nobody_listens(
    session: AudioSession, backend: MemoryBackend
) -> None:
    with session.devices_stream.subscribe() as first:
        await next_value(first)
    backend.remove_devices(MIC)
    backend.add_devices(HEADSET)
    # The replayed value is already right, before any refresh from the backend.
    assert session.devices_stream.value == {SPEAKER, HEADSET}
    late = session.devices_stream.subscribe(maxsize=10)
    assert await pending(late) == [{SPEAKER, HEADSET}]


async def test_devices_stream_publishes_a_changed_device_with_the_same_id(
    session: AudioSession, backend: MemoryBackend
) -> None:
    subscription = session.devices_stream.subscribe()
    await next_value(subscription)
    renamed = AudioDevice("speaker", "Desk speakers", is_output=True)
    backend.devices = (backend.devices - {SPEAKER}) | {renamed}
    backend._require_listener().devices_changed(AudioDevicesChangedEvent())
    devices = await next_value(subscription)
    assert {d.name for d in devices} == {"Desk speakers", "Microphone"}


async def test_devices_stream_survives_a_failing_refresh(
    session: AudioSession, backend: MemoryBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.fail_next(RuntimeError("device query crashed"))
    with caplog.at_level(logging.ERROR, logger="audio_session"):
        subscription = session.devices_stream.subscribe()
        assert await pending(subscription) == []
    assert "refreshing the audio devices failed" in caplog.text
    backend.add_devices(HEADSET)
    assert await next_value(subscription) == {SPEAKER, MIC, HEADSET}


# Capabilities and the null backend -------------------------------------------------


async def test_capabilities_come_from_the_backend() -> None:
    limited = MemoryBackend(capabilities=SessionCapabilities.DEVICES)
    session = await AudioSession.create(limited)
    try:
        assert session.capabilities == SessionCapabilities.DEVICES
    finally:
        await session.close()


async def test_a_session_on_the_null_backend_works() -> None:
    session = await AudioSession.create(NullBackend())
    try:
        assert session.capabilities == SessionCapabilities.NONE
        assert await session.set_active(True)
        assert await session.get_devices() == frozenset()
        devices = session.devices_stream.subscribe()
        assert await next_value(devices) == frozenset()
    finally:
        await session.close()


async def test_no_sound_server_at_open_does_not_raise(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend = MemoryBackend()
    backend.unavailable = True
    with caplog.at_level(logging.WARNING, logger="audio_session"):
        session = await AudioSession.create(backend)
    try:
        assert "no sound server" in caplog.text
        backend.unavailable = False
        assert await session.set_active(True)
    finally:
        await session.close()


async def test_an_error_opening_an_explicit_backend_propagates() -> None:
    backend = MemoryBackend()
    backend.fail_next(OSError("broken"))
    with pytest.raises(OSError, match="broken"):
        await AudioSession.create(backend)


async def test_the_constructor_rejects_a_non_backend() -> None:
    with pytest.raises(TypeError, match="SessionBackend"):
        AudioSession("memory")  # type: ignore[arg-type]


async def test_an_unopened_session_says_so() -> None:
    session = AudioSession(MemoryBackend())
    with pytest.raises(RuntimeError, match="not opened"):
        await session.set_active(True)


# Closing -------------------------------------------------------------------------------


async def test_close_deactivates_closes_the_backend_and_ends_the_streams(
    active: AudioSession, backend: MemoryBackend
) -> None:
    configurations = active.configuration_stream.subscribe()
    interruptions = active.interruption_event_stream.subscribe()
    await active.close()
    await active.close()
    assert not active.is_active
    assert len(backend.deactivation_requests) == 1
    assert backend.is_closed
    assert [c async for c in configurations] == [AudioSessionConfiguration.music()]
    assert [e async for e in interruptions] == []
    with pytest.raises(RuntimeError, match="closed"):
        await active.configure(AudioSessionConfiguration.music())
    with pytest.raises(RuntimeError, match="closed"):
        await active.set_active(True)
    with pytest.raises(RuntimeError, match="closed"):
        await active.get_devices()


async def test_close_survives_a_failing_backend(
    active: AudioSession, backend: MemoryBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.fail_next(AudioSessionError("deactivate failed"))
    backend.fail_next(OSError("close failed"))
    with caplog.at_level(logging.WARNING, logger="audio_session"):
        await active.close()
    assert "deactivate failed" in caplog.text
    assert "close failed" in caplog.text


async def test_events_after_close_are_ignored(
    active: AudioSession, caplog: pytest.LogCaptureFixture
) -> None:
    listener = active._events
    # Subscribed while active, where each of these would be delivered.
    subscriptions = [
        active.interruption_event_stream.subscribe(),
        active.becoming_noisy_event_stream.subscribe(),
        active.devices_changed_event_stream.subscribe(),
    ]
    await active.close()
    with caplog.at_level(logging.DEBUG, logger="audio_session"):
        listener.interruption(AudioInterruptionEvent(True, PAUSE))
        listener.becoming_noisy()
        listener.devices_changed(AudioDevicesChangedEvent())
        listener.activation_lost()
    for subscription in subscriptions:
        assert [event async for event in subscription] == []  # ended, with nothing in it
    assert not active.is_active
    assert caplog.records == []


# The process-wide instance ------------------------------------------------------------


@pytest.fixture
async def fresh_instance(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    monkeypatch.setenv(BACKEND_ENV, "memory")
    monkeypatch.setattr(_backend, "_FACTORIES", dict(_backend._FACTORIES))
    await AudioSession.reset_instance()
    yield
    await AudioSession.reset_instance()


@pytest.mark.usefixtures("fresh_instance")
class TestInstance:
    async def test_concurrent_first_calls_share_one_session(self) -> None:
        sessions = await asyncio.gather(*(AudioSession.instance() for _ in range(10)))
        assert all(s is sessions[0] for s in sessions)
        assert isinstance(sessions[0].backend, MemoryBackend)
        assert await AudioSession.instance() is sessions[0]

    async def test_reset_closes_and_forgets(self) -> None:
        first = await AudioSession.instance()
        await AudioSession.reset_instance()
        assert first.backend.is_closed  # type: ignore[attr-defined]
        second = await AudioSession.instance()
        assert second is not first

    async def test_closing_the_instance_forgets_it(self) -> None:
        first = await AudioSession.instance()
        await first.close()
        assert await AudioSession.instance() is not first

    async def test_set_instance_installs_a_test_session(self) -> None:
        previous = await AudioSession.instance()
        backend = MemoryBackend(devices=[HEADSET])
        mine = await AudioSession.create(backend)
        await AudioSession.set_instance(mine)
        assert previous.backend.is_closed  # type: ignore[attr-defined]
        assert await AudioSession.instance() is mine
        assert await (await AudioSession.instance()).get_devices() == {HEADSET}
        await AudioSession.set_instance(mine)  # the same one again: not closed
        assert backend.is_open

    async def test_set_instance_rejects_what_cannot_be_the_instance(self) -> None:
        with pytest.raises(TypeError, match="AudioSession"):
            await AudioSession.set_instance(MemoryBackend())  # type: ignore[arg-type]
        unopened = AudioSession(MemoryBackend())
        with pytest.raises(ValueError, match="open session"):
            await AudioSession.set_instance(unopened)
        closed = await AudioSession.create(MemoryBackend())
        await closed.close()
        with pytest.raises(ValueError, match="open session"):
            await AudioSession.set_instance(closed)

    async def test_a_backend_failing_to_open_falls_back_to_null(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Broken(NullBackend):
            name = "broken"

            async def open(self, listener: object) -> None:  # type: ignore[override]
                raise RuntimeError("cannot connect")

        register_backend("broken", Broken)
        monkeypatch.setenv(BACKEND_ENV, "broken")
        with caplog.at_level(logging.ERROR, logger="audio_session"):
            session = await AudioSession.instance()
        assert type(session.backend) is NullBackend
        assert "'broken' failed to open" in caplog.text
        assert await session.set_active(True)

    async def test_the_instance_of_a_closed_loop_is_replaced(self) -> None:
        def other_loop() -> AudioSession:
            return asyncio.run(AudioSession.instance())

        stale = await asyncio.to_thread(other_loop)
        current = await AudioSession.instance()
        assert current is not stale
        assert isinstance(current.backend, SessionBackend)
