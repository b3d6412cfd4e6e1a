"""Media keys from evdev: raw input_event records through real file descriptors (FIFOs).

This machine has no /dev/input, so each test builds a fake sysfs tree and a
device directory whose "devices" are FIFOs carrying real ``struct input_event``
records; the reader treats them like character devices (non-blocking reads,
add_reader, EOF when the writer goes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from audio_service._model._models import MediaButton, ServiceConfig
from audio_service._service._core import ServiceCore
from audio_service._service._requests import (
    Click,
    Pause,
    Play,
    Request,
    SeekBackward,
    SeekForward,
    Stop,
)
from audio_service._service._task import BackgroundAudioTask
from audio_service._surfaces._clicks import ClickAggregator
from audio_service._surfaces._linux._media_keys import (
    EV_KEY,
    EV_SYN,
    INPUT_EVENT,
    KEY_FASTFORWARD,
    KEY_MEDIA,
    KEY_NEXTSONG,
    KEY_PAUSECD,
    KEY_PLAYCD,
    KEY_PLAYPAUSE,
    KEY_PREVIOUSSONG,
    KEY_REWIND,
    KEY_STOPCD,
    SYN_DROPPED,
    SYN_REPORT,
    MediaKeys,
    media_key_devices,
    parse_key_bitmap,
)
from audio_service._surfaces._startup import Surfaces
from audio_session.testing import wait_until

PRESS, RELEASE, REPEAT = 1, 0, 2
HEADSET = {114, 115, KEY_MEDIA}  # volume down/up and the hook, as a jack headset reports
LETTERS = set(range(16, 26))  # KEY_Q .. KEY_P
ALL_MEDIA = {
    KEY_PLAYPAUSE,
    KEY_NEXTSONG,
    KEY_PREVIOUSSONG,
    KEY_STOPCD,
    KEY_PLAYCD,
    KEY_PAUSECD,
    KEY_FASTFORWARD,
    KEY_REWIND,
}


def bitmap(codes: Iterable[int]) -> str:
    """A key bitmap printed the way the kernel prints it (64-bit longs, most significant first)."""
    words = [0] * 12
    for code in codes:
        words[code // 64] |= 1 << (code % 64)
    while len(words) > 1 and words[-1] == 0:
        words.pop()
    return " ".join(f"{word:x}" for word in reversed(words))


def record(kind: int, code: int, value: int) -> bytes:
    return INPUT_EVENT.pack(1_700_000_000, 250_000, kind, code, value)


def key(code: int, *values: int) -> bytes:
    """Key events, each followed by SYN_REPORT as a device sends them."""
    return b"".join(record(EV_KEY, code, v) + record(EV_SYN, SYN_REPORT, 0) for v in values)


class Requests(list[Request]):
    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def __call__(self, request: Request) -> None:
        self.append(request)
        self.changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self) < count:
                self.changed.clear()
                await self.changed.wait()


class FakeInput:
    """``dev/input`` with FIFO device nodes, and the ``sys/class/input`` tree describing them."""

    def __init__(self, root: Path) -> None:
        self.dev = root / "dev" / "input"
        self.sys = root / "sys" / "class" / "input"
        self.sys.mkdir(parents=True)
        self.dev.parent.mkdir()  # like /dev, there before any input device
        self.writers: list[int] = []

    def describe(self, name: str, codes: Iterable[int]) -> None:
        capabilities = self.sys / name / "device" / "capabilities"
        capabilities.mkdir(parents=True)
        (capabilities / "key").write_text(bitmap(codes) + "\n")

    def add(self, name: str, codes: Iterable[int]) -> Path:
        self.describe(name, codes)
        self.dev.mkdir(parents=True, exist_ok=True)
        node = self.dev / name
        os.mkfifo(node)
        return node

    def plug(self, node: Path) -> int:
        """The device's kernel side: a writer (the reader must have it open already)."""
        fd = os.open(node, os.O_WRONLY | os.O_NONBLOCK)
        self.writers.append(fd)
        return fd

    def close(self) -> None:
        for fd in self.writers:
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def fake(tmp_path: Path) -> Iterable[FakeInput]:
    fake = FakeInput(tmp_path)
    yield fake
    fake.close()


@pytest.fixture
def requests() -> Requests:
    return Requests()


def media_keys(fake: FakeInput, requests: Requests, **options: object) -> MediaKeys:
    return MediaKeys(
        requests,
        input_root=fake.dev,
        sysfs_root=fake.sys,
        proc_devices=fake.sys / "no-proc",
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def keys(fake: FakeInput, requests: Requests) -> AsyncIterator[MediaKeys]:
    fake.add("event4", ALL_MEDIA)
    keys = await media_keys(fake, requests).start()
    yield keys
    keys.close()


# ------------------------------------------------------------------ discovery


def test_bitmaps_in_the_kernel_format() -> None:
    # A jack headset (volume keys, hook) and KEY_PLAYPAUSE, as sysfs prints it on 64-bit.
    assert parse_key_bitmap("400000000 1000000000 c000000000000 0\n") == {114, 115, 164, 226}
    assert parse_key_bitmap("0") == frozenset()
    assert parse_key_bitmap(bitmap(ALL_MEDIA | LETTERS)) == ALL_MEDIA | LETTERS
    with pytest.raises(ValueError, match="bitmap"):
        parse_key_bitmap("fffe zz")
    with pytest.raises(TypeError, match="text"):
        parse_key_bitmap(b"ff")  # type: ignore[arg-type]


def test_devices_with_media_keys_from_sysfs(fake: FakeInput) -> None:
    fake.add("event0", LETTERS)  # a keyboard without media keys
    fake.add("event3", HEADSET)
    fake.add("event12", LETTERS | {KEY_NEXTSONG})  # a multimedia keyboard
    (fake.sys / "event5").mkdir()  # vanished between listing and reading
    fake.describe("mouse0", {KEY_PLAYPAUSE})  # not an event node
    (fake.sys / "event7" / "device" / "capabilities").mkdir(parents=True)
    (fake.sys / "event7" / "device" / "capabilities" / "key").write_text("garbage\n")
    found = media_key_devices(fake.dev, fake.sys)
    assert found == [fake.dev / "event3", fake.dev / "event12"]


def test_devices_with_media_keys_from_proc(tmp_path: Path) -> None:
    proc = tmp_path / "devices"
    proc.write_text(
        'I: Bus=0019 Vendor=0000 Product=0001 Version=0000\nN: Name="Power Button"\n'
        "H: Handlers=kbd event0 \nB: EV=3\nB: KEY=10000000000000 0\n\n"
        'I: Bus=0000 Vendor=0000 Product=0000 Version=0000\nN: Name="Headset Jack"\n'
        "H: Handlers=kbd event6 \nB: EV=3\nB: KEY=400000000 0 c000000000000 0\n\n"
        'N: Name="Broken"\nH: Handlers=event9\nB: KEY=zz\n'
    )
    found = media_key_devices(tmp_path / "dev", tmp_path / "no-sysfs", proc)
    assert found == [tmp_path / "dev" / "event6"]


# -------------------------------------------------------------------- reading


async def test_keys_become_requests(keys: MediaKeys, fake: FakeInput, requests: Requests) -> None:
    assert keys.devices == (str(fake.dev / "event4"),)
    writer = fake.plug(fake.dev / "event4")
    os.write(writer, key(KEY_NEXTSONG, PRESS, REPEAT, REPEAT, RELEASE))
    os.write(writer, key(KEY_PREVIOUSSONG, PRESS, RELEASE) + key(KEY_PLAYCD, PRESS, RELEASE))
    os.write(writer, key(KEY_PAUSECD, PRESS, RELEASE) + key(KEY_STOPCD, PRESS, RELEASE))
    os.write(writer, key(KEY_FASTFORWARD, PRESS, REPEAT, RELEASE) + key(KEY_REWIND, PRESS))
    os.write(writer, key(KEY_REWIND, RELEASE) + key(KEY_PLAYPAUSE, PRESS, RELEASE))
    os.write(writer, key(30, PRESS, RELEASE))  # KEY_A: not ours
    await requests.wait_for(10)
    await keys.wait_dispatched()
    assert requests == [
        Click(button=MediaButton.NEXT),
        Click(button=MediaButton.PREVIOUS),
        Play(),
        Pause(),
        Stop(),
        SeekForward(begin=True),
        SeekForward(begin=False),
        SeekBackward(begin=True),
        SeekBackward(begin=False),
        Click(button=MediaButton.MEDIA),  # no aggregator: one click per press
    ]


async def test_records_split_across_reads(
    keys: MediaKeys, fake: FakeInput, requests: Requests
) -> None:
    writer = fake.plug(fake.dev / "event4")
    data = key(KEY_NEXTSONG, PRESS)
    os.write(writer, data[:10])
    await asyncio.sleep(0.05)
    assert requests == []
    os.write(writer, data[10:])
    await requests.wait_for(1)
    assert requests == [Click(button=MediaButton.NEXT)]


async def test_the_hook_button_drives_the_click_aggregator(
    fake: FakeInput, requests: Requests
) -> None:
    node = fake.add("event2", HEADSET)
    clicks = ClickAggregator(requests, window=0.05, hold=0.1)
    keys = await media_keys(fake, requests, clicks=clicks).start()
    try:
        writer = fake.plug(node)
        os.write(writer, key(KEY_MEDIA, PRESS, RELEASE, PRESS, RELEASE))
        await requests.wait_for(1)
        assert requests == [Click(button=MediaButton.NEXT)]  # a double click
        os.write(writer, key(KEY_MEDIA, PRESS, REPEAT, REPEAT))
        await requests.wait_for(2)
        assert requests[1] == SeekForward(begin=True)  # held
        os.write(writer, key(KEY_MEDIA, RELEASE))
        await requests.wait_for(3)
        assert requests[2] == SeekForward(begin=False)
    finally:
        keys.close()
        clicks.close()


async def test_a_vanished_device_is_dropped_quietly_and_lets_go(
    keys: MediaKeys, fake: FakeInput, requests: Requests, caplog: pytest.LogCaptureFixture
) -> None:
    writer = fake.plug(fake.dev / "event4")
    os.write(writer, key(KEY_FASTFORWARD, PRESS))
    await requests.wait_for(1)
    with caplog.at_level(logging.INFO, logger="audio_service.media_keys"):
        os.close(writer)
        fake.writers.remove(writer)
        await requests.wait_for(2)
    assert requests == [SeekForward(begin=True), SeekForward(begin=False)]
    assert not keys.devices
    assert [r.levelname for r in caplog.records] == ["INFO"]
    assert "went away" in caplog.records[0].getMessage()


async def test_events_lost_in_an_overflow_are_not_acted_on(
    keys: MediaKeys, fake: FakeInput, requests: Requests
) -> None:
    writer = fake.plug(fake.dev / "event4")
    os.write(writer, key(KEY_REWIND, PRESS))
    await requests.wait_for(1)
    # The kernel's queue overflowed: what follows up to SYN_REPORT is incomplete. The key
    # state cannot be asked of a FIFO, so the held key counts as released.
    os.write(
        writer,
        record(EV_SYN, SYN_DROPPED, 0)
        + record(EV_KEY, KEY_NEXTSONG, PRESS)
        + record(EV_SYN, SYN_REPORT, 0)
        + key(KEY_STOPCD, PRESS),
    )
    await requests.wait_for(3)
    assert requests == [SeekBackward(begin=True), SeekBackward(begin=False), Stop()]


async def test_devices_plugged_in_later_are_picked_up(fake: FakeInput, requests: Requests) -> None:
    # No input device at all yet: not even the directory exists.
    keys = await media_keys(fake, requests).start()
    try:
        assert not keys.devices
        fake.add("event1", HEADSET)
        await wait_until(lambda: len(keys.devices) == 1, "the first device")
        fake.add("event8", LETTERS)  # no media keys: left alone
        fake.add("event9", {KEY_PLAYPAUSE})
        await wait_until(lambda: len(keys.devices) == 2, "the second device")
        assert keys.devices == (str(fake.dev / "event1"), str(fake.dev / "event9"))
        os.write(fake.plug(fake.dev / "event9"), key(KEY_PLAYPAUSE, PRESS))
        await requests.wait_for(1)
    finally:
        keys.close()
    assert requests == [Click(button=MediaButton.MEDIA)]


async def test_without_a_watch_the_devices_are_rescanned(
    fake: FakeInput, requests: Requests
) -> None:
    # Nothing to watch (not even the parent exists): fall back to looking again now and then.
    elsewhere = fake.dev.parent.parent / "nowhere" / "input"
    keys = await MediaKeys(
        requests, input_root=elsewhere, sysfs_root=fake.sys, rescan_interval=0.02
    ).start()
    try:
        fake.describe("event5", {KEY_NEXTSONG})
        elsewhere.mkdir(parents=True)
        os.mkfifo(elsewhere / "event5")
        await wait_until(lambda: len(keys.devices) == 1, "the rescan")
    finally:
        keys.close()


async def test_permission_denied_is_logged_once_and_retried_when_permissions_change(
    fake: FakeInput,
    requests: Requests,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The tests run as root, whom file modes do not stop: refuse the way the kernel would.
    first, second = fake.add("event1", HEADSET), fake.add("event2", {KEY_PLAYPAUSE})
    denied = {first, second}
    real_open = os.open

    def guarded_open(path: object, flags: int, *args: int, **kwargs: object) -> int:
        if path in denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", guarded_open)
    with caplog.at_level(logging.WARNING, logger="audio_service.media_keys"):
        keys = await media_keys(fake, requests).start()
    try:
        assert not keys.devices
        assert len(caplog.records) == 1
        assert "'input' group" in caplog.records[0].getMessage()
        denied.discard(second)
        second.chmod(0o640)  # what udev does when it applies the group's access
        await wait_until(lambda: len(keys.devices) == 1, "the device readable again")
        assert keys.devices == (str(second),)
        assert len(caplog.records) == 1
    finally:
        keys.close()


async def test_close_releases_held_keys(fake: FakeInput, requests: Requests) -> None:
    node = fake.add("event2", HEADSET | {KEY_FASTFORWARD})
    clicks = ClickAggregator(requests, hold=0.05)
    keys = await media_keys(fake, requests, clicks=clicks).start()
    writer = fake.plug(node)
    os.write(writer, key(KEY_MEDIA, PRESS) + key(KEY_FASTFORWARD, PRESS))
    await requests.wait_for(2)  # the fast-forward key, then the hook held long enough
    keys.close()
    keys.close()
    clicks.close()
    assert sorted(map(repr, requests)) == sorted(
        map(repr, [SeekForward(begin=True)] * 2 + [SeekForward(begin=False)] * 2)
    )
    assert not keys.devices


async def test_a_failing_request_is_logged(
    fake: FakeInput, caplog: pytest.LogCaptureFixture
) -> None:
    async def refuse(request: Request) -> None:
        raise RuntimeError("the task is busy")

    node = fake.add("event3", {KEY_STOPCD})
    keys = await MediaKeys(refuse, input_root=fake.dev, sysfs_root=fake.sys).start()
    try:
        with caplog.at_level(logging.WARNING, logger="audio_service.media_keys"):
            os.write(fake.plug(node), key(KEY_STOPCD, PRESS))
            await wait_until(lambda: bool(caplog.records), "the failure to be logged")
            await keys.wait_dispatched()
        assert "the task is busy" in caplog.records[0].getMessage()
    finally:
        keys.close()


def test_bad_arguments_name_the_field(requests: Requests) -> None:
    with pytest.raises(TypeError, match="dispatch"):
        MediaKeys(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="clicks"):
        MediaKeys(requests, clicks=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input_root"):
        MediaKeys(requests, input_root=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rescan_interval"):
        MediaKeys(requests, rescan_interval=0)
    with pytest.raises(TypeError, match="rescan_interval"):
        MediaKeys(requests, rescan_interval="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="media_keys"):
        ServiceConfig(media_keys="yes")  # type: ignore[arg-type]


async def test_open_device_before_start_is_refused(requests: Requests, tmp_path: Path) -> None:
    keys = MediaKeys(requests)
    with pytest.raises(RuntimeError, match="start"):
        keys.open_device(tmp_path / "event0")


async def test_surfaces_start_the_reader_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Media keys need no session bus: only the reader starts here.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    config = ServiceConfig(media_keys=True, headset_clicks=True)
    core = ServiceCore(BackgroundAudioTask(), config)
    surfaces = await Surfaces(core, config).start()
    try:
        assert surfaces.media_keys is not None
        assert surfaces.mpris is None
        # This machine has no input devices at all.
        assert surfaces.media_keys.devices == tuple(
            str(p) for p in media_key_devices() if os.access(p, os.R_OK)
        )
    finally:
        await surfaces.close()
    off = await Surfaces(core, ServiceConfig()).start()
    assert off.media_keys is None
    await off.close()
