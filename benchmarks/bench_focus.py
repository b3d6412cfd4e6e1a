"""Audio focus over D-Bus against a bare ``org.freedesktop.DBus.Peer.Ping`` round trip.

Run with ``python -m benchmarks.bench_focus`` (or ``python -m benchmarks focus``).
A private ``dbus-daemon`` carries three connections of this one process: the
hosting participant (the arbiter), a holder playing music, and a requester. Each
trial the requester asks for may-duck focus and then abandons it, so the holder
ducks and un-ducks. Measured, in interleaved rounds with the Ping baseline:

* request -> grant: ``await FocusClient.request(...)`` as the requester sees it;
* loss delivered: from the start of that request until the holder's ``changes``
  subscription yields the loss (bus hop to the arbiter, unicast signal, stream).

Targets: request -> grant p50 at most 3x Ping; loss delivered p50 under 2 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from dbus_fast import Message
from dbus_fast.aio import MessageBus

from audio_session import AndroidAudioFocus, AndroidAudioFocusGainType
from audio_session._focus import FocusChange, FocusClient
from audio_session.testing import PrivateSessionBus

WARM_UP = 200
ROUNDS = 10
PER_ROUND = 200


def _percentile(samples: list[int], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] / 1000


async def main() -> None:
    clock = time.perf_counter_ns
    with PrivateSessionBus() as private_bus:
        buses = [await MessageBus(bus_address=private_bus.address).connect() for _ in range(3)]
        host, holder, requester = (FocusClient(name) for name in ("host", "holder", "requester"))
        for client, bus in zip((host, holder, requester), buses, strict=True):
            await client.connect(bus)
        assert host.hosting
        ping = Message(
            destination=buses[0].unique_name,
            path="/",
            interface="org.freedesktop.DBus.Peer",
            member="Ping",
        )
        await holder.request(AndroidAudioFocusGainType.GAIN)
        losses = holder.changes.where(lambda c: c.focus is not AndroidAudioFocus.GAIN)
        subscription = losses.subscribe()
        gains = holder.changes.where(lambda c: c.focus is AndroidAudioFocus.GAIN).subscribe()

        async def trial() -> tuple[int, int]:
            start = clock()
            granted = await requester.request(AndroidAudioFocusGainType.GAIN_TRANSIENT_MAY_DUCK)
            granted_at = clock()
            change: FocusChange = await subscription.__anext__()
            lost_at = clock()
            assert granted
            assert change.focus is AndroidAudioFocus.LOSS_TRANSIENT_CAN_DUCK
            await requester.abandon()
            await gains.__anext__()
            return granted_at - start, lost_at - start

        try:
            for _ in range(WARM_UP):
                await buses[2].call(ping)
                await trial()
            pings: list[int] = []
            grants: list[int] = []
            deliveries: list[int] = []
            for _ in range(ROUNDS):
                for _ in range(PER_ROUND):
                    start = clock()
                    await buses[2].call(ping)
                    pings.append(clock() - start)
                for _ in range(PER_ROUND):
                    granted, delivered = await trial()
                    grants.append(granted)
                    deliveries.append(delivered)
        finally:
            subscription.cancel()
            gains.cancel()
            for client in (requester, holder, host):
                await client.close()
            for bus in buses:
                bus.disconnect()

    print(
        f"{len(pings)} trials each after {WARM_UP} warm-up, one process and a private "
        f"dbus-daemon, Python {sys.version.split()[0]}\n"
    )
    print("| subject | p50 (µs) | p99 (µs) | mean (µs) |")
    print("|---|---:|---:|---:|")
    rows = [
        ("Peer.Ping round trip to the arbiter's process", pings),
        ("request -> grant", grants),
        ("request -> loss delivered to the holder", deliveries),
    ]
    for name, samples in rows:
        p50, p99 = _percentile(samples, 0.50), _percentile(samples, 0.99)
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {statistics.fmean(samples) / 1000:.1f} |")
    grant_ratio = _percentile(grants, 0.50) / _percentile(pings, 0.50)
    loss_p50 = _percentile(deliveries, 0.50)
    print(f"| ratio request->grant / Ping | {grant_ratio:.2f}x | | |")
    print(
        f"\ntargets: request->grant p50 <= 3x Ping: {'met' if grant_ratio <= 3 else 'MISSED'}; "
        f"loss delivered p50 < 2 ms: {'met' if loss_p50 < 2000 else 'MISSED'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
