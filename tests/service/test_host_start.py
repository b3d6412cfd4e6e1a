"""What a host loads and does before it reports ready: only what serving needs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from audio_service import BackgroundAudioTask, ServiceConfig
from audio_service._connect import _host
from audio_service._service._core import ServiceCore
from audio_service._surfaces._startup import Surfaces
from audio_session import AudioSession

#: Modules a host must not load to start: the audio backends (only a task that uses
#: the session loads them), argparse, and the D-Bus library when there is no bus.
NOT_AT_START = (
    "argparse",
    "audio_session._backend",
    "audio_session._session",
    "dbus_fast",
)


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_host_module_loads_no_audio_backend_nor_argparse() -> None:
    result = _python(
        f"""
        import sys
        import audio_service._connect._host
        print([name for name in {NOT_AT_START!r} if name in sys.modules])
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_host_closes_the_session_where_audio_session_keeps_it() -> None:
    # The host finds the session's module by name, so that it need not import it.
    assert AudioSession.__module__ == _host.SESSION_MODULE


def test_the_host_entry_refuses_arguments_it_does_not_know() -> None:
    # The entry detaches first: its first process exits 0, the host says what is wrong.
    result = subprocess.run(
        [sys.executable, "-m", "audio_service._connect._host_entry", "--report-fd", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "usage: python -m audio_service._connect._host_entry --report-fd N" in result.stderr


def test_no_bus_is_told_without_loading_the_dbus_library(tmp_path: Path) -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "DISPLAY")
    }
    missing = tmp_path / "system_bus_socket"
    result = _python(
        f"""
        import asyncio, sys
        from audio_service._surfaces._linux._power import _bus

        _bus._DEFAULT_SYSTEM_BUS_SOCKET = {str(missing)!r}

        async def main():
            for connect in (_bus.connect_session, _bus.connect_system):
                try:
                    await connect()
                except _bus.BusCallError as error:
                    print(error)

        asyncio.run(main())
        print("dbus_fast" in sys.modules)
        """,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "DBUS_SESSION_BUS_ADDRESS and DISPLAY are not set",
        f"no socket at {missing}",
        "False",
    ]


async def test_the_power_surface_starts_after_the_others_and_close_waits_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # How a host starts it, once its starter is served; no bus here, so it only says so.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    config = ServiceConfig(app_id="org.example.PowerLater")
    core = ServiceCore(BackgroundAudioTask(), config)
    surfaces = await Surfaces(core, config).start(power=False)
    assert surfaces.status().power is None
    surfaces.start_power_soon()
    surfaces.start_power_soon()  # once is all it takes
    await surfaces.close()
    power = surfaces.status().power
    assert power is not None
    assert power.inhibitor is None
    assert not power.sleep_lock
    assert "no session bus (DBUS_SESSION_BUS_ADDRESS and DISPLAY are not set)" in (power.note or "")
