"""AudioSessionConfiguration: presets, validation, copying and the Flutter JSON form."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio_session import (
    AndroidAudioAttributes,
    AndroidAudioContentType,
    AndroidAudioFlags,
    AndroidAudioFocusGainType,
    AndroidAudioUsage,
    AudioSessionConfiguration,
    AVAudioSessionCategory,
    AVAudioSessionCategoryOptions,
    AVAudioSessionMode,
    AVAudioSessionRouteSharingPolicy,
    AVAudioSessionSetActiveOptions,
)

# What the Flutter plugin's toJson() writes (every key, nulls included).
FLUTTER_MUSIC: dict[str, Any] = {
    "avAudioSessionCategory": "AVAudioSessionCategoryPlayback",
    "avAudioSessionCategoryOptions": None,
    "avAudioSessionMode": 0,
    "avAudioSessionRouteSharingPolicy": None,
    "avAudioSessionSetActiveOptions": None,
    "androidAudioAttributes": {"contentType": 2, "flags": 0, "usage": 1},
    "androidAudioFocusGainType": 1,
    "androidWillPauseWhenDucked": None,
}

FLUTTER_SPEECH: dict[str, Any] = {
    "avAudioSessionCategory": "AVAudioSessionCategoryPlayback",
    "avAudioSessionCategoryOptions": None,
    "avAudioSessionMode": 4,
    "avAudioSessionRouteSharingPolicy": None,
    "avAudioSessionSetActiveOptions": None,
    "androidAudioAttributes": {"contentType": 1, "flags": 0, "usage": 1},
    "androidAudioFocusGainType": 1,
    "androidWillPauseWhenDucked": True,
}

# The README's custom configuration, every field set.
FLUTTER_CUSTOM: dict[str, Any] = {
    "avAudioSessionCategory": "AVAudioSessionCategoryPlayAndRecord",
    "avAudioSessionCategoryOptions": 4,
    "avAudioSessionMode": 4,
    "avAudioSessionRouteSharingPolicy": 0,
    "avAudioSessionSetActiveOptions": 0,
    "androidAudioAttributes": {"contentType": 1, "flags": 0, "usage": 2},
    "androidAudioFocusGainType": 1,
    "androidWillPauseWhenDucked": True,
}

# Non-default values in every field, to catch a swapped or mis-encoded key.
FLUTTER_EVERYTHING: dict[str, Any] = {
    "avAudioSessionCategory": "AVAudioSessionCategoryMultiRoute",
    "avAudioSessionCategoryOptions": 0x13,
    "avAudioSessionMode": 8,
    "avAudioSessionRouteSharingPolicy": 2,
    "avAudioSessionSetActiveOptions": 1,
    "androidAudioAttributes": {"contentType": 3, "flags": 1, "usage": 12},
    "androidAudioFocusGainType": 4,
    "androidWillPauseWhenDucked": False,
}


class TestPresets:
    def test_music_matches_the_original(self) -> None:
        music = AudioSessionConfiguration.music()
        assert music == AudioSessionConfiguration(
            av_audio_session_category=AVAudioSessionCategory.PLAYBACK,
            av_audio_session_mode=AVAudioSessionMode.DEFAULT_MODE,
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.MUSIC,
                flags=AndroidAudioFlags.NONE,
                usage=AndroidAudioUsage.MEDIA,
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN,
            android_will_pause_when_ducked=None,
        )
        assert music.av_audio_session_category_options is None
        assert music.av_audio_session_route_sharing_policy is None
        assert music.av_audio_session_set_active_options is None
        assert music.to_json() == FLUTTER_MUSIC

    def test_speech_matches_the_original(self) -> None:
        speech = AudioSessionConfiguration.speech()
        assert speech.av_audio_session_mode is AVAudioSessionMode.SPOKEN_AUDIO
        assert speech.android_will_pause_when_ducked is True
        assert speech.to_json() == FLUTTER_SPEECH

    @pytest.mark.parametrize(
        ("preset", "usage", "content", "gain", "pause", "category", "mode"),
        [
            (
                "game",
                AndroidAudioUsage.GAME,
                AndroidAudioContentType.SONIFICATION,
                AndroidAudioFocusGainType.GAIN,
                False,
                AVAudioSessionCategory.SOLO_AMBIENT,
                AVAudioSessionMode.DEFAULT_MODE,
            ),
            (
                "movie",
                AndroidAudioUsage.MEDIA,
                AndroidAudioContentType.MOVIE,
                AndroidAudioFocusGainType.GAIN,
                None,
                AVAudioSessionCategory.PLAYBACK,
                AVAudioSessionMode.MOVIE_PLAYBACK,
            ),
            (
                "voice_communication",
                AndroidAudioUsage.VOICE_COMMUNICATION,
                AndroidAudioContentType.SPEECH,
                AndroidAudioFocusGainType.GAIN_TRANSIENT,
                False,
                AVAudioSessionCategory.PLAY_AND_RECORD,
                AVAudioSessionMode.VOICE_CHAT,
            ),
            (
                "navigation",
                AndroidAudioUsage.ASSISTANCE_NAVIGATION_GUIDANCE,
                AndroidAudioContentType.SPEECH,
                AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
                True,
                AVAudioSessionCategory.PLAYBACK,
                AVAudioSessionMode.VOICE_PROMPT,
            ),
            (
                "assistant",
                AndroidAudioUsage.ASSISTANT,
                AndroidAudioContentType.SPEECH,
                AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
                True,
                AVAudioSessionCategory.PLAYBACK,
                AVAudioSessionMode.VOICE_PROMPT,
            ),
            (
                "accessibility",
                AndroidAudioUsage.ASSISTANCE_ACCESSIBILITY,
                AndroidAudioContentType.SPEECH,
                AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
                True,
                AVAudioSessionCategory.PLAYBACK,
                AVAudioSessionMode.VOICE_PROMPT,
            ),
            (
                "notification",
                AndroidAudioUsage.NOTIFICATION,
                AndroidAudioContentType.SONIFICATION,
                AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
                False,
                AVAudioSessionCategory.AMBIENT,
                AVAudioSessionMode.DEFAULT_MODE,
            ),
            (
                "alarm",
                AndroidAudioUsage.ALARM,
                AndroidAudioContentType.SONIFICATION,
                AndroidAudioFocusGainType.GAIN_TRANSIENT,
                False,
                AVAudioSessionCategory.PLAYBACK,
                AVAudioSessionMode.DEFAULT_MODE,
            ),
        ],
    )
    def test_desktop_presets(
        self,
        preset: str,
        usage: AndroidAudioUsage,
        content: AndroidAudioContentType,
        gain: AndroidAudioFocusGainType,
        pause: bool | None,
        category: AVAudioSessionCategory,
        mode: AVAudioSessionMode,
    ) -> None:
        config: AudioSessionConfiguration = getattr(AudioSessionConfiguration, preset)()
        assert config.android_audio_attributes == AndroidAudioAttributes(
            content_type=content, usage=usage
        )
        assert config.android_audio_focus_gain_type is gain
        assert config.android_will_pause_when_ducked is pause
        assert config.av_audio_session_category is category
        assert config.av_audio_session_mode is mode
        assert AudioSessionConfiguration.from_json(config.to_json()) == config

    def test_transient_presets_let_others_resume_on_ios(self) -> None:
        for preset in ("navigation", "assistant", "notification", "alarm", "voice_communication"):
            config = getattr(AudioSessionConfiguration, preset)()
            assert (
                config.av_audio_session_set_active_options
                is AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ), preset

    def test_prompts_duck_others_on_ios(self) -> None:
        options = AudioSessionConfiguration.navigation().av_audio_session_category_options
        assert options is not None
        assert AVAudioSessionCategoryOptions.DUCK_OTHERS in options
        assert AVAudioSessionCategoryOptions.INTERRUPT_SPOKEN_AUDIO_AND_MIX_WITH_OTHERS in options


class TestConstruction:
    def test_defaults(self) -> None:
        config = AudioSessionConfiguration()
        assert config.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN
        for field in dataclasses.fields(config):
            if field.name != "android_audio_focus_gain_type":
                assert getattr(config, field.name) is None

    def test_raw_values_are_converted_to_members(self) -> None:
        config = AudioSessionConfiguration(
            av_audio_session_category="AVAudioSessionCategoryRecord",  # type: ignore[arg-type]
            av_audio_session_category_options=0x805,  # type: ignore[arg-type]
            av_audio_session_mode=7,  # type: ignore[arg-type]
            av_audio_session_route_sharing_policy=3,  # type: ignore[arg-type]
            av_audio_session_set_active_options=1,  # type: ignore[arg-type]
            android_audio_focus_gain_type=3,  # type: ignore[arg-type]
        )
        assert config.av_audio_session_category is AVAudioSessionCategory.RECORD
        assert isinstance(config.av_audio_session_category_options, AVAudioSessionCategoryOptions)
        assert int(config.av_audio_session_category_options) == 0x805
        assert config.av_audio_session_mode is AVAudioSessionMode.VOICE_CHAT
        policy = config.av_audio_session_route_sharing_policy
        assert policy is AVAudioSessionRouteSharingPolicy.INDEPENDENT
        assert config.android_audio_focus_gain_type is (
            AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK
        )
        assert config == AudioSessionConfiguration(
            av_audio_session_category=AVAudioSessionCategory.RECORD,
            av_audio_session_category_options=AVAudioSessionCategoryOptions(0x805),
            av_audio_session_mode=AVAudioSessionMode.VOICE_CHAT,
            av_audio_session_route_sharing_policy=AVAudioSessionRouteSharingPolicy.INDEPENDENT,
            av_audio_session_set_active_options=(
                AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK,
        )

    @pytest.mark.parametrize(
        ("field", "value", "error", "message"),
        [
            ("android_audio_focus_gain_type", 0, ValueError, "android_audio_focus_gain_type"),
            ("android_audio_focus_gain_type", None, TypeError, "cannot be None"),
            ("android_audio_focus_gain_type", "gain", TypeError, "android_audio_focus_gain"),
            ("av_audio_session_mode", 9, ValueError, "av_audio_session_mode"),
            ("av_audio_session_mode", AndroidAudioUsage.MEDIA, TypeError, "av_audio_session_mode"),
            ("av_audio_session_category", "playback", ValueError, "av_audio_session_category"),
            ("av_audio_session_category", 2, TypeError, "av_audio_session_category"),
            ("av_audio_session_category_options", -1, ValueError, "category_options"),
            ("av_audio_session_route_sharing_policy", 4, ValueError, "route_sharing_policy"),
            ("av_audio_session_set_active_options", "1", TypeError, "set_active_options"),
            ("android_audio_attributes", {"usage": 1}, TypeError, "android_audio_attributes"),
            ("android_will_pause_when_ducked", 1, TypeError, "android_will_pause_when_ducked"),
        ],
    )
    def test_invalid_values_raise_a_clear_error(
        self, field: str, value: object, error: type[Exception], message: str
    ) -> None:
        with pytest.raises(error, match=message):
            AudioSessionConfiguration(**{field: value})

    def test_fields_are_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            AudioSessionConfiguration(AVAudioSessionCategory.PLAYBACK)  # type: ignore[misc]

    def test_immutable(self) -> None:
        config = AudioSessionConfiguration.music()
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.android_will_pause_when_ducked = True  # type: ignore[misc]


class TestEquality:
    def test_value_equality_and_hash(self) -> None:
        assert AudioSessionConfiguration.music() == AudioSessionConfiguration.music()
        assert hash(AudioSessionConfiguration.music()) == hash(AudioSessionConfiguration.music())
        assert AudioSessionConfiguration.music() != AudioSessionConfiguration.speech()
        seen = {AudioSessionConfiguration.music(), AudioSessionConfiguration.music()}
        assert len(seen) == 1

    def test_attributes_value_equality(self) -> None:
        first = AndroidAudioAttributes(usage=AndroidAudioUsage.GAME)
        second = AndroidAudioAttributes(usage=14)  # type: ignore[arg-type]
        assert first == second
        assert hash(first) == hash(second)
        assert first != AndroidAudioAttributes()


class TestCopyWith:
    def test_no_arguments_gives_an_equal_copy(self) -> None:
        speech = AudioSessionConfiguration.speech()
        assert speech.copy_with() == speech

    def test_replaces_only_the_given_fields(self) -> None:
        speech = AudioSessionConfiguration.speech()
        copy = speech.copy_with(
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT,
            av_audio_session_category_options=AVAudioSessionCategoryOptions.MIX_WITH_OTHERS,
        )
        assert copy.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN_TRANSIENT
        assert copy.av_audio_session_category_options is (
            AVAudioSessionCategoryOptions.MIX_WITH_OTHERS
        )
        assert copy.av_audio_session_mode is AVAudioSessionMode.SPOKEN_AUDIO
        assert copy.android_will_pause_when_ducked is True

    def test_none_resets_an_optional_field(self) -> None:
        speech = AudioSessionConfiguration.speech()
        copy = speech.copy_with(
            android_will_pause_when_ducked=None,
            android_audio_attributes=None,
            av_audio_session_category=None,
        )
        assert copy.android_will_pause_when_ducked is None
        assert copy.android_audio_attributes is None
        assert copy.av_audio_session_category is None
        assert copy.av_audio_session_mode is AVAudioSessionMode.SPOKEN_AUDIO

    def test_validates_like_the_constructor(self) -> None:
        music = AudioSessionConfiguration.music()
        with pytest.raises(TypeError, match="cannot be None"):
            music.copy_with(android_audio_focus_gain_type=None)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="av_audio_session_mode"):
            music.copy_with(av_audio_session_mode=42)  # type: ignore[arg-type]


class TestJson:
    @pytest.mark.parametrize(
        "data",
        [FLUTTER_MUSIC, FLUTTER_SPEECH, FLUTTER_CUSTOM, FLUTTER_EVERYTHING],
        ids=["music", "speech", "custom", "everything"],
    )
    def test_flutter_json_loads_and_round_trips_unchanged(self, data: dict[str, Any]) -> None:
        config = AudioSessionConfiguration.from_json(data)
        assert config.to_json() == data
        assert json.loads(json.dumps(config.to_json())) == data

    def test_every_key_decodes_to_the_right_field(self) -> None:
        config = AudioSessionConfiguration.from_json(FLUTTER_EVERYTHING)
        options = AVAudioSessionCategoryOptions
        assert config == AudioSessionConfiguration(
            av_audio_session_category=AVAudioSessionCategory.MULTI_ROUTE,
            av_audio_session_category_options=(
                options.DUCK_OTHERS | options.INTERRUPT_SPOKEN_AUDIO_AND_MIX_WITH_OTHERS
            ),
            av_audio_session_mode=AVAudioSessionMode.VOICE_PROMPT,
            av_audio_session_route_sharing_policy=AVAudioSessionRouteSharingPolicy.LONG_FORM_VIDEO,
            av_audio_session_set_active_options=(
                AVAudioSessionSetActiveOptions.NOTIFY_OTHERS_ON_DEACTIVATION
            ),
            android_audio_attributes=AndroidAudioAttributes(
                content_type=AndroidAudioContentType.MOVIE,
                flags=AndroidAudioFlags.AUDIBILITY_ENFORCED,
                usage=AndroidAudioUsage.ASSISTANCE_NAVIGATION_GUIDANCE,
            ),
            android_audio_focus_gain_type=AndroidAudioFocusGainType.GAIN_TRANSIENT_EXCLUSIVE,
            android_will_pause_when_ducked=False,
        )

    def test_custom_readme_configuration(self) -> None:
        config = AudioSessionConfiguration.from_json(FLUTTER_CUSTOM)
        assert config.av_audio_session_category is AVAudioSessionCategory.PLAY_AND_RECORD
        assert config.av_audio_session_category_options is (
            AVAudioSessionCategoryOptions.ALLOW_BLUETOOTH
        )
        assert config.av_audio_session_route_sharing_policy is (
            AVAudioSessionRouteSharingPolicy.DEFAULT_POLICY
        )
        assert config.av_audio_session_set_active_options is AVAudioSessionSetActiveOptions.NONE
        assert config.android_audio_attributes is not None
        assert config.android_audio_attributes.usage is AndroidAudioUsage.VOICE_COMMUNICATION

    def test_to_json_always_writes_all_eight_keys(self) -> None:
        assert AudioSessionConfiguration().to_json() == {
            "avAudioSessionCategory": None,
            "avAudioSessionCategoryOptions": None,
            "avAudioSessionMode": None,
            "avAudioSessionRouteSharingPolicy": None,
            "avAudioSessionSetActiveOptions": None,
            "androidAudioAttributes": None,
            "androidAudioFocusGainType": 1,
            "androidWillPauseWhenDucked": None,
        }

    def test_json_values_are_plain_python_types(self) -> None:
        data = AudioSessionConfiguration.from_json(FLUTTER_EVERYTHING).to_json()
        assert type(data["avAudioSessionCategory"]) is str
        for key in (
            "avAudioSessionCategoryOptions",
            "avAudioSessionMode",
            "avAudioSessionRouteSharingPolicy",
            "avAudioSessionSetActiveOptions",
            "androidAudioFocusGainType",
        ):
            assert type(data[key]) is int, key
        assert all(type(v) is int for v in data["androidAudioAttributes"].values())

    def test_missing_keys_mean_unset(self) -> None:
        config = AudioSessionConfiguration.from_json({})
        assert config == AudioSessionConfiguration()
        partial = AudioSessionConfiguration.from_json({"androidAudioAttributes": {"usage": 14}})
        assert partial.android_audio_attributes == AndroidAudioAttributes(
            usage=AndroidAudioUsage.GAME
        )

    def test_unknown_keys_are_ignored(self) -> None:
        data = dict(FLUTTER_MUSIC, somethingNew=[1, 2])
        assert AudioSessionConfiguration.from_json(data) == AudioSessionConfiguration.music()

    def test_unknown_bits_survive_a_round_trip(self) -> None:
        data = dict(
            FLUTTER_MUSIC,
            avAudioSessionCategoryOptions=0x8081,
            avAudioSessionSetActiveOptions=0x3,
            androidAudioAttributes={"contentType": 2, "flags": 0x911, "usage": 1},
        )
        assert AudioSessionConfiguration.from_json(data).to_json() == data

    def test_unknown_enum_values_decode_to_defaults_and_are_logged(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        data = dict(
            FLUTTER_MUSIC,
            avAudioSessionCategory="AVAudioSessionCategoryFromTheFuture",
            avAudioSessionMode=99,
            avAudioSessionRouteSharingPolicy=7,
            androidAudioAttributes={"contentType": 42, "flags": 0, "usage": 77},
            androidAudioFocusGainType=9,
        )
        with caplog.at_level(logging.WARNING, logger="audio_session"):
            config = AudioSessionConfiguration.from_json(data)
        assert config.av_audio_session_category is AVAudioSessionCategory.SOLO_AMBIENT
        assert config.av_audio_session_mode is AVAudioSessionMode.DEFAULT_MODE
        assert config.av_audio_session_route_sharing_policy is (
            AVAudioSessionRouteSharingPolicy.DEFAULT_POLICY
        )
        assert config.android_audio_attributes == AndroidAudioAttributes(
            content_type=AndroidAudioContentType.UNKNOWN, usage=AndroidAudioUsage.UNKNOWN
        )
        assert config.android_audio_focus_gain_type is AndroidAudioFocusGainType.GAIN
        for key in (
            "avAudioSessionCategory",
            "avAudioSessionMode",
            "avAudioSessionRouteSharingPolicy",
            "contentType",
            "usage",
            "androidAudioFocusGainType",
        ):
            assert key in caplog.text

    @pytest.mark.parametrize(
        ("key", "value", "message"),
        [
            ("avAudioSessionCategory", 2, "avAudioSessionCategory: expected a string"),
            ("avAudioSessionCategoryOptions", "4", "avAudioSessionCategoryOptions: expected an"),
            ("avAudioSessionCategoryOptions", -4, "avAudioSessionCategoryOptions: expected a non"),
            ("avAudioSessionCategoryOptions", True, "avAudioSessionCategoryOptions"),
            ("avAudioSessionMode", 4.0, "avAudioSessionMode: expected an integer"),
            ("avAudioSessionRouteSharingPolicy", [0], "avAudioSessionRouteSharingPolicy"),
            ("avAudioSessionSetActiveOptions", "none", "avAudioSessionSetActiveOptions"),
            ("androidAudioAttributes", [2, 0, 1], "androidAudioAttributes: expected an object"),
            ("androidAudioAttributes", {"usage": "media"}, r"androidAudioAttributes\.usage"),
            ("androidAudioAttributes", {"flags": -1}, r"androidAudioAttributes\.flags"),
            ("androidAudioAttributes", {"contentType": 1.5}, r"androidAudioAttributes\.content"),
            ("androidAudioFocusGainType", "gain", "androidAudioFocusGainType: expected"),
            ("androidWillPauseWhenDucked", "yes", "androidWillPauseWhenDucked: expected a bool"),
            ("androidWillPauseWhenDucked", 1, "androidWillPauseWhenDucked"),
        ],
    )
    def test_malformed_values_raise_value_error_naming_the_key(
        self, key: str, value: object, message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            AudioSessionConfiguration.from_json(dict(FLUTTER_MUSIC, **{key: value}))

    @pytest.mark.parametrize("data", [None, [], "music", 1])
    def test_a_non_object_is_a_value_error(self, data: object) -> None:
        with pytest.raises(ValueError, match="expected an object"):
            AudioSessionConfiguration.from_json(data)  # type: ignore[arg-type]

    def test_attributes_json(self) -> None:
        attributes = AndroidAudioAttributes(
            content_type=AndroidAudioContentType.SONIFICATION,
            flags=AndroidAudioFlags.AUDIBILITY_ENFORCED,
            usage=AndroidAudioUsage.ALARM,
        )
        assert attributes.to_json() == {"contentType": 4, "flags": 1, "usage": 4}
        assert AndroidAudioAttributes.from_json(attributes.to_json()) == attributes
        assert AndroidAudioAttributes.from_json({}) == AndroidAudioAttributes()
        with pytest.raises(ValueError, match=r"^contentType: expected an integer"):
            AndroidAudioAttributes.from_json({"usage": None, "contentType": "x"})
        with pytest.raises(ValueError, match="expected an object"):
            AndroidAudioAttributes.from_json([1, 2, 3])  # type: ignore[arg-type]


_enum_or_none = st.none().__or__


@given(
    category=_enum_or_none(st.sampled_from(AVAudioSessionCategory)),
    options=_enum_or_none(st.integers(0, 0xFFFF).map(AVAudioSessionCategoryOptions)),
    mode=_enum_or_none(st.sampled_from(AVAudioSessionMode)),
    policy=_enum_or_none(st.sampled_from(AVAudioSessionRouteSharingPolicy)),
    set_active=_enum_or_none(st.integers(0, 3).map(AVAudioSessionSetActiveOptions)),
    attributes=_enum_or_none(
        st.builds(
            AndroidAudioAttributes,
            content_type=st.sampled_from(AndroidAudioContentType),
            flags=st.integers(0, 0xFFF).map(AndroidAudioFlags),
            usage=st.sampled_from(AndroidAudioUsage),
        )
    ),
    gain=st.sampled_from(AndroidAudioFocusGainType),
    pause=st.none() | st.booleans(),
)
def test_any_configuration_round_trips_through_json(
    category: AVAudioSessionCategory | None,
    options: AVAudioSessionCategoryOptions | None,
    mode: AVAudioSessionMode | None,
    policy: AVAudioSessionRouteSharingPolicy | None,
    set_active: AVAudioSessionSetActiveOptions | None,
    attributes: AndroidAudioAttributes | None,
    gain: AndroidAudioFocusGainType,
    pause: bool | None,
) -> None:
    config = AudioSessionConfiguration(
        av_audio_session_category=category,
        av_audio_session_category_options=options,
        av_audio_session_mode=mode,
        av_audio_session_route_sharing_policy=policy,
        av_audio_session_set_active_options=set_active,
        android_audio_attributes=attributes,
        android_audio_focus_gain_type=gain,
        android_will_pause_when_ducked=pause,
    )
    data = json.loads(json.dumps(config.to_json()))
    assert AudioSessionConfiguration.from_json(data) == config
    assert AudioSessionConfiguration.from_json(data).to_json() == data
