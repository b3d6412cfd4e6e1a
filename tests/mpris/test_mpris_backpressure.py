"""A bus daemon that stops reading for a while costs the player nothing but the wait."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import pytest
from mpris_support import Harness


async def test_a_stalled_bus_daemon_does_not_drop_the_player(player: Harness) -> None:
    daemon = player.bus.process
    assert daemon is not None
    server = player.server
    connection = server._bus
    os.kill(daemon.pid, signal.SIGSTOP)
    try:
        # Far more than the socket buffers hold: PropertiesChanged, one per loop iteration.
        for index in range(6000):
            player.core.set_state(speed=1.0 + (index % 7) / 10, playing=index % 2 == 0)
            await asyncio.sleep(0)
    finally:
        os.kill(daemon.pid, signal.SIGCONT)
    assert server._bus is connection
    assert connection is not None
    assert connection.connected
    # The player still answers, and says what the task published last.
    assert await player.playerctl("status") == "Paused"
    player.core.set_state(playing=True)
    assert await player.playerctl("status") == "Playing"


async def test_the_player_comes_back_when_the_bus_daemon_restarts(
    player: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    daemon = player.bus.process
    assert daemon is not None
    with caplog.at_level(logging.WARNING):
        daemon.stop()
        player.bus.process = None
        player.bus.socket_path.unlink(missing_ok=True)
        # While the bus is away, publishing goes nowhere and raises nothing.
        for index in range(50):
            player.core.set_state(playing=index % 2 == 0)
            await asyncio.sleep(0.002)
        player.bus.start()
        player.core.set_state(playing=True)
        for _ in range(400):
            if player.server.bus_name is not None:
                break
            await asyncio.sleep(0.01)
        assert await player.playerctl("status") == "Playing"
    messages = [record.getMessage() for record in caplog.records]
    assert any("lost the session bus" in message for message in messages), messages
    assert any("back on the session bus" in message for message in messages), messages
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
