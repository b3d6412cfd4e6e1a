"""The queue: an immutable block sequence, edit operations, and the diff (#677)."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_service import MediaItem, MediaQueue
from audio_service._model._queue import (
    _BLOCK,
    QueueReplace,
    QueueSplice,
    QueueUpdate,
    apply,
    diff,
)
from service_support import item


def content(items: Any) -> list[tuple[Any, ...]]:
    """Items compared by every field (MediaItem == compares ids only)."""
    return [msgspec.structs.astuple(entry) for entry in items]


def items(count: int, prefix: str = "") -> list[MediaItem]:
    return [item(f"{prefix}{number}") for number in range(count)]


# -------------------------------------------------------------- MediaQueue


def test_queue_behaves_like_an_immutable_sequence() -> None:
    source = items(2000)
    queue = MediaQueue(source)
    assert len(queue) == 2000
    assert queue[0] is source[0]
    assert queue[1999] is source[1999]
    assert queue[-1] is source[-1]
    assert queue[700:705] == tuple(source[700:705])
    assert queue[5:1] == ()
    assert queue[::700] == tuple(source[::700])
    assert list(queue) == source
    assert list(reversed(queue)) == source[::-1]
    assert queue == source
    assert queue == tuple(source)
    assert queue != source[:-1]
    assert hash(queue) == hash(tuple(source))
    assert source[3] in queue
    assert repr(queue).startswith("<MediaQueue of 2000 items: '0', '1', '2', ...")
    with pytest.raises(IndexError, match="2000"):
        queue[2000]
    with pytest.raises(TypeError, match="MediaItem"):
        MediaQueue(["nope"])  # type: ignore[list-item]


def test_index_of_uses_the_hint_first() -> None:
    source = [item("a"), item("b"), item("a")]
    queue = MediaQueue(source)
    assert queue.index_of("a") == 0
    assert queue.index_of("a", hint=2) == 2
    assert queue.index_of("a", hint=1) == 0
    assert queue.index_of("zzz") is None
    assert queue.index_of("b", hint=99) == 1


def test_edits_return_new_queues_and_leave_the_original_alone() -> None:
    queue = MediaQueue(items(3))
    spliced = queue.splice(1, 1, [item("x"), item("y")])
    assert [entry.id for entry in spliced] == ["0", "x", "y", "2"]
    assert [entry.id for entry in queue] == ["0", "1", "2"]
    updated = queue.update(2, item("2", "new title"))
    assert updated[2].title == "new title"
    assert queue[2].title == "title 2"
    assert queue.splice(1, 0, []) is queue


@pytest.mark.parametrize(("index", "delete_count"), [(4, 0), (-1, 0), (2, 2), (0, -1)])
def test_a_splice_that_does_not_fit_is_an_index_error(index: int, delete_count: int) -> None:
    queue = MediaQueue(items(3))
    with pytest.raises(IndexError, match="splice"):
        queue.splice(index, delete_count, [item("x")])


def test_an_update_that_does_not_fit_is_an_index_error() -> None:
    with pytest.raises(IndexError, match="update"):
        MediaQueue(items(3)).update(3, item("x"))
    with pytest.raises(TypeError, match="MediaItem"):
        MediaQueue(items(3)).update(0, "x")  # type: ignore[arg-type]


def test_many_single_deletes_keep_the_queue_correct_and_its_blocks_healthy() -> None:
    source = items(5000)
    queue = MediaQueue(source)
    for _ in range(4000):
        queue = queue.splice(len(queue) // 3, 1)
        del source[len(source) // 3]
    assert list(queue) == source
    assert content(queue) == content(source)
    assert len(queue._blocks) <= len(source) // 64 + 2
    _assert_block_table(queue)


def test_blocks_that_grow_by_inserts_split_before_they_pass_the_block_size() -> None:
    # An insert copies the block it lands in: blocks stay at most _BLOCK items, including
    # a short queue's only block and one that many inserts in one place made grow.
    source = items(1000)
    queue = MediaQueue(source)
    assert max(map(len, queue._blocks)) <= _BLOCK
    for number in range(1500):
        new = item(f"new-{number}")
        queue = queue.splice(len(queue) // 2, 0, [new])
        source.insert(len(source) // 2, new)
    assert list(queue) == source
    assert max(map(len, queue._blocks)) <= _BLOCK
    assert min(map(len, queue._blocks)) >= _BLOCK // 4
    _assert_block_table(queue)


def test_edits_in_one_place_share_the_table_of_block_starts_and_stay_correct() -> None:
    # Inserts and deletes within one block leave the other blocks where they were: the table
    # is shared and only its shift after that block changes; an edit elsewhere settles it.
    model = items(20_000)
    queue = MediaQueue(model)
    table = queue._starts
    once = queue.splice(7_000, 0, [item("once")])
    assert once._starts is table
    assert once[7_000].id == "once"
    assert once[7_001] is model[7_000]
    assert once[len(model)] is model[-1]
    for number in range(300):
        index = 7_000 + number % 5
        if number % 7 == 6:
            del model[index]
            queue = queue.splice(index, 1)
        else:
            new = item(f"here-{number}")
            model.insert(index, new)
            queue = queue.splice(index, 0, [new])
        if number % 50 == 49:
            edited = item(f"edited-{number}")
            model[15_000] = edited
            queue = queue.update(15_000, edited)
        for probe in (0, 6_999, index, index + 1, 7_600, 15_000, len(model) - 1):
            assert queue[probe] is model[probe]
        assert queue[index - 3 : index + 700] == tuple(model[index - 3 : index + 700])
        _assert_block_table(queue)
    assert list(queue) == model
    new = item("elsewhere")
    model.insert(100, new)
    queue = queue.splice(100, 0, [new])
    new = item("after")
    model.insert(12_000, new)
    queue = queue.splice(12_000, 0, [new])
    assert list(queue) == model
    assert [queue.index_of(entry.id) for entry in model[11_990:12_010]] == list(
        range(11_990, 12_010)
    )
    _assert_block_table(queue)


def _assert_block_table(queue: MediaQueue) -> None:
    # Edits carry the table of block starts over instead of recounting it: it must still
    # be what a recount gives.
    counted = tuple(itertools.accumulate(map(len, queue._blocks), initial=0))
    assert queue._block_starts() == counted[:-1]
    assert len(queue) == counted[-1]


# ------------------------------------------------------------ a big queue


def test_a_single_insert_into_a_100k_queue_is_one_small_op() -> None:
    queue = MediaQueue(items(100_000))
    new = list(queue)
    extra = item("extra", "A new song", artist="Somebody", album="Somewhere")
    new.insert(50_000, extra)
    ops = diff(queue, new)
    assert ops == [QueueSplice(50_000, 0, (extra,))]
    assert len(msgspec.msgpack.encode(ops)) < 1024
    result = apply(ops, queue)
    assert len(result) == 100_001
    assert result[50_000] is extra
    assert result[49_999] is queue[49_999]
    assert result[50_001] is queue[50_000]
    # Structural sharing: all blocks but the edited one are the very same objects.
    shared = {id(block) for block in queue._blocks} & {id(block) for block in result._blocks}
    assert len(shared) >= len(queue._blocks) - 1


# --------------------------------------------------------------- ops + diff


def test_apply_runs_ops_in_order() -> None:
    start = items(3)
    ops = [
        QueueSplice(3, 0, (item("3"),)),
        QueueUpdate(0, item("0", "zero")),
        QueueSplice(1, 2),
    ]
    result = apply(ops, start)
    assert [(entry.id, entry.title) for entry in result] == [("0", "zero"), ("3", "title 3")]
    assert apply([QueueReplace((item("z"),))], start) == [item("z")]
    assert apply([], start) == start


def test_apply_names_the_op_that_does_not_fit_and_changes_nothing() -> None:
    queue = MediaQueue(items(3))
    with pytest.raises(IndexError, match="op #1"):
        apply([QueueSplice(0, 1), QueueUpdate(2, item("x"))], queue)
    assert [entry.id for entry in queue] == ["0", "1", "2"]
    with pytest.raises(TypeError, match="op #0"):
        apply(["splice"], queue)  # type: ignore[list-item]


def test_ops_validate_their_fields() -> None:
    with pytest.raises(ValueError, match="index"):
        QueueSplice(-1)
    with pytest.raises(ValueError, match="delete_count"):
        QueueSplice(0, -2)
    with pytest.raises(TypeError, match="items"):
        QueueSplice(0, 0, ("x",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="item"):
        QueueUpdate(0, None)  # type: ignore[arg-type]


def test_diff_reports_changed_metadata_as_updates() -> None:
    old = items(50)
    new = list(old)
    new[3] = item("3", "retitled")
    new[47] = item("47", "retitled too")
    ops = diff(old, new)
    assert ops == [QueueUpdate(3, new[3]), QueueUpdate(47, new[47])]
    assert content(apply(ops, old)) == content(new)


def test_diff_of_equal_queues_is_empty_and_a_rewrite_is_a_replace() -> None:
    old = items(100)
    assert diff(old, list(old)) == []
    assert diff(old, [item(entry.id) for entry in old]) == []
    new = items(100, prefix="n")
    (op,) = diff(old, new)
    assert isinstance(op, QueueReplace)
    assert diff(old, []) == [QueueSplice(0, 100)]


def test_diff_rejects_non_items() -> None:
    with pytest.raises(TypeError, match="MediaItem"):
        diff(items(3), [*items(2), "nope"])  # type: ignore[list-item]


# Ids from a small alphabet so that prefixes, suffixes and duplicates are common.
_ids = st.sampled_from("abcdefgh")
_titles = st.sampled_from(["x", "y"])
_item_lists = st.lists(st.builds(item, _ids, _titles), max_size=40)


@given(_item_lists, _item_lists)
def test_apply_of_diff_gives_the_new_queue(old: list[MediaItem], new: list[MediaItem]) -> None:
    ops = diff(old, new)
    assert content(apply(ops, old)) == content(new)
    assert sum(isinstance(op, QueueSplice) for op in ops) <= 1
    decoded = msgspec.msgpack.decode(
        msgspec.msgpack.encode(ops), type=list[QueueReplace | QueueSplice | QueueUpdate]
    )
    assert content(apply(decoded, MediaQueue(old))) == content(new)


@given(_item_lists, st.data())
def test_diff_after_a_local_edit_sends_only_that_edit(
    old: list[MediaItem], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(old)))
    delete = data.draw(st.integers(0, len(old) - index))
    inserted = data.draw(st.lists(st.builds(item, st.just("new")), max_size=3))
    new = old[:index] + inserted + old[index + delete :]
    ops = diff(old, new)
    carried = sum(len(op.items) for op in ops if isinstance(op, QueueSplice | QueueReplace))
    assert carried <= max(len(inserted), 0) or isinstance(ops[0], QueueReplace)
    assert content(apply(ops, old)) == content(new)


_edits = st.lists(
    st.tuples(st.sampled_from(["splice", "update"]), st.integers(0, 3000), st.integers(0, 600)),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3000), _edits)
def test_block_queue_matches_a_plain_list_model(
    size: int, edits: list[tuple[str, int, int]]
) -> None:
    model = items(size)
    queue = MediaQueue(model)
    counter = 0
    for kind, position, amount in edits:
        counter += 1
        if kind == "update":
            if not model:
                continue
            index = position % len(model)
            replacement = item(f"u{counter}")
            model[index] = replacement
            queue = queue.update(index, replacement)
        else:
            index = position % (len(model) + 1)
            delete = min(amount, len(model) - index)
            inserted = items(amount % 700, prefix=f"s{counter}-")
            model[index : index + delete] = inserted
            queue = queue.splice(index, delete, inserted)
        assert len(queue) == len(model)
        _assert_block_table(queue)
    assert list(queue) == model
    assert content(queue) == content(model)
    if model:
        assert queue[len(model) // 2] is model[len(model) // 2]
        assert queue[len(model) // 3 : len(model) // 2] == tuple(
            model[len(model) // 3 : len(model) // 2]
        )
