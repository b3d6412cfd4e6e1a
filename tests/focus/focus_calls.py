"""Raw calls to the focus arbiter, as a peer that does not use FocusClient would make them."""

from __future__ import annotations

from typing import Any

from dbus_fast import Message
from dbus_fast.aio import MessageBus

from audio_session._focus import BUS_NAME, INTERFACE, OBJECT_PATH


async def call(bus: MessageBus, member: str, signature: str = "", *body: Any) -> Message:
    """The arbiter's reply (or error) to ``member`` called with ``body``."""
    reply = await bus.call(
        Message(
            destination=BUS_NAME,
            path=OBJECT_PATH,
            interface=INTERFACE,
            member=member,
            signature=signature,
            body=list(body),
        )
    )
    assert reply is not None
    return reply
