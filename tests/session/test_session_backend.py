"""The backend interface: activation requests, the null backend, the registry."""

from __future__ import annotations

import logging
import sys
import types

import pytest

from audio_session import (
    BACKEND_ENV,
    ActivationRequest,
    AndroidAudioAttributes,
    AndroidAudioFocusGainType,
    AndroidAudioUsage,
    AudioSessionConfiguration,
    AVAudioSessionSetActiveOptions,
    LinuxRole,
    MemoryBackend,
    NullBackend,
    SessionCapabilities,
    _backend,
    available_backends,
    create_backend,
    default_backend_name,
    register_backend,
)


@pytest.fixture(autouse=True)
def _isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_backend, "_FACTORIES", dict(_backend._FACTORIES))
    monkeypatch.setattr(_backend, "_warned", set())
    monkeypatch.delenv(BACKEND_ENV, raising=False)


class TestActivationRequest:
    def test_configured_values_when_nothing_is_overridden(self) -> None:
        config = AudioSessionConfiguration.speech().copy_with(
            av_audio_session_set_active_options=AVAudioSessionSetActiveOptions.NONE
        )
        request = ActivationRequest.resolve(config)
        assert request.configuration is config
        assert request.av_audio_session_set_active_options is AVAudioSessionSetActiveOptions.NONE
        assert request.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN
        assert request.android_audio_attributes == config.android_audio_attributes
        assert request.android_will_pause_when_ducked is True
        assert request.pause_when_ducked
        assert request.effective_configuration == config

    def test_every_override_takes_precedence(self) -> None:
        config = AudioSessionConfiguration.speech()
        attributes = AndroidAudioAttributes(usage=AndroidAudioUsage.ASSISTANT)
        request = ActivationRequest.resolve(
            config,
            av_audio_session_set_active_options=(
                AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
            android_audio_attributes=attributes,
            android_will_pause_when_ducked=False,
        )
        assert request.av_audio_session_set_active_options is (
            AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
        )
        assert request.android_audio_focus_gain_type is (
            AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK
        )
        assert request.android_audio_attributes is attributes
        # The override reaches the pause-versus-duck decision too (the original's bug 5).
        assert request.android_will_pause_when_ducked is False
        assert not request.pause_when_ducked
        effective = request.effective_configuration
        assert effective.android_audio_attributes is attributes
        assert effective.av_audio_session_mode == config.av_audio_session_mode
        assert request.linux_role == LinuxRole("event", "Assistant")

    def test_unset_will_pause_means_duck(self) -> None:
        request = ActivationRequest.resolve(AudioSessionConfiguration.music())
        assert request.android_will_pause_when_ducked is None
        assert not request.pause_when_ducked

    def test_raw_override_values_are_converted_and_checked(self) -> None:
        config = AudioSessionConfiguration.music()
        request = ActivationRequest.resolve(config, android_audio_focus_gain_type=2)  # type: ignore[arg-type]
        assert request.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN_TRANSIENT
        with pytest.raises(ValueError, match="android_audio_focus_gain_type"):
            ActivationRequest.resolve(config, android_audio_focus_gain_type=0)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="android_audio_attributes"):
            ActivationRequest.resolve(config, android_audio_attributes=1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="android_will_pause_when_ducked"):
            ActivationRequest.resolve(config, android_will_pause_when_ducked="no")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="set_active_options"):
            ActivationRequest.resolve(config, av_audio_session_set_active_options="x")  # type: ignore[arg-type]

    def test_equal_requests_compare_equal(self) -> None:
        config = AudioSessionConfiguration.music()
        assert ActivationRequest.resolve(config) == ActivationRequest.resolve(config)
        assert ActivationRequest.resolve(config) != ActivationRequest.resolve(
            config, android_will_pause_when_ducked=True
        )


async def test_null_backend_grants_and_reports_nothing() -> None:
    backend = NullBackend()
    assert backend.capabilities == SessionCapabilities.NONE
    request = ActivationRequest.resolve(AudioSessionConfiguration.music())
    await backend.apply_configuration(AudioSessionConfiguration.music())
    assert await backend.activate(request) is True
    assert await backend.deactivate(request) is True
    assert await backend.get_devices() == frozenset()
    await backend.close()


def test_capabilities_all_covers_every_flag() -> None:
    every = [c for c in SessionCapabilities if c is not SessionCapabilities.NONE]
    for capability in every:
        assert capability in SessionCapabilities.ALL
    assert SessionCapabilities.DEVICES not in SessionCapabilities.NONE


class TestRegistry:
    def test_builtin_names(self) -> None:
        assert {"memory", "null", "linux"} <= set(available_backends())
        assert isinstance(create_backend("memory"), MemoryBackend)
        assert isinstance(create_backend("null"), NullBackend)

    def test_explicit_unknown_name_raises(self) -> None:
        with pytest.raises(ValueError, match="unknown audio session backend 'jack'"):
            create_backend("jack")

    def test_environment_variable_chooses(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(BACKEND_ENV, "memory")
        assert isinstance(create_backend(), MemoryBackend)
        monkeypatch.setenv(BACKEND_ENV, " null ")
        assert isinstance(create_backend(), NullBackend)

    def test_unknown_environment_name_falls_back_and_warns_once(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        monkeypatch.setenv(BACKEND_ENV, "bogus")
        with caplog.at_level(logging.WARNING, logger="audio_session"):
            assert isinstance(create_backend(), NullBackend)
            assert isinstance(create_backend(), NullBackend)
        assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
        assert "bogus" in caplog.text

    def test_default_is_linux_on_linux_else_null(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sys, "platform", "linux")
        assert default_backend_name() == "linux"
        monkeypatch.setattr(sys, "platform", "darwin")
        assert default_backend_name() == "null"
        assert isinstance(create_backend(), NullBackend)

    def test_linux_is_loaded_lazily_from_the_linux_module(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        class FakeLinuxBackend(NullBackend):
            name = "linux"

        module = types.ModuleType("audio_session._linux")
        module.LinuxBackend = FakeLinuxBackend  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "audio_session._linux", module)
        monkeypatch.setattr(sys, "platform", "linux")
        assert type(create_backend()) is FakeLinuxBackend
        assert type(create_backend("linux")) is FakeLinuxBackend

    def test_a_linux_backend_that_cannot_load_falls_back_and_warns_once(
        self, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        monkeypatch.setitem(sys.modules, "audio_session._linux", types.ModuleType("empty"))
        monkeypatch.setattr(sys, "platform", "linux")
        with caplog.at_level(logging.WARNING, logger="audio_session"):
            assert isinstance(create_backend(), NullBackend)
            assert isinstance(create_backend("linux"), NullBackend)
        warnings = [r for r in caplog.records if "'linux' is unavailable" in r.getMessage()]
        assert len(warnings) == 1

    def test_a_missing_linux_module_falls_back(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # None in sys.modules makes the import fail with ImportError.
        monkeypatch.setitem(sys.modules, "audio_session._linux", None)  # type: ignore[arg-type]
        assert isinstance(create_backend("linux"), NullBackend)

    def test_a_factory_that_raises_falls_back(self) -> None:
        def broken() -> NullBackend:
            raise OSError("no such library")

        register_backend("broken", broken)
        assert isinstance(create_backend("broken"), NullBackend)

    def test_register(self) -> None:
        register_backend("custom", MemoryBackend)
        assert "custom" in available_backends()
        assert isinstance(create_backend("custom"), MemoryBackend)
        with pytest.raises(ValueError, match="already registered"):
            register_backend("custom", NullBackend)
        register_backend("custom", NullBackend, replace=True)
        assert isinstance(create_backend("custom"), NullBackend)
        with pytest.raises(ValueError, match="name"):
            register_backend("", NullBackend)
        with pytest.raises(TypeError, match="callable"):
            register_backend("x", NullBackend())  # type: ignore[arg-type]
