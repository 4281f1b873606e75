from __future__ import annotations

from redis_tui.data.keystore import KeyStore


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
    # Columns, not per-key objects: one byte of type and 8 bytes of deadline per key.
    assert len(store.types) == 200_000 and store.deadlines.itemsize == 8


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
