"""AudioSession.set_active takes, shares and returns focus with other apps on the bus."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from linux_support import FAST_BACKOFF

from audio_session import (
    AudioInterruptionEvent,
    AudioInterruptionType,
    AudioSession,
    AudioSessionConfiguration,
)
from audio_session._linux import LinuxBackend
from audio_session.testing import AudioRig

PAUSE, DUCK, UNKNOWN = (
    AudioInterruptionType.PAUSE,
    AudioInterruptionType.DUCK,
    AudioInterruptionType.UNKNOWN,
)

pytestmark = pytest.mark.audio_server("pulseaudio")
MakeApp = Callable[[AudioSessionConfiguration], Awaitable["App"]]


class App:
    """One app: an audio session on the Linux backend, and what it was told."""

    def __init__(self, session: AudioSession) -> None:
        self.session = session
        self.events: list[tuple[bool, AudioInterruptionType]] = []
        session.interruption_event_stream.listen(self._record)

    def _record(self, event: AudioInterruptionEvent) -> None:
        self.events.append((event.begin, event.type))

    async def told(self, *expected: tuple[bool, AudioInterruptionType]) -> None:
        for _ in range(200):
            if self.events == list(expected):
                return
            await asyncio.sleep(0.01)
        assert self.events == list(expected)


@pytest.fixture
async def app(
    audio_rig: AudioRig,
) -> AsyncIterator[MakeApp]:
    sessions: list[AudioSession] = []

    async def make(configuration: AudioSessionConfiguration) -> App:
        session = await AudioSession.create(LinuxBackend(backoff=FAST_BACKOFF))
        sessions.append(session)
        await session.configure(configuration)
        return App(session)

    yield make
    # Last in, first out: each backend restores the environment it found.
    for session in reversed(sessions):
        await session.close()


async def test_a_prompt_ducks_music_and_pauses_speech_then_hands_focus_back(
    app: MakeApp,
) -> None:
    music = await app(AudioSessionConfiguration.music())
    assert await music.session.set_active(True)
    prompt = await app(AudioSessionConfiguration.navigation())
    assert await prompt.session.set_active(True)
    await music.told((True, DUCK))
    assert await prompt.session.set_active(False)
    await music.told((True, DUCK), (False, DUCK))

    podcast = await app(AudioSessionConfiguration.speech())
    assert await podcast.session.set_active(True)  # takes focus for good from music
    await music.told((True, DUCK), (False, DUCK), (True, UNKNOWN))
    assert not music.session.is_active
    assert await prompt.session.set_active(True)
    await podcast.told((True, PAUSE))  # speech pauses when it would be ducked
    assert await prompt.session.set_active(False)
    await podcast.told((True, PAUSE), (False, PAUSE))


async def test_a_call_pauses_playback_and_denies_other_requests_until_it_ends(
    app: MakeApp,
) -> None:
    music = await app(AudioSessionConfiguration.music())
    assert await music.session.set_active(True)
    call = await app(AudioSessionConfiguration.voice_communication())
    assert await call.session.set_active(True)
    await music.told((True, PAUSE))

    prompt = await app(AudioSessionConfiguration.navigation())
    assert not await prompt.session.set_active(True), "no prompt over a call"
    assert not prompt.session.is_active

    assert await call.session.set_active(False)
    await music.told((True, PAUSE), (False, PAUSE))
    assert music.session.is_active


async def test_the_focus_command_prints_the_stack_holder_first(
    app: MakeApp, audio_rig: AudioRig
) -> None:
    command = ("python", "-m", "audio_service.cli", "focus", "--json")
    empty = await audio_rig.bus.run(*_python(command))
    assert json.loads(empty.stdout) == []

    music = await app(AudioSessionConfiguration.music())
    assert await music.session.set_active(True)
    prompt = await app(AudioSessionConfiguration.navigation())
    assert await prompt.session.set_active(True)
    await music.told((True, DUCK))

    stack = json.loads((await audio_rig.bus.run(*_python(command))).stdout)
    assert [(e["focus"], e["gain_type"], e["usage"]) for e in stack] == [
        ("gain", "gain_transient_may_duck", "assistance_navigation_guidance"),
        ("loss_transient_can_duck", "gain", "media"),
    ]
    text = (await audio_rig.bus.run(*_python(command[:-1]))).stdout
    assert text.splitlines()[0].startswith("gain ")


def _python(command: tuple[str, ...]) -> tuple[str, ...]:
    return (sys.executable, *command[1:])
