"""Running GUI code in tests: a private X server, a Qt application, waiting on a main loop."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

_display: str | None = None


def x_display() -> str:
    """A private Xvfb server for the rest of this process; ``DISPLAY`` points at it.

    One per process, never stopped before the end: GTK keeps its connection to
    the first display it opened, and exits when that display goes away.
    """
    global _display
    if _display is not None:
        return _display
    xvfb = shutil.which("Xvfb")
    assert xvfb is not None, "Xvfb is missing: scripts/ensure-system-deps.sh installs it"
    read, write = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        raise AssertionError("Xvfb did not start")
    atexit.register(_stop, server)
    _display = os.environ["DISPLAY"] = f":{number}"
    return _display


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=10)


def qt_application() -> Any:
    """The process's QApplication, on Qt's offscreen platform (no display needed)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    return existing if isinstance(existing, QApplication) else QApplication([])


def qt_turn() -> None:
    """Run Qt's loop for one batch of events (at most 50 ms of waiting)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop

    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)


def glib_turn() -> None:
    """Run the GLib main loop for one iteration (a heartbeat source bounds the wait)."""
    from gi.repository import GLib

    GLib.MainContext.default().iteration(True)


@contextlib.contextmanager
def glib_heartbeat() -> Iterator[None]:
    """A 50 ms timer, so that a turn of the GLib loop never blocks for long."""
    from gi.repository import GLib

    source = GLib.timeout_add(50, lambda: GLib.SOURCE_CONTINUE)
    try:
        yield
    finally:
        GLib.source_remove(source)


def wait_for(
    predicate: Callable[[], object], what: str, turn: Callable[[], object], timeout: float = 15.0
) -> None:
    """Run the GUI's loop (``turn`` runs it for a moment) until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        turn()
