"""AudioSession.set_active takes, shares and returns focus with other apps on the bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusStr
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property
from linux_support import FAST_BACKOFF

from audio_session import (
    AudioInterruptionEvent,
    AudioInterruptionType,
    AudioSession,
    AudioSessionConfiguration,
)
from audio_session._linux import LinuxBackend
from audio_session.testing import AudioRig, wait_until

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
        with contextlib.suppress(AssertionError):  # the assertion below shows the difference
            await wait_until(lambda: self.events == list(expected), f"{expected}", 2)
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


async def _foreign_player(audio_rig: AudioRig, name: str) -> asyncio.subprocess.Process:
    player = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("mpris_player.py")),
        name,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=audio_rig.env,
        start_new_session=True,  # another app, not a child that stays in our session
    )
    assert player.stdout is not None
    assert (await asyncio.wait_for(player.stdout.readline(), 10)).strip() == b"READY"
    return player


async def _set_status(player: asyncio.subprocess.Process, status: str) -> None:
    assert player.stdin is not None
    assert player.stdout is not None
    player.stdin.write(f"{status}\n".encode())
    await player.stdin.drain()
    assert (
        await asyncio.wait_for(player.stdout.readline(), 10)
    ).strip() == f"SET {status}".encode()


@pytest.mark.parametrize("opted_in", [True, False])
async def test_another_mpris_player_starting_takes_media_focus_only_when_opted_in(
    audio_rig: AudioRig, opted_in: bool
) -> None:
    backend = LinuxBackend(backoff=FAST_BACKOFF, yield_to_other_players=opted_in)
    session = await AudioSession.create(backend)
    player = await _foreign_player(audio_rig, "rigforeign")
    try:
        app = App(session)
        await session.configure(AudioSessionConfiguration.music())
        assert await session.set_active(True)
        await _set_status(player, "Playing")
        if opted_in:
            await app.told((True, UNKNOWN))
            assert not session.is_active
        else:
            assert backend._players is None  # nobody watches other players: none can take focus
            assert app.events == []
            assert session.is_active
    finally:
        player.kill()
        await player.wait()
        await session.close()


async def test_a_player_of_our_own_process_never_takes_focus_from_us(
    audio_rig: AudioRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="audio_session.linux")
    backend = LinuxBackend(backoff=FAST_BACKOFF, yield_to_other_players=True)
    session = await AudioSession.create(backend)
    bus = await MessageBus(bus_address=audio_rig.bus.address).connect()
    foreign: asyncio.subprocess.Process | None = None
    try:
        app = App(session)
        await session.configure(AudioSessionConfiguration.music())
        assert await session.set_active(True)
        own = _OwnPlayer()
        bus.export("/org/mpris/MediaPlayer2", own)
        await bus.request_name("org.mpris.MediaPlayer2.rigown")
        own.emit_properties_changed({"PlaybackStatus": "Playing"})
        # Then another app's player plays: the watcher sees it after ours (one connection,
        # in order), so when focus is taken, it is that player that took it, not ours.
        foreign = await _foreign_player(audio_rig, "rigforeign")
        await _set_status(foreign, "Playing")
        await app.told((True, UNKNOWN))
        yielded = [
            r.getMessage() for r in caplog.records if "yielding audio focus" in r.getMessage()
        ]
        assert yielded == [
            "the media player org.mpris.MediaPlayer2.rigforeign started playing: "
            "yielding audio focus"
        ]
    finally:
        if foreign is not None:
            foreign.kill()
            await foreign.wait()
        bus.disconnect()
        await session.close()


class _OwnPlayer(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.mpris.MediaPlayer2.Player")

    @dbus_property(access=PropertyAccess.READ)
    def PlaybackStatus(self) -> DBusStr:
        return "Playing"
