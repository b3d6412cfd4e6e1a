"""Custom actions of the ready-made players: a misspelled name is an error that helps."""

from __future__ import annotations

import pytest
from player_support import Rig, engine_for, tracks

from audio_service import AudioServiceBackground, BackgroundAudioTask, TaskError
from audio_service.players import QueuePlayerTask
from audio_service.players.tts import ReaderTask

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


async def test_an_unknown_action_names_the_known_ones(rig: Rig) -> None:
    items = tracks(2)
    await rig.start(QueuePlayerTask(engine_for(items), session=rig.session), {"queue": items})
    with pytest.raises(ValueError, match=r"unknown custom action 'read_artcle'.*knows: none"):
        await rig.client.custom_action("read_artcle", {"text": "x"})
    # Still the task's error, with where it was raised.
    with pytest.raises(TaskError) as raised:
        await rig.client.custom_action("read_artcle")
    assert "on_custom_action" in raised.value.remote_traceback
    assert rig.client.running


def test_the_reader_lists_read_article() -> None:
    assert ReaderTask.custom_action_names == ("read_article",)
