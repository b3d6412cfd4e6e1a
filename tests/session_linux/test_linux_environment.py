"""The configuration becomes the role (and our token) of every stream the process opens."""

from __future__ import annotations

import asyncio
import os
import wave
from pathlib import Path

import pytest
from linux_support import PAUSE, Harness, Recorder, begin, end

from audio_session import (
    ActivationRequest,
    AndroidAudioAttributes,
    AndroidAudioUsage,
    AudioSessionConfiguration,
)
from audio_session._linux import TOKEN_PROPERTY, LinuxBackend
from audio_session.testing import AudioRig


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_PROP", raising=False)
    monkeypatch.delenv("PIPEWIRE_PROPS", raising=False)


@pytest.mark.usefixtures("clean_environment")
async def test_roles_and_token_go_into_the_environment_and_leave_on_close(
    audio_rig: AudioRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_PROP", "application.id=org.example.Player")
    backend = LinuxBackend()
    await backend.open(Recorder())
    token = backend.own_streams.token
    try:
        await backend.apply_configuration(AudioSessionConfiguration.movie())
        assert os.environ["PULSE_PROP"] == (
            f"application.id=org.example.Player media.role=video {TOKEN_PROPERTY}={token}"
        )
        assert os.environ["PIPEWIRE_PROPS"] == f"{{ media.role=Movie {TOKEN_PROPERTY}={token} }}"
        # A new configuration replaces our role, keeps the user's properties.
        await backend.apply_configuration(AudioSessionConfiguration.voice_communication())
        assert os.environ["PULSE_PROP"] == (
            f"application.id=org.example.Player media.role=phone {TOKEN_PROPERTY}={token}"
        )
        # Activation uses the effective attributes (the per-call override).
        request = ActivationRequest.resolve(
            AudioSessionConfiguration.music(),
            android_audio_attributes=AndroidAudioAttributes(
                usage=AndroidAudioUsage.ASSISTANCE_NAVIGATION_GUIDANCE
            ),
        )
        assert await backend.activate(request)
        assert "media.role=Navigation" in os.environ["PIPEWIRE_PROPS"]
        assert "media.role=event" in os.environ["PULSE_PROP"]
    finally:
        await backend.close()
    assert os.environ["PULSE_PROP"] == "application.id=org.example.Player"
    assert "PIPEWIRE_PROPS" not in os.environ


@pytest.mark.usefixtures("clean_environment")
async def test_a_role_the_user_chose_is_kept(
    audio_rig: AudioRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_PROP", "media.role=game")
    backend = LinuxBackend()
    await backend.open(Recorder())
    try:
        await backend.apply_configuration(AudioSessionConfiguration.music())
        assert os.environ["PULSE_PROP"] == f"media.role=game {backend.own_streams.pulse_property}"
    finally:
        await backend.close()
    assert os.environ["PULSE_PROP"] == "media.role=game"


@pytest.mark.usefixtures("clean_environment")
async def test_child_inherits_role_and_token(linux: Harness) -> None:
    await linux.backend.apply_configuration(AudioSessionConfiguration.movie())
    stream = await linux.own_stream(env=dict(os.environ), new_session=True)
    assert stream.role == "video"
    assert stream.properties[TOKEN_PROPERTY] == linux.backend.own_streams.token


def _silence(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))
    return path


@pytest.mark.audio_server("pipewire")
@pytest.mark.usefixtures("clean_environment")
async def test_native_pipewire_child_is_ours_through_pipewire_props(
    linux: Harness, tmp_path: Path
) -> None:
    await linux.activate(AudioSessionConfiguration.voice_communication())
    env = {**os.environ, **linux.server.env, "PIPEWIRE_PROPS": os.environ["PIPEWIRE_PROPS"]}
    player = await asyncio.create_subprocess_exec(
        "pw-play",
        str(_silence(tmp_path / "silence.wav", 30)),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    linux.children.append(player)
    token = linux.backend.own_streams.token
    for _ in range(500):
        found = [
            s for s in await linux.server.sink_inputs() if s.properties.get(TOKEN_PROPERTY) == token
        ]
        if found:
            break
        await asyncio.sleep(0.01)
    assert found, "pw-play's stream did not show up with our token"
    # pipewire-pulse shows the native role under its PulseAudio name.
    assert found[0].role in ("phone", "Communication")
    await linux.barrier()
    assert linux.events == [], "our own call-role stream must not interrupt us"
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    call.stop()
    await linux.recorder.wait_event(end(PAUSE))
