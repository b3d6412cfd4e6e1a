"""Embedded covers: ID3v2.2/2.3/2.4 pictures (MP3, WAV, AIFF), FLAC PICTURE blocks, and junk."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from media_support import flac_head, id3v2_tag, tiny_png, write_tone_wav

from audio_service.players._covers import (
    EmbeddedCover,
    cover_from_id3,
    image_type,
    read_cover,
)

PNG = tiny_png(rgb=(10, 200, 30))
OTHER_PNG = tiny_png(rgb=(250, 250, 0))
# JPEG-like bytes full of 0xFF, which is what unsynchronisation is about.
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\x00\xff\xe1\xff\xff\xd9"


def syncsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))


def frame(frame_id: bytes, body: bytes, *, version: int = 3, flags: bytes = b"\0\0") -> bytes:
    size = struct.pack(">I", len(body)) if version == 3 else syncsafe(len(body))
    return frame_id + size + flags + body


def apic(picture: bytes, *, mime: str = "image/png", kind: int = 3, encoding: int = 0) -> bytes:
    description = "d\xe9sc".encode("utf-16") + b"\0\0" if encoding == 1 else b"desc\0"
    return bytes([encoding]) + mime.encode() + b"\0" + bytes([kind]) + description + picture


def tag(frames: bytes, *, version: int = 3, flags: int = 0) -> bytes:
    return b"ID3" + bytes([version, 0, flags]) + syncsafe(len(frames)) + frames


def unsync(data: bytes) -> bytes:
    out = bytearray()
    for index, byte in enumerate(data):
        out.append(byte)
        following = data[index + 1] if index + 1 < len(data) else 0
        if byte == 0xFF and (following >= 0xE0 or following == 0):
            out.append(0)
    return bytes(out)


# ------------------------------------------------------------------------- files


def test_wav_id3_chunk_after_the_audio(tmp_path: Path) -> None:
    path = write_tone_wav(tmp_path / "a.wav", 0.2, 440.0, tags={"title": "T"}, cover_png=PNG)
    assert read_cover(path) == EmbeddedCover(PNG, "image/png")
    v24 = write_tone_wav(tmp_path / "b.wav", 0.2, 440.0, cover_png=PNG, id3_version=4)
    assert read_cover(v24) == EmbeddedCover(PNG, "image/png")
    plain = write_tone_wav(tmp_path / "c.wav", 0.2, 440.0, tags={"title": "T"})
    assert read_cover(plain) is None


def test_mp3_with_an_id3_tag_in_front(tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    path.write_bytes(
        id3v2_tag(tags={"title": "T"}, cover=JPEG, cover_mime="image/jpg") + b"\xff\xfb" * 500
    )
    assert read_cover(path) == EmbeddedCover(JPEG, "image/jpeg")


def test_id3v22_pic_frame(tmp_path: Path) -> None:
    body = b"\0PNG\x03desc\0" + PNG
    v22 = b"PIC" + len(body).to_bytes(3, "big") + body
    path = tmp_path / "old.mp3"
    path.write_bytes(tag(v22, version=2) + b"\xff\xfb" * 10)
    assert read_cover(path) == EmbeddedCover(PNG, "image/png")


def test_flac_picture_block_and_a_flac_with_id3_in_front(tmp_path: Path) -> None:
    path = tmp_path / "a.flac"
    path.write_bytes(flac_head(PNG) + b"\xff\xf8" * 100)
    assert read_cover(path) == EmbeddedCover(PNG, "image/png")
    prefixed = tmp_path / "b.flac"
    prefixed.write_bytes(id3v2_tag(tags={"title": "T"}) + flac_head(JPEG, mime="image/jpeg"))
    assert read_cover(prefixed) == EmbeddedCover(JPEG, "image/jpeg")
    bare = tmp_path / "c.flac"
    bare.write_bytes(flac_head(None))
    assert read_cover(bare) is None


def test_flac_prefers_the_front_cover(tmp_path: Path) -> None:
    back = flac_head(OTHER_PNG, picture_type=4)
    front = flac_head(PNG)
    # Two PICTURE blocks: the back cover first, then the front cover (last block).
    back_block = back[4 + 38 + 12 :]
    path = tmp_path / "a.flac"
    path.write_bytes(front[: 4 + 38 + 12] + bytes([6]) + back_block[1:] + front[4 + 38 + 12 :])
    assert read_cover(path) == EmbeddedCover(PNG, "image/png")


def test_aiff_id3_chunk(tmp_path: Path) -> None:
    id3 = id3v2_tag(cover=PNG)
    comm = b"COMM" + struct.pack(">I", 18) + bytes(18)
    chunk = b"ID3 " + struct.pack(">I", len(id3)) + id3 + (b"\0" if len(id3) % 2 else b"")
    body = b"AIFF" + comm + chunk
    path = tmp_path / "a.aiff"
    path.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    assert read_cover(path) == EmbeddedCover(PNG, "image/png")


def test_unreadable_and_unknown_files_give_none(tmp_path: Path) -> None:
    assert read_cover(tmp_path / "missing.mp3") is None
    assert read_cover(tmp_path) is None
    (tmp_path / "a.ogg").write_bytes(b"OggS" + bytes(100))
    assert read_cover(tmp_path / "a.ogg") is None
    (tmp_path / "empty").write_bytes(b"")
    assert read_cover(tmp_path / "empty") is None


# ----------------------------------------------------------------------- ID3 details


def test_front_cover_wins_else_the_first_picture() -> None:
    frames = frame(b"APIC", apic(OTHER_PNG, kind=0)) + frame(b"APIC", apic(PNG, kind=3))
    assert cover_from_id3(tag(frames)) == EmbeddedCover(PNG, "image/png")
    others = frame(b"APIC", apic(OTHER_PNG, kind=0)) + frame(b"APIC", apic(PNG, kind=4))
    assert cover_from_id3(tag(others)) == EmbeddedCover(OTHER_PNG, "image/png")


def test_utf16_descriptions_are_skipped_right() -> None:
    # A UTF-16 description whose code units contain zero bytes at odd offsets.
    assert cover_from_id3(tag(frame(b"APIC", apic(PNG, encoding=1)))) == EmbeddedCover(
        PNG, "image/png"
    )


def test_tag_level_unsynchronisation_v23() -> None:
    frames = frame(b"TIT2", b"\0title") + frame(b"APIC", apic(JPEG, mime="image/jpeg"))
    assert cover_from_id3(tag(unsync(frames), flags=0x80)) == EmbeddedCover(JPEG, "image/jpeg")


def test_v24_frame_unsynchronisation_and_data_length_indicator() -> None:
    body = apic(JPEG, mime="image/jpeg")
    content = syncsafe(len(body)) + unsync(body)
    frames = frame(b"APIC", content, version=4, flags=b"\0\x03")
    assert cover_from_id3(tag(frames, version=4)) == EmbeddedCover(JPEG, "image/jpeg")


def test_v24_frames_with_plain_sizes_are_read_anyway() -> None:
    # Some writers put non-syncsafe sizes in v2.4 tags; a 200-byte body shows the difference.
    text = b"\x03" + b"x" * 199
    frames = frame(b"TXXX", text, version=3) + frame(b"APIC", apic(PNG), version=3)
    assert cover_from_id3(tag(frames, version=4)) == EmbeddedCover(PNG, "image/png")


def test_compressed_v23_frame() -> None:
    body = apic(PNG)
    packed = struct.pack(">I", len(body)) + zlib.compress(body)
    frames = frame(b"APIC", packed, flags=b"\0\x80")
    assert cover_from_id3(tag(frames)) == EmbeddedCover(PNG, "image/png")


def test_extended_headers_are_skipped() -> None:
    v23 = struct.pack(">I", 6) + bytes(6) + frame(b"APIC", apic(PNG))
    assert cover_from_id3(tag(v23, flags=0x40)) == EmbeddedCover(PNG, "image/png")
    v24 = syncsafe(6) + b"\x01\x00" + frame(b"APIC", apic(PNG), version=4)
    assert cover_from_id3(tag(v24, version=4, flags=0x40)) == EmbeddedCover(PNG, "image/png")


def test_encrypted_frames_links_and_oversized_pictures_are_skipped() -> None:
    encrypted = frame(b"APIC", b"\x01" + apic(PNG), flags=b"\0\x40")
    assert cover_from_id3(tag(encrypted)) is None
    link = frame(b"APIC", apic(b"http://example.com/cover.png", mime="-->"))
    assert cover_from_id3(tag(link)) is None
    big = frame(b"APIC", apic(PNG))
    assert cover_from_id3(tag(big), max_size=len(PNG) - 1) is None
    assert cover_from_id3(tag(big), max_size=len(PNG)) == EmbeddedCover(PNG, "image/png")
    empty = frame(b"APIC", apic(b""))
    assert cover_from_id3(tag(empty)) is None


def test_declared_types_are_normalised_when_the_bytes_say_nothing() -> None:
    unknown = b"\x00\x01\x02 some image format nobody sniffs"
    for declared, expected in [
        ("image/webp", "image/webp"),
        ("PNG", "image/png"),
        ("jpg", "image/jpeg"),
        ("image/jpg", "image/jpeg"),
        ("text/plain", None),
        ("", None),
    ]:
        found = cover_from_id3(tag(frame(b"APIC", apic(unknown, mime=declared))))
        assert (found.content_type if found else None) == expected, declared


def test_image_type_sniffing() -> None:
    assert image_type(PNG) == "image/png"
    assert image_type(JPEG) == "image/jpeg"
    assert image_type(b"GIF89a....") == "image/gif"
    assert image_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert image_type(b"\0\0\0\x1cftypavif") == "image/avif"
    assert image_type(b"BM" + bytes(40)) == "image/bmp"
    assert image_type(b"") is None
    assert image_type(b"RIFF\0\0\0\0WAVE") is None


def test_max_size_is_checked() -> None:
    with pytest.raises(ValueError, match="max_size"):
        cover_from_id3(b"", max_size=0)
    with pytest.raises(TypeError, match="max_size"):
        read_cover("x", max_size=1.5)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- junk


def test_every_truncation_of_a_good_tag_is_harmless() -> None:
    whole = id3v2_tag(tags={"title": "T", "artist": "A"}, cover=PNG)
    for end in range(len(whole)):
        assert cover_from_id3(whole[:end]) in (None, EmbeddedCover(PNG, "image/png"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_tags_never_raise(data: bytes) -> None:
    for blob in (data, b"ID3\x03\0\0" + data, b"ID3\x04\0\x40\0\0\x02\x00" + data):
        found = cover_from_id3(blob)
        assert found is None or found.content_type.startswith("image/")


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(
        [b"ID3\x03\0\0\0\0\x10\0", b"fLaC", b"RIFF\xff\xff\xff\xffWAVE", b"FORM\0\0\0\x10AIFF"]
    ),
    st.binary(max_size=300),
)
def test_random_files_never_raise(
    tmp_path_factory: pytest.TempPathFactory, head: bytes, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("junk") / "file"
    path.write_bytes(head + data)
    found = read_cover(path)
    assert found is None or found.content_type.startswith("image/")
