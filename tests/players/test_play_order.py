"""PlayOrder on its own: steps, wrapping, repeat one, shuffle and its upkeep on edits."""

from __future__ import annotations

import random

import pytest

from audio_service import AudioServiceRepeatMode, AudioServiceShuffleMode
from audio_service.players._play_order import PlayOrder

ALL = AudioServiceShuffleMode.ALL


def order_of(
    size: int, *, current: int | None = 0, shuffle: bool = False, seed: int = 1
) -> PlayOrder:
    order = PlayOrder(random.Random(seed))
    order.reset(size, current)
    if shuffle:
        order.set_shuffle(ALL, current)
    return order


def test_queue_order_steps_and_stops_at_the_ends() -> None:
    order = order_of(3)
    assert order.indices == (0, 1, 2)
    assert order.first() == 0
    assert order.next(0) == 1
    assert order.next(2) is None
    assert order.previous(0) is None
    assert order.previous(2) == 1
    assert order.step(0, 2, wrap=False) == 2
    assert order.next(None) is None


def test_an_empty_queue_has_no_first_item_and_no_steps() -> None:
    order = order_of(0, current=None)
    assert order.first() is None
    assert order.indices == ()
    assert order.step(None, 1, wrap=True) is None


@pytest.mark.parametrize("repeat", [AudioServiceRepeatMode.ALL, AudioServiceRepeatMode.GROUP])
def test_repeat_all_wraps_both_ways(repeat: AudioServiceRepeatMode) -> None:
    order = order_of(3)
    order.repeat = repeat
    assert order.wraps
    assert order.next(2) == 0
    assert order.previous(0) == 2
    assert order.following(2) == 0


def test_repeat_one_repeats_on_end_but_skipping_moves_on() -> None:
    order = order_of(3)
    order.repeat = AudioServiceRepeatMode.ONE
    assert order.following(1) == 1
    assert order.next(1) == 2
    assert order.next(2) is None  # no wrap under repeat one


def test_shuffle_is_a_permutation_with_the_current_item_first() -> None:
    order = order_of(10, current=4, shuffle=True)
    indices = order.indices
    assert sorted(indices) == list(range(10))
    assert indices[0] == 4
    assert indices != tuple(range(10))  # seed 1 does shuffle
    # Steps follow the permutation, not the queue.
    assert order.next(4) == indices[1]
    assert order.previous(indices[1]) == 4
    assert order.following(indices[-1]) is None
    assert order.first() == 4


def test_shuffling_again_keeps_the_order_and_unshuffling_restores_queue_order() -> None:
    order = order_of(6, current=2, shuffle=True)
    before = order.indices
    order.set_shuffle(AudioServiceShuffleMode.GROUP, 5)
    assert order.indices == before
    assert order.shuffle is AudioServiceShuffleMode.GROUP
    order.set_shuffle(AudioServiceShuffleMode.NONE, 2)
    assert order.indices == tuple(range(6))


def test_reset_reshuffles_only_under_shuffle() -> None:
    order = order_of(4)
    order.reset(6, 3)
    assert order.indices == tuple(range(6))
    order.set_shuffle(ALL, 3)
    order.reset(5, 1)
    assert order.size == 5
    assert order.indices[0] == 1
    assert sorted(order.indices) == list(range(5))


def test_inserts_in_queue_order_shift_nothing_but_the_size() -> None:
    order = order_of(3)
    order.insert(1, 2, current=0)
    assert order.indices == tuple(range(5))


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize(("at", "current"), [(0, 0), (0, 3), (2, 3), (3, 3), (4, 3), (5, 3)])
def test_inserted_items_join_the_shuffle_after_the_current_item(
    seed: int, at: int, current: int
) -> None:
    order = order_of(5, current=current, shuffle=True, seed=seed)
    before = order.indices
    order.insert(at, 2, current)
    after = order.indices
    moved = current + 2 if current >= at else current
    assert sorted(after) == list(range(7))
    # What played already keeps its place; the current item too.
    place = before.index(current)
    shifted = tuple(i + 2 if i >= at else i for i in before)
    assert after[: place + 1] == shifted[: place + 1]
    assert after[place] == moved
    # The new ones are still to come, and the old ones keep their relative order.
    assert {at, at + 1} <= set(after[place + 1 :])
    assert [i for i in after if i not in (at, at + 1)] == list(shifted)


def test_inserting_into_an_empty_shuffle_and_with_no_current_item() -> None:
    order = order_of(0, current=None, shuffle=True)
    order.insert(0, 3, None)
    assert sorted(order.indices) == [0, 1, 2]
    assert order.first() in (0, 1, 2)


def test_removing_keeps_the_shuffled_order_of_the_rest() -> None:
    order = order_of(6, current=2, shuffle=True)
    before = order.indices
    order.remove(3)
    assert order.size == 5
    assert order.indices == tuple(i - 1 if i > 3 else i for i in before if i != 3)
    plain = order_of(3)
    plain.remove(0)
    assert plain.indices == (0, 1)
