"""Turn raw media-button presses into gestures: single, double, triple click and hold.

Headsets have one button; the original left counting taps to each app's
``on_click`` and apps did it unreliably (audio_service #1068, #657). Here the
counting is done once, before the task sees anything:

========================  =====================================================
Presses                   Request dispatched
========================  =====================================================
one click                 ``Click(button=MediaButton.MEDIA)`` (play/pause)
two clicks                ``Click(button=MediaButton.NEXT)``
three (or more) clicks    ``Click(button=MediaButton.PREVIOUS)``
hold (1st or 2nd press)   ``SeekForward(begin=True)``, then ``begin=False`` on release
hold (3rd press)          ``SeekBackward(begin=True)``, then ``begin=False`` on release
========================  =====================================================

A burst ends ``window`` seconds after the last release (or :meth:`click`)
without another press. A press held for ``hold`` seconds becomes a hold at once,
ending the burst. Presses beyond the third extend the burst but still count as
three, so a burst of any length dispatches one request.

**How a task overrides the mapping.** Clicks arrive as :class:`Click` requests,
so the task receives the aggregated gesture in ``on_click(button)``: ``MEDIA``
for one click, ``NEXT`` for two, ``PREVIOUS`` for three. Its default plays or
pauses, skips next or skips previous; override ``on_click`` to do anything
else. Holds arrive in ``on_seek_forward(begin)`` / ``on_seek_backward(begin)``.
A host that wants another table altogether passes ``requests=`` (a function from
:class:`ClickGesture` to the requests to dispatch).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
from collections.abc import Callable, Sequence

from audio_service._model._models import MediaButton
from audio_service._service._requests import Click, Request, SeekBackward, SeekForward
from audio_service._surfaces._sending import Dispatch, RequestSender
from audio_session._checks import is_number

__all__ = ["ClickAggregator", "ClickGesture", "Dispatch", "default_gesture_requests"]

_log = logging.getLogger("audio_service.clicks")


class ClickGesture(enum.Enum):
    """What a burst of presses meant."""

    SINGLE = "single"
    DOUBLE = "double"
    TRIPLE = "triple"
    #: A hold that seeks forward started / ended.
    HOLD_FORWARD_START = "hold_forward_start"
    HOLD_FORWARD_END = "hold_forward_end"
    #: A hold after two clicks (the third press held): seek backward started / ended.
    HOLD_BACKWARD_START = "hold_backward_start"
    HOLD_BACKWARD_END = "hold_backward_end"


_DEFAULT: dict[ClickGesture, Request] = {
    ClickGesture.SINGLE: Click(button=MediaButton.MEDIA),
    ClickGesture.DOUBLE: Click(button=MediaButton.NEXT),
    ClickGesture.TRIPLE: Click(button=MediaButton.PREVIOUS),
    ClickGesture.HOLD_FORWARD_START: SeekForward(begin=True),
    ClickGesture.HOLD_FORWARD_END: SeekForward(begin=False),
    ClickGesture.HOLD_BACKWARD_START: SeekBackward(begin=True),
    ClickGesture.HOLD_BACKWARD_END: SeekBackward(begin=False),
}


def default_gesture_requests(gesture: ClickGesture) -> Sequence[Request]:
    """The requests dispatched for ``gesture`` by default (see the module table)."""
    return (_DEFAULT[gesture],)


def _check_seconds(value: object, field: str) -> float:
    if not is_number(value):
        raise TypeError(f"{field} must be a number of seconds, not {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{field} must be a finite number of seconds > 0, not {value!r}")
    return seconds


_COUNT_GESTURE = {1: ClickGesture.SINGLE, 2: ClickGesture.DOUBLE, 3: ClickGesture.TRIPLE}
_MAX_COUNT = 3


class ClickAggregator:
    """Counts presses of one media button and dispatches one request per gesture.

    Feed it key-down/key-up with :meth:`press`/:meth:`release` (evdev, a
    keyboard hook) or whole clicks with :meth:`click` (MPRIS ``PlayPause``, a
    Bluetooth AVRCP button). ``window`` is the longest pause between clicks of
    one burst and ``hold`` how long a press lasts before it is a hold, both in
    seconds. Must be used from a running event loop; every method is
    synchronous and cheap, so it may be called straight from a D-Bus handler.

    ``dispatch`` is called with each request in gesture order; an awaitable it
    returns is run as a task (its failure is logged). Call :meth:`close` when
    done: it ends a hold in progress so the task does not seek forever.
    """

    def __init__(
        self,
        dispatch: Dispatch,
        *,
        window: float = 0.4,
        hold: float = 0.6,
        requests: Callable[[ClickGesture], Sequence[Request]] = default_gesture_requests,
    ) -> None:
        if not callable(dispatch):
            raise TypeError(f"dispatch must be callable, not {dispatch!r}")
        if not callable(requests):
            raise TypeError(f"requests must be callable, not {requests!r}")
        self._sender = RequestSender(dispatch, "for a click", _log)
        self._requests = requests
        self.window = _check_seconds(window, "window")
        self.hold = _check_seconds(hold, "hold")
        self._count = 0
        self._pressed = False
        #: The gesture to end on release, while a hold is in progress.
        self._holding: ClickGesture | None = None
        self._window_timer: asyncio.TimerHandle | None = None
        self._hold_timer: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def pending(self) -> bool:
        """True while a burst or a hold is in progress (a request is still to come)."""
        return self._count > 0 or self._holding is not None

    def press(self) -> None:
        """The button went down. Key auto-repeat (down without up) is ignored."""
        if self._closed or self._pressed:
            return
        self._pressed = True
        self._cancel_window()
        self._count = min(self._count + 1, _MAX_COUNT)
        self._hold_timer = asyncio.get_running_loop().call_later(self.hold, self._on_hold)

    def release(self) -> None:
        """The button went up. A release without a press is ignored."""
        if self._closed or not self._pressed:
            return
        self._pressed = False
        self._cancel_hold_timer()
        if self._holding is not None:
            gesture, self._holding = self._holding, None
            self._emit(gesture)
            return
        self._restart_window()

    def click(self) -> None:
        """A whole click (down and up) from a source without key-up events.

        Ignored while the button is held: the press under way already counts.
        """
        if self._closed or self._pressed:
            return
        self._count = min(self._count + 1, _MAX_COUNT)
        self._restart_window()

    def close(self) -> None:
        """Stop: forget an unfinished burst and end a hold in progress. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._cancel_window()
        self._cancel_hold_timer()
        self._count = 0
        self._pressed = False
        if self._holding is not None:
            gesture, self._holding = self._holding, None
            self._emit(gesture)

    async def wait_dispatched(self) -> None:
        """Wait until the awaitables ``dispatch`` returned so far have finished."""
        await self._sender.wait()

    # ------------------------------------------------------------------ internals

    def _restart_window(self) -> None:
        self._cancel_window()
        self._window_timer = asyncio.get_running_loop().call_later(self.window, self._on_window)

    def _cancel_window(self) -> None:
        if self._window_timer is not None:
            self._window_timer.cancel()
            self._window_timer = None

    def _cancel_hold_timer(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None

    def _on_window(self) -> None:
        self._window_timer = None
        count, self._count = self._count, 0
        if count:
            self._emit(_COUNT_GESTURE[count])

    def _on_hold(self) -> None:
        self._hold_timer = None
        if not self._pressed:
            return
        backward = self._count >= _MAX_COUNT
        self._count = 0
        if backward:
            self._holding = ClickGesture.HOLD_BACKWARD_END
            self._emit(ClickGesture.HOLD_BACKWARD_START)
        else:
            self._holding = ClickGesture.HOLD_FORWARD_END
            self._emit(ClickGesture.HOLD_FORWARD_START)

    def _emit(self, gesture: ClickGesture) -> None:
        try:
            requests = tuple(self._requests(gesture))
        except Exception:
            _log.exception("the click gesture mapping raised on %s", gesture.name)
            return
        for request in requests:
            self._sender.send(request)
