"""Keep free-form values (params, custom actions, custom events) to what msgpack carries.

In host mode such values cross a process boundary as msgpack. In-process mode
copies them through msgpack too, so that an app behaves the same in both modes
and a value that could not cross is reported where it is made, not later.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["portable"]

_encoder = msgspec.msgpack.Encoder()


def portable(value: Any, what: str) -> Any:
    """``value`` as it arrives after a msgpack round trip; :class:`TypeError` naming ``what``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    try:
        data = _encoder.encode(value)
    except (TypeError, ValueError, OverflowError) as error:
        raise TypeError(
            f"{what} must be msgpack-encodable (None, bool, int, float, str, bytes, "
            f"lists, dicts; Structs arrive as dicts): {error}"
        ) from None
    return msgspec.msgpack.decode(data)
