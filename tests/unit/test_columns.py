"""The compact name column and the hash set behind the key store (``data/scan/columns``)."""

from __future__ import annotations

import random
from array import array

import pytest

from redis_tui.data.scan import columns
from redis_tui.data.scan.columns import HashSet, NameColumn
from redis_tui.data.scan.keystore import KeyStore

BINARY = [b"", b"\x00", b"a\x00b", b"\xff\xfe", "ключ".encode(), b"x" * 300, b"a", b"ab"]


def test_a_column_gives_back_the_exact_bytes() -> None:
    column = NameColumn(BINARY)
    assert len(column) == len(BINARY) and column == BINARY and list(column) == BINARY
    assert column[1:4] == BINARY[1:4] and column[-1] == b"ab"
    assert all(type(name) is bytes for name in column)
    assert column.index(b"a") == 6 and column.index(b"") == 0
    with pytest.raises(ValueError):
        column.index(b"b")  # a substring of a row, not a row
    column.delete(0)
    assert column == BINARY[1:] and column.index(b"a") == 5


def test_a_column_finds_rows_among_many() -> None:
    names = [b"k:%d" % i for i in range(100_000)]
    column = NameColumn(names)
    assert column.index(b"k:99999") == 99_999
    assert column.index(b"k:5", 4) == 5  # from a start row on
    with pytest.raises(ValueError):
        column.index(b"k:5", 6, 50_000)
    assert column.rows_of([b"k:7", b"nope", b"k:70000", b"k:7"]) == [7, 70_000]
    keep = bytearray(b"\x01") * len(names)
    for i in range(len(names)):
        keep[i] = i % 3 == 1
    column.compress(keep)  # more than half the buffer is dead: rewritten
    assert len(column) == 33_333 and column[0] == b"k:1" and column.index(b"k:99997") == 33_332
    assert len(column.blob) == sum(map(len, names[1::3])) and column == names[1::3]


def test_the_set_tells_repeats_before_and_after_it_outgrows_a_dict() -> None:
    rng = random.Random(7)
    seen = HashSet()
    listed: list[bytes] = []
    total = 3 * columns.SMALL
    names = [b"user:%d" % i for i in range(total)]
    i = 0
    while i < total:
        page = names[i : i + 1000]
        # SCAN repeats: some earlier keys again, one twice in the same reply.
        repeats = rng.sample(names[: max(1, i)], 20) if i else []
        page = [*page, *repeats, page[0]]
        rng.shuffle(page)
        hashes = array("q", map(hash, page))
        positions = seen.add_new(page, hashes)
        fresh = page if positions is None else [page[p] for p in positions]
        listed += fresh
        i += 1000
        if i == columns.SMALL:
            # A scan takes longer than numpy's import in its thread; this loop does not.
            assert columns._warming is not None
            columns._warming.join()
    assert seen._small is None  # numpy's runs by now
    assert len(listed) == total and set(listed) == set(names)
    assert b"user:0" in seen and b"user:%d" % (total - 1) in seen and b"other" not in seen


def test_a_removed_key_is_listed_again_when_it_comes_back() -> None:
    store = KeyStore()
    names = [b"s:%d" % i for i in range(2 * columns.SMALL)]
    for i in range(0, len(names), 1000):
        store.add(names[i : i + 1000])
    assert store._seen._small is None
    assert store.remove(b"s:10") and b"s:10" not in store
    assert store.remove_many([b"s:%d" % i for i in range(20, 40)]) == 20
    assert store.add([b"s:10", b"s:11", b"s:25"]) == 2 and b"s:10" in store
    assert store.add([b"s:10"]) == 0
    assert len(store) == len(names) - 21 + 2
    assert store.names[-2:] == [b"s:10", b"s:25"]
    assert store.index_of(b"s:25") == len(store) - 1 and store.index_of(b"s:30") is None


def test_keys_removed_before_the_dict_is_dropped_come_back() -> None:
    store = KeyStore()
    store.add([b"a:%d" % i for i in range(columns.SMALL + 10)])
    store.remove(b"a:3")  # while the dict serves: its hash goes to the runs all the same
    for i in range(40):  # pages until every hash is in the runs
        store.add([b"b:%d:%d" % (i, j) for j in range(columns.CHUNK // 8)])
        if columns._warming is not None:
            columns._warming.join()
    assert store._seen._small is None
    assert b"a:3" not in store and b"a:4" in store
    assert store.add([b"a:3", b"a:4"]) == 1 and b"a:3" in store


def test_a_small_column_finds_rows_without_numpy() -> None:
    names = [b"k:%d" % i for i in range(6000)]
    column = NameColumn(names)
    assert column.rows_with_hash(hash(b"k:5999")) == [5999]
    assert column.rows_of([b"k:1", b"k:5000", b"gone"]) == [1, 5000]
    assert column.index(b"k:5999") == 5999 and b"k:42" in column and b"k:x" not in column


def test_bits_that_share_a_byte_are_all_set() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    byte = rng.integers(0, 64, 5000).astype(np.intp)  # many writes to each byte
    bit = (np.uint8(1) << rng.integers(0, 8, 5000).astype(np.uint8)).astype(np.uint8)
    ours, reference = np.zeros(64, np.uint8), np.zeros(64, np.uint8)
    columns._set_bits(ours, byte, bit)
    np.bitwise_or.at(reference, byte, bit)
    assert (ours == reference).all()
