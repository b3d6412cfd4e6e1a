"""The focus arbiter: one :class:`FocusStack` served on a D-Bus connection.

It answers raw messages instead of exporting a ``ServiceInterface`` because every
call needs the caller's unique name, which dbus-fast does not hand to service
methods. Focus changes go out as *unicast* signals (destination set), so each one
reaches only its participant, costs no reply and needs no match rule there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus

from audio_session._android import AndroidAudioFocus, AndroidAudioFocusGainType, AndroidAudioUsage
from audio_session._focus._interface import (
    ERROR_DUPLICATE,
    ERROR_INVALID_ARGS,
    ERROR_LIMITS_EXCEEDED,
    ERROR_NOT_RECOVERING,
    ERROR_NOT_REGISTERED,
    INTERFACE,
    INTROSPECTION_XML,
    MAX_REQUEST_ID_LENGTH,
    MAX_REQUESTS_PER_PARTICIPANT,
    OBJECT_PATH,
)
from audio_session._focus._stack import FocusChange, FocusEntry, FocusRequest, FocusStack
from audio_session._tasks import BackgroundTasks

__all__ = ["RECOVERY_WINDOW", "FocusArbiter"]

_log = logging.getLogger(__name__)

#: How long a new arbiter waits for participants to restore their requests before it
#: hands focus to the top of the rebuilt stack and serves new requests.
RECOVERY_WINDOW = 0.15

_DBUS = "org.freedesktop.DBus"
_INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
_FAILED = "org.freedesktop.DBus.Error.Failed"
_GONE = "org.freedesktop.DBus.Error.ServiceUnknown"


class _CallError(Exception):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(text)
        self.name = name
        self.text = text


def _owner_rule(name: str) -> str:
    return (
        f"type='signal',sender='{_DBUS}',interface='{_DBUS}',"
        f"member='NameOwnerChanged',arg0='{name}'"
    )


def _gain_type(raw: int) -> AndroidAudioFocusGainType:
    try:
        return AndroidAudioFocusGainType(raw)
    except ValueError:
        raise _CallError(
            ERROR_INVALID_ARGS, f"gain_type must be 1, 2, 3 or 4, not {raw!r}"
        ) from None


def _usage(raw: int) -> AndroidAudioUsage:
    try:
        return AndroidAudioUsage(raw)
    except ValueError:
        raise _CallError(ERROR_INVALID_ARGS, f"usage {raw!r} is not an Android usage") from None


class FocusArbiter:
    """Serves a :class:`FocusStack` to the participants of a bus.

    ``local_owner`` is the id of the participant living in this process; its changes
    go to ``deliver_local`` directly instead of over the bus, and ``renumber_local``
    hears ``(request_id, old, new)`` when a recovery numbers the stack afresh.
    Without a ``bus`` the arbiter serves this process only.

    One peer's input or a failure to reach one peer never fails another's call:
    calls are validated before they touch the stack, restored sequences are
    renumbered, and each signal is sent (and may fail) on its own.
    """

    def __init__(
        self,
        bus: MessageBus | None,
        local_owner: str,
        deliver_local: Callable[[FocusChange], None],
        *,
        recovering: bool = False,
        renumber_local: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.bus = bus
        self.stack = FocusStack()
        self.local_owner = local_owner
        self._deliver_local = deliver_local
        self._renumber_local = renumber_local
        # Restore calls answered when the recovery ends, with the request's new number.
        self._held_restores: list[tuple[Message, tuple[str, str]]] = []
        self._peers: set[str] = set()
        self._tasks = BackgroundTasks(_log, "an audio focus arbiter task")
        self._ready = asyncio.Event()
        if not recovering:
            self._ready.set()
        self._attached = False

    @property
    def recovering(self) -> bool:
        """True until :meth:`finish_recovery` ran after a takeover."""
        return not self._ready.is_set()

    @property
    def peers(self) -> frozenset[str]:
        return frozenset(self._peers)

    def attach(self) -> None:
        """Start answering calls on the bus (before the name is requested, so no call is lost)."""
        if self.bus is not None and not self._attached:
            self.bus.add_message_handler(self._on_message)
            self._attached = True

    def detach(self) -> None:
        held, self._held_restores = self._held_restores, []
        for msg, _key in held:
            # This arbiter is going: the participant looks for the next one.
            self._reply(Message.new_error(msg, _GONE, "the focus arbiter is closing"))
        if self.bus is not None and self._attached:
            self.bus.remove_message_handler(self._on_message)
            self._attached = False
            for peer in self._peers:
                self._send_quietly(self._bus_call("RemoveMatch", "s", [_owner_rule(peer)]))
        self._tasks.cancel()

    def finish_recovery_later(self, delay: float = RECOVERY_WINDOW) -> None:
        """End the takeover grace period after ``delay`` seconds."""
        self._spawn(self._finish_after(delay))

    async def _finish_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.finish_recovery()

    def finish_recovery(self) -> None:
        if self._ready.is_set():
            return
        self._ready.set()
        numbers = self.stack.renumber()
        held, self._held_restores = self._held_restores, []
        # Replies first: each participant learns its new number before any change for it.
        for msg, key in held:
            if key in numbers:
                self._reply(Message.new_method_return(msg, "t", [numbers[key][1]]))
            else:
                self._reply(
                    Message.new_error(msg, _FAILED, "the request left the stack during recovery")
                )
        if self._renumber_local is not None:
            for (owner, request_id), (old, new) in numbers.items():
                if owner == self.local_owner and old != new:
                    self._guarded(self._renumber_local, request_id, old, new)
        self._dispatch(self.stack.settle())

    async def wait_ready(self) -> None:
        await self._ready.wait()

    # Local participant: plain calls, no bus.

    def request(self, request: FocusRequest) -> tuple[bool, int]:
        result = self.stack.request(request)
        self._dispatch(result.changes)
        return result.granted, result.sequence

    def abandon(self, owner: str, request_id: str) -> bool:
        result = self.stack.abandon(owner, request_id)
        self._dispatch(result.changes)
        return result.granted

    def restore(self, entry: FocusEntry) -> None:
        self.stack.restore(entry)
        if not self.recovering:
            self._dispatch(self.stack.settle())

    def remove_owner(self, owner: str) -> None:
        self._peers.discard(owner)
        self._dispatch(self.stack.remove_owner(owner))

    def _dispatch(self, changes: tuple[FocusChange, ...]) -> None:
        # Each change on its own: one that cannot be built or sent is logged and skipped,
        # and the others (and the call that caused them) go on.
        for change in changes:
            if change.owner == self.local_owner:
                self._guarded(self._deliver_local, change)
            elif self.bus is not None:
                self._guarded(self._signal, change)

    def _signal(self, change: FocusChange) -> None:
        assert self.bus is not None
        self._send_quietly(
            Message(
                message_type=MessageType.SIGNAL,
                destination=change.owner,
                path=OBJECT_PATH,
                interface=INTERFACE,
                member="FocusChanged",
                signature="stia(bu)",
                body=[
                    change.request_id,
                    change.sequence,
                    int(change.focus),
                    [[e.begin, int(e.type)] for e in change.interruptions],
                ],
            )
        )

    # The bus side.

    def _on_message(self, msg: Message) -> Message | bool | None:
        if msg.message_type is MessageType.SIGNAL:
            if (
                msg.member == "NameOwnerChanged"
                and msg.sender == _DBUS
                and msg.body[0] in self._peers
                and not msg.body[2]
            ):
                self.remove_owner(msg.body[0])
            return None
        if msg.message_type is not MessageType.METHOD_CALL or msg.path != OBJECT_PATH:
            return None
        if msg.interface == _INTROSPECTABLE and msg.member == "Introspect":
            return Message.new_method_return(msg, "s", [INTROSPECTION_XML])
        if msg.interface not in (INTERFACE, None):
            return None
        try:
            return self._call(msg)
        except _CallError as error:
            return Message.new_error(msg, error.name, error.text)
        except Exception as error:
            # A fault of ours fails this call only; the arbiter serves on.
            _log.exception("the audio focus arbiter failed on %s from %s", msg.member, msg.sender)
            return Message.new_error(msg, _FAILED, f"internal error: {type(error).__name__}")

    def _call(self, msg: Message) -> Message | bool | None:
        member, sender, body = msg.member, msg.sender, msg.body
        if member == "Register":
            self._check(msg, "")
            if sender not in self._peers:
                self._peers.add(sender)
                self._spawn(self._watch(msg))
                return True
            return Message.new_method_return(msg)
        if member not in ("Request", "Abandon", "Restore", "GetStack"):
            return None
        if member == "GetStack" and sender == self.local_owner:
            pass  # this process's own connection is a participant without registering
        elif sender not in self._peers:
            raise _CallError(ERROR_NOT_REGISTERED, f"{sender} must call Register first")
        if member == "GetStack":
            self._check(msg, "")
            return Message.new_method_return(msg, "a(ssuubti)", [self._stack_body()])
        if member == "Abandon":
            self._check(msg, "s")
            _check_request_id(body[0])
            return Message.new_method_return(msg, "b", [self.abandon(sender, body[0])])
        if member == "Request":
            self._check(msg, "suub")
            request = self._request(sender, body)
            if self.recovering:
                self._spawn(self._request_later(msg, request))
                return True
            granted, sequence = self.request(request)
            return Message.new_method_return(msg, "bt", [granted, sequence])
        self._check(msg, "suubti")
        request = self._request(sender, body)
        sequence, focus = body[4], body[5]
        if focus not in (1, -2, -3):
            raise _CallError(ERROR_INVALID_ARGS, f"focus must be 1, -2 or -3, not {focus}")
        if not self.recovering:
            # Outside a takeover a restored entry could claim any place, above the holder too.
            raise _CallError(
                ERROR_NOT_RECOVERING,
                "Restore is only accepted while a new arbiter recovers; call Request",
            )
        loss = None if focus == 1 else AndroidAudioFocus(focus)
        try:
            self.restore(FocusEntry(request, sequence, loss))
        except ValueError as error:
            name = ERROR_DUPLICATE if "already" in str(error) else ERROR_INVALID_ARGS
            raise _CallError(name, str(error)) from None
        self._held_restores.append((msg, request.key))
        return True

    @staticmethod
    def _check(msg: Message, signature: str) -> None:
        if msg.signature != signature:
            raise _CallError(
                ERROR_INVALID_ARGS,
                f"{msg.member} takes signature {signature!r}, not {msg.signature!r}",
            )

    def _request(self, sender: str, body: list[Any]) -> FocusRequest:
        _check_request_id(body[0])
        request = FocusRequest(sender, body[0], _gain_type(body[1]), _usage(body[2]), body[3])
        if (
            self.stack.find(*request.key) is None
            and self.stack.count(sender) >= MAX_REQUESTS_PER_PARTICIPANT
        ):
            raise _CallError(
                ERROR_LIMITS_EXCEEDED,
                f"a participant may have at most {MAX_REQUESTS_PER_PARTICIPANT} requests",
            )
        return request

    def _stack_body(self) -> list[list[Any]]:
        return [
            [
                e.request.owner,
                e.request.request_id,
                int(e.request.gain_type),
                int(e.request.usage),
                e.request.will_pause_when_ducked,
                e.sequence,
                int(e.focus),
            ]
            for e in self.stack.entries
        ]

    async def _request_later(self, msg: Message, request: FocusRequest) -> None:
        await self._ready.wait()
        if request.owner not in self._peers:
            return
        granted, sequence = self.request(request)
        self._reply(Message.new_method_return(msg, "bt", [granted, sequence]))

    async def _watch(self, msg: Message) -> None:
        peer = msg.sender
        try:
            await self._bus_call("AddMatch", "s", [_owner_rule(peer)])
            # It may have left before the rule was in place.
            reply = await self._bus_call("NameHasOwner", "s", [peer])
            alive = reply.message_type is MessageType.METHOD_RETURN and bool(reply.body[0])
        except Exception:
            _log.exception("could not watch focus participant %s", peer)
            alive = True
        if not alive:
            self.remove_owner(peer)
            return
        self._reply(Message.new_method_return(msg))

    def _bus_call(self, member: str, signature: str, body: list[Any]) -> asyncio.Future[Any]:
        assert self.bus is not None
        return asyncio.ensure_future(
            self.bus.call(
                Message(
                    destination=_DBUS,
                    path="/org/freedesktop/DBus",
                    interface=_DBUS,
                    member=member,
                    signature=signature,
                    body=body,
                )
            )
        )

    def _reply(self, msg: Message) -> None:
        if self.bus is not None and self._attached:
            self._send_quietly(msg)

    def _send_quietly(self, what: Message | asyncio.Future[Any]) -> None:
        if isinstance(what, Message):
            assert self.bus is not None
            what = self.bus.send(what)
        # A peer gone or a connection closing must not surface as "exception never retrieved".
        what.add_done_callback(_consume)

    @staticmethod
    def _guarded(action: Callable[..., None], *args: Any) -> None:
        try:
            action(*args)
        except Exception:
            _log.exception("audio focus: could not tell a participant of a change")

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._tasks.spawn(coroutine)


def _check_request_id(request_id: str) -> None:
    if not request_id:
        raise _CallError(ERROR_INVALID_ARGS, "request_id must not be empty")
    if len(request_id) > MAX_REQUEST_ID_LENGTH:
        raise _CallError(
            ERROR_INVALID_ARGS,
            f"request_id must be at most {MAX_REQUEST_ID_LENGTH} characters, not {len(request_id)}",
        )


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        with contextlib.suppress(Exception):
            future.exception()
