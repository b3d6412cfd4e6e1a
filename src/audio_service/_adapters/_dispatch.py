"""Where stream callbacks run: a dispatcher, and the client's own dispatcher thread.

A dispatcher is any callable that takes a zero-argument function and arranges
for it to be called later, in order, on the thread it stands for: the client's
own thread by default, a GUI toolkit's main loop in the adapters
(``GLib.idle_add``, a queued Qt signal).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["Dispatcher", "Relay", "ThreadDispatcher"]

_log = logging.getLogger("audio_service")

T = TypeVar("T")

#: Takes a function and calls it later on the thread it stands for, in order.
Dispatcher = Callable[[Callable[[], object]], object]

_EMPTY: Any = object()
_STOP: Any = object()


class ThreadDispatcher:
    """Runs the functions given to it one after the other on a thread of its own.

    The thread starts with the first function and ends at :meth:`stop`, after
    the functions already given. A function that raises is logged; the next
    one runs all the same.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._guard = threading.Lock()
        self._queue: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def __call__(self, function: Callable[[], object]) -> None:
        if self._thread is None:
            with self._guard:
                if self._thread is None:
                    # Daemon for the same reason as the loop thread: its owner joins it at exit.
                    thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                    thread.start()
                    self._thread = thread
        self._queue.put(function)

    def in_thread(self) -> bool:
        thread = self._thread
        return thread is not None and thread.ident == threading.get_ident()

    def _run(self) -> None:
        while True:
            function = self._queue.get()
            if function is _STOP:
                return
            try:
                function()
            except Exception:
                _log.exception("a stream callback raised")

    def stop(self) -> None:
        """Run what was given, then end the thread (joined unless called from it)."""
        with self._guard:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(_STOP)
        if thread.ident != threading.get_ident():
            thread.join()


class Relay(Generic[T]):
    """Carries one listener's values from the loop thread to its dispatcher.

    For a replaying stream (``latest_only``) only the newest value waits: a GUI
    that falls behind skips to the current state instead of replaying every one
    it missed. Event streams deliver every value, in order.
    """

    __slots__ = ("_callback", "_cancelled", "_dispatch", "_guard", "_latest_only", "_pending")

    def __init__(
        self, callback: Callable[[T], object], dispatch: Dispatcher, *, latest_only: bool
    ) -> None:
        self._callback = callback
        self._dispatch = dispatch
        self._latest_only = latest_only
        self._guard = threading.Lock()
        self._pending: Any = _EMPTY
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    def push(self, value: T) -> None:
        if self._cancelled:
            return
        if not self._latest_only:
            self._dispatch(lambda: self._deliver(value))
            return
        with self._guard:
            idle = self._pending is _EMPTY
            self._pending = value
        if idle:
            self._dispatch(self._drain)

    def _drain(self) -> None:
        with self._guard:
            value, self._pending = self._pending, _EMPTY
        if value is not _EMPTY:
            self._deliver(value)

    def _deliver(self, value: T) -> None:
        if self._cancelled:
            return
        try:
            self._callback(value)
        except Exception:
            _log.exception("a stream callback raised")
