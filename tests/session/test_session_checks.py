"""The shared argument checks: bool is never a number, and errors name the field."""

from __future__ import annotations

import pytest

from audio_session._checks import check_int, check_optional_str, check_str, is_int, is_number


@pytest.mark.parametrize(
    ("value", "number", "integer"),
    [
        (1, True, True),
        (1.5, True, False),
        (True, False, False),
        ("1", False, False),
        (None, False, False),
    ],
)
def test_bool_is_neither_a_number_nor_an_int(value: object, number: bool, integer: bool) -> None:
    assert is_number(value) is number
    assert is_int(value) is integer


def test_check_int_bounds() -> None:
    assert check_int(3, "n", minimum=1) == 3
    with pytest.raises(TypeError, match="n must be an int, not True"):
        check_int(True, "n")
    with pytest.raises(ValueError, match="n must be at least 1, not 0"):
        check_int(0, "n", minimum=1)
    with pytest.raises(ValueError, match="n must be at most 2, not 3"):
        check_int(3, "n", maximum=2)
    with pytest.raises(ValueError, match="n must be between 1 and 2, not 3"):
        check_int(3, "n", minimum=1, maximum=2)


def test_check_str_and_its_options() -> None:
    assert check_str("", "s") == ""
    with pytest.raises(TypeError, match="s must be a str, not 1"):
        check_str(1, "s")
    with pytest.raises(ValueError, match="s must not be empty"):
        check_str("  ", "s", empty=False)
    assert check_str("a\0b", "s") == "a\0b"
    with pytest.raises(ValueError, match="NUL"):
        check_str("a\0b", "s", c_string=True)
    assert check_optional_str(None, "s") is None
    with pytest.raises(TypeError, match="s must be a str or None"):
        check_optional_str(b"x", "s")
