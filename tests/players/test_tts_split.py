"""split_article: sentences and paragraphs of real-world text become queue items."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audio_service import MediaItem
from audio_service.players._speech import _normalise
from audio_service.players.tts import split_article


def texts(text: str, **options: Any) -> list[str]:
    return [spoken(item) for item in split_article(text, article_id="a", title="T", **options)]


def spoken(item: MediaItem) -> str:
    assert item.extras is not None
    text = item.extras["text"]
    assert isinstance(text, str)
    return text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("Dr. Smith met Mr. Jones. They talked.", ["Dr. Smith met Mr. Jones.", "They talked."]),
        ("Use tools, e.g. Python. Or i.e. Rust.", ["Use tools, e.g. Python.", "Or i.e. Rust."]),
        ("Pi is 3.14 or so. Good.", ["Pi is 3.14 or so.", "Good."]),
        ("It costs $3.50. Cheap.", ["It costs $3.50.", "Cheap."]),
        ("Wait... What? Nothing.", ["Wait...", "What?", "Nothing."]),
        ("I was… thinking. Yes.", ["I was… thinking.", "Yes."]),
        ("I was... thinking of you.", ["I was... thinking of you."]),
        ('He said "Stop." Then left.', ['He said "Stop."', "Then left."]),
        ("He left (for good.) Bye.", ["He left (for good.)", "Bye."]),
        ('"Really?" she asked. "Yes!"', ['"Really?" she asked.', '"Yes!"']),
        ("What?! No way!!! Fine.", ["What?!", "No way!!!", "Fine."]),
        ("See Fig. 3 and No. 5. Done.", ["See Fig. 3 and No. 5.", "Done."]),
        ("J. R. R. Tolkien wrote it. True.", ["J. R. R. Tolkien wrote it.", "True."]),
        ("1. Preheat the oven. 2. Bake.", ["1. Preheat the oven.", "2. Bake."]),
        ("It was 1999. Then 2000 came.", ["It was 1999.", "Then 2000 came."]),
        ("Visit example.com today. Ok.", ["Visit example.com today.", "Ok."]),
        ("At 5 p.m. we ate. Nice.", ["At 5 p.m. we ate.", "Nice."]),
        ("Apples, pears, etc. and more. End.", ["Apples, pears, etc. and more.", "End."]),
        ("“Quoted.” «Guillemets.» Plain.", ["“Quoted.”", "«Guillemets.»", "Plain."]),
        ("日本語です。次の文。", ["日本語です。", "次の文。"]),
        ("No final stop", ["No final stop"]),
        ("   spaced    out\ttext.  ", ["spaced out text."]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A hard-wrapped paragraph is joined again, a hyphenated wrap too.
        (
            "The rain fell in torrents, except at occasional intervals, when it was\n"
            "checked by a violent gust of wind which swept up the streets. It was well-\n"
            "known.",
            [
                "The rain fell in torrents, except at occasional intervals, when it was "
                "checked by a violent gust of wind which swept up the streets.",
                "It was well-known.",
            ],
        ),
        # A heading stays apart from the text under it.
        ("Chapter One\nIt was a dark night.", ["Chapter One", "It was a dark night."]),
        # List items are separate.
        ("Buy:\n- apples\n- pears", ["Buy:", "- apples", "- pears"]),
        # A short line continued in lower case is one sentence.
        ("Hello there,\nmy friend.", ["Hello there, my friend."]),
        # Windows, old Mac and Unicode line endings.
        ("First\r\nSecond\rThird\u2028Fourth", ["First", "Second", "Third", "Fourth"]),
        # Blank lines, even with spaces on them, separate paragraphs.
        ("One para\n  \t\nTwo para", ["One para", "Two para"]),
    ],
)
def test_lines(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_paragraphs_keep_their_sentences_together() -> None:
    text = "Title line\nFirst sentence. Second one.\n\n\n\nSecond paragraph.\u2029Third."
    assert texts(text, by="paragraph") == [
        # The line break stays: the synthesizer pauses after the heading.
        "Title line\nFirst sentence. Second one.",
        "Second paragraph.",
        "Third.",
    ]


def test_invisible_and_control_characters_are_dropped() -> None:
    assert texts("Hyphen\u00adated zero\u200bwidth\x07 bell.") == ["Hyphenated zerowidth bell."]


@pytest.mark.parametrize(
    ("text", "limit", "first"),
    [
        ("alpha beta; " * 60, 400, "alpha beta; " * 33),
        ("alpha beta, " * 60, 120, "alpha beta, " * 10),
        ("word " * 200, 100, "word " * 20),
    ],
)
def test_long_sentences_are_split_at_the_most_natural_break(
    text: str, limit: int, first: str
) -> None:
    pieces = texts(text, max_chars=limit)
    assert pieces[0] == first.strip()
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_a_word_longer_than_an_item_is_cut() -> None:
    pieces = texts("x" * 1000)
    assert [len(piece) for piece in pieces] == [400, 400, 200]


def test_long_paragraphs_are_split_between_sentences() -> None:
    sentence = "This sentence has exactly fifty characters in it. "
    pieces = texts(sentence * 20, by="paragraph", max_chars=200)
    assert all(len(piece) <= 200 for piece in pieces)
    assert pieces[0] == (sentence * 4).strip()
    assert len(pieces) == 5


def test_items_carry_the_article() -> None:
    items = split_article(
        "First sentence here. " + "Long " * 30 + "end.",
        article_id="news-1",
        title="Headline",
        artist="Reporter",
        words_per_minute=120,
    )
    assert [item.id for item in items] == ["news-1#0", "news-1#1"]
    first, second = items
    assert isinstance(first, MediaItem)
    assert (first.title, first.album, first.artist) == ("Headline", "Headline", "Reporter")
    assert first.extras == {"text": "First sentence here.", "article_id": "news-1", "index": 0}
    assert first.display_title == "First sentence here."
    assert first.display_subtitle == "Sentence 1 of 2"
    # 3 words at 120 words per minute.
    assert first.duration == timedelta(seconds=1.5)
    assert second.display_title is not None
    assert len(second.display_title) <= 80
    assert second.display_title.endswith("…")
    assert second.extras is not None
    assert second.extras["index"] == 1


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n", "\u200b\u00ad"])
def test_nothing_to_read_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="nothing to read"):
        split_article(text, article_id="a", title="T")


@pytest.mark.parametrize(
    ("options", "error", "field"),
    [
        ({"text": b"bytes"}, TypeError, "text"),
        ({"by": "word"}, ValueError, "by"),
        ({"article_id": ""}, ValueError, "article_id"),
        ({"article_id": 3}, TypeError, "article_id"),
        ({"title": None}, TypeError, "title"),
        ({"artist": 1}, TypeError, "artist"),
        ({"words_per_minute": 20}, ValueError, "words_per_minute"),
        ({"words_per_minute": 175.0}, TypeError, "words_per_minute"),
        ({"max_chars": 5}, ValueError, "max_chars"),
    ],
)
def test_bad_arguments_name_the_field(
    options: dict[str, Any], error: type[Exception], field: str
) -> None:
    arguments: dict[str, Any] = {"text": "Hello.", "article_id": "a", "title": "T", **options}
    with pytest.raises(error, match=field):
        split_article(**arguments)


@given(st.text(max_size=600), st.sampled_from(["sentence", "paragraph"]))
def test_any_text_loses_no_character_and_respects_the_limit(text: str, by: str) -> None:
    visible = "".join(_normalise(text).split())
    if not visible:
        with pytest.raises(ValueError, match="nothing to read"):
            split_article(text, by=by, article_id="p", title="T")  # type: ignore[arg-type]
        return
    items = split_article(text, by=by, article_id="p", title="T", max_chars=60)  # type: ignore[arg-type]
    pieces = [spoken(item) for item in items]
    assert all(0 < len(piece) <= 60 and piece == piece.strip() for piece in pieces)
    assert "".join("".join(pieces).split()) == visible
    assert [item.id for item in items] == [f"p#{n}" for n in range(len(items))]
