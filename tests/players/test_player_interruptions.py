"""QueuePlayerTask and the audio session: interruptions, ducking, becoming noisy."""

from __future__ import annotations

import asyncio
import math

import pytest
from player_support import Rig, engine_for, tracks

from audio_service import AudioServiceBackground, BackgroundAudioTask
from audio_service.players import InterruptionOptions, MemoryEngine, QueuePlayerTask
from audio_session import AudioInterruptionEvent, AudioInterruptionType
from audio_session.testing import wait_until

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


PAUSE = AudioInterruptionType.PAUSE
DUCK = AudioInterruptionType.DUCK
UNKNOWN = AudioInterruptionType.UNKNOWN


async def playing(
    rig: Rig, task_class: type[QueuePlayerTask] = QueuePlayerTask, **options: object
) -> tuple[QueuePlayerTask, MemoryEngine]:
    items = tracks(2)
    engine = engine_for(items)
    task = task_class(engine, session=rig.session, **options)  # type: ignore[arg-type]
    await rig.start(task, {"queue": items})
    await rig.client.play()
    assert engine.playing
    return task, engine


async def settle_events() -> None:
    # Session events reach the player through a listener task; give it a few turns.
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_pause_interruption_pauses_and_resumes(rig: Rig) -> None:
    _, engine = await playing(rig)
    rig.backend.interrupt(PAUSE)
    await wait_until(lambda: not engine.playing, "the player to pause")
    assert not rig.client.playback_state.playing
    rig.backend.end_interruption(PAUSE)
    await wait_until(lambda: engine.playing, "the player to resume")
    assert rig.client.playback_state.playing


async def test_no_resume_when_the_user_paused_meanwhile(rig: Rig) -> None:
    _, engine = await playing(rig)
    rig.backend.interrupt(PAUSE)
    await wait_until(lambda: not engine.playing, "the player to pause")
    await rig.client.pause()
    rig.backend.end_interruption(PAUSE)
    await settle_events()
    assert not engine.playing
    assert not rig.client.playback_state.playing


async def test_no_resume_when_it_was_not_playing(rig: Rig) -> None:
    _, engine = await playing(rig)
    await rig.client.pause()
    rig.backend.interrupt(PAUSE)
    rig.backend.end_interruption(PAUSE)
    await settle_events()
    assert not engine.playing


async def test_an_unknown_interruption_pauses_for_good(rig: Rig) -> None:
    _, engine = await playing(rig)
    rig.backend.interrupt(UNKNOWN)
    await wait_until(lambda: not engine.playing, "the player to pause")
    rig.backend.end_interruption(UNKNOWN)
    await settle_events()
    assert not engine.playing


async def test_an_unknown_begin_with_a_resumable_end_resumes(rig: Rig) -> None:
    # iOS reports every interruption as unknown, and says at the end whether to resume.
    _, engine = await playing(rig)
    rig.backend.interrupt(UNKNOWN)
    await wait_until(lambda: not engine.playing, "the player to pause")
    rig.backend.end_interruption(PAUSE)
    await wait_until(lambda: engine.playing, "the player to resume")


async def test_losing_the_activation_pauses_and_play_activates_again(rig: Rig) -> None:
    _, engine = await playing(rig)
    rig.backend.lose_activation()
    await wait_until(lambda: not engine.playing, "the player to pause")
    assert not rig.session.is_active
    await rig.client.play()
    assert engine.playing
    assert rig.session.is_active


async def test_ducking_lowers_and_restores_the_users_volume(rig: Rig) -> None:
    _, engine = await playing(rig)
    await rig.client.set_volume(0.8)
    assert engine.volume == 0.8
    rig.backend.interrupt(DUCK)
    await wait_until(lambda: math.isclose(engine.volume, 0.8 * 0.3), "the volume to duck")
    assert engine.playing  # ducking does not pause
    await rig.client.set_volume(0.5)  # the user's choice is the new target
    assert math.isclose(engine.volume, 0.5 * 0.3)
    rig.backend.end_interruption(DUCK)
    await wait_until(lambda: engine.volume == 0.5, "the volume to come back")


async def test_becoming_noisy_pauses_without_resuming(rig: Rig) -> None:
    _, engine = await playing(rig)
    rig.backend.become_noisy()
    await wait_until(lambda: not engine.playing, "the player to pause")
    rig.backend.end_interruption(PAUSE)
    await settle_events()
    assert not engine.playing


async def test_handle_interruptions_false_ignores_everything(rig: Rig) -> None:
    _, engine = await playing(rig, handle_interruptions=False)
    rig.backend.interrupt(PAUSE)
    rig.backend.interrupt(DUCK)
    rig.backend.become_noisy()
    await settle_events()
    assert engine.playing
    assert engine.volume == 1.0


async def test_options_switch_single_reactions_off(rig: Rig) -> None:
    options = InterruptionOptions(
        duck=False, pause_when_noisy=False, resume_after_interruption=False
    )
    _, engine = await playing(rig, interruptions=options)
    rig.backend.interrupt(DUCK)
    rig.backend.become_noisy()
    await settle_events()
    assert engine.playing
    assert engine.volume == 1.0
    rig.backend.interrupt(PAUSE)
    await wait_until(lambda: not engine.playing, "the player to pause")
    rig.backend.end_interruption(PAUSE)
    await settle_events()
    assert not engine.playing


async def test_a_custom_duck_volume(rig: Rig) -> None:
    _, engine = await playing(rig, interruptions=InterruptionOptions(duck_volume=0.5))
    rig.backend.interrupt(DUCK)
    await wait_until(lambda: engine.volume == 0.5, "the volume to duck")


class TakesOver(QueuePlayerTask):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.events: list[object] = []

    async def on_interruption(self, event: AudioInterruptionEvent) -> None:
        self.events.append(event)

    async def on_becoming_noisy(self) -> None:
        self.events.append("noisy")


async def test_a_subclass_can_take_over(rig: Rig) -> None:
    task, engine = await playing(rig, TakesOver)
    rig.backend.interrupt(PAUSE)
    rig.backend.become_noisy()
    await wait_until(lambda: len(task.events) == 2, "the events to arrive")  # type: ignore[attr-defined]
    assert task.events == [AudioInterruptionEvent(True, PAUSE), "noisy"]  # type: ignore[attr-defined]
    assert engine.playing


async def test_stopping_ends_the_subscriptions(rig: Rig) -> None:
    task, _engine = await playing(rig, TakesOver)
    await rig.client.stop()
    assert not rig.session.is_active
    assert task._glue.subscriptions == []


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="duck_volume"):
        InterruptionOptions(duck_volume=1.5)
    with pytest.raises(ValueError, match="duck_volume"):
        InterruptionOptions(duck_volume=math.nan)
    with pytest.raises(TypeError, match="duck"):
        InterruptionOptions(duck="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="interruptions"):
        QueuePlayerTask(MemoryEngine(), interruptions={"duck": False})  # type: ignore[arg-type]
