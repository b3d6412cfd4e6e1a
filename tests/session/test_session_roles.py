"""Configuration -> Linux stream role, stream properties and environment variables."""

from __future__ import annotations

import pytest

from audio_session import (
    AndroidAudioAttributes,
    AndroidAudioContentType,
    AndroidAudioUsage,
    AudioSessionConfiguration,
    AVAudioSessionCategory,
    AVAudioSessionMode,
    LinuxRole,
)
from audio_session._roles import (
    apply_linux_environment,
    linux_environment,
    linux_media_category,
    linux_role,
)

U = AndroidAudioUsage
C = AndroidAudioContentType


def with_attributes(usage: AndroidAudioUsage, content: AndroidAudioContentType = C.UNKNOWN):
    return AudioSessionConfiguration(
        android_audio_attributes=AndroidAudioAttributes(usage=usage, content_type=content),
        # iOS fields that would say otherwise: Android attributes must win.
        av_audio_session_category=AVAudioSessionCategory.PLAY_AND_RECORD,
        av_audio_session_mode=AVAudioSessionMode.VOICE_CHAT,
    )


@pytest.mark.parametrize(
    ("usage", "content", "pulse", "pipewire"),
    [
        (U.MEDIA, C.MUSIC, "music", "Music"),
        (U.MEDIA, C.SPEECH, "music", "Music"),
        (U.MEDIA, C.UNKNOWN, "music", "Music"),
        (U.MEDIA, C.MOVIE, "video", "Movie"),
        (U.MEDIA, C.SONIFICATION, "event", "Notification"),
        (U.GAME, C.MUSIC, "game", "Game"),
        (U.VOICE_COMMUNICATION, C.SPEECH, "phone", "Communication"),
        (U.VOICE_COMMUNICATION_SIGNALLING, C.SONIFICATION, "phone", "Communication"),
        (U.ALARM, C.SONIFICATION, "event", "Notification"),
        (U.NOTIFICATION, C.SONIFICATION, "event", "Notification"),
        (U.NOTIFICATION_RINGTONE, C.SONIFICATION, "event", "Notification"),
        (U.NOTIFICATION_COMMUNICATION_REQUEST, C.UNKNOWN, "event", "Notification"),
        (U.NOTIFICATION_COMMUNICATION_INSTANT, C.UNKNOWN, "event", "Notification"),
        (U.NOTIFICATION_COMMUNICATION_DELAYED, C.UNKNOWN, "event", "Notification"),
        (U.NOTIFICATION_EVENT, C.UNKNOWN, "event", "Notification"),
        (U.ASSISTANCE_SONIFICATION, C.SONIFICATION, "event", "Notification"),
        (U.ASSISTANCE_NAVIGATION_GUIDANCE, C.SPEECH, "event", "Navigation"),
        (U.ASSISTANT, C.SPEECH, "event", "Assistant"),
        (U.ASSISTANCE_ACCESSIBILITY, C.SPEECH, "a11y", "Accessibility"),
        (U.UNKNOWN, C.MUSIC, "music", "Music"),
        (U.UNKNOWN, C.SPEECH, "music", "Music"),
        (U.UNKNOWN, C.MOVIE, "video", "Movie"),
        (U.UNKNOWN, C.SONIFICATION, "event", "Notification"),
        (U.VIRTUAL_SOURCE, C.MOVIE, "video", "Movie"),
    ],
)
def test_android_attributes_decide_first(
    usage: AndroidAudioUsage, content: AndroidAudioContentType, pulse: str, pipewire: str
) -> None:
    config = with_attributes(usage, content)
    assert config.linux_media_role() == pulse
    assert config.pipewire_media_role() == pipewire
    assert linux_role(config) == LinuxRole(pulse, pipewire)


def test_unknown_usage_and_content_fall_through_to_ios() -> None:
    config = with_attributes(U.UNKNOWN, C.UNKNOWN)
    assert config.linux_media_role() == "phone"  # from the voice-chat mode


@pytest.mark.parametrize(
    ("mode", "category", "pulse", "pipewire"),
    [
        (AVAudioSessionMode.VOICE_CHAT, None, "phone", "Communication"),
        (AVAudioSessionMode.VIDEO_CHAT, None, "phone", "Communication"),
        (AVAudioSessionMode.GAME_CHAT, None, "phone", "Communication"),
        (AVAudioSessionMode.MOVIE_PLAYBACK, AVAudioSessionCategory.PLAYBACK, "video", "Movie"),
        (AVAudioSessionMode.VOICE_PROMPT, AVAudioSessionCategory.PLAYBACK, "event", "Navigation"),
        (AVAudioSessionMode.SPOKEN_AUDIO, AVAudioSessionCategory.AMBIENT, "music", "Music"),
        (AVAudioSessionMode.MEASUREMENT, None, "production", "Production"),
        (AVAudioSessionMode.VIDEO_RECORDING, None, "production", "Production"),
        (AVAudioSessionMode.DEFAULT_MODE, AVAudioSessionCategory.PLAY_AND_RECORD, "phone", None),
        (None, AVAudioSessionCategory.RECORD, "production", "Production"),
        (None, AVAudioSessionCategory.MULTI_ROUTE, "production", "Production"),
        (None, AVAudioSessionCategory.AMBIENT, "game", "Game"),
        (None, AVAudioSessionCategory.SOLO_AMBIENT, "music", "Music"),
        (AVAudioSessionMode.DEFAULT_MODE, AVAudioSessionCategory.PLAYBACK, "music", "Music"),
        (AVAudioSessionMode.DEFAULT_MODE, None, "music", "Music"),
        (None, None, "music", "Music"),
    ],
)
def test_ios_mode_then_category_decide_without_android_attributes(
    mode: AVAudioSessionMode | None,
    category: AVAudioSessionCategory | None,
    pulse: str,
    pipewire: str | None,
) -> None:
    config = AudioSessionConfiguration(
        av_audio_session_mode=mode, av_audio_session_category=category
    )
    assert config.linux_media_role() == pulse
    assert config.pipewire_media_role() == (pipewire or "Communication")


def test_no_configuration_is_music() -> None:
    assert linux_role(None) == LinuxRole("music", "Music")


def test_presets() -> None:
    roles = {
        name: getattr(AudioSessionConfiguration, name)().linux_media_role()
        for name in (
            "music",
            "speech",
            "movie",
            "game",
            "voice_communication",
            "navigation",
            "assistant",
            "accessibility",
            "notification",
            "alarm",
        )
    }
    assert roles == {
        "music": "music",
        "speech": "music",
        "movie": "video",
        "game": "game",
        "voice_communication": "phone",
        "navigation": "event",
        "assistant": "event",
        "accessibility": "a11y",
        "notification": "event",
        "alarm": "event",
    }


def test_every_pulseaudio_role_is_a_documented_one() -> None:
    documented = {"video", "music", "game", "event", "phone", "animation", "production", "a11y"}
    configs = [
        AudioSessionConfiguration(android_audio_attributes=AndroidAudioAttributes(usage=u))
        for u in U
    ] + [AudioSessionConfiguration(av_audio_session_category=c) for c in AVAudioSessionCategory]
    configs += [AudioSessionConfiguration(av_audio_session_mode=m) for m in AVAudioSessionMode]
    assert {c.linux_media_role() for c in configs} <= documented


def test_stream_properties() -> None:
    speech = AudioSessionConfiguration.speech()
    assert speech.linux_stream_properties() == {"media.role": "music"}
    assert speech.linux_stream_properties(server="pipewire") == {
        "media.type": "Audio",
        "media.category": "Playback",
        "media.role": "Music",
    }
    call = AudioSessionConfiguration.voice_communication()
    assert call.linux_stream_properties(server="pipewire")["media.category"] == "Duplex"
    with pytest.raises(ValueError, match="server"):
        speech.linux_stream_properties(server="jack")  # type: ignore[arg-type]


def test_media_category() -> None:
    def category(c: AVAudioSessionCategory | None) -> str:
        return linux_media_category(AudioSessionConfiguration(av_audio_session_category=c))

    assert category(AVAudioSessionCategory.RECORD) == "Capture"
    assert category(AVAudioSessionCategory.PLAY_AND_RECORD) == "Duplex"
    assert category(AVAudioSessionCategory.PLAYBACK) == "Playback"
    assert category(None) == "Playback"
    assert linux_media_category(None) == "Playback"


def test_environment() -> None:
    assert AudioSessionConfiguration.movie().linux_environment() == {
        "PULSE_PROP": "media.role=video",
        "PIPEWIRE_PROPS": "{ media.role=Movie }",
    }
    assert linux_environment(None)["PULSE_PROP"] == "media.role=music"


class TestApplyEnvironment:
    def test_sets_both_variables_in_an_empty_environment(self) -> None:
        environ: dict[str, str] = {}
        changed = AudioSessionConfiguration.game().apply_linux_environment(environ)
        assert environ == {"PULSE_PROP": "media.role=game", "PIPEWIRE_PROPS": "{ media.role=Game }"}
        assert changed == environ

    def test_keeps_other_properties(self) -> None:
        environ = {
            "PULSE_PROP": "application.id=org.example.App",
            "PIPEWIRE_PROPS": "{ node.latency=256/48000 }",
            "HOME": "/root",
        }
        AudioSessionConfiguration.music().apply_linux_environment(environ)
        assert environ == {
            "PULSE_PROP": "application.id=org.example.App media.role=music",
            "PIPEWIRE_PROPS": "{ node.latency=256/48000 media.role=Music }",
            "HOME": "/root",
        }

    def test_plain_pipewire_props_become_an_object(self) -> None:
        environ = {"PIPEWIRE_PROPS": "node.latency=128/48000"}
        apply_linux_environment(None, environ)
        assert environ["PIPEWIRE_PROPS"] == "{ node.latency=128/48000 media.role=Music }"

    def test_a_users_role_is_kept_unless_overridden(self) -> None:
        environ = {
            "PULSE_PROP": 'media.role="phone" application.name=x',
            "PIPEWIRE_PROPS": "{ media.role = Communication, node.name = y }",
        }
        before = dict(environ)
        assert AudioSessionConfiguration.music().apply_linux_environment(environ) == {}
        assert environ == before
        changed = AudioSessionConfiguration.music().apply_linux_environment(environ, override=True)
        assert environ["PULSE_PROP"] == "application.name=x media.role=music"
        assert environ["PIPEWIRE_PROPS"] == "{ node.name = y media.role=Music }"
        assert set(changed) == {"PULSE_PROP", "PIPEWIRE_PROPS"}

    def test_applying_twice_changes_nothing_the_second_time(self) -> None:
        environ: dict[str, str] = {}
        config = AudioSessionConfiguration.navigation()
        config.apply_linux_environment(environ)
        assert config.apply_linux_environment(environ, override=True) == {}

    def test_defaults_to_os_environ(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import os

        # setenv (not delenv) so that monkeypatch removes what the code under test sets.
        monkeypatch.setenv("PULSE_PROP", "")
        monkeypatch.setenv("PIPEWIRE_PROPS", "")
        AudioSessionConfiguration.assistant().apply_linux_environment()
        assert os.environ["PULSE_PROP"] == "media.role=event"
        assert os.environ["PIPEWIRE_PROPS"] == "{ media.role=Assistant }"
