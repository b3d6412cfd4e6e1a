"""Waiting on the audio server's own view of a player's stream (corked, playing, gone)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

from audio_session.testing import AudioServer, SinkInput


def from_this_process(stream: SinkInput) -> bool:
    """libmpv plays inside the test process, so its stream carries this process's id."""
    return stream.properties.get("application.process.id") == str(os.getpid())


async def our_stream(
    server: AudioServer, match: Callable[[SinkInput], bool] = from_this_process
) -> SinkInput | None:
    """The linked stream ``match`` picks out, as the server lists it."""
    for stream in await server.sink_inputs():
        if match(stream) and stream.linked:
            return stream
    return None


async def stream_becomes(
    server: AudioServer,
    *states: bool | None,
    what: str,
    match: Callable[[SinkInput], bool] = from_this_process,
) -> SinkInput | None:
    """Wait until the stream is corked (True), running (False) or gone (None): one of ``states``."""
    deadline = time.monotonic() + 10.0
    while True:
        stream = await our_stream(server, match)
        state = None if stream is None else stream.corked
        if state in states:
            return stream
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}; the stream is {stream}")
        await asyncio.sleep(0.02)
