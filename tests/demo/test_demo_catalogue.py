"""The demo's catalogue: valid WAV files with tags, decodable art, made once."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from audio_service import MEDIA_ROOT_ID
from audio_service.demo import _catalogue
from audio_service.demo._art_render import art_path
from audio_service.demo._catalogue import (
    ARTICLE_ID,
    MANIFEST,
    Catalogue,
    default_catalogue_dir,
    ensure_catalogue,
)
from audio_service.demo._png import read_png
from audio_service.demo._synth import read_info_tags


def _path(uri: object) -> Path:
    assert isinstance(uri, str)
    return Path(uri)


def test_tracks_and_episodes_are_16_bit_22k_wavs_of_20_to_40_seconds(
    shared_catalogue: Catalogue,
) -> None:
    assert len(shared_catalogue.music) == 4
    assert len(shared_catalogue.episodes) == 2, shared_catalogue.notes
    channels = set()
    for item in shared_catalogue.playlist:
        path = _path((item.extras or {})["uri"])
        with wave.open(str(path), "rb") as reader:
            assert reader.getsampwidth() == 2
            assert reader.getframerate() == 22050
            channels.add(reader.getnchannels())
            seconds = reader.getnframes() / reader.getframerate()
            frames = reader.readframes(reader.getnframes())
        assert 19.0 <= seconds <= 40.0, (item.id, seconds)
        assert item.duration is not None
        assert abs(item.duration.total_seconds() - seconds) < 0.01
        assert max(frames[1::2]) > 8, f"{item.id} is silent"
    assert channels == {1, 2}, "both mono and stereo tracks"


def test_wav_info_tags_match_the_media_items(shared_catalogue: Catalogue) -> None:
    for item in shared_catalogue.playlist:
        tags = read_info_tags(_path((item.extras or {})["uri"]).read_bytes())
        assert tags["title"] == item.title
        assert tags["artist"] == item.artist
        assert tags["album"] == item.album
        assert tags["genre"] == item.genre
        assert tags["track"] == str((item.extras or {})["track"])


def test_every_item_has_its_own_decodable_cover(shared_catalogue: Catalogue) -> None:
    seen = set()
    for item in (*shared_catalogue.playlist, shared_catalogue.article):
        path = art_path(item.art_uri)
        assert path is not None, item.id
        image = read_png(path)
        assert (image.width, image.height) == (64, 64)
        assert len({image.rgba[i : i + 4] for i in range(0, len(image.rgba), 4)}) >= 2
        seen.add(image.rgba)
    assert len(seen) == len(shared_catalogue.playlist) + 1, "covers are distinct"


def test_browse_folders_hold_music_and_spoken_items(shared_catalogue: Catalogue) -> None:
    folders = shared_catalogue.folders
    assert [f.id for f in folders] == ["music", "spoken"]
    assert all(f.playable is False for f in folders)
    assert shared_catalogue.children("music") == shared_catalogue.music
    spoken = shared_catalogue.children("spoken")
    assert [i.id for i in spoken] == [*(e.id for e in shared_catalogue.episodes), ARTICLE_ID]
    assert shared_catalogue.children(MEDIA_ROOT_ID) == ()
    assert shared_catalogue.find(ARTICLE_ID) == shared_catalogue.article
    assert "reader" in (shared_catalogue.article.display_description or "")
    assert (shared_catalogue.article.extras or {})["text"].startswith("Hello")
    assert shared_catalogue.find("nope") is None


def test_a_second_run_reuses_every_file(catalogue_copy: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in catalogue_copy.iterdir()}
    again = ensure_catalogue(catalogue_copy)
    assert again.generated == ()
    assert {p.name: p.stat().st_mtime_ns for p in catalogue_copy.iterdir()} == before


def test_a_damaged_file_is_made_again_and_only_it(catalogue_copy: Path) -> None:
    catalogue = ensure_catalogue(catalogue_copy)
    victim = _path((catalogue.music[1].extras or {})["uri"])
    victim.write_bytes(victim.read_bytes()[:1000])
    (catalogue_copy / "welcome.png").unlink()
    repaired = ensure_catalogue(catalogue_copy)
    assert set(repaired.generated) == {catalogue.music[1].id, "spoken/welcome"}
    with wave.open(str(victim), "rb") as reader:
        assert reader.getnframes() > 20 * 22050 * 0.9


def test_a_new_generator_version_remakes_everything(
    catalogue_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_catalogue, "CATALOGUE_VERSION", _catalogue.CATALOGUE_VERSION + 1)
    remade = ensure_catalogue(catalogue_copy, espeak="no-such-espeak-ng")
    # Music is remade; without espeak-ng the episodes cannot be, and the user is told.
    assert {i.id for i in remade.music} == set(remade.generated)
    assert remade.episodes == ()
    assert any("no-such-espeak-ng is not installed" in note for note in remade.notes)
    manifest = json.loads((catalogue_copy / MANIFEST).read_text())
    assert manifest["version"] == _catalogue.CATALOGUE_VERSION


def test_the_default_directory_follows_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_catalogue_dir() == tmp_path / "audio-service-kit" / "demo"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_catalogue_dir() == Path.home() / ".local/share/audio-service-kit/demo"
