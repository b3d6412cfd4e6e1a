"""Argument checks shared by ``audio_session`` and ``audio_service``.

Only for what comes from outside: public arguments and data that crossed a process
boundary. Internal calls are checked by mypy instead. ``bool`` is an ``int`` to
Python but never a number or count here, so every numeric check refuses it.
"""

from __future__ import annotations

from typing import TypeGuard

__all__ = ["check_int", "check_optional_str", "check_str", "is_int", "is_number"]


def is_number(value: object) -> TypeGuard[int | float]:
    """True for an int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: object) -> TypeGuard[int]:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(
    value: object, field: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``value`` as an int within ``[minimum, maximum]``, or an error naming ``field``."""
    if not is_int(value):
        raise TypeError(f"{field} must be an int, not {value!r}")
    if minimum is not None and maximum is not None:
        if not minimum <= value <= maximum:
            raise ValueError(f"{field} must be between {minimum} and {maximum}, not {value}")
    elif minimum is not None and value < minimum:
        raise ValueError(f"{field} must be at least {minimum}, not {value}")
    elif maximum is not None and value > maximum:
        raise ValueError(f"{field} must be at most {maximum}, not {value}")
    return value


def check_str(value: object, field: str, *, empty: bool = True, c_string: bool = False) -> str:
    """``value`` as a str, or a clear error naming ``field``.

    ``empty=False`` refuses a blank str; ``c_string=True`` refuses NUL characters
    (for values handed to a C library, which would cut them there).
    """
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a str, not {value!r}")
    if not empty and not value.strip():
        raise ValueError(f"{field} must not be empty")
    if c_string and "\0" in value:
        raise ValueError(f"{field} must not contain NUL characters: {value!r}")
    return value


def check_optional_str(value: object, field: str) -> str | None:
    """``value`` as a str or None, or a TypeError naming ``field``."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{field} must be a str or None, not {value!r}")
    return value
