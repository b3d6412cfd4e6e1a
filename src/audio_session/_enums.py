"""Base classes for the platform enums: lenient decoding, strict construction.

Platform values arrive from outside (JSON written by the Flutter plugin, a newer
OS, a backend). ``decode`` never raises: an unknown value becomes the enum's
documented default, and a bitmask keeps bits it has no name for. Values given
directly by a programmer go through :func:`coerce_enum`, which raises a clear
error instead, because there a wrong value is a bug worth hearing about.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Self, TypeVar

__all__ = ["CodedIntEnum", "CodedIntFlag", "CodedStrEnum", "coerce_enum"]

E = TypeVar("E", bound=enum.Enum)


class CodedIntEnum(enum.IntEnum):
    """An integer enum whose members equal the platform's numbers.

    Subclasses name their decoding default: ``class X(CodedIntEnum, default="UNKNOWN")``.
    """

    _decode_default_: ClassVar[str]

    def __init_subclass__(cls, /, default: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._decode_default_ = default

    @classmethod
    def decode(cls, raw: object) -> Self:
        """The member whose value is ``raw``, or the documented default; never raises."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            try:
                return cls(raw)
            except ValueError:
                pass
        return cls[cls._decode_default_]

    @classmethod
    def default(cls) -> Self:
        """The member that :meth:`decode` answers for a value it does not know."""
        return cls[cls._decode_default_]


class CodedIntFlag(enum.IntFlag):
    """A bitmask whose bits equal the platform's; unnamed bits are kept, not dropped."""

    @classmethod
    def decode(cls, raw: object) -> Self:
        """The mask for ``raw`` with every bit preserved; 0 for anything that is not a mask."""
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
            return cls(raw)
        return cls(0)

    @classmethod
    def default(cls) -> Self:
        """The empty mask, which :meth:`decode` answers for a value that is not a mask."""
        return cls(0)


class CodedStrEnum(enum.StrEnum):
    """A string enum whose values are the platform's raw strings."""

    _decode_default_: ClassVar[str]

    def __init_subclass__(cls, /, default: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._decode_default_ = default

    @classmethod
    def decode(cls, raw: object) -> Self:
        """The member whose raw value is ``raw``, or the documented default; never raises."""
        if isinstance(raw, str):
            try:
                return cls(raw)
            except ValueError:
                pass
        return cls[cls._decode_default_]

    @classmethod
    def default(cls) -> Self:
        """The member that :meth:`decode` answers for a value it does not know."""
        return cls[cls._decode_default_]


def coerce_enum(cls: type[E], value: object, field: str) -> E:
    """``value`` as a member of ``cls``, accepting the member itself or its raw value.

    Raises :class:`TypeError` for a value of the wrong type (including a member of
    another enum, which would otherwise be accepted by its number) and
    :class:`ValueError` for a raw value the enum does not define.
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, (enum.Enum, bool)):
        raise TypeError(f"{field} must be a {cls.__name__}, not {value!r}")
    if issubclass(cls, enum.IntFlag):
        if not isinstance(value, int):
            raise TypeError(f"{field} must be a {cls.__name__} or an int, not {value!r}")
        if value < 0:
            raise ValueError(f"{field} must be a non-negative bitmask, not {value}")
        return cls(value)
    if issubclass(cls, enum.IntEnum):
        if not isinstance(value, int):
            raise TypeError(f"{field} must be a {cls.__name__} or an int, not {value!r}")
    elif issubclass(cls, enum.StrEnum) and not isinstance(value, str):
        raise TypeError(f"{field} must be a {cls.__name__} or a str, not {value!r}")
    try:
        return cls(value)
    except ValueError:
        valid = ", ".join(f"{m.name}={m.value!r}" for m in cls)
        raise ValueError(f"{field}: {value!r} is not a {cls.__name__} (one of {valid})") from None
