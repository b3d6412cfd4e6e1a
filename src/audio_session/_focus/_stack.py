"""The audio-focus stack: Android's focus rules as a pure state machine, no I/O.

Every participant (``owner``, e.g. a D-Bus unique name) may hold several requests,
each named by a ``request_id``. The top of the stack holds focus; every entry below
it carries the loss it was last told about. The rules follow Android's
``MediaFocusControl``:

* a gain propagates to *every* entry below: ``GAIN`` makes them all lose for good
  (they leave the stack), a transient gain makes them lose transiently, a may-duck
  gain lets them duck unless they already lost more;
* a loss is delivered only when it differs from the loss the entry already has;
* when the top abandons (or its owner vanishes), the new top gets ``GAIN``; the
  entries below keep their losses;
* while a voice-communication request is in the stack, any other usage is denied.

Unlike Android's Flutter wrapper, each change carries the interruption events that
keep an app's "begin" and "end" balanced: a duck that turns into a pause first ends
the duck, so the app never resumes at a lowered volume.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from audio_session._android import AndroidAudioFocus, AndroidAudioFocusGainType, AndroidAudioUsage
from audio_session._enums import coerce_enum
from audio_session._events import AudioInterruptionEvent, AudioInterruptionType

__all__ = ["FocusChange", "FocusEntry", "FocusRequest", "FocusResult", "FocusStack"]

_GAIN = AndroidAudioFocusGainType.GAIN
_MAY_DUCK = AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK
_LOSS = AndroidAudioFocus.LOSS
_LOSS_TRANSIENT = AndroidAudioFocus.LOSS_TRANSIENT
_CAN_DUCK = AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK


@dataclass(frozen=True, slots=True)
class FocusRequest:
    """What a participant asks for: Android's ``AudioFocusRequest`` without the listener."""

    owner: str
    request_id: str
    gain_type: AndroidAudioFocusGainType
    usage: AndroidAudioUsage = AndroidAudioUsage.MEDIA
    will_pause_when_ducked: bool = False

    def __post_init__(self) -> None:
        for name in ("owner", "request_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty str, not {value!r}")
        object.__setattr__(
            self, "gain_type", coerce_enum(AndroidAudioFocusGainType, self.gain_type, "gain_type")
        )
        object.__setattr__(self, "usage", coerce_enum(AndroidAudioUsage, self.usage, "usage"))
        if not isinstance(self.will_pause_when_ducked, bool):
            raise TypeError(
                f"will_pause_when_ducked must be a bool, not {self.will_pause_when_ducked!r}"
            )

    @property
    def key(self) -> tuple[str, str]:
        return (self.owner, self.request_id)


@dataclass(frozen=True, slots=True)
class FocusEntry:
    """One request in the stack: its grant ``sequence`` and the loss it currently has.

    ``loss`` is ``None`` for the holder; for the others it is the last
    ``AndroidAudioFocus`` loss they were told about.
    """

    request: FocusRequest
    sequence: int
    loss: AndroidAudioFocus | None = None

    @property
    def focus(self) -> AndroidAudioFocus:
        """``GAIN`` for the holder, otherwise its loss."""
        return AndroidAudioFocus.GAIN if self.loss is None else self.loss


@dataclass(frozen=True, slots=True)
class FocusChange:
    """A focus change for one request of one participant, with its interruption events.

    ``interruptions`` holds zero to two events: a duck turning into a pause ends the
    duck before the pause begins; a duck turning into a pause-when-ducked upgrade
    needs none.
    """

    owner: str
    request_id: str
    #: The grant the change is about, so a late change for an earlier grant is recognised.
    sequence: int
    focus: AndroidAudioFocus
    interruptions: tuple[AudioInterruptionEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class FocusResult:
    """The answer to a request or an abandon, and the changes it caused to others."""

    granted: bool
    sequence: int = 0
    changes: tuple[FocusChange, ...] = field(default=())


def interruption_for(
    loss: AndroidAudioFocus | None, will_pause_when_ducked: bool
) -> AudioInterruptionType | None:
    """The interruption an entry is in while it has ``loss`` (``None``: not interrupted)."""
    if loss is None or loss is AndroidAudioFocus.GAIN:
        return None
    if loss is _LOSS:
        return AudioInterruptionType.UNKNOWN
    if loss is _CAN_DUCK and not will_pause_when_ducked:
        return AudioInterruptionType.DUCK
    return AudioInterruptionType.PAUSE


def interruptions_between(
    before: AudioInterruptionType | None, after: AudioInterruptionType | None
) -> tuple[AudioInterruptionEvent, ...]:
    """The events that take an app from interruption ``before`` to ``after``.

    A permanent loss (``UNKNOWN``) is announced without ending what came before:
    the app stops for good, so restoring a ducked volume first would only be heard.
    """
    if before == after:
        return ()
    events: list[AudioInterruptionEvent] = []
    if before is not None and after is not AudioInterruptionType.UNKNOWN:
        events.append(AudioInterruptionEvent(False, before))
    if after is not None:
        events.append(AudioInterruptionEvent(True, after))
    return tuple(events)


def loss_for_gain(
    current: AndroidAudioFocus | None, gain: AndroidAudioFocusGainType
) -> AndroidAudioFocus:
    """Android's ``focusLossForGainRequest``: the loss an entry gets when ``gain`` is granted."""
    if current is _LOSS or gain is _GAIN:
        return _LOSS
    if gain is not _MAY_DUCK or current is _LOSS_TRANSIENT:
        return _LOSS_TRANSIENT
    return _CAN_DUCK


class FocusStack:
    """Android's audio-focus stack. Methods return what changed; nothing is sent anywhere."""

    def __init__(self) -> None:
        # Bottom first: the holder is the last entry.
        self._entries: list[FocusEntry] = []
        self._next_sequence = 1

    @property
    def entries(self) -> tuple[FocusEntry, ...]:
        """The stack, holder first."""
        return tuple(reversed(self._entries))

    @property
    def holder(self) -> FocusEntry | None:
        """The entry holding focus, or ``None`` when the stack is empty."""
        return self._entries[-1] if self._entries else None

    @property
    def next_sequence(self) -> int:
        return self._next_sequence

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, owner: str, request_id: str) -> FocusEntry | None:
        for entry in self._entries:
            if entry.request.key == (owner, request_id):
                return entry
        return None

    def voice_call_active(self, *, excluding: tuple[str, str] | None = None) -> bool:
        """True while a voice-communication request other than ``excluding`` is stacked."""
        return any(
            entry.request.usage is AndroidAudioUsage.VOICE_COMMUNICATION
            and entry.request.key != excluding
            for entry in self._entries
        )

    def request(self, request: FocusRequest) -> FocusResult:
        """Grant ``request`` (or deny it during a voice call) and compute the losses it causes.

        A request from the holder with the same id only updates its parameters; a
        request from an entry further down moves it to the top.
        """
        if request.usage is not AndroidAudioUsage.VOICE_COMMUNICATION and self.voice_call_active(
            excluding=request.key
        ):
            return FocusResult(False)
        holder = self.holder
        if holder is not None and holder.request.key == request.key:
            self._entries[-1] = FocusEntry(request, holder.sequence)
            return FocusResult(True, holder.sequence)
        changes: list[FocusChange] = []
        sequence = self._next_sequence
        previous = self.find(*request.key)
        if previous is not None:
            self._entries.remove(previous)
            # The re-requester was interrupted; ending that interruption keeps its events balanced.
            before = interruption_for(previous.loss, previous.request.will_pause_when_ducked)
            if before is not None:
                changes.append(
                    FocusChange(
                        request.owner,
                        request.request_id,
                        sequence,
                        AndroidAudioFocus.GAIN,
                        interruptions_between(before, None),
                    )
                )
        changes = self._propagate(request.gain_type) + changes
        self._next_sequence += 1
        self._entries.append(FocusEntry(request, sequence))
        return FocusResult(True, sequence, tuple(changes))

    def abandon(self, owner: str, request_id: str) -> FocusResult:
        """Remove a request; when it held focus, the next one down regains it."""
        entry = self.find(owner, request_id)
        if entry is None:
            return FocusResult(False)
        return FocusResult(True, entry.sequence, tuple(self._remove([entry])))

    def remove_owner(self, owner: str) -> tuple[FocusChange, ...]:
        """Drop every request of a participant that went away, as if it had abandoned them."""
        return tuple(self._remove([e for e in self._entries if e.request.owner == owner]))

    def restore(self, entry: FocusEntry) -> None:
        """Put back an entry from an earlier arbiter, in sequence order, announcing nothing.

        Used when a new arbiter takes over: every participant re-sends its requests
        with their original sequence and current loss. Call :meth:`settle` once they
        are all back.
        """
        if entry.loss is _LOSS or entry.loss is AndroidAudioFocus.GAIN:
            raise ValueError(f"a restored entry cannot have loss {entry.loss!r}")
        if entry.sequence < 1:
            raise ValueError(f"sequence must be positive, not {entry.sequence}")
        if self.find(*entry.request.key) is not None:
            raise ValueError(f"request {entry.request.request_id!r} is already in the stack")
        if any(e.sequence == entry.sequence for e in self._entries):
            raise ValueError(f"sequence {entry.sequence} is already in the stack")
        index = len(self._entries)
        while index > 0 and self._entries[index - 1].sequence > entry.sequence:
            index -= 1
        self._entries.insert(index, entry)
        self._next_sequence = max(self._next_sequence, entry.sequence + 1)

    def renumber(self) -> dict[tuple[str, str], tuple[int, int]]:
        """Number the stack 1, 2, ... from the bottom; returns ``{key: (old, new)}``.

        After a takeover the restored sequences are whatever participants claimed (a
        peer may claim 2**64-1); numbering afresh keeps their order and keeps every
        later grant far inside the ``t`` (uint64) that carries it.
        """
        numbers: dict[tuple[str, str], tuple[int, int]] = {}
        for index, entry in enumerate(self._entries):
            numbers[entry.request.key] = (entry.sequence, index + 1)
            self._entries[index] = FocusEntry(entry.request, index + 1, entry.loss)
        self._next_sequence = len(self._entries) + 1
        return numbers

    def count(self, owner: str) -> int:
        """How many requests ``owner`` has in the stack."""
        return sum(1 for entry in self._entries if entry.request.owner == owner)

    def settle(self) -> tuple[FocusChange, ...]:
        """After restoring: give focus to a top that was interrupted by a holder now gone,
        and interrupt any entry below the top that believes it still holds focus."""
        changes: list[FocusChange] = []
        if not self._entries:
            return ()
        for index, entry in enumerate(self._entries[:-1]):
            if entry.loss is None:
                above = [e.request.gain_type for e in self._entries[index + 1 :]]
                loss: AndroidAudioFocus | None = None
                for gain in above:
                    loss = loss_for_gain(loss, gain)
                # A permanent loss could not have been missed; pause rather than drop it.
                self._entries[index] = FocusEntry(
                    entry.request, entry.sequence, _LOSS_TRANSIENT if loss is _LOSS else loss
                )
                changes.append(self._change(entry, self._entries[index].loss))
        top = self._entries[-1]
        if top.loss is not None:
            changes.append(self._change(top, None))
            self._entries[-1] = FocusEntry(top.request, top.sequence)
        return tuple(changes)

    def _propagate(self, gain: AndroidAudioFocusGainType) -> list[FocusChange]:
        changes: list[FocusChange] = []
        kept: list[FocusEntry] = []
        for entry in self._entries:
            loss = loss_for_gain(entry.loss, gain)
            if loss is not entry.loss:
                changes.append(self._change(entry, loss))
            if loss is not _LOSS:
                kept.append(FocusEntry(entry.request, entry.sequence, loss))
        self._entries = kept
        # Holder first, like the stack itself, so the loudest player hears first.
        changes.reverse()
        return changes

    def _remove(self, gone: Iterable[FocusEntry]) -> list[FocusChange]:
        gone_keys = {entry.request.key for entry in gone}
        if not gone_keys:
            return []
        had_holder = self._entries[-1].request.key in gone_keys
        self._entries = [e for e in self._entries if e.request.key not in gone_keys]
        if not had_holder or not self._entries:
            return []
        top = self._entries[-1]
        self._entries[-1] = FocusEntry(top.request, top.sequence)
        if top.loss is None:
            return []
        return [self._change(top, None)]

    @staticmethod
    def _change(entry: FocusEntry, loss: AndroidAudioFocus | None) -> FocusChange:
        wpwd = entry.request.will_pause_when_ducked
        return FocusChange(
            entry.request.owner,
            entry.request.request_id,
            entry.sequence,
            AndroidAudioFocus.GAIN if loss is None else loss,
            interruptions_between(interruption_for(entry.loss, wpwd), interruption_for(loss, wpwd)),
        )
