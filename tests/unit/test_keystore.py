from __future__ import annotations

import gc

from redis_tui.data.scan.keystore import TYPE_CODES, KeyStore


def test_add_deduplicates_and_keeps_meta() -> None:
    store = KeyStore()
    assert (
        store.add([b"a", b"b", b"a"], [b"string", b"hash", b"string"], [-1, 5000, -1], now=100.0)
        == 2
    )
    assert len(store) == 2
    assert store.type_name(1) == "hash"
    assert store.ttl_ms(0, now=100.0) == -1
    assert store.ttl_ms(1, now=101.0) == 4000
    assert store.add([b"b", b"c"], now=100.0) == 1
    assert store.type_name(2) == "?" and store.ttl_ms(2) is None


def test_remove_and_sort() -> None:
    store = KeyStore()
    store.add([b"c", b"a", b"b"], [b"string", b"zset", b"list"], [-1, 1000, 500], now=0.0)
    store.sort("name")
    assert [store.names[store.row(i)] for i in range(3)] == [b"a", b"b", b"c"]
    store.sort("ttl")
    assert [store.names[store.row(i)] for i in range(3)] == [b"b", b"a", b"c"]
    assert store.remove(b"a")
    assert [store.names[store.row(i)] for i in range(2)] == [b"b", b"c"]
    store.sort(None)
    assert store.names == [b"c", b"b"]


def test_update_ttls_marks_gone_keys() -> None:
    store = KeyStore()
    store.add([b"a", b"b"], [b"string", b"string"], [-1, -1], now=0.0)
    gone = store.update_ttls([b"b", b"a"], [-2, 3000], now=0.0, hints=[1, 0])
    assert gone == [b"b"]
    assert store.type_name(1) == "gone"
    assert store.ttl_ms(0, now=1.0) == 2000


def test_million_keys_stay_compact() -> None:
    store = KeyStore()
    keys = [b"key:%d" % i for i in range(200_000)]
    store.add(keys, [b"string"] * len(keys), [-1] * len(keys))
    assert len(store) == 200_000
    # Columns, not per-key objects: a byte of type, 4 of deadline and 4 of size a key.
    assert len(store.types) == 200_000 and store.deadlines.itemsize == store.sizes.itemsize == 4
    assert len(store.names.blob) == sum(map(len, keys))


def test_deadlines_keep_the_ms_long_after_the_epoch() -> None:
    store = KeyStore()
    store.add([b"a"], [b"string"], [-1], now=1000.0)
    store.add([b"b", b"c"], [b"string"] * 2, [1234, 30 * 86400 * 1000], now=90_000.0)
    assert store.ttl_ms(1, now=90_000.0) == 1234  # a day on: still to the ms
    assert abs(store.ttl_ms(2, now=90_000.0) - 30 * 86400 * 1000) <= 250
    assert store.ttl_ms(0) == -1


def test_set_meta_batch_in_place_and_after_rows_moved() -> None:
    store = KeyStore()
    store.add([b"a", b"b", b"c"], now=0.0)
    store.set_meta_batch(
        0, [b"a", b"b", b"c"], [b"string", b"hash", b"none"], [-1, 5000, -2], now=0.0
    )
    assert [store.type_name(i) for i in range(3)] == ["string", "hash", "gone"]
    assert store.ttl_ms(1, now=1.0) == 4000
    store.remove(b"a")
    # Rows moved: the batch no longer starts at 0; a mismatched reply never corrupts columns.
    store.set_meta_batch(0, [b"b", b"c"], [b"list"], [1000], now=0.0)
    assert len(store.types) == len(store.names) == len(store.deadlines) == 2
    assert store.type_name(0) == "list"


def test_names_first_page_without_meta_keeps_columns_aligned() -> None:
    store = KeyStore()
    store.add([b"a", b"b"], [], [])
    assert len(store.types) == len(store.deadlines) == 2
    assert store.type_name(1) == "?" and store.ttl_ms(1) is None


def _aligned(store: KeyStore) -> bool:
    n = len(store.names)
    return len(store.types) == len(store.deadlines) == len(store.sizes) == n


def test_sizes_stay_aligned_through_every_change() -> None:
    store = KeyStore()
    store.add([b"a", b"b", b"c"], [b"string"] * 3, [-1] * 3, now=0.0)  # fast path
    store.add([b"c", b"d"], [b"hash", b"hash"], [-1, -1], now=0.0)  # per-key path
    store.add([b"e"], [], [])  # names first
    assert _aligned(store) and list(store.sizes) == [-1] * 5
    store.set_meta_batch(4, [b"e"], [b"list"], [-1], now=0.0)
    store.set_sizes([b"b", b"d", b"zz"], [300, None, 5], hints=[1, 0, 9])
    assert store.size(1) == 300 and store.size(3) is None and store.sizes[3] == -2
    assert store.size(0) is None and store.sizes[0] == -1
    assert store.remove(b"a")
    assert _aligned(store) and store.size(0) == 300  # b moved up with its size


def test_unknown_sizes_and_sort_by_size() -> None:
    store = KeyStore()
    store.add([b"small", b"unknown", b"big", b"denied", b"mid"], now=0.0)
    store.set_sizes([b"small", b"big", b"denied", b"mid"], [10, 5000, None, 300])
    assert store.unknown_sizes([(0, b"small"), (1, b"unknown"), (3, b"denied")]) == [
        (1, b"unknown")
    ]
    store.sort("size")
    shown = [store.names[store.row(i)] for i in range(len(store))]
    assert shown == [b"big", b"mid", b"small", b"unknown", b"denied"]
    store.add([b"new"], now=0.0)  # new rows join a sorted list at the end
    assert store.names[store.row(5)] == b"new" and _aligned(store)


def test_removal_hooks_get_key_and_index() -> None:
    store = KeyStore()
    store.add([b"a", b"b", b"c"], now=0.0)
    seen: list[tuple[bytes, int]] = []
    store.removal_hooks.append(lambda key, index: seen.append((key, index)))
    store.remove(b"b")
    store.remove(b"missing")
    assert seen == [(b"b", 1)]


def test_unknown_types_then_set_meta_at_even_after_a_removal() -> None:
    store = KeyStore()
    store.add([b"a", b"\x00", b"c", b"d"], now=0.0)
    store.set_meta(2, b"hash", -1, now=0.0)
    indexes, keys = store.unknown_types()
    assert indexes == [0, 1, 3] and keys == [b"a", b"\x00", b"d"]
    store.remove(b"a")  # rows move up: the hints are stale, the keys are searched for
    store.set_meta_at(indexes, keys, [b"none", b"list", b"zset"], [-2, -1, 5000], now=0.0)
    assert [store.type_name(i) for i in range(3)] == ["list", "hash", "zset"]
    assert store.ttl_ms(2, now=1.0) == 4000


def test_the_seen_index_is_not_tracked_by_the_gc() -> None:
    store = KeyStore()
    store.add([b"k%d" % i for i in range(1000)])
    store.add([b"k1", b"new"])
    assert not gc.is_tracked(store._seen._small) and b"new" in store and len(store) == 1001


def _filled(n: int) -> KeyStore:
    store = KeyStore()
    store.add([b"k%d" % i for i in range(n)], now=0.0)
    return store


def test_meta_lands_on_the_right_rows_after_removals_above_them() -> None:
    store = _filled(50_000)
    start, keys = 40_000, [b"k%d" % i for i in range(40_000, 40_700)]
    store.remove_many([b"k%d" % i for i in range(0, 30_000, 1000)])  # 30 rows above move it
    store.remove(b"k40005")  # and one inside the batch
    store.set_meta_batch(start, keys, [b"hash"] * 700, [5000] * 700, now=0.0)
    for i in (40_000, 40_004, 40_006, 40_699):
        index = store.index_of(b"k%d" % i)
        assert index is not None and store.type_name(index) == "hash"
    assert store.type_name(store.index_of(b"k39999") or 0) == "?"
    assert store.types.count(TYPE_CODES["hash"]) == 699


def test_locate_with_and_without_hints() -> None:
    store = _filled(10_000)
    keys = [b"k5", b"nope", b"k9999", b"k5"]
    assert store.locate(keys) == [5, None, 9999, 5]
    assert store.locate(keys, hints=[5, 0, 0, 9_000]) == [5, None, 9999, 5]
    many = [b"k%d" % i for i in range(0, 10_000, 7)]
    assert store.locate(many) == list(range(0, 10_000, 7))


def test_remove_many_keeps_columns_order_and_hooks_in_step() -> None:
    store = KeyStore()
    store.add([b"c", b"a", b"d", b"b", b"e"] + [b"x%d" % i for i in range(20)], now=0.0)
    store.set_meta(1, b"zset", 1000, now=0.0)
    store.sort("name")
    seen: list[tuple[bytes, int]] = []
    store.removal_hooks.append(lambda key, index: seen.append((key, index)))
    gone = [b"c", b"d", b"nope"] + [b"x%d" % i for i in range(0, 20, 2)]
    assert store.remove_many(gone) == 12
    assert len(store) == 13 and b"c" not in store and b"a" in store
    assert store.names[:3] == [b"a", b"b", b"e"]
    assert store.type_name(0) == "zset" and store.ttl_ms(0, now=0.0) == 1000
    assert [store.names[store.row(i)] for i in range(4)] == [b"a", b"b", b"e", b"x1"]
    assert sorted(seen)[:2] == [(b"c", 0), (b"d", 2)] and len(seen) == 12


def test_unknown_rows_come_in_slices() -> None:
    store = KeyStore()
    store.add([b"k%d" % i for i in range(10)], now=0.0)
    store.set_meta_batch(2, [b"k2", b"k3"], [b"hash", b"list"], [-1, -1], now=0.0)
    hints, keys, row = store.unknown_from(0, 3)
    assert hints == [0, 1, 4] and keys == [b"k0", b"k1", b"k4"] and row == 5
    hints, keys, row = store.unknown_from(row, 100)
    assert hints == [5, 6, 7, 8, 9] and row == 10
    assert store.unknown_from(row, 100) == ([], [], 10)
