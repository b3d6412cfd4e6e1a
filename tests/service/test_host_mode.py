"""Host mode with real processes: the task lives in its own process, clients come and go."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import host_task
import msgspec
import pytest

from audio_service import AudioServiceError, MediaItem, NotConnectedError, TaskError
from audio_service._api._client import AudioServiceClient
from audio_service._connect import _ipc
from audio_service._connect._launcher import EntrypointRef, default_app_id
from audio_service._connect._remote import HostLauncher, RemoteConnection
from audio_service._service._persistence import SAVE_DELAY, SessionStore, store_path
from audio_session.testing import wait_until

APP_ID = "org.example.HostTest"


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return run


@pytest.fixture
async def client(runtime: Path) -> AsyncIterator[AudioServiceClient]:
    client = AudioServiceClient()
    client.host_launcher = HostLauncher(start_timeout=20)
    yield client
    if client.running:
        pid = await client.custom_action("pid")
        await client.stop()
        await _wait_gone(pid)
    await client.disconnect()


async def test_start_returns_after_on_start_and_requests_reach_the_host(
    client: AudioServiceClient,
) -> None:
    assert await client.start(host_task.entrypoint, {"a": 1}, app_id=APP_ID)
    assert client.running
    host_pid = await client.custom_action("pid")
    assert host_pid != os.getpid()
    # on_start's state was published before start() returned.
    assert [item.id for item in client.queue] == ["track-0", "track-1", "track-2"]
    assert client.current_media_item is not None
    assert client.current_media_item.id == "track-0"

    await client.play()
    assert (await client.playback_state_stream.first(lambda s: s.playing)).playing
    assert await client.custom_action("echo", [1, "two"]) == {
        "name": "echo",
        "arguments": [1, "two"],
    }

    with pytest.raises(TaskError, match="the task refused") as raised:
        await client.custom_action("boom")
    assert raised.value.error_type == "ValueError"
    assert "on_custom_action" in raised.value.remote_traceback
    assert await client.custom_action("pid") == host_pid, "the host survived the failing callback"

    second = AudioServiceClient()
    second.host_launcher = HostLauncher()
    assert not await second.start(host_task.entrypoint, app_id=APP_ID), "already running"
    await second.connect(APP_ID)
    assert second.running
    with second.custom_event_stream.subscribe() as events:  # listening from here on
        await client.custom_action("event", "hello")
        assert await asyncio.wait_for(anext(events), 5) == {"echo": "hello"}
    await second.disconnect()


async def test_on_start_failure_is_reported_and_no_host_lingers(client: AudioServiceClient) -> None:
    with pytest.raises(TaskError, match="told to fail"):
        await client.start(host_task.entrypoint, {"fail": True}, app_id=APP_ID)
    assert not client.running
    assert await client.start(host_task.entrypoint, app_id=APP_ID), "a later start works"


async def test_host_outlives_the_ui_that_started_it_and_dies_visibly(
    runtime: Path, client: AudioServiceClient
) -> None:
    tests_dir = Path(__file__).parent
    starter = textwrap.dedent(
        f"""
        import asyncio, sys
        sys.path.insert(0, {str(tests_dir)!r})
        import host_task
        from audio_service._api._client import AudioServiceClient
        from audio_service._connect._remote import HostLauncher

        async def main():
            ui = AudioServiceClient()
            ui.host_launcher = HostLauncher()
            assert await ui.start(host_task.entrypoint, app_id={APP_ID!r})
            await ui.play()
            print("started", flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    ui = await asyncio.create_subprocess_exec(
        sys.executable, "-c", starter, stdout=subprocess.PIPE, env=os.environ
    )
    assert ui.stdout is not None
    line = await asyncio.wait_for(ui.stdout.readline(), 20)
    assert line.strip() == b"started"
    ui.kill()
    await ui.wait()

    await client.connect(APP_ID)
    assert client.running
    assert client.playback_state.playing, "the host played on after its UI was killed"
    host_pid = await client.custom_action("pid")

    os.kill(host_pid, signal.SIGKILL)
    await asyncio.wait_for(client.running_stream.first(lambda running: not running), 5)
    # The link ended with the host: requests say so instead of hanging.
    with pytest.raises(NotConnectedError):
        await client.play()
    await client.disconnect()
    assert await client.start(host_task.entrypoint, app_id=APP_ID), "a new host takes over"


async def test_a_killed_host_is_resumed_where_the_user_was(client: AudioServiceClient) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    assert await client.custom_action("saved") is None, "nothing saved on a first run"
    await client.skip_to_queue_item("track-2")
    await client.seek_to(timedelta(seconds=42))
    await client.add_queue_item(MediaItem(id="extra", title="Extra", album="Host"))
    host_pid = await client.custom_action("pid")

    async def written() -> bool:
        # The host's store writes shortly after the last change; read its file from here.
        store = SessionStore(store_path(APP_ID))
        try:
            saved = store.load()
        finally:
            await store.close()
        return (
            saved is not None
            and saved.media_item is not None
            and saved.media_item.id == "track-2"
            and saved.position == timedelta(seconds=42)
            and [item.id for item in saved.queue][-1:] == ["extra"]
        )

    await wait_until(written, "the host to save the session", SAVE_DELAY + 10)

    os.kill(host_pid, signal.SIGKILL)
    await asyncio.wait_for(client.running_stream.first(lambda running: not running), 5)
    await client.disconnect()

    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    saved = await client.custom_action("saved")
    assert saved == {
        "queue": ["track-0", "track-1", "track-2", "extra"],
        "media_item": "track-2",
        "position": 42.0,
        "queue_index": 2,
    }


def test_default_app_id_comes_from_the_entrypoint_module() -> None:
    assert default_app_id(EntrypointRef("myapp.audio", "main")) == "myapp.audio.main"
    assert default_app_id(EntrypointRef("__main__", "main", "/x/2-player.py")) == "_2-player.main"


async def _wait_gone(pid: int) -> None:
    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    await wait_until(gone, f"host {pid} to exit", 4)


async def test_connect_without_an_app_id_finds_the_only_service_or_names_them_all(
    client: AudioServiceClient,
) -> None:
    other = AudioServiceClient()
    other.host_launcher = HostLauncher()
    finder = AudioServiceClient()
    finder.host_launcher = HostLauncher()
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    try:
        await finder.connect()
        assert finder.running
        assert await finder.custom_action("pid") == await client.custom_action("pid")
        await finder.disconnect()

        assert await other.start(host_task.entrypoint, app_id="org.example.Other")
        with pytest.raises(AudioServiceError, match=r"org\.example\.HostTest, org\.example\.Other"):
            await finder.connect()
    finally:
        if other.running:
            await other.stop()
        await other.disconnect()


async def test_malformed_requests_to_a_real_host_get_errors_and_change_nothing(
    client: AudioServiceClient,
) -> None:
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    await client.play()
    before = client.playback_state
    raw = await _ipc.connect(APP_ID, "fuzzer")
    try:
        garbage = [
            b"",
            b"\xc1",
            msgspec.msgpack.encode({"type": "no_such_request"}),
            msgspec.msgpack.encode({"type": "seek_to", "position": "not a duration"}),
            msgspec.msgpack.encode({"type": "set_speed", "speed": float("nan")}),
            msgspec.msgpack.encode([1, 2, 3]),
            bytes(range(256)),
        ]
        for payload in garbage:
            with pytest.raises(_ipc.RemoteError) as raised:
                await raw.call("request", payload)
            assert raised.value.code == _ipc.ErrorCode.BAD_REQUEST, payload
        with pytest.raises(_ipc.RemoteError) as unknown:
            await raw.call("no_such_method", b"")
        assert unknown.value.code == _ipc.ErrorCode.UNKNOWN_METHOD
    finally:
        await raw.close()
    assert client.playback_state == before
    await client.pause()
    assert not (await client.playback_state_stream.first(lambda s: not s.playing)).playing


async def test_the_state_directory_and_its_files_are_private_to_the_user(
    client: AudioServiceClient, runtime: Path, tmp_path: Path
) -> None:
    # What an earlier version left: everything readable by other users.
    state = tmp_path / "state" / "audio-service"
    state.mkdir(parents=True, mode=0o755)
    state.chmod(0o755)
    old_log = state / f"{APP_ID}.log"
    old_log.write_text("an older host's log\n")
    old_log.chmod(0o644)
    other = state / "org.example.Other.sqlite3"
    other.write_bytes(b"")
    other.chmod(0o644)
    previous = os.umask(0o022)
    try:
        assert await client.start(host_task.entrypoint, app_id=APP_ID)
        await client.play()
        pid = await client.custom_action("pid")
        # Stopping writes the session out (and closes the database and the log).
        await client.stop()
        await _wait_gone(pid)
    finally:
        os.umask(previous)

    def mode(path: Path) -> int:
        return path.stat().st_mode & 0o777

    assert mode(state) == 0o700
    files = sorted(p.name for p in state.iterdir())
    assert f"{APP_ID}.sqlite3" in files, files
    assert f"{APP_ID}.log" in files, files
    assert {p.name: mode(p) for p in state.iterdir()} == dict.fromkeys(files, 0o600)
    assert old_log.read_text().startswith("an older host's log")


async def test_a_reading_client_keeps_up_with_a_burst_of_big_events(
    client: AudioServiceClient,
) -> None:
    """1000 events of 100 KB at once (100 MB, past the 64 MiB a client may have waiting):
    a client that reads gets them all and stays connected; its next request works."""
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    received: list[int] = []
    done = asyncio.get_running_loop().create_future()

    def on_event(event: Any) -> None:
        received.append(event["n"])
        if len(received) == 1000 and not done.done():
            done.set_result(None)

    client.custom_event_stream.listen(on_event)
    assert await client.custom_action("burst", [1000, 100_000]) == 1000
    await asyncio.wait_for(done, 30)
    assert received == list(range(1000))
    assert client.running
    assert isinstance(await client.custom_action("pid"), int)


async def test_a_client_that_fell_behind_on_queue_edits_is_resynced_to_the_same_queue(
    client: AudioServiceClient, tmp_path: Path
) -> None:
    """The host replaces the queue diffs piling up for a client that does not read by one
    snapshot; once it reads again its mirror is the host's queue, item for item."""
    assert await client.start(host_task.entrypoint, app_id=APP_ID)
    connection = client._connection
    assert isinstance(connection, RemoteConnection)
    transport = connection._client._protocol.transport
    transport.pause_reading()
    edits = asyncio.ensure_future(client.custom_action("edits", [300, 40]))
    second = AudioServiceClient()
    second.host_launcher = HostLauncher()
    await second.connect(APP_ID)
    try:
        # The second client reads: once it has the whole queue, so has the host.
        await asyncio.wait_for(second.queue_stream.first(lambda q: len(q) == 3 + 300 * 40), 30)
        transport.resume_reading()
        assert await asyncio.wait_for(edits, 30) == 3 + 300 * 40
        await asyncio.wait_for(client.queue_stream.first(lambda q: len(q) == 3 + 300 * 40), 30)
        assert [item.id for item in client.queue] == [item.id for item in second.queue]
    finally:
        await second.disconnect()
    log = (tmp_path / "state" / "audio-service" / f"{APP_ID}.log").read_text()
    assert "replaced by a resync" in log
