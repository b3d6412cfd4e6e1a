"""Interruptions from real streams on real servers (PulseAudio and PipeWire)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

import pytest
from linux_support import DUCK, PAUSE, UNKNOWN, Harness, begin, end

from audio_session import AudioSessionConfiguration
from audio_session._linux import InterruptionPolicy, PolicyAction, RoleClass
from audio_session._linux._ours import TOKEN_PROPERTY

MakeLinux = Callable[..., Awaitable[Harness]]


async def test_foreign_phone_stream_pauses_and_resumes(linux: Harness) -> None:
    await linux.activate()
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    call.stop()
    await linux.recorder.wait_event(end(PAUSE))
    await linux.barrier()
    assert linux.events == [begin(PAUSE), end(PAUSE)]


@pytest.mark.parametrize(("pause_when_ducked", "kind"), [(None, DUCK), (True, PAUSE)])
async def test_foreign_notification_ducks_or_pauses_when_asked(
    linux: Harness, pause_when_ducked: bool | None, kind: object
) -> None:
    await linux.activate(pause_when_ducked=pause_when_ducked)
    ding = await linux.server.play("event")
    await linux.recorder.wait_event(begin(kind))  # type: ignore[arg-type]
    ding.stop()
    await linux.recorder.wait_event(end(kind))  # type: ignore[arg-type]
    assert linux.events == [begin(kind), end(kind)]  # type: ignore[arg-type]


async def test_speech_preset_pauses_for_prompts(linux: Harness) -> None:
    # speech() sets will-pause-when-ducked: a navigation prompt pauses a podcast.
    await linux.activate(AudioSessionConfiguration.speech())
    prompt = await linux.server.play("Navigation")
    await linux.recorder.wait_event(begin(PAUSE))
    prompt.stop()
    await linux.recorder.wait_event(end(PAUSE))


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        ("Communication", PAUSE),
        ("Notification", DUCK),
        ("a11y", DUCK),
        ("Accessibility", DUCK),
        ("Assistant", DUCK),
        ("alarm", PAUSE),
    ],
)
async def test_pipewire_role_names_map_to_the_same_classes(
    linux: Harness, role: str, kind: object
) -> None:
    await linux.activate()
    other = await linux.server.play(role)
    await linux.recorder.wait_event(begin(kind))  # type: ignore[arg-type]
    other.stop()
    await linux.recorder.wait_event(end(kind))  # type: ignore[arg-type]


async def test_duck_escalates_to_pause_and_ends_once(linux: Harness) -> None:
    await linux.activate()
    ding = await linux.server.play("event")
    await linux.recorder.wait_event(begin(DUCK))
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    # A second notification while paused changes nothing.
    second = await linux.server.play("event")
    call.stop()
    await linux.barrier()
    assert linux.events == [begin(DUCK), begin(PAUSE)]
    ding.stop()
    second.stop()
    await linux.recorder.wait_event(end(PAUSE))
    await linux.barrier()
    assert linux.events == [begin(DUCK), begin(PAUSE), end(PAUSE)]


async def test_other_media_is_ignored_by_default(linux: Harness) -> None:
    await linux.activate()
    music = await linux.server.play("music")
    no_role = await linux.server.play(None)
    await linux.barrier()
    music.stop()
    no_role.stop()
    assert linux.events == []


async def test_other_media_is_a_permanent_loss_when_opted_in(make_linux: MakeLinux) -> None:
    linux = await make_linux(policy=InterruptionPolicy(actions={RoleClass.MEDIA: "stop"}))
    await linux.activate()
    movie = await linux.server.play("video")
    await linux.recorder.wait_event(("lost", None))
    movie.stop()
    call = await linux.server.play("phone")
    await linux.barrier()
    call.stop()
    # Begin(unknown), then the activation is over: no end, nothing after it.
    assert linux.events == [begin(UNKNOWN), ("lost", None)]


async def test_nothing_is_reported_while_inactive(linux: Harness) -> None:
    call = await linux.server.play("phone")
    ding = await linux.server.play("event")
    await linux.barrier()
    call.stop()
    ding.stop()
    await linux.barrier()
    assert linux.events == []


async def test_streams_playing_before_activation_do_not_interrupt(linux: Harness) -> None:
    ongoing = await linux.server.play("phone")
    await linux.playing(ongoing)
    await linux.activate()
    await linux.barrier()
    assert linux.events == []
    # A call that starts after activation does.
    second = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    second.stop()
    ongoing.stop()
    await linux.recorder.wait_event(end(PAUSE))


async def test_deactivating_drops_the_interruption_silently(linux: Harness) -> None:
    request = await linux.activate()
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    assert await linux.backend.deactivate(request)
    call.stop()
    await linux.barrier()
    assert linux.events == [begin(PAUSE)]
    # Activating again starts from a clean slate.
    await linux.activate()
    again = await linux.server.play("phone")
    await linux.recorder.wait_for(lambda events: events.count(begin(PAUSE)) == 2)
    again.stop()
    await linux.recorder.wait_event(end(PAUSE))


async def test_our_child_process_streams_never_interrupt_us(linux: Harness) -> None:
    await linux.activate()
    # A child in our session, started with a clean environment: ours by ancestry.
    by_pid = await linux.own_stream("phone")
    assert TOKEN_PROPERTY not in by_pid.properties
    # A detached child (own session) that inherited our environment: ours by token.
    await linux.backend.apply_configuration(AudioSessionConfiguration.voice_communication())
    by_token = await linux.own_stream(env=dict(os.environ), new_session=True)
    assert by_token.properties[TOKEN_PROPERTY] == linux.backend.own_streams.token
    assert by_token.role == "phone", "PULSE_PROP gives children the configured role"
    await linux.barrier()
    assert linux.events == []
    # Control: the same role from another application does interrupt.
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    call.stop()
    await linux.recorder.wait_event(end(PAUSE))


@pytest.mark.audio_server("pulseaudio")
async def test_role_cork_of_our_stream_is_a_pause(make_linux: MakeLinux) -> None:
    # The policy ignores calls, so only the server corking our stream can report it.
    policy = InterruptionPolicy(actions={RoleClass.COMMUNICATION: PolicyAction.IGNORE})
    linux = await make_linux(policy=policy)
    await linux.activate()
    ours = await linux.own_stream("music")
    await linux.barrier()
    assert linux.events == []
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    corked = [s for s in await linux.server.sink_inputs() if s.index == ours.index]
    assert corked[0].mute, "module-role-cork mutes the stream it corks"
    call.stop()
    await linux.recorder.wait_event(end(PAUSE))
    await linux.barrier()
    assert linux.events == [begin(PAUSE), end(PAUSE)]


@pytest.mark.audio_server("pulseaudio")
async def test_call_that_also_corks_our_stream_is_one_interruption(linux: Harness) -> None:
    await linux.activate()
    await linux.own_stream("music")
    call = await linux.server.play("phone")
    await linux.recorder.wait_event(begin(PAUSE))
    call.stop()
    await linux.recorder.wait_event(end(PAUSE))
    await linux.barrier()
    assert linux.events == [begin(PAUSE), end(PAUSE)]


@pytest.mark.audio_server("pulseaudio")
async def test_our_stream_muted_without_another_stream_is_not_an_interruption(
    linux: Harness,
) -> None:
    await linux.activate()
    ours = await linux.own_stream("music")
    await linux.server.pactl("set-sink-input-mute", str(ours.index), "1")
    await linux.barrier()
    assert linux.events == []
