"""Randomized runs: the invariants hold, and the D-Bus arbiter matches the pure stack."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable

from dbus_fast.aio import MessageBus

from audio_session import (
    AndroidAudioFocus,
    AndroidAudioFocusGainType,
    AndroidAudioUsage,
    AudioInterruptionType,
)
from audio_session._focus import FocusChange, FocusClient, FocusEntry, FocusRequest, FocusStack
from audio_session._focus._stack import interruption_for
from audio_session.testing import PrivateSessionBus

GAINS = list(AndroidAudioFocusGainType)


class Ledger:
    """Checks each request's interruptions: every begin is followed by its own end,
    by a permanent loss, or by the request's own abandon."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, str], AudioInterruptionType | None] = {}

    def record(self, changes: Iterable[FocusChange]) -> None:
        for change in changes:
            key = (change.owner, change.request_id)
            for event in change.interruptions:
                current = self.open.get(key)
                if event.begin:
                    assert current is None or event.type is AudioInterruptionType.UNKNOWN, (
                        key,
                        current,
                        event,
                    )
                    self.open[key] = event.type
                else:
                    assert current is event.type, (key, current, event)
                    self.open[key] = None
            if change.focus is AndroidAudioFocus.LOSS:
                assert self.open.get(key) is AudioInterruptionType.UNKNOWN
                self.open[key] = None

    def forget(self, owner: str, request_id: str) -> None:
        self.open[(owner, request_id)] = None


def check_stack(stack: FocusStack, ledger: Ledger) -> None:
    entries = stack.entries
    # At most one un-ducked holder playing, and it is the top.
    assert [e for e in entries if e.loss is None] == list(entries[:1])
    for entry in entries:
        wpwd = entry.request.will_pause_when_ducked
        assert ledger.open.get(entry.request.key) is interruption_for(entry.loss, wpwd)
    sequences = [e.sequence for e in entries]
    assert sequences == sorted(sequences, reverse=True)


def random_request(rng: random.Random, owner: str, request_id: str) -> FocusRequest:
    usage = (
        AndroidAudioUsage.VOICE_COMMUNICATION if rng.random() < 0.05 else AndroidAudioUsage.MEDIA
    )
    return FocusRequest(owner, request_id, rng.choice(GAINS), usage, rng.random() < 0.3)


def test_pure_stack_invariants_under_random_operations() -> None:
    rng = random.Random(20261121)
    for _ in range(20):
        stack, ledger = FocusStack(), Ledger()
        owners = [f"p{i}" for i in range(8)]
        for _ in range(300):
            owner, request_id = rng.choice(owners), rng.choice(["a", "b"])
            roll = rng.random()
            if roll < 0.55:
                ledger.record(stack.request(random_request(rng, owner, request_id)).changes)
            elif roll < 0.85:
                if stack.find(owner, request_id) is not None:
                    ledger.forget(owner, request_id)
                ledger.record(stack.abandon(owner, request_id).changes)
            elif roll < 0.95:
                for key in [e.request.key for e in stack.entries if e.request.owner == owner]:
                    ledger.forget(*key)
                ledger.record(stack.remove_owner(owner))
            else:
                # A takeover: the holder's owner dies, the rest come back in any order.
                rebuilt = FocusStack()
                dead = stack.holder.request.owner if stack.holder else ""
                survivors = [e for e in stack.entries if e.request.owner != dead]
                for entry in rng.sample(survivors, len(survivors)):
                    rebuilt.restore(FocusEntry(entry.request, entry.sequence, entry.loss))
                for entry in stack.entries:
                    if entry.request.owner == dead:
                        ledger.forget(*entry.request.key)
                stack = rebuilt
                ledger.record(stack.settle())
            check_stack(stack, ledger)


async def test_arbiter_over_dbus_matches_the_pure_stack(dbus_session: PrivateSessionBus) -> None:
    rng = random.Random(7)
    buses = [await MessageBus(bus_address=dbus_session.address).connect() for _ in range(20)]
    clients = [FocusClient() for _ in buses]
    received: dict[str, list[FocusChange]] = {}
    arrived = asyncio.Event()

    def listener(into: list[FocusChange]) -> Callable[[FocusChange], None]:
        def on_change(change: FocusChange) -> None:
            into.append(change)
            arrived.set()

        return on_change

    for bus, client in zip(buses, clients, strict=True):
        await client.connect(bus)
        name = client.unique_name
        assert name is not None
        received[name] = []
        client.changes.listen(listener(received[name]))
    assert clients[0].hosting
    model, ledger = FocusStack(), Ledger()
    expected: dict[str, list[FocusChange]] = {name: [] for name in received}
    try:
        for _ in range(100 * len(clients)):
            client = rng.choice(clients)
            name = client.unique_name
            assert name is not None
            if rng.random() < 0.6:
                request = random_request(rng, name, client.request_id)
                result = model.request(request)
                granted = await client.request(
                    request.gain_type, request.usage, request.will_pause_when_ducked
                )
                assert granted == result.granted
            else:
                if model.find(name, client.request_id) is not None:
                    ledger.forget(name, client.request_id)
                result = model.abandon(name, client.request_id)
                assert await client.abandon() == result.granted
            ledger.record(result.changes)
            for change in result.changes:
                # Over the bus a change arrives with the receiver's own name.
                expected[change.owner].append(change)
            while any(len(received[o]) < len(c) for o, c in expected.items()):
                arrived.clear()
                await asyncio.wait_for(arrived.wait(), 2.0)
            assert received == expected
            check_stack(model, ledger)
            for each in clients:
                entry = model.find(each.unique_name or "", each.request_id)
                assert each.focus == (None if entry is None else entry.focus)
        # The run exercised every kind of outcome.
        kinds = {c.focus for changes in received.values() for c in changes}
        assert kinds == set(AndroidAudioFocus)
    finally:
        for client in clients:
            await client.close()
        for bus in buses:
            bus.disconnect()
