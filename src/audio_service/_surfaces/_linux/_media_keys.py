"""Media keys read straight from evdev devices, for kiosks and headless systems.

Under a desktop, the compositor (gsd-media-keys, KWin) already turns media keys
into MPRIS calls, so this is off by default: reading the devices as well would
handle every key twice. On a box with no desktop (a Raspberry Pi jukebox, a
kiosk) nothing does, and this reads ``/dev/input/event*`` itself: raw
``struct input_event`` records, no python-evdev needed. The process needs read
access to the devices (on most distributions: membership of the ``input``
group); a device it may not open is logged once and skipped.

Which devices: those whose key capability bitmap
(``/sys/class/input/eventN/device/capabilities/key``, or the ``B: KEY=`` lines
of ``/proc/bus/input/devices``) has one of the media keys below. Devices are
never grabbed: other readers still see every key.

======================================  ==========================================
Key                                     Request
======================================  ==========================================
``KEY_PLAYPAUSE``, ``KEY_MEDIA`` (hook)  presses and releases to the click aggregator
                                        (1/2/3 clicks, hold) when there is one,
                                        else ``Click(MEDIA)`` on press
``KEY_NEXTSONG``, ``KEY_PREVIOUSSONG``  ``Click(NEXT)``, ``Click(PREVIOUS)`` on press
``KEY_PLAYCD``, ``KEY_PLAY``            ``Play()`` on press
``KEY_PAUSECD``                         ``Pause()`` on press
``KEY_STOPCD``                          ``Stop()`` on press
``KEY_FASTFORWARD``, ``KEY_REWIND``     ``SeekForward``/``SeekBackward``: ``begin=True``
                                        on press, ``begin=False`` on release
======================================  ==========================================

Key auto-repeat is ignored. Devices come and go: new ones are picked up from
inotify on the device directory (a periodic rescan where inotify is missing),
and a device that vanishes is dropped quietly, releasing any key it held so
that no hold or seek is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import logging
import math
import os
import re
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Final

from audio_service._model._models import MediaButton
from audio_service._service._requests import (
    Click,
    Pause,
    Play,
    Request,
    SeekBackward,
    SeekForward,
    Stop,
)
from audio_service._surfaces._sending import Dispatch, RequestSender
from audio_session._checks import is_number

if TYPE_CHECKING:
    from audio_service._surfaces._clicks import ClickAggregator

__all__ = [
    "MEDIA_KEY_CODES",
    "MediaKeys",
    "media_key_devices",
    "parse_key_bitmap",
]

_log = logging.getLogger("audio_service.media_keys")


# <linux/input.h>: struct input_event { struct timeval time; __u16 type, code; __s32 value; }
# The time fields are C longs, so this is 24 bytes on 64-bit systems and 16 on 32-bit ones.
INPUT_EVENT: Final = struct.Struct("@llHHi")
_LONG_BITS: Final = struct.calcsize("l") * 8

EV_SYN: Final = 0x00
EV_KEY: Final = 0x01
SYN_REPORT: Final = 0
SYN_DROPPED: Final = 3
KEY_RELEASE: Final = 0
KEY_PRESS: Final = 1
KEY_REPEAT: Final = 2

# <linux/input-event-codes.h>
KEY_NEXTSONG: Final = 163
KEY_PLAYPAUSE: Final = 164
KEY_PREVIOUSSONG: Final = 165
KEY_STOPCD: Final = 166
KEY_REWIND: Final = 168
KEY_PLAYCD: Final = 200
KEY_PAUSECD: Final = 201
KEY_PLAY: Final = 207
KEY_FASTFORWARD: Final = 208
KEY_MEDIA: Final = 226
KEY_MAX: Final = 0x2FF

#: The one-button keys (play/pause, a headset's hook): presses and releases, so holds work.
_BUTTON_KEYS: Final = frozenset({KEY_PLAYPAUSE, KEY_MEDIA})
#: Keys that make one request when pressed.
_PRESS_REQUESTS: Final[dict[int, Request]] = {
    KEY_NEXTSONG: Click(button=MediaButton.NEXT),
    KEY_PREVIOUSSONG: Click(button=MediaButton.PREVIOUS),
    KEY_PLAYCD: Play(),
    KEY_PLAY: Play(),
    KEY_PAUSECD: Pause(),
    KEY_STOPCD: Stop(),
}
#: Keys held to seek.
_SEEK_REQUESTS: Final[dict[int, type[SeekForward] | type[SeekBackward]]] = {
    KEY_FASTFORWARD: SeekForward,
    KEY_REWIND: SeekBackward,
}
#: Every key this module acts on; a device with none of them is not opened.
MEDIA_KEY_CODES: Final = _BUTTON_KEYS | _PRESS_REQUESTS.keys() | _SEEK_REQUESTS.keys()

_EVENT_NODE: Final = re.compile(r"event[0-9]+")
_ATTRIB_OR_NEW: Final = 0x00000004 | 0x00000080 | 0x00000100  # IN_ATTRIB, IN_MOVED_TO, IN_CREATE
_INOTIFY_HEADER: Final = struct.Struct("iIII")  # wd, mask, cookie, len
_IN_Q_OVERFLOW: Final = 0x00004000


def _ioc_read(kind: str, number: int, size: int) -> int:
    # asm-generic _IOC(_IOC_READ, type, nr, size), as on x86, arm and riscv.
    return (2 << 30) | (size << 16) | (ord(kind) << 8) | number


_KEY_STATE_BYTES: Final = KEY_MAX // 8 + 1
#: EVIOCGKEY: which keys a device holds down now (used to resync after SYN_DROPPED).
EVIOCGKEY: Final = _ioc_read("E", 0x18, _KEY_STATE_BYTES)


def parse_key_bitmap(text: str) -> frozenset[int]:
    """The key codes set in a kernel capability bitmap such as ``"10000 0 fffe"``.

    The format of sysfs ``capabilities/key`` and ``/proc/bus/input/devices``:
    hexadecimal C longs, most significant first, leading zero words left out.
    Raises :class:`ValueError` on text that is not such a bitmap.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {text!r}")
    codes: set[int] = set()
    for index, word in enumerate(reversed(text.split())):
        try:
            value = int(word, 16)
        except ValueError:
            raise ValueError(f"not a capability bitmap: {text!r}") from None
        if value < 0:
            raise ValueError(f"not a capability bitmap: {text!r}")
        while value:
            lowest = value & -value
            codes.add(index * _LONG_BITS + lowest.bit_length() - 1)
            value ^= lowest
    return frozenset(codes)


def _sysfs_keys(sysfs_root: Path, name: str) -> frozenset[int] | None:
    try:
        text = (sysfs_root / name / "device" / "capabilities" / "key").read_text()
    except OSError:
        return None  # gone, or not an input device with keys
    try:
        return parse_key_bitmap(text)
    except ValueError:
        return None


def _proc_devices(proc_devices: Path) -> dict[str, frozenset[int]]:
    """Event node name -> key codes, from ``/proc/bus/input/devices``."""
    try:
        text = proc_devices.read_text()
    except OSError:
        return {}
    found: dict[str, frozenset[int]] = {}
    for block in text.split("\n\n"):
        nodes: list[str] = []
        keys: frozenset[int] = frozenset()
        for line in block.splitlines():
            if line.startswith("H: Handlers="):
                nodes = [h for h in line[len("H: Handlers=") :].split() if _EVENT_NODE.fullmatch(h)]
            elif line.startswith("B: KEY="):
                with contextlib.suppress(ValueError):
                    keys = parse_key_bitmap(line[len("B: KEY=") :])
        for node in nodes:
            found[node] = keys
    return found


def media_key_devices(
    input_root: str | os.PathLike[str] = "/dev/input",
    sysfs_root: str | os.PathLike[str] = "/sys/class/input",
    proc_devices: str | os.PathLike[str] = "/proc/bus/input/devices",
) -> list[Path]:
    """The event device nodes (``input_root/eventN``) that have at least one media key.

    Capabilities come from ``sysfs_root``, or from ``proc_devices`` where there
    is no sysfs. In the order of their event numbers.
    """
    sysfs = Path(sysfs_root)
    capable: list[str] = []
    if sysfs.is_dir():
        for entry in os.scandir(sysfs):
            if _EVENT_NODE.fullmatch(entry.name):
                keys = _sysfs_keys(sysfs, entry.name)
                if keys is not None and keys & MEDIA_KEY_CODES:
                    capable.append(entry.name)
    else:
        capable = [
            n for n, keys in _proc_devices(Path(proc_devices)).items() if keys & MEDIA_KEY_CODES
        ]
    capable.sort(key=lambda name: int(name[len("event") :]))
    return [Path(input_root, name) for name in capable]


class _Device:
    __slots__ = ("buffer", "dropping", "fd", "held", "path")

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.buffer = b""
        #: Media keys this device holds down now.
        self.held: set[int] = set()
        #: After SYN_DROPPED: events up to the next SYN_REPORT are incomplete.
        self.dropping = False


class _Inotify:
    """The few inotify calls needed, through libc (no third-party package)."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._add_watch = libc.inotify_add_watch
        self._add_watch.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32)
        self._add_watch.restype = ctypes.c_int
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.fd: int = fd

    def watch(self, path: Path, mask: int) -> int:
        wd: int = self._add_watch(self.fd, os.fsencode(path), mask)
        if wd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(path))
        return wd

    def read(self) -> list[tuple[int, int, str]]:
        """(watch, mask, name) of each pending event."""
        events: list[tuple[int, int, str]] = []
        while True:
            try:
                data = os.read(self.fd, 64 * 1024)
            except BlockingIOError:
                return events
            offset = 0
            while offset + _INOTIFY_HEADER.size <= len(data):
                wd, mask, _, length = _INOTIFY_HEADER.unpack_from(data, offset)
                offset += _INOTIFY_HEADER.size
                raw = data[offset : offset + length].split(b"\0", 1)[0]
                offset += length
                events.append((wd, mask, os.fsdecode(raw)))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


def _check_path(value: object, field: str) -> Path:
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{field} must be a path, not {value!r}")
    return Path(value)


class MediaKeys:
    """Reads media keys from every capable evdev device and turns them into requests.

    ``dispatch`` receives each request (an awaitable it returns runs as a task,
    its failure logged); ``clicks``, when given, receives the presses and
    releases of the play/pause and hook keys instead (see the module table).
    ``input_root`` holds the device nodes; ``sysfs_root`` and ``proc_devices``
    say which have media keys. ``rescan_interval`` (seconds) is how often the
    devices are looked for again where inotify is unavailable.
    Use from one event loop: :meth:`start`, then :meth:`close`.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        *,
        clicks: ClickAggregator | None = None,
        input_root: str | os.PathLike[str] = "/dev/input",
        sysfs_root: str | os.PathLike[str] = "/sys/class/input",
        proc_devices: str | os.PathLike[str] = "/proc/bus/input/devices",
        rescan_interval: float = 5.0,
    ) -> None:
        if not callable(dispatch):
            raise TypeError(f"dispatch must be callable, not {dispatch!r}")
        if clicks is not None and not all(
            callable(getattr(clicks, name, None)) for name in ("press", "release")
        ):
            raise TypeError(f"clicks must be a ClickAggregator or None, not {clicks!r}")
        if not is_number(rescan_interval):
            raise TypeError(f"rescan_interval must be a number of seconds, not {rescan_interval!r}")
        if not math.isfinite(rescan_interval) or rescan_interval <= 0:
            raise ValueError(f"rescan_interval must be > 0 seconds, not {rescan_interval!r}")
        self._sender = RequestSender(dispatch, "for a media key", _log)
        self._clicks = clicks
        self.input_root = _check_path(input_root, "input_root")
        self.sysfs_root = _check_path(sysfs_root, "sysfs_root")
        self.proc_devices = _check_path(proc_devices, "proc_devices")
        self.rescan_interval = float(rescan_interval)
        self._devices: dict[Path, _Device] = {}
        self._warned_denied = False
        self._inotify: _Inotify | None = None
        self._root_watch = -1
        self._parent_watch = -1
        self._rescan: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False
        self._closed = False

    @property
    def devices(self) -> tuple[str, ...]:
        """The device nodes being read now."""
        return tuple(str(path) for path in self._devices)

    async def start(self) -> MediaKeys:
        """Open the capable devices there are now and watch for more."""
        if self._started or self._closed:
            raise RuntimeError("MediaKeys can be started once")
        self._started = True
        self._loop = asyncio.get_running_loop()
        self._watch()
        self.scan()
        if not self._devices:
            _log.info("no media-key input device yet under %s", self.input_root)
        return self

    def scan(self) -> None:
        """Look for capable devices again and open the new ones."""
        if self._closed:
            return
        for path in media_key_devices(self.input_root, self.sysfs_root, self.proc_devices):
            if path not in self._devices:
                self.open_device(path)

    def open_device(self, path: str | os.PathLike[str]) -> bool:
        """Read keys from the event device ``path``; False when it cannot be opened."""
        if self._loop is None or self._closed:
            raise RuntimeError("start MediaKeys before opening devices")
        node = _check_path(path, "path")
        if node in self._devices:
            return True
        try:
            fd = os.open(node, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
        except PermissionError as error:
            if not self._warned_denied:
                self._warned_denied = True
                _log.warning(
                    "cannot read media keys from %s: %s (the user needs read access to the "
                    "input devices, usually membership of the 'input' group)",
                    node,
                    error.strerror,
                )
            else:
                _log.debug("cannot read media keys from %s: %s", node, error.strerror)
            return False
        except OSError as error:
            _log.debug("cannot open %s: %s", node, error)
            return False
        device = _Device(node, fd)
        self._devices[node] = device
        self._loop.add_reader(fd, self._on_readable, device)
        _log.info("reading media keys from %s", node)
        return True

    def close(self) -> None:
        """Stop reading, releasing every key still held. Idempotent.

        Requests already dispatched run on (a ``play()`` may last as long as
        playback); :meth:`wait_dispatched` waits for them.
        """
        if self._closed:
            return
        self._closed = True
        if self._rescan is not None:
            self._rescan.cancel()
            self._rescan = None
        if self._inotify is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._inotify.fd)
            self._inotify.close()
            self._inotify = None
        for device in tuple(self._devices.values()):
            self._drop(device)

    async def wait_dispatched(self) -> None:
        """Wait until the awaitables ``dispatch`` returned so far have finished."""
        await self._sender.wait()

    # ------------------------------------------------------------------ devices

    def _watch(self) -> None:
        assert self._loop is not None
        try:
            inotify = _Inotify()
        except (OSError, AttributeError) as error:
            _log.debug(
                "no inotify (%s); looking for new input devices every %g s",
                error,
                self.rescan_interval,
            )
            self._schedule_rescan()
            return
        self._inotify = inotify
        self._loop.add_reader(inotify.fd, self._on_inotify)
        self._watch_root()

    def _watch_root(self) -> None:
        assert self._inotify is not None
        try:
            self._root_watch = self._inotify.watch(self.input_root, _ATTRIB_OR_NEW)
            return
        except OSError as error:
            if error.errno != errno.ENOENT:
                _log.debug("cannot watch %s (%s); rescanning instead", self.input_root, error)
                self._schedule_rescan()
                return
        # No input device at all yet: the directory appears with the first one.
        try:
            self._parent_watch = self._inotify.watch(
                self.input_root.parent, 0x00000100 | 0x00000080
            )
        except OSError as error:
            _log.debug("cannot watch %s (%s); rescanning instead", self.input_root.parent, error)
            self._schedule_rescan()

    def _schedule_rescan(self) -> None:
        assert self._loop is not None
        if not self._closed:
            self._rescan = self._loop.call_later(self.rescan_interval, self._on_rescan)

    def _on_rescan(self) -> None:
        self._rescan = None
        self.scan()
        self._schedule_rescan()

    def _on_inotify(self) -> None:
        inotify = self._inotify
        if inotify is None:
            return
        rescan = False
        for wd, mask, name in inotify.read():
            if mask & _IN_Q_OVERFLOW:
                rescan = True
            elif wd == self._parent_watch and name == self.input_root.name:
                self._watch_root()
                rescan = True
            elif wd == self._root_watch and _EVENT_NODE.fullmatch(name):
                node = self.input_root / name
                if node in self._devices:
                    continue
                # IN_ATTRIB: udev may grant access only after creating the node.
                if self._has_media_keys(name):
                    self.open_device(node)
        if rescan:
            self.scan()

    def _has_media_keys(self, name: str) -> bool:
        keys = _sysfs_keys(self.sysfs_root, name)
        if keys is None and not self.sysfs_root.is_dir():
            keys = _proc_devices(self.proc_devices).get(name)
        return bool(keys and keys & MEDIA_KEY_CODES)

    def _drop(self, device: _Device) -> None:
        if self._devices.get(device.path) is not device:
            return
        del self._devices[device.path]
        if self._loop is not None:
            self._loop.remove_reader(device.fd)
        with contextlib.suppress(OSError):
            os.close(device.fd)
        self._release_all(device)

    def _on_readable(self, device: _Device) -> None:
        size = INPUT_EVENT.size
        while True:
            try:
                data = os.read(device.fd, size * 64)
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno == errno.ENODEV:
                    _log.info("media-key device %s went away", device.path)
                else:
                    _log.warning("stopped reading media keys from %s: %s", device.path, error)
                self._drop(device)
                return
            if not data:
                _log.info("media-key device %s went away", device.path)
                self._drop(device)
                return
            data = device.buffer + data
            whole = len(data) - len(data) % size
            device.buffer = data[whole:]
            for _, _, kind, code, value in INPUT_EVENT.iter_unpack(data[:whole]):
                self._on_event(device, kind, code, value)
            if device.path not in self._devices:
                return

    # ------------------------------------------------------------------- events

    def _on_event(self, device: _Device, kind: int, code: int, value: int) -> None:
        if kind == EV_SYN:
            if code == SYN_DROPPED:
                device.dropping = True
            elif code == SYN_REPORT and device.dropping:
                device.dropping = False
                self._resync(device)
            return
        if kind != EV_KEY or device.dropping or code not in MEDIA_KEY_CODES:
            return
        # KEY_REPEAT (auto-repeat of a held key) means nothing here, nor does a
        # press of a key already down or a release of one never pressed.
        if value == KEY_PRESS and code not in device.held:
            device.held.add(code)
            self._key(code, True)
        elif value == KEY_RELEASE and code in device.held:
            device.held.discard(code)
            self._key(code, False)

    def _resync(self, device: _Device) -> None:
        # The kernel's buffer overflowed: ask it which keys are down now.
        state = bytearray(_KEY_STATE_BYTES)
        try:
            fcntl.ioctl(device.fd, EVIOCGKEY, state)
        except OSError:
            down: set[int] = set()  # Unknown: release what was held rather than hold forever.
        else:
            down = {code for code in MEDIA_KEY_CODES if state[code // 8] >> (code % 8) & 1}
        for code in sorted(device.held - down):
            device.held.discard(code)
            self._key(code, False)
        for code in sorted(down - device.held):
            device.held.add(code)
            self._key(code, True)

    def _release_all(self, device: _Device) -> None:
        held, device.held = device.held, set()
        for code in sorted(held):
            self._key(code, False)

    def _key(self, code: int, down: bool) -> None:
        if code in _BUTTON_KEYS:
            if self._clicks is not None:
                if down:
                    self._clicks.press()
                else:
                    self._clicks.release()
            elif down:
                self._send(Click(button=MediaButton.MEDIA))
        elif code in _SEEK_REQUESTS:
            self._send(_SEEK_REQUESTS[code](begin=down))
        elif down:
            self._send(_PRESS_REQUESTS[code])

    def _send(self, request: Request) -> None:
        self._sender.send(request)
