"""``audio-service check`` on players written to break one rule each, and on a good one.

Every defect must be caught by the check that names it, and by no other: the
other checks pass, so a report points at the one thing to fix.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from broken_players import BUS_NAME, EXPECTED, GoodPlayer, NoSeeked, install_desktop_files

from audio_service._conformance import CheckOptions, PlayerNotFound, Verdict, check_player
from audio_session.testing import PrivateSessionBus

#: Long enough for the players that change something 0.1 s after the first GetAll.
OPTIONS = CheckOptions(watch=0.3, timeout=0.5, grace=0.1)
ALL_CHECKS = {
    "root-get-all",
    "player-get-all",
    "identity",
    "trackid",
    "artist",
    "length",
    "metadata-types",
    "art-url",
    "desktop-entry",
    "xfce-desktop-file",
    "seeked",
    "can-play",
    "can-play-signalled",
    "changes-signalled",
    "position-signal",
}


async def _started(kind: type[GoodPlayer], bus: PrivateSessionBus, directory: Path) -> GoodPlayer:
    install_desktop_files(kind, Path(os.environ["XDG_DATA_HOME"]))
    return await kind(directory).start(bus.address)


@pytest.fixture
async def good_player(dbus_session: PrivateSessionBus, tmp_path: Path) -> AsyncIterator[GoodPlayer]:
    player = await _started(GoodPlayer, dbus_session, tmp_path)
    yield player
    player.stop()


@pytest.mark.parametrize("kind", list(EXPECTED), ids=lambda kind: kind.__name__)
async def test_each_defect_is_caught_by_its_own_check(
    kind: type[GoodPlayer], dbus_session: PrivateSessionBus, tmp_path: Path
) -> None:
    player = await _started(kind, dbus_session, tmp_path)
    try:
        report = await check_player(BUS_NAME, bus_address=dbus_session.address, options=OPTIONS)
    finally:
        player.stop()
    verdicts = {finding.check: str(finding.verdict) for finding in report.findings}
    expected = {check: "pass" for check in ALL_CHECKS if check in verdicts} | EXPECTED[kind]
    assert verdicts == expected, "\n".join(
        f"{f.check}: {f.verdict} ({f.detail})" for f in report.findings
    )
    if kind.__name__ == "LeavesWhileWatched":
        assert "at the end: " in report.findings[1].detail
    elif kind.__name__ != "PlayerGetAllFails":
        assert set(verdicts) == ALL_CHECKS
    assert report.failed == ("fail" in EXPECTED[kind].values())


async def test_the_good_player_is_left_where_it_was(
    good_player: GoodPlayer, dbus_session: PrivateSessionBus
) -> None:
    before = good_player.position
    report = await check_player(BUS_NAME, bus_address=dbus_session.address, options=OPTIONS)
    assert report.verdict_of("seeked") is Verdict.PASS
    assert good_player.position == before
    assert good_player.status == "Paused"


async def test_a_missing_player_is_an_error(dbus_session: PrivateSessionBus) -> None:
    with pytest.raises(PlayerNotFound, match=r"org\.mpris\.MediaPlayer2\.nobody"):
        await check_player("nobody", bus_address=dbus_session.address, options=OPTIONS)


async def _cli(bus: PrivateSessionBus, *args: str) -> tuple[int, str, str]:
    # The player answers from this process's loop while the command runs.
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "audio_service.cli",
        "check",
        "--watch",
        "0.2",
        "--timeout",
        "0.5",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_prints_a_table_and_exits_0_on_a_good_player(
    good_player: GoodPlayer, dbus_session: PrivateSessionBus
) -> None:
    status, out, _ = await _cli(dbus_session)
    assert status == 0, out
    assert out.startswith(f"{BUS_NAME} (:")
    assert "  pass  identity " in out
    assert "FAIL" not in out
    assert out.rstrip().endswith(f"{len(ALL_CHECKS)} pass")


async def test_the_command_names_the_defect_in_json_and_exits_1(
    dbus_session: PrivateSessionBus, tmp_path: Path
) -> None:
    player = await _started(NoSeeked, dbus_session, tmp_path)
    try:
        status, out, _ = await _cli(dbus_session, "org.example.Player", "--json")
    finally:
        player.stop()
    assert status == 1
    document = json.loads(out)
    assert document["failed"] is True
    [entry] = document["players"]
    assert entry["bus_name"] == BUS_NAME
    failed = [f for f in entry["findings"] if f["verdict"] == "fail"]
    assert [f["check"] for f in failed] == ["seeked"]
    assert "no Seeked signal" in failed[0]["detail"]
    assert failed[0]["affects"] == ["KDE Plasma", "playerctl"]


async def test_the_command_says_when_there_is_no_player(dbus_session: PrivateSessionBus) -> None:
    assert await _cli(dbus_session) == (0, "No MPRIS player on the session bus.\n", "")
    status, _, err = await _cli(dbus_session, "nobody")
    assert status == 2
    assert "no player org.mpris.MediaPlayer2.nobody on the bus" in err
