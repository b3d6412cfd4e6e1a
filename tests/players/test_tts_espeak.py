"""EspeakSynthesizer with the real espeak-ng: rendering, the cache, errors, voices."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from audio_service.players import EngineError
from audio_service.players.tts import EspeakSynthesizer

ESPEAK = shutil.which("espeak-ng")
pytestmark = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed")


@pytest.fixture
def counting_espeak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """espeak-ng behind a wrapper on PATH that logs each run (one line per process)."""
    directory = tmp_path / "bin"
    directory.mkdir()
    log = tmp_path / "runs.log"
    wrapper = directory / "espeak-ng"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{ESPEAK}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    log.touch()
    return log


def files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


def renders(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "--stdin" in line]


async def test_renders_a_wav_and_reuses_it(tmp_path: Path, counting_espeak: Path) -> None:
    synth = EspeakSynthesizer(cache_dir=tmp_path / "cache", words_per_minute=200)
    path = await synth.render("Hello from the reader.")
    assert path.parent == tmp_path / "cache"
    assert path.read_bytes()[:4] == b"RIFF"
    assert timedelta(seconds=0.5) < synth_duration(path) < timedelta(seconds=5)
    assert await synth.render("Hello from the reader.") == path
    assert synth.cached("Hello from the reader.") == path
    assert synth.cached("Something else.") is None
    # A new synthesizer (a restart) finds the file on disk.
    again = EspeakSynthesizer(cache_dir=tmp_path / "cache", words_per_minute=200)
    assert await again.render("Hello from the reader.") == path
    assert len(renders(counting_espeak)) == 1
    assert "-s 200" in renders(counting_espeak)[0]
    # Another voice or rate is another file.
    other = EspeakSynthesizer(cache_dir=tmp_path / "cache", words_per_minute=300)
    assert await other.render("Hello from the reader.") != path
    assert len(renders(counting_espeak)) == 2


def synth_duration(path: Path) -> timedelta:
    from audio_service.players._speech import wav_duration

    return wav_duration(path)


async def test_concurrent_renders_of_one_text_share_one_process(
    tmp_path: Path, counting_espeak: Path
) -> None:
    synth = EspeakSynthesizer(cache_dir=tmp_path)
    paths = await asyncio.gather(*(synth.render("Shared sentence.") for _ in range(5)))
    assert len(set(paths)) == 1
    assert len(renders(counting_espeak)) == 1
    # Different texts at once each get their own file.
    more = await asyncio.gather(*(synth.render(f"Sentence {n}.") for n in range(3)))
    assert len(set(more)) == 3
    assert len(renders(counting_espeak)) == 4


async def test_a_file_deleted_behind_its_back_is_rendered_again(
    tmp_path: Path, counting_espeak: Path
) -> None:
    synth = EspeakSynthesizer(cache_dir=tmp_path)
    path = await synth.render("Gone soon.")
    path.unlink()
    assert await synth.render("Gone soon.") == path
    assert path.exists()
    assert len(renders(counting_espeak)) == 2


async def test_the_cache_keeps_the_most_recently_used(tmp_path: Path) -> None:
    synth = EspeakSynthesizer(cache_dir=tmp_path, max_entries=3)
    first = await synth.render("One.")
    second = await synth.render("Two.")
    third = await synth.render("Three.")
    await synth.render("One.")  # a use: "Two." is now the oldest
    fourth = await synth.render("Four.")
    assert synth.entries == 3
    assert files(tmp_path) == sorted([first, third, fourth])
    assert not second.exists()
    # The byte bound too; the two newest stay whatever the bounds.
    tiny = EspeakSynthesizer(cache_dir=tmp_path, max_bytes=1)
    assert tiny.entries == 2
    assert files(tmp_path) == sorted([first, fourth])


async def test_a_bad_voice_is_an_engine_error_with_espeaks_message(tmp_path: Path) -> None:
    synth = EspeakSynthesizer(voice="xx-no-such-voice", cache_dir=tmp_path)
    with pytest.raises(EngineError, match=r"'xx-no-such-voice'.*voice does not exist"):
        await synth.render("Hello.")
    assert files(tmp_path) == []  # no partial file left


async def test_missing_espeak_is_an_engine_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    synth = EspeakSynthesizer(cache_dir=tmp_path / "cache")
    with pytest.raises(EngineError, match="espeak-ng is not installed"):
        await synth.render("Hello.")
    with pytest.raises(EngineError, match="espeak-ng is not installed"):
        synth.voices()


async def test_a_failing_espeak_is_an_engine_error_with_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "espeak-ng"
    fake.write_text(
        '#!/bin/sh\ncase "$*" in *--version*) echo fake 1.0; exit 0;; esac\n'
        "echo 'out of cheese' >&2\nexit 3\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    synth = EspeakSynthesizer(cache_dir=tmp_path / "cache")
    with pytest.raises(EngineError, match=r"exit status 3\): out of cheese"):
        await synth.render("Hello.")


async def test_an_espeak_that_writes_nothing_is_an_engine_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "espeak-ng"
    fake.write_text('#!/bin/sh\necho "Can\'t write to: somewhere" >&2\nexit 0\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    synth = EspeakSynthesizer(cache_dir=tmp_path / "cache")
    with pytest.raises(EngineError, match="wrote no audio: Can't write to"):
        await synth.render("Hello.")


async def test_cancelling_the_only_caller_stops_the_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = tmp_path / "started"
    fake = tmp_path / "espeak-ng"
    fake.write_text(
        '#!/bin/sh\ncase "$*" in *--version*) echo fake 1.0; exit 0;; esac\n'
        f'echo $$ > "{started}"\nexec sleep 30\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    synth = EspeakSynthesizer(cache_dir=tmp_path / "cache")
    render = asyncio.create_task(synth.render("Slow."))
    while not started.exists() or not started.read_text().strip():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    pid = int(started.read_text())
    render.cancel()
    with pytest.raises(asyncio.CancelledError):
        await render
    # At once: the render is still winding down (asyncio reaping the killed process).
    await synth.aclose()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert files(tmp_path / "cache") == []


def test_voices_lists_espeak_voices(tmp_path: Path) -> None:
    voices = EspeakSynthesizer(cache_dir=tmp_path).voices()
    assert {"en-us", "de"} <= set(voices)
    assert len(voices) == len(set(voices))


@pytest.mark.parametrize(
    ("options", "error", "field"),
    [
        ({"voice": ""}, ValueError, "voice"),
        ({"voice": "en us"}, ValueError, "voice"),
        ({"voice": None}, TypeError, "voice"),
        ({"words_per_minute": 1000}, ValueError, "words_per_minute"),
        ({"max_entries": 0}, ValueError, "max_entries"),
        ({"max_bytes": "big"}, TypeError, "max_bytes"),
        ({"timeout": float("nan")}, ValueError, "timeout"),
        ({"cache_dir": 3}, TypeError, "cache_dir"),
    ],
)
def test_bad_options_name_the_field(
    options: dict[str, object], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        EspeakSynthesizer(**options)  # type: ignore[arg-type]


async def test_empty_text_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="text"):
        await EspeakSynthesizer(cache_dir=tmp_path).render("  \n ")


def test_the_default_cache_is_under_the_user_cache_dir() -> None:
    synth = EspeakSynthesizer()
    assert synth.cache_dir == Path(os.environ["XDG_CACHE_HOME"]) / "audio-service" / "speech"
