"""ReaderTask over a MemoryEngine, with the real espeak-ng, in an in-process service."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from player_support import Rig

from audio_service import (
    AudioProcessingState,
    AudioServiceBackground,
    AudioServiceClient,
    BackgroundAudioTask,
    MediaItem,
    TaskError,
)
from audio_service.players import MemoryEngine
from audio_service.players._speech import estimate_duration, wav_duration
from audio_service.players.tts import EspeakSynthesizer, ReaderTask
from audio_session import AudioSessionConfiguration
from audio_session.testing import wait_until

ESPEAK = shutil.which("espeak-ng")
pytestmark = pytest.mark.skipif(ESPEAK is None, reason="needs espeak-ng")

TASKS: list[BackgroundAudioTask] = []


def entrypoint() -> None:
    AudioServiceBackground.run(TASKS.pop)


ARTICLE = (
    "Reading aloud.\n\n"
    "Dr. Jones measured 3.5 litres of rain. Was it enough? Nobody knew! "
    "The end is near... Indeed."
)
SENTENCES = [
    "Reading aloud.",
    "Dr. Jones measured 3.5 litres of rain.",
    "Was it enough?",
    "Nobody knew!",
    "The end is near...",
    "Indeed.",
]


class WavEngine(MemoryEngine):
    """A MemoryEngine whose sources last what their WAV files last, on a clock that
    stands still, so items end only when a test says so (``finish``)."""

    def __init__(self) -> None:
        super().__init__(clock=lambda: 0.0)

    def duration_of(self, source: str) -> timedelta | None:
        return wav_duration(source)


def text_of(item: MediaItem | None) -> str:
    assert item is not None
    assert item.extras is not None
    text = item.extras["text"]
    assert isinstance(text, str)
    return text


@pytest.fixture
def synth(tmp_path: Path) -> EspeakSynthesizer:
    return EspeakSynthesizer(cache_dir=tmp_path / "speech", words_per_minute=220)


async def start_reader(
    rig: Rig, synth: EspeakSynthesizer
) -> tuple[AudioServiceClient, ReaderTask, WavEngine]:
    engine = WavEngine()
    task = ReaderTask(engine, synthesizer=synth, session=rig.session)
    client = await rig.start(task)
    return client, task, engine


def preloaded(engine: MemoryEngine, synth: EspeakSynthesizer, text: str) -> bool:
    path = synth.cached(text)
    return path is not None and engine.preloaded == str(path)


def source_of(synth: EspeakSynthesizer, text: str) -> str:
    path = synth.cached(text)
    assert path is not None, f"{text!r} is not rendered"
    return str(path)


async def test_reads_an_article_sentence_by_sentence(rig: Rig, synth: EspeakSynthesizer) -> None:
    client, task, engine = await start_reader(rig, synth)
    assert rig.session.configuration == AudioSessionConfiguration.speech()

    result = await client.custom_action("read_article", {"text": ARTICLE, "title": "Rain"})
    assert result["items"] == len(SENTENCES)
    assert [text_of(item) for item in client.queue] == SENTENCES
    assert client.queue[0].id == f"{result['article_id']}#0"
    assert client.queue[0].title == "Rain"

    # The first sentence plays from its rendered WAV; the second is preloaded.
    assert engine.source == source_of(synth, SENTENCES[0])
    assert engine.playing
    await wait_until(
        lambda: preloaded(engine, synth, SENTENCES[1]), "the second sentence preloaded"
    )
    assert engine.preloaded == source_of(synth, SENTENCES[1])
    state = client.playback_state
    assert state.playing
    assert state.processing_state is AudioProcessingState.READY
    # Rendered items carry their real duration; the rest keep the estimate.
    first = client.queue[0]
    assert first.duration == wav_duration(source_of(synth, SENTENCES[0]))
    await wait_until(
        lambda: client.queue[1].duration == wav_duration(source_of(synth, SENTENCES[1])),
        "the real duration of the rendered-ahead item",
    )
    assert client.queue[1].duration != estimate_duration(SENTENCES[1], 220)
    assert client.queue[5].duration == estimate_duration(SENTENCES[5], 220)
    assert client.current_media_item == first
    assert client.current_media_item.duration == first.duration

    # The sentence ends: the preloaded one plays on, gaplessly, and the next is rendered.
    engine.finish()
    await wait_until(lambda: client.playback_state.queue_index == 1, "the second sentence")
    assert engine.source == source_of(synth, SENTENCES[1])
    assert engine.methods().count("load") == 1
    await wait_until(lambda: preloaded(engine, synth, SENTENCES[2]), "the third sentence preloaded")
    assert task.queue_index == 1


async def test_skip_pause_speed_and_jump(rig: Rig, synth: EspeakSynthesizer) -> None:
    client, _task, engine = await start_reader(rig, synth)
    await client.custom_action("read_article", {"text": ARTICLE, "title": "Rain"})

    await client.pause()
    assert not engine.playing
    assert engine.source == source_of(synth, SENTENCES[0])
    await client.play()
    assert engine.playing

    await client.skip_to_next()
    assert engine.source == source_of(synth, SENTENCES[1])
    assert client.playback_state.queue_index == 1
    await client.skip_to_queue_item(client.queue[4].id)
    assert engine.source == source_of(synth, SENTENCES[4])
    await client.skip_to_previous()
    assert engine.source == source_of(synth, SENTENCES[3])
    assert client.current_media_item == client.queue[3]

    await client.set_speed(1.5)
    assert engine.speed == 1.5
    assert client.playback_state.speed == 1.5
    with pytest.raises(TaskError, match="speed"):
        await client.set_speed(0)

    # Seeking moves within the sentence.
    duration = client.queue[3].duration
    assert duration is not None
    await client.seek_to(duration / 2)
    assert engine.position() == duration / 2
    assert engine.source == source_of(synth, SENTENCES[3])


async def test_read_by_paragraph_without_playing(rig: Rig, synth: EspeakSynthesizer) -> None:
    client, task, engine = await start_reader(rig, synth)
    items = await task.read_article(ARTICLE, title="Rain", by="paragraph", play=False)
    assert [text_of(item) for item in items] == [
        "Reading aloud.",
        " ".join(SENTENCES[1:]),
    ]
    assert engine.source == source_of(synth, "Reading aloud.")
    assert not engine.playing
    assert not client.playback_state.playing


async def test_a_new_article_replaces_the_one_being_read(
    rig: Rig, synth: EspeakSynthesizer
) -> None:
    client, _task, engine = await start_reader(rig, synth)
    await client.custom_action("read_article", {"text": ARTICLE, "title": "Rain"})
    await client.skip_to_next()
    result = await client.custom_action(
        "read_article", {"text": "Breaking news. More later.", "title": "News", "by": "sentence"}
    )
    assert result["items"] == 2
    assert [text_of(item) for item in client.queue] == ["Breaking news.", "More later."]
    assert client.playback_state.queue_index == 0
    assert client.playback_state.playing
    assert engine.source == source_of(synth, "Breaking news.")
    assert engine.playing


async def test_an_item_without_text_is_spoken_from_its_title(
    rig: Rig, synth: EspeakSynthesizer
) -> None:
    client, _task, engine = await start_reader(rig, synth)
    await client.add_queue_item(MediaItem(id="note", title="Remember the milk"))
    await client.play()
    assert engine.source == source_of(synth, "Remember the milk")
    assert client.current_media_item is not None
    assert client.current_media_item.duration == wav_duration(engine.source)


async def test_espeak_failing_is_an_error_state_with_its_message(rig: Rig, tmp_path: Path) -> None:
    broken = EspeakSynthesizer(voice="xx-no-such-voice", cache_dir=tmp_path)
    client, _task, engine = await start_reader(rig, broken)
    await client.custom_action("read_article", {"text": ARTICLE, "title": "Rain"})
    state = client.playback_state
    assert state.processing_state is AudioProcessingState.ERROR
    assert state.error_message is not None
    assert "voice does not exist" in state.error_message
    assert engine.source is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("just text", "must be a dict"),
        ({"title": "No text"}, "'text'"),
        ({"text": "Hi."}, "'title'"),
        ({"text": "Hi.", "title": "T", "speed": 2}, "unknown arguments"),
        ({"text": "  ", "title": "T"}, "nothing to read"),
        ({"text": "Hi.", "title": "T", "by": "word"}, "by must be"),
        ({"text": "Hi.", "title": "T", "play": "yes"}, "play must be a bool"),
    ],
)
async def test_bad_read_article_arguments_change_nothing(
    rig: Rig, synth: EspeakSynthesizer, arguments: object, message: str
) -> None:
    client, _task, engine = await start_reader(rig, synth)
    await client.custom_action("read_article", {"text": "Keep me.", "title": "Old"})
    with pytest.raises(TaskError, match=message):
        await client.custom_action("read_article", arguments)
    assert [text_of(item) for item in client.queue] == ["Keep me."]
    assert engine.playing


async def test_other_custom_actions_reach_the_base_class(
    rig: Rig, synth: EspeakSynthesizer
) -> None:
    client, _task, _engine = await start_reader(rig, synth)
    with pytest.raises(ValueError, match=r"'something_else'; this player knows: 'read_article'"):
        await client.custom_action("something_else", {"x": 1})


def test_the_default_engine_is_mpv_and_imported_lazily() -> None:
    pytest.importorskip("mpv")
    from audio_service.players.mpv import MpvEngine

    assert isinstance(ReaderTask().create_engine(), MpvEngine)


async def test_stopping_ends_the_renders_under_way(
    rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # espeak-ng, except that it hangs on the second sentence (rendered ahead).
    started = tmp_path / "started"
    fake = tmp_path / "bin" / "espeak-ng"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\ncase "$*" in *--version*) exec "{ESPEAK}" --version;; esac\n'
        "text=$(cat)\n"
        f'case "$text" in *Slow*) echo $$ > "{started}"; exec sleep 30;; esac\n'
        f'printf "%s" "$text" | exec "{ESPEAK}" "$@"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    client, _task, engine = await start_reader(rig, EspeakSynthesizer(cache_dir=tmp_path / "c"))
    await client.custom_action("read_article", {"text": "Fast first. Slow second.", "title": "T"})
    assert engine.playing
    await wait_until(
        lambda: started.exists() and started.read_text().strip() != "", "the render ahead"
    )
    pid = int(started.read_text())
    await client.stop()
    # Gone by the time the service has stopped, not merely signalled.
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert engine.source is None
